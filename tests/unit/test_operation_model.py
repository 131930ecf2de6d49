"""Where the API's values become opsbot's: checked, bounded, or refused in plain words.

Each reply here is one a probe of the live client found to end deep inside
opsbot (OverflowError, RecursionError, ValueError) rather than in a typed
error; each now either reads or is an UnreadableOperation saying what could
not be read. Replies go through the real codec, as the client reads them
(tests/unit/test_operation_reading.py checks from_api on Python values).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from opsbot.api import xmlrpc
from opsbot.api.bounds import MAX_DEPTH, MAX_TEXT, TOO_DEEP, bounded, cut_text
from opsbot.api.errors import ApiError, UnknownApiError, error_from_fault
from opsbot.api.list_reply import UnreadableItem, read_list
from opsbot.api.operation import MAX_ID, Operation, UnreadableOperation
from opsbot.ui.common import api_error_message
from opsbot.ui.operations import info_message, list_message
from tests.support.surfaces import assert_message_ok

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)


def reply(value_xml: str) -> bytes:
    return (
        "<?xml version='1.0'?><methodResponse><params><param><value>"
        f"{value_xml}</value></param></params></methodResponse>"
    ).encode()


def member(name: str, value_xml: str) -> str:
    return f"<member><name>{name}</name><value>{value_xml}</value></member>"


def operation_xml(*members: str, op_id: str = "<int>100123</int>") -> str:
    fixed = member("id", op_id) + member("type", "<string>domain_renew</string>")
    return (
        "<struct>" + fixed + member("step", "<string>RUN</string>") + "".join(members) + "</struct>"
    )


def decoded(value_xml: str) -> Any:
    return xmlrpc.decode_response(reply(value_xml), zone=PARIS)


def nested_params(depth: int) -> str:
    inner = "<array><data><value>" * depth + "<int>1</int>" + "</value></data></array>" * depth
    return member("params", "<struct>" + member("deep", inner) + "</struct>")


# The triggers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("eta", "reason"),
    [
        ("<double>inf</double>", "an eta that is not a number"),
        ("<double>-inf</double>", "an eta that is not a number"),
        ("<double>nan</double>", "an eta that is not a number"),
        ("<double>1e300</double>", "an eta out of range"),
        ("<int>" + "9" * 3000 + "</int>", "an eta out of range"),
    ],
)
def test_an_eta_that_is_not_a_number_of_seconds_is_refused(eta: str, reason: str) -> None:
    raw = decoded(operation_xml(member("eta", eta)))
    with pytest.raises(UnreadableOperation) as caught:
        Operation.from_api(raw)
    assert caught.value.reason == reason
    assert caught.value.op_id == 100123


@pytest.mark.parametrize(("eta", "seconds"), [("<double>12.7</double>", 12), ("<int>-5</int>", -5)])
def test_a_finite_eta_reads(eta: str, seconds: int) -> None:
    assert Operation.from_api(decoded(operation_xml(member("eta", eta)))).eta == seconds


@pytest.mark.parametrize(
    "wire", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "00010101T00:05:00"]
)
@pytest.mark.parametrize("field", ["date_created", "date_start", "date_updated"])
def test_a_date_out_of_range_is_refused(field: str, wire: str) -> None:
    raw = decoded(operation_xml(member(field, f"<dateTime.iso8601>{wire}</dateTime.iso8601>")))
    with pytest.raises(UnreadableOperation) as caught:
        Operation.from_api(raw)
    assert caught.value.reason == f"a {field} that is not a date"
    assert caught.value.op_id == 100123


@pytest.mark.parametrize(
    "op_id",
    [
        "<int>" + "9" * 3000 + "</int>",
        "<int>" + "9" * 5000 + "</int>",
        "<string>" + "9" * 3000 + "</string>",
        "<string>" + "9" * 5000 + "</string>",
        f"<i8>{MAX_ID + 1}</i8>",
        "<int>0</int>",
    ],
)
def test_an_id_out_of_range_is_refused_never_a_value_error(op_id: str) -> None:
    raw = decoded(operation_xml(op_id=op_id))
    with pytest.raises(UnreadableOperation) as caught:
        Operation.from_api(raw)
    assert caught.value.reason.startswith("an operation id out of range")
    assert caught.value.op_id is None


def test_parameters_nested_200000_deep_are_refused_without_recursion() -> None:
    depth = 200_000
    assert depth > sys.getrecursionlimit()
    with pytest.raises(UnreadableOperation) as caught:
        Operation.from_api(decoded(operation_xml(nested_params(depth))))
    assert caught.value.reason.startswith("values nested deeper than")


def test_parameters_as_deep_as_allowed_read_and_render() -> None:
    operation = Operation.from_api(decoded(operation_xml(nested_params(MAX_DEPTH - 3))))
    json.dumps(dict(operation.params))
    repr(operation)
    assert_message_ok(info_message(operation, now=NOW))
    message = list_message([operation], filters={}, page=0, items_per_page=20, total=1, now=NOW)
    assert_message_ok(message)


def test_the_walk_that_bounds_values_flattens_what_is_deeper_than_it_goes() -> None:
    deep: Any = "bottom"
    for _ in range(50_000):
        deep = {"x": [deep]}
    value = bounded(deep)
    for _ in range(MAX_DEPTH // 2):
        value = value["x"][0]
    assert value == TOO_DEEP
    json.dumps(bounded(deep))


# Texts ---------------------------------------------------------------------------------


def test_long_texts_are_cut_with_a_marker() -> None:
    huge = "é" * 9_000_000
    operation = Operation.from_api(
        {
            "id": 5,
            "type": huge,
            "step": huge,
            "last_error": huge,
            "errortype": huge,
            "source": huge,
            "params": {"label": huge, "list": [huge]},
            "infos": {"label": huge},
        }
    )
    texts = [
        operation.type,
        operation.step,
        operation.last_error,
        operation.errortype,
        operation.source,
        operation.params["label"],
        operation.params["list"][0],
        operation.infos["label"],
    ]
    for text in texts:
        assert isinstance(text, str)
        assert len(text) < MAX_TEXT + 100
        assert text.endswith("[cut by opsbot: 9,000,000 characters in all]")


def test_a_huge_fault_text_is_cut_before_anything_reads_it() -> None:
    error = error_from_fault(150000, "Error [" + "x" * 9_000_000 + "]", method="operation.list")
    assert isinstance(error, UnknownApiError)
    assert len(error.message) < MAX_TEXT + 100
    assert len(str(error)) < MAX_TEXT + 200
    assert_message_ok(api_error_message(error))


def test_any_api_error_message_is_cut() -> None:
    assert len(ApiError("y" * 1_000_000).message) < MAX_TEXT + 100


def test_cut_text_leaves_short_texts_alone() -> None:
    assert cut_text("short") == "short"
    assert cut_text("x" * MAX_TEXT) == "x" * MAX_TEXT


def test_bounded_keeps_plain_data_and_turns_the_rest_into_text() -> None:
    moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    value = {
        "n": 1,
        "f": 1.5,
        "b": True,
        "none": None,
        "when": moment,
        "odd": xmlrpc.Unreadable("int", "99"),
    }
    assert bounded(value) == {
        "n": 1,
        "f": 1.5,
        "b": True,
        "none": None,
        "when": moment,
        "odd": "(unreadable int '99')",
    }


# One row at a time ------------------------------------------------------------------


def test_one_bad_value_spoils_one_item_of_a_list_reply() -> None:
    infinite_eta = operation_xml(member("eta", "<double>inf</double>"), op_id="<int>100124</int>")
    bad_date = operation_xml(
        member("date_updated", "<dateTime.iso8601>0001-01-01T00:00:00+01:00</dateTime.iso8601>"),
        op_id="<int>100125</int>",
    )
    items = decoded(
        "<array><data>"
        f"<value>{operation_xml()}</value>"
        f"<value>{infinite_eta}</value>"
        f"<value>{bad_date}</value>"
        f"<value>{operation_xml(op_id='<int>' + '9' * 3000 + '</int>')}</value>"
        "<value><string>not a struct</string></value>"
        "</data></array>"
    )
    reply = read_list(items, method="operation.list")
    assert [operation.id for operation in reply.operations] == [100123]
    assert reply.unreadable == (
        UnreadableItem(100124, "an eta that is not a number"),
        UnreadableItem(100125, "a date_updated that is not a date"),
        UnreadableItem(None, f"an operation id out of range (1 to {MAX_ID})"),
        UnreadableItem(None, "an item that is not a struct"),
    )


def test_a_list_reply_reads_no_more_items_than_asked() -> None:
    items = [{"id": 100100 + n, "type": "domain_renew", "step": "DONE"} for n in range(40)]
    reply = read_list(items, method="operation.list", asked=20)
    assert [operation.id for operation in reply.operations] == list(range(100100, 100120))
    assert reply.more_than_asked
    assert not read_list(items, method="operation.list", asked=40).more_than_asked
    assert not read_list(items, method="operation.list").more_than_asked
