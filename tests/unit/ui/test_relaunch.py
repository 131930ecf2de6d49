"""The relaunch modal and the report after a relaunch, checked as Slack would."""

from __future__ import annotations

import json
from typing import Any

import pytest

from opsbot.api import catalog
from opsbot.api.operation import Operation
from opsbot.api.secret_params import is_secret_parameter
from opsbot.ui import ids, limits, payloads, relaunch
from tests.support.surfaces import (
    ACTOR,
    HOSTILE,
    NOW,
    all_text,
    assert_message_ok,
    assert_modal_ok,
    sample_operation,
)

SECRET_VALUE = "s3cr3t-authinfo-value"


def _assert_message_ok(message: dict[str, Any]) -> None:
    assert_message_ok(message, may_mention=[ACTOR])


def _assert_modal_ok(view: dict[str, Any]) -> None:
    assert_modal_ok(view, may_mention=[ACTOR])


# Relaunching.


def test_relaunch_loading_modal_carries_the_operation_id() -> None:
    view = relaunch.relaunch_loading_modal(
        123, channel_id="C0123", response_url="https://hooks.slack.com/x"
    )
    _assert_modal_ok(view)
    assert view["callback_id"] == ids.CALLBACK_RELAUNCH == "relaunch"
    assert view["title"]["text"] == "Relaunch #123"
    metadata = payloads.RelaunchMetadata.parse(view["private_metadata"])
    assert metadata == payloads.RelaunchMetadata(123, "C0123", "https://hooks.slack.com/x")


def test_private_metadata_too_long_is_refused_as_a_bug() -> None:
    with pytest.raises(limits.LimitError, match="private_metadata"):
        relaunch.relaunch_loading_modal(1, response_url="https://hooks.slack.com/" + "x" * 3000)


def _inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    inputs = [block for block in view["blocks"] if block["type"] == "input"]
    by_name = {block["block_id"]: block for block in inputs}
    assert len(by_name) == len(inputs)
    return by_name


def _add_field_menu(view: dict[str, Any]) -> dict[str, Any] | None:
    menus = [
        element
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == ids.ACTION_ADD_FIELD
    ]
    if not menus:
        return None
    (menu,) = menus
    return dict(menu)


def _add_field_names(view: dict[str, Any], typed: str = "") -> list[str]:
    """What the menu offers when the person types ``typed`` (its block_suggestion answer)."""
    if _add_field_menu(view) is None:
        return []
    answer = relaunch.add_field_options(typed, list(_inputs(view)))
    assert set(answer) == {"options"}
    return [option["value"] for option in answer["options"]]


def _assert_relaunch_view(view: dict[str, Any], operation: Operation) -> None:
    _assert_modal_ok(view)
    assert view["callback_id"] == "relaunch"
    assert json.loads(view["private_metadata"])["operation_id"] == operation.id
    for name, block in _inputs(view).items():
        parameter = catalog.RELAUNCH_PARAMETERS[name]
        assert block["optional"] is True
        assert block["element"]["action_id"] == "value"
        kind = block["element"]["type"]
        if parameter.input_kind == "select":
            assert kind in ("static_select", "plain_text_input")
        elif parameter.input_kind == "date":
            assert kind in ("datepicker", "plain_text_input")
        else:
            assert kind == "plain_text_input"
    assert not set(_inputs(view)) & set(_add_field_names(view))


_GROUPS = sorted({parameter.group for parameter in catalog.RELAUNCH_PARAMETERS.values()})


@pytest.mark.parametrize("group", _GROUPS)
def test_relaunch_modal_for_every_registry_group(group: str) -> None:
    tld = "com" if group == catalog.GENERIC_GROUP else group.lstrip(".")
    operation = sample_operation(type="domain_transfer_in", domain=f"example.{tld}")
    fields = catalog.choose_relaunch_fields(operation)
    others = [p for p in catalog.RELAUNCH_PARAMETERS.values() if p not in fields]
    view = relaunch.relaunch_modal(operation, fields, channel_id="C1", now=NOW)
    _assert_relaunch_view(view, operation)
    shown = list(_inputs(view))
    assert shown == [parameter.name for parameter in fields]
    # Untyped, the menu offers the others in the catalog's order, 100 at most.
    assert _add_field_names(view) == [parameter.name for parameter in others][: limits.OPTIONS]
    if group != catalog.GENERIC_GROUP:
        assert set(shown) >= {p.name for p in catalog.relaunch_parameters_for_group(group)}
    assert shown[0] == "authinfo"


def _current_value(parameter: catalog.RelaunchParameter) -> str:
    if parameter.values:
        return parameter.values[-1].value
    if parameter.input_kind == "date":
        return "1990-12-31"
    return f"{HOSTILE} {parameter.name}"


def test_relaunch_modal_when_params_carry_all_140_parameters() -> None:
    params = {name: _current_value(p) for name, p in catalog.RELAUNCH_PARAMETERS.items()}
    params |= {"authinfo": SECRET_VALUE, "x-my_admin_contact_password": SECRET_VALUE}
    operation = sample_operation(type="domain_change_owner", params=params)
    fields = catalog.choose_relaunch_fields(operation)
    view = relaunch.relaunch_modal(operation, fields, now=NOW)
    _assert_relaunch_view(view, operation)
    assert len(view["blocks"]) <= limits.MODAL_BLOCKS
    inputs = _inputs(view)
    offered = set(relaunch.fields_to_add("", inputs, limit=len(catalog.RELAUNCH_PARAMETERS)))
    assert set(inputs) | offered == set(catalog.RELAUNCH_PARAMETERS)
    assert SECRET_VALUE not in json.dumps(view)
    for name, block in inputs.items():
        element = block["element"]
        parameter = catalog.RELAUNCH_PARAMETERS[name]
        if is_secret_parameter(name):
            assert "initial_value" not in element
            assert "not shown" in block["hint"]["text"]
        elif element["type"] == "static_select":
            assert element["initial_option"]["value"] == parameter.values[-1].value
        elif element["type"] == "datepicker":
            assert element["initial_date"] == "1990-12-31"
        else:
            assert element["initial_value"] == params[name]


def test_relaunch_modal_with_more_fields_than_a_modal_holds() -> None:
    everything = list(catalog.RELAUNCH_PARAMETERS.values())
    operation = sample_operation()
    view = relaunch.relaunch_modal(operation, everything + everything, now=NOW)
    _assert_relaunch_view(view, operation)
    assert len(view["blocks"]) == limits.MODAL_BLOCKS
    assert len(_inputs(view)) == relaunch.MAX_RELAUNCH_INPUTS
    assert len(_add_field_names(view)) == len(everything) - relaunch.MAX_RELAUNCH_INPUTS
    assert "43 more fields did not fit" in all_text(view)


def test_the_add_field_menu_is_a_suggestion_select_that_never_holds_options() -> None:
    """About 140 parameters apply: more than a select's 100 options, groups included."""
    fields = [catalog.RELAUNCH_PARAMETERS["authinfo"]]
    view = relaunch.relaunch_modal(sample_operation(), fields, now=NOW)
    _assert_relaunch_view(view, sample_operation())
    menu = _add_field_menu(view)
    assert menu is not None
    assert menu["type"] == "external_select"
    assert menu["min_query_length"] == 0
    assert "options" not in menu
    assert "option_groups" not in menu
    assert len(catalog.RELAUNCH_PARAMETERS) - 1 > limits.OPTIONS
    assert len(_add_field_names(view)) == limits.OPTIONS


def test_typing_part_of_a_name_offers_the_closest_names_first() -> None:
    shown = ["authinfo"]
    offered = relaunch.fields_to_add("legal", shown)
    assert offered
    assert all("legal" in name for name in offered)
    starting = relaunch.fields_to_add("x-es", shown)
    assert starting
    assert all(name.startswith("x-es") for name in starting)
    # A name typed whole comes first; one already in the form is not offered.
    assert relaunch.fields_to_add("x-es_legalform", shown)[0] == "x-es_legalform"
    assert relaunch.fields_to_add("authinfo", shown)[:1] != ["authinfo"]
    # A typo still finds it.
    assert "x-es_legalform" in relaunch.fields_to_add("x-es_legalfrom", shown)
    assert relaunch.fields_to_add("nothing like any parameter at all", shown) == []


def test_the_menu_answer_is_valid_block_suggestion_options() -> None:
    answer = relaunch.add_field_options("", [])
    options = answer["options"]
    assert len(options) == limits.OPTIONS
    assert len({option["value"] for option in options}) == len(options)
    for option in options:
        assert option["text"]["type"] == "plain_text"
        assert len(option["text"]["text"]) <= limits.OPTION_TEXT


def test_current_values_that_do_not_fit_the_widget() -> None:
    params = {
        "x-ca_legaltype": "NOT-A-KNOWN-CODE",
        "x-us_nexus_category": "n" * 200,
        "x-ee_birthdate": "31/12/1990",
        "x-fi_birthdate": "1990-02-31",
        "x-it_pin": "p" * 4000,
    }
    operation = sample_operation(params=params)
    fields = [catalog.RELAUNCH_PARAMETERS[name] for name in params]
    view = relaunch.relaunch_modal(operation, fields, now=NOW)
    _assert_relaunch_view(view, operation)
    inputs = _inputs(view)
    legaltype = inputs["x-ca_legaltype"]["element"]
    assert legaltype["initial_option"] == legaltype["options"][0]
    assert legaltype["initial_option"]["text"]["text"] == "NOT-A-KNOWN-CODE (current)"
    assert inputs["x-us_nexus_category"]["element"]["initial_value"] == "n" * 200
    assert inputs["x-ee_birthdate"]["element"]["initial_value"] == "31/12/1990"
    assert inputs["x-fi_birthdate"]["element"]["type"] == "plain_text_input"
    assert "initial_value" not in inputs["x-it_pin"]["element"]
    assert set(_inputs(view)).isdisjoint(_add_field_names(view))


def test_relaunched_message_names_fields_never_values() -> None:
    params = {
        "authinfo": SECRET_VALUE,
        "x-es_tipo_identification": "1",
        HOSTILE: "v",
        "x-empty": "",
    }
    message = relaunch.relaunched_message(123, user_id=ACTOR, params=params)
    _assert_message_ok(message)
    text = all_text(message)
    assert SECRET_VALUE not in json.dumps(message)
    assert f"<@{ACTOR}> relaunched operation *#123*" in text
    assert "`authinfo`" in text
    assert "`x-es_tipo_identification`" in text
    assert "x-empty" not in text


def test_relaunched_message_without_changes() -> None:
    message = relaunch.relaunched_message(9, user_id="not a user", params={})
    _assert_message_ok(message)
    assert "Someone relaunched operation *#9* without changing its parameters." in all_text(message)
