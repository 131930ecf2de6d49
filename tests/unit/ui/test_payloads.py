"""What buttons and modals carry: every codec round-trips, and refuses what opsbot did not write."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from opsbot.api.filters import MAX_INT
from opsbot.ui import payloads


@pytest.mark.parametrize(
    "value",
    [
        payloads.CancelButtonValue(7),
        payloads.CancelButtonValue(7, "info"),
        payloads.CancelButtonValue(
            7, "list", payloads.ListedPage({"step": "WAIT", "id": [1, 7]}, 3, 100, (1, 7))
        ),
        payloads.CancelButtonValue(7, "list", payloads.ListedPage({}, 0, None, (7,))),
    ],
)
def test_cancel_button_values_round_trip(value: payloads.CancelButtonValue) -> None:
    assert payloads.CancelButtonValue.parse(value.to_value()) == value


def test_a_bare_id_is_still_a_cancel_button_value() -> None:
    assert payloads.CancelButtonValue.parse("100100") == payloads.CancelButtonValue(100100)


@pytest.mark.parametrize(
    "value", ["", "abc", "{not json", "[1]", '{"on":"list"}', '{"id":1,"on":"list"}', "1.5"]
)
def test_a_broken_cancel_button_value_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="not a Cancel button value"):
        payloads.CancelButtonValue.parse(value)


@pytest.mark.parametrize(
    "value",
    [
        "-5",
        '{"id":-1,"on":"info"}',
        '{"id":true,"on":"info"}',
        '{"id":"7","on":"info"}',
        '{"id":1,"on":"list","list":{"filters":{},"page":0,"total":null,"ids":["x"]}}',
        '{"id":1,"on":"list","list":{"filters":[],"page":0,"total":null,"ids":[1]}}',
        '{"id":1,"on":"list","list":{"filters":{},"page":1.5,"total":null,"ids":[1]}}',
    ],
)
def test_a_tampered_cancel_button_value_is_refused(value: str) -> None:
    with pytest.raises(payloads.PayloadError, match="not a Cancel button value"):
        payloads.CancelButtonValue.parse(value)


# The operation id on Info, Watch, Unwatch, Relaunch and the cancel question.


@pytest.mark.parametrize("op_id", [0, 1, 123, MAX_INT])
def test_operation_button_values_round_trip(op_id: int) -> None:
    value = payloads.OperationButtonValue(op_id)
    assert value.to_value() == str(op_id)
    assert payloads.OperationButtonValue.parse(value.to_value()) == value


@pytest.mark.parametrize(
    "value",
    ["", "abc", "-1", "+1", "1.5", " 12", "12\n", "1_000", "١٢", str(MAX_INT + 1), None, 12],
)
def test_a_tampered_operation_id_is_refused(value: object) -> None:
    with pytest.raises(payloads.PayloadError, match="not an operation id"):
        payloads.OperationButtonValue.parse(value)


# Previous and Next.


@pytest.mark.parametrize(
    "value",
    [
        payloads.PageButtonValue({}, 0),
        payloads.PageButtonValue({"step": "ERROR", "id": [1, 2], ">date_created": "7d"}, 3),
        payloads.PageButtonValue({"domain": 'say "hi" <!channel>'}, 12),
    ],
)
def test_page_button_values_round_trip(value: payloads.PageButtonValue) -> None:
    assert payloads.PageButtonValue.parse(value.to_value()) == value


def test_a_page_button_keeps_the_wire_form_of_earlier_messages() -> None:
    value = '{"filters":{"step":"ERROR"},"page":2}'
    parsed = payloads.PageButtonValue.parse(value)
    assert parsed == payloads.PageButtonValue({"step": "ERROR"}, 2)
    assert parsed.to_value() == value


def test_a_page_button_carries_the_filters_without_their_page() -> None:
    moment = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    button = payloads.PageButtonValue.of({"step": "WAIT", ">date_created": moment, "page": 7}, 1)
    assert button.filters == {"step": "WAIT", ">date_created": moment.isoformat()}
    assert json.loads(button.to_value()) == {"filters": button.filters, "page": 1}
    assert button.list_filters() == {**button.filters, "page": 1}


@pytest.mark.parametrize(
    "value",
    [
        "",
        "{",
        "[]",
        "3",
        '{"page":1}',
        '{"filters":{}}',
        '{"filters":[],"page":1}',
        '{"filters":{},"page":-1}',
        '{"filters":{},"page":"1"}',
        '{"filters":{},"page":true}',
        '{"filters":{},"page":1.0}',
        None,
    ],
)
def test_a_tampered_page_button_value_is_refused(value: object) -> None:
    with pytest.raises(payloads.PayloadError, match="not a page button value"):
        payloads.PageButtonValue.parse(value)


# The relaunch modal's private_metadata.


@pytest.mark.parametrize(
    "metadata",
    [
        payloads.RelaunchMetadata(123),
        payloads.RelaunchMetadata(123, "C0123"),
        payloads.RelaunchMetadata(123, "C0123", "https://hooks.slack.com/x"),
        payloads.RelaunchMetadata(123, None, "https://hooks.slack.com/x"),
    ],
)
def test_relaunch_metadata_round_trips(metadata: payloads.RelaunchMetadata) -> None:
    assert payloads.RelaunchMetadata.parse(metadata.to_value()) == metadata


def test_relaunch_metadata_is_json_with_the_operation_id() -> None:
    value = payloads.RelaunchMetadata(123, "C0123").to_value()
    assert json.loads(value) == {"operation_id": 123, "channel_id": "C0123"}


@pytest.mark.parametrize(
    "value",
    [
        "",
        "42",
        "{not json",
        '{"channel_id":"C1"}',
        '{"operation_id":"1"}',
        '{"operation_id":-1}',
        '{"operation_id":1,"channel_id":5}',
        '{"operation_id":1,"response_url":["x"]}',
        None,
    ],
)
def test_tampered_relaunch_metadata_is_refused(value: object) -> None:
    with pytest.raises(payloads.PayloadError, match="not relaunch metadata"):
        payloads.RelaunchMetadata.parse(value)


def test_a_payload_error_is_a_value_error() -> None:
    # Listeners written before the codecs caught ValueError; they still do.
    assert issubclass(payloads.PayloadError, ValueError)
