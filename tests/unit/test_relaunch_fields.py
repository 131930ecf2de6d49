"""Which relaunch inputs an operation's relaunch form shows, in which order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from opsbot.api.catalog import (
    MAX_RELAUNCH_FIELDS,
    RELAUNCH_PARAMETERS,
    choose_relaunch_fields,
    parameters_named_in,
    relaunch_parameters_for_group,
)
from opsbot.api.operation import RELAUNCHABLE_TYPES, Operation

DOCUMENT_FIELDS = ["x-document_country", "x-document_type", "x-document_value"]
ES_FIELDS = [name for name in RELAUNCH_PARAMETERS if name.startswith("x-es_")]
ALL_GROUPS = sorted({param.group for param in RELAUNCH_PARAMETERS.values()})


def failed(
    type_: str = "domain_create",
    domain: str = "example.com",
    params: Mapping[str, Any] | None = None,
    last_error: str | None = None,
) -> Operation:
    return Operation(
        id=1,
        type=type_,
        step="ERROR",
        params={"domain": domain, "duration": 1, **(params or {})},
        last_error=last_error,
    )


def names(operation: Operation, limit: int = MAX_RELAUNCH_FIELDS) -> list[str]:
    return [param.name for param in choose_relaunch_fields(operation, limit)]


def test_a_transfer_gets_authinfo_first() -> None:
    for transfer in ("domain_transfer_in", "domain_transfer_reseller"):
        assert names(failed(transfer, "example.es"))[0] == "authinfo"


def test_other_types_get_no_authinfo_unless_asked_for() -> None:
    for type_ in RELAUNCHABLE_TYPES - {"domain_transfer_in", "domain_transfer_reseller"}:
        assert "authinfo" not in names(failed(type_, "example.es"))


def test_an_es_operation_gets_the_es_fields_then_the_document_fields() -> None:
    assert names(failed("domain_create", "example.es")) == ES_FIELDS + DOCUMENT_FIELDS
    assert names(failed("domain_transfer_in", "example.com.es")) == (
        ["authinfo", *ES_FIELDS, *DOCUMENT_FIELDS]
    )


def test_the_tld_may_come_from_params() -> None:
    operation = Operation(id=2, type="domain_create", step="ERROR", params={"tld": ".ES"})
    assert names(operation) == ES_FIELDS + DOCUMENT_FIELDS


def test_an_idn_tld_gets_its_punycode_fields() -> None:
    expected = [param.name for param in relaunch_parameters_for_group(".xn--55qx5d")]
    assert names(failed(domain="例子.公司"))[:2] == expected
    assert names(failed(domain="example.xn--55qx5d"))[:2] == expected
    assert len(expected) == 2


def test_a_tld_without_fields_falls_back_to_the_generic_ones() -> None:
    assert names(failed(domain="example.com")) == DOCUMENT_FIELDS
    assert names(failed("domain_transfer_in", "example.fr")) == ["authinfo", *DOCUMENT_FIELDS]


def test_an_operation_without_a_domain_still_gets_the_generic_ones() -> None:
    operation = Operation(id=3, type="domain_ns_set", step="ERROR")
    assert names(operation) == DOCUMENT_FIELDS


def test_parameters_already_in_params_are_included_after_the_generic_ones() -> None:
    operation = failed(params={"x-ca_legaltype": "CCT", "x-us_nexus_category": "C11"})
    assert names(operation) == [*DOCUMENT_FIELDS, "x-ca_legaltype", "x-us_nexus_category"]


def test_parameters_named_in_last_error_come_last_in_order_of_mention() -> None:
    operation = failed(
        domain="example.com",
        params={"x-ca_legaltype": "CCT"},
        last_error="missing parameter X-US_APP_PURPOSE (and x-it_pin), authinfo invalid",
    )
    assert names(operation) == [
        *DOCUMENT_FIELDS,
        "x-ca_legaltype",
        "x-us_app_purpose",
        "x-it_pin",
        "authinfo",
    ]


def test_names_inside_longer_words_are_not_mentions() -> None:
    text = "authinfos; x-es_legalform_old; prefix-x-it_pin; x-uk_co_no."
    assert [param.name for param in parameters_named_in(text)] == ["x-uk_co_no"]


def test_the_en_dash_names_are_found_with_their_real_spelling() -> None:
    text = "bad x-xn--fiqs8s_registrant_document_number"
    assert [param.name for param in parameters_named_in(text)] == [
        "x-xn--fiqs8s_registrant_document_number"
    ]


def test_no_duplicates_when_the_same_field_comes_from_every_source() -> None:
    operation = failed(
        "domain_transfer_in",
        "example.es",
        params={"authinfo": "x", "x-es_legalform": "1", "x-document_type": "passport"},
        last_error="x-es_legalform and authinfo and x-document_type are wrong; x-es_legalform!",
    )
    chosen = names(operation)
    assert chosen == ["authinfo", *ES_FIELDS, *DOCUMENT_FIELDS]


def test_the_limit_cuts_the_lowest_priorities_first() -> None:
    operation = failed("domain_transfer_in", "example.es", last_error="x-it_pin missing")
    full = names(operation)
    assert full[-1] == "x-it_pin"
    assert names(operation, limit=3) == full[:3]
    assert names(operation, limit=0) == []
    assert names(operation, limit=-1) == []


def test_the_default_limit_leaves_room_in_a_slack_modal() -> None:
    every_parameter = dict.fromkeys(RELAUNCH_PARAMETERS, "value")
    chosen = names(failed("domain_transfer_in", "example.es", params=every_parameter))
    assert len(chosen) == MAX_RELAUNCH_FIELDS
    assert MAX_RELAUNCH_FIELDS < 100
    assert chosen[0] == "authinfo"


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    type_=st.sampled_from(sorted(RELAUNCHABLE_TYPES)),
    tld=st.sampled_from([group.lstrip(".") for group in ALL_GROUPS] + ["com", "fr"]),
    params=st.lists(st.sampled_from(list(RELAUNCH_PARAMETERS)), max_size=20),
    mentioned=st.lists(st.sampled_from(list(RELAUNCH_PARAMETERS)), max_size=10),
    limit=st.integers(min_value=0, max_value=150),
)
def test_choice_is_unique_bounded_and_covers_what_the_operation_names(
    type_: str, tld: str, params: list[str], mentioned: list[str], limit: int
) -> None:
    operation = failed(
        type_, f"example.{tld}", dict.fromkeys(params, "v"), "missing: " + ", ".join(mentioned)
    )
    chosen = names(operation, limit)
    assert len(chosen) == len(set(chosen)) <= limit
    unbounded = names(operation, limit=len(RELAUNCH_PARAMETERS))
    assert chosen == unbounded[:limit]
    assert set(params) | set(mentioned) | set(DOCUMENT_FIELDS) <= set(unbounded)
