"""The relaunch fields an operation's error points at."""

from __future__ import annotations

from opsbot.api.error_fields import fields_asked_for, says_nothing_about_parameters
from opsbot.api.operation import Operation


def failed(last_error: str | None, errortype: str | None = None) -> Operation:
    return Operation.from_api(
        {
            "id": 1,
            "type": "domain_create",
            "step": "ERROR",
            "last_error": last_error,
            "errortype": errortype,
            "params": {"domain": "example.es"},
        }
    )


def test_the_fields_an_error_names_in_its_order() -> None:
    one = failed("x-es_owner_tipo_identification is missing", "missing_parameter")
    two = failed("missing parameters x-es_owner_identification, x-es_admin_identification")

    assert [p.name for p in fields_asked_for(one)] == ["x-es_owner_tipo_identification"]
    assert [p.name for p in fields_asked_for(two)] == [
        "x-es_owner_identification",
        "x-es_admin_identification",
    ]
    assert [p.name for p in fields_asked_for(failed("Invalid AUTHINFO code"))] == ["authinfo"]


def test_a_registry_timeout_says_nothing_about_parameters() -> None:
    assert says_nothing_about_parameters(failed("Registry timeout, try later", "timeout"))
    assert says_nothing_about_parameters(failed(None))
    assert not says_nothing_about_parameters(failed("x-es_identification is missing"))
    # A missing_parameter that names nothing opsbot knows still is about parameters.
    assert not says_nothing_about_parameters(failed("a field is missing", "missing_parameter"))
