"""Every surface rendered with hostile and oversized data, then validated as Slack would.

Each message and modal must: parse with slack_sdk's block models (which raise
on limit violations) and round-trip unchanged (no misspelled key), pass
check_limits, keep every ``<`` and ``&`` of data escaped (only our own
mentions of validated user ids stay live), and carry a plain-text fallback.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from opsbot.api import catalog
from opsbot.api.errors import (
    ApiError,
    AuthorizationError,
    BadParameterError,
    InvalidStepError,
    NotFoundError,
    ProtocolError,
    TemporaryError,
    UnknownApiError,
)
from opsbot.api.operation import RELAUNCHABLE_TYPES, STEPS, Operation
from opsbot.api.secret_params import is_secret_parameter
from opsbot.slack import ids, limits, surfaces
from opsbot.slack.commands import SUBCOMMANDS, help_message
from opsbot.slack.limits import check_limits

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
ACTOR = "UACTOR1"
HOSTILE = (
    '<!channel> <!here> <@U1> <#C1|general> <https://evil.example|click> &lt; &amp; "quoted" '
    "back\\slash \n new line ünïcødé 公司 😀 ```fence``` *bold* {{ hole }}"
)
LONG_DOMAIN = "a" * 240 + ".example.com"
SECRET_VALUE = "s3cr3t-authinfo-value"
_LIVE_MARKUP = re.compile(r"<[^>]*>")
_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")


def _operation(
    operation_id: int = 123,
    *,
    type: str = "domain_create",
    step: str = "ERROR",
    domain: str = "example.es",
    params: Mapping[str, Any] | None = None,
    last_error: str | None = HOSTILE,
    eta: int | None = -1_863_666,
    errortype: str | None = HOSTILE,
) -> Operation:
    return Operation.from_api(
        {
            "id": operation_id,
            "type": type,
            "step": step,
            "date_created": NOW - dt.timedelta(hours=3),
            "date_start": NOW - dt.timedelta(hours=2, minutes=59),
            "date_updated": NOW - dt.timedelta(minutes=5),
            "eta": eta,
            "errortype": errortype,
            "last_error": last_error,
            "params": {"domain": domain, **(params or {})},
            "infos": {"label": domain, "product_action": "create", "extras": {"k": HOSTILE}},
            "session_id": 2920674,
            "source": HOSTILE,
        }
    )


def _texts(payload: Any) -> Iterator[str]:
    """Every text Slack shows: "text" of text objects, and the fallback."""
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from _texts(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from _texts(item)


def _assert_nothing_live_from_data(payload: Any) -> None:
    for text in _texts(payload):
        for markup in _LIVE_MARKUP.findall(text):
            assert markup == f"<@{ACTOR}>", f"live markup {markup!r} in {text!r}"
        assert not _AMPERSAND.search(text), f"unescaped & in {text!r}"


def _assert_message_ok(message: dict[str, Any]) -> None:
    assert set(message) == {"text", "blocks"}
    assert message["text"].strip()
    assert 0 < len(message["blocks"]) <= limits.MESSAGE_BLOCKS
    assert check_limits(message, "message") == []
    for block in message["blocks"]:
        parsed = Block.parse(block)
        assert parsed is not None
        assert parsed.to_dict() == block
    _assert_nothing_live_from_data(message)


def _assert_modal_ok(view: dict[str, Any]) -> None:
    assert check_limits(view, "modal") == []
    assert View(**view).to_dict() == view
    _assert_nothing_live_from_data(view)


def _all_text(payload: Any) -> str:
    return "\n".join(_texts(payload))


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        element
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["type"] == "button"
    ]


def _operation_of(button: dict[str, Any]) -> int | None:
    """The operation a button acts on (None for paging buttons)."""
    if ids.ACTION_PAGE_PATTERN.match(button["action_id"]):
        return None
    if button["action_id"] == ids.ACTION_CANCEL:
        return surfaces.CancelButtonValue.parse(button["value"]).op_id
    return int(button["value"])


def _cancel_values(message: dict[str, Any]) -> list[surfaces.CancelButtonValue]:
    return [
        surfaces.CancelButtonValue.parse(button["value"])
        for button in _buttons(message)
        if button["action_id"] == ids.ACTION_CANCEL
    ]


def _row_ids(message: dict[str, Any]) -> list[int]:
    """The operations a list message shows, in order."""
    return [int(row_id) for row_id in re.findall(r"\*#(\d+)\*", _all_text(message))]


# Help and small messages.


def test_help_lists_every_subcommand_and_the_examples() -> None:
    message = help_message()
    _assert_message_ok(message)
    text = _all_text(message)
    for subcommand in SUBCOMMANDS:
        assert f"/ops {subcommand}" in text
    assert "`/ops list step=ERROR type=domain_create`" in text
    assert '`/ops list "&gt;date_created=7d" sort_by="date_created DESC"`' in text
    assert "`/ops info 123`" in text
    assert "`/ops key`" in text
    assert "name=value" in text


def test_error_message_escapes_and_caps_suggestions() -> None:
    message = surfaces.error_message(
        HOSTILE * 100, hint=HOSTILE, suggestions=[f"{HOSTILE}{n}" for n in range(40)]
    )
    _assert_message_ok(message)
    assert _all_text(message).count("Did you mean") == 1
    assert len(message["blocks"]) == 3
    assert message["blocks"][1]["text"]["text"].count("`") == 2 * surfaces.SUGGESTIONS_SHOWN


@settings(max_examples=50)
@given(text=st.text(), hint=st.none() | st.text(), suggestions=st.lists(st.text(), max_size=12))
def test_any_error_text_gives_a_valid_safe_message(
    text: str, hint: str | None, suggestions: list[str]
) -> None:
    _assert_message_ok(surfaces.error_message(text, hint=hint, suggestions=suggestions))


def test_error_message_without_hint_or_suggestions_is_one_block() -> None:
    message = surfaces.error_message("operation id must be a number")
    _assert_message_ok(message)
    assert message["text"] == "operation id must be a number"
    assert len(message["blocks"]) == 1


def test_working_message() -> None:
    message = surfaces.working_message(HOSTILE)
    _assert_message_ok(message)
    assert "Working on it" in message["text"]


def test_notice_message() -> None:
    message = surfaces.notice_message(f"Operation 1 is already being cancelled. {HOSTILE}")
    _assert_message_ok(message)
    assert message["text"].startswith("Operation 1 is already being cancelled.")


def test_notice_modal_truncates_its_title_and_escapes_its_text() -> None:
    view = surfaces.notice_modal(f"Relaunch failed {HOSTILE}", HOSTILE * 100)
    _assert_modal_ok(view)
    assert limits.slack_length(view["title"]["text"]) <= limits.MODAL_TITLE
    assert view["title"]["text"].startswith("Relaunch failed")


def test_key_required_message_says_how_to_set_one() -> None:
    message = surfaces.key_required_message()
    _assert_message_ok(message)
    assert "`/ops key`" in _all_text(message)


# The API key.


def test_key_modal_shape() -> None:
    view = surfaces.key_modal()
    _assert_modal_ok(view)
    assert view["callback_id"] == ids.CALLBACK_API_KEY == "api_key"
    assert view["title"]["text"] == "Operation API key"
    assert view["submit"]["text"] == "Save"
    inputs = [block for block in view["blocks"] if block["type"] == "input"]
    assert len(inputs) == 1
    assert inputs[0]["block_id"] == ids.BLOCK_API_KEY
    element = inputs[0]["element"]
    assert element["type"] == "plain_text_input"
    assert element["action_id"] == ids.ACTION_VALUE == "value"
    assert element["placeholder"]["text"] == "24 lowercase letters and digits"


def test_key_modal_shows_an_error_escaped() -> None:
    view = surfaces.key_modal(error=HOSTILE * 50)
    _assert_modal_ok(view)
    assert "&lt;!channel&gt;" in _all_text(view)


@dataclass(frozen=True)
class _Status:
    set_by: str
    set_at: dt.datetime
    fingerprint: str


def test_key_status_names_who_and_when_and_the_fingerprint() -> None:
    status = _Status(ACTOR, NOW - dt.timedelta(days=3), "a1b2c3d4")
    message = surfaces.key_status_message(status, now=NOW)
    _assert_message_ok(message)
    text = _all_text(message)
    assert f"<@{ACTOR}>" in text
    assert "2026-02-26 12:00 UTC (3 days ago)" in text
    assert "`a1b2c3d4`" in text


def test_key_status_never_turns_a_bad_user_id_into_a_mention() -> None:
    message = surfaces.key_status_message(_Status("<!channel>", NOW, HOSTILE), now=NOW)
    _assert_message_ok(message)
    assert "an unknown user" in _all_text(message)


def test_key_status_without_a_key() -> None:
    message = surfaces.key_status_message(None)
    _assert_message_ok(message)
    assert "No operation API key is set" in message["text"]


# The list.


def _many_operations(count: int) -> list[Operation]:
    kinds = itertools.cycle([*sorted(RELAUNCHABLE_TYPES), "vm_create", HOSTILE])
    steps = itertools.cycle(STEPS)
    domains = itertools.cycle(["example.com", LONG_DOMAIN, HOSTILE])
    return [
        _operation(1000 + n, type=next(kinds), step=next(steps), domain=next(domains))
        for n in range(count)
    ]


def test_a_hundred_operations_split_into_messages_of_at_most_50_blocks() -> None:
    operations = _many_operations(100)
    filters = {"step": "ERROR", "sort_by": "date_created DESC", "items_per_page": 100}
    messages = surfaces.list_message(
        operations, filters=filters, page=0, items_per_page=100, total=250, now=NOW
    )
    assert len(messages) == math.ceil(100 / surfaces.ROWS_PER_MESSAGE)
    for message in messages:
        _assert_message_ok(message)
    for message in messages[:-1]:
        assert "continued below" in _all_text(message)
    assert "Operations 1–100 of 250" in messages[0]["text"]
    assert "page 1 of 3" in _all_text(messages[0])

    buttons = [button for message in messages for button in _buttons(message)]
    for operation in operations:
        actions = {b["action_id"] for b in buttons if _operation_of(b) == operation.id}
        expected = {ids.ACTION_INFO, ids.ACTION_WATCH}
        expected |= {ids.ACTION_CANCEL} if operation.can_cancel else set()
        expected |= {ids.ACTION_RELAUNCH} if operation.can_relaunch else set()
        assert actions == expected, operation
    assert all("confirm" in b for b in buttons if b["action_id"] == ids.ACTION_CANCEL)


@pytest.mark.parametrize("count", [0, 1, 23, 24, 25, 48, 49, 50, 100, 500])
@pytest.mark.parametrize("filters", [{}, {"domain": "d" * 3000}])
def test_a_list_of_any_length_never_exceeds_50_blocks_a_message(
    count: int, filters: dict[str, str]
) -> None:
    operations = _many_operations(count)
    messages = surfaces.list_message(
        operations, filters=filters, page=1, items_per_page=max(count, 1), total=10_000, now=NOW
    )
    for message in messages:
        _assert_message_ok(message)
    shown = [b["value"] for m in messages for b in _buttons(m) if b["action_id"] == ids.ACTION_INFO]
    assert shown == [str(operation.id) for operation in operations]


def test_action_ids_are_unique_within_each_block() -> None:
    messages = surfaces.list_message(
        _many_operations(30), filters={}, page=1, items_per_page=30, total=None, now=NOW
    )
    for message in messages:
        for block in message["blocks"]:
            if block["type"] == "actions":
                action_ids = [element["action_id"] for element in block["elements"]]
                assert len(action_ids) == len(set(action_ids))


def test_paging_buttons_carry_the_filters_and_the_page() -> None:
    filters = {"step": "ERROR", ">date_created": "7d", "id": [1, 2, 3], "page": 1}
    messages = surfaces.list_message(
        _many_operations(20), filters=filters, page=1, items_per_page=20, total=100, now=NOW
    )
    paging = {
        b["action_id"]: b
        for b in _buttons(messages[-1])
        if ids.ACTION_PAGE_PATTERN.match(b["action_id"])
    }
    assert set(paging) == {ids.ACTION_PAGE_PREVIOUS, ids.ACTION_PAGE_NEXT}
    expected_filters = {"step": "ERROR", ">date_created": "7d", "id": [1, 2, 3]}
    assert json.loads(paging[ids.ACTION_PAGE_PREVIOUS]["value"]) == {
        "filters": expected_filters,
        "page": 0,
    }
    assert json.loads(paging[ids.ACTION_PAGE_NEXT]["value"]) == {
        "filters": expected_filters,
        "page": 2,
    }
    assert "`step=ERROR &gt;date_created=7d id=1,2,3`" in _all_text(messages[0])


def test_the_last_page_has_no_next_button() -> None:
    messages = surfaces.list_message(
        _many_operations(5), filters={}, page=4, items_per_page=20, total=85, now=NOW
    )
    assert [
        b["action_id"] for b in _buttons(messages[-1]) if b["action_id"].startswith("list_page")
    ] == [ids.ACTION_PAGE_PREVIOUS]


def test_without_a_total_a_short_page_is_the_last() -> None:
    messages = surfaces.list_message(
        _many_operations(5), filters={}, page=0, items_per_page=20, total=None, now=NOW
    )
    assert len(messages) == 1
    _assert_message_ok(messages[0])
    assert not [b for b in _buttons(messages[0]) if b["action_id"].startswith("list_page")]


def test_filters_too_long_for_a_button_are_said_not_broken() -> None:
    filters = {"domain": "d" * 3000}
    messages = surfaces.list_message(
        _many_operations(3), filters=filters, page=1, items_per_page=3, total=100, now=NOW
    )
    for message in messages:
        _assert_message_ok(message)
    assert not [b for b in _buttons(messages[-1]) if b["action_id"].startswith("list_page")]
    assert "`page=N`" in _all_text(messages[-1])


def test_cancel_buttons_on_a_list_carry_the_page_to_redraw() -> None:
    operations = _many_operations(30)
    filters = {"step": "WAIT", ">date_created": NOW, "page": 2}
    messages = surfaces.list_message(
        operations, filters=filters, page=2, items_per_page=30, total=200, now=NOW
    )
    values = [value for message in messages for value in _cancel_values(message)]

    assert [value.op_id for value in values] == [op.id for op in operations if op.can_cancel]
    page = surfaces.ListedPage(
        filters={"step": "WAIT", ">date_created": NOW.isoformat()},
        page=2,
        total=200,
        ids=tuple(operation.id for operation in operations),
    )
    assert [(value.source, value.listed) for value in values] == [("list", page)] * len(values)


def test_a_cancel_value_too_long_for_a_button_falls_back_to_the_bare_id() -> None:
    operations = _many_operations(3)
    messages = surfaces.list_message(
        operations, filters={"domain": "d" * 3000}, page=0, items_per_page=3, total=3, now=NOW
    )
    [message] = messages
    _assert_message_ok(message)
    values = _cancel_values(message)
    assert values
    assert all(value == surfaces.CancelButtonValue(value.op_id) for value in values)


@pytest.mark.parametrize(
    "value",
    [
        surfaces.CancelButtonValue(7),
        surfaces.CancelButtonValue(7, "info"),
        surfaces.CancelButtonValue(
            7, "list", surfaces.ListedPage({"step": "WAIT", "id": [1, 7]}, 3, 100, (1, 7))
        ),
        surfaces.CancelButtonValue(7, "list", surfaces.ListedPage({}, 0, None, (7,))),
    ],
)
def test_cancel_button_values_round_trip(value: surfaces.CancelButtonValue) -> None:
    assert surfaces.CancelButtonValue.parse(value.to_value()) == value


def test_a_bare_id_is_still_a_cancel_button_value() -> None:
    assert surfaces.CancelButtonValue.parse("100100") == surfaces.CancelButtonValue(100100)


@pytest.mark.parametrize(
    "value", ["", "abc", "{not json", "[1]", '{"on":"list"}', '{"id":1,"on":"list"}', "1.5"]
)
def test_a_broken_cancel_button_value_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="not a Cancel button value"):
        surfaces.CancelButtonValue.parse(value)


def test_a_list_redrawn_after_a_cancel_shows_the_new_step_and_who() -> None:
    operations = [_operation(n, step="WAIT", domain=f"d{n}.example") for n in range(1, 6)]
    cancelled = _operation(3, step="CANCEL", domain="d3.example")
    now_shown = [cancelled if op.id == cancelled.id else op for op in operations]

    message = surfaces.list_after_cancel_message(
        now_shown,
        cancelled_id=3,
        user_id=ACTOR,
        filters={"step": "WAIT"},
        page=0,
        items_per_page=20,
        total=5,
        now=NOW,
    )

    assert message is not None
    _assert_message_ok(message)
    assert message["text"] == "Operation 3 cancelled. Operations 1–5 of 5 matching step=WAIT"
    assert f"Operation 3 cancelled by <@{ACTOR}>." in _all_text(message)
    assert _row_ids(message) == [1, 2, 3, 4, 5]
    [row] = [b for b in message["blocks"] if "*#3*" in b.get("text", {}).get("text", "")]
    assert ":no_entry_sign: CANCEL" in row["text"]["text"]
    assert [value.op_id for value in _cancel_values(message)] == [1, 2, 4, 5]


def test_a_redrawn_list_is_the_part_of_the_page_that_holds_the_cancelled_row() -> None:
    operations = _many_operations(30)
    cancelled = operations[-1]
    expected = surfaces.list_message(
        operations, filters={}, page=0, items_per_page=30, total=30, now=NOW
    )

    message = surfaces.list_after_cancel_message(
        operations,
        cancelled_id=cancelled.id,
        user_id="U1> <!channel",
        filters={},
        page=0,
        items_per_page=30,
        total=30,
        now=NOW,
    )

    assert message is not None
    _assert_message_ok(message)
    assert len(expected) == 2
    assert _row_ids(message) == _row_ids(expected[1])
    assert _buttons(message) == _buttons(expected[1])
    assert "continued (part 2 of 2)" in _all_text(message)
    assert f"Operation {cancelled.id} cancelled by an unknown user." in _all_text(message)


def test_a_redrawn_list_without_the_cancelled_row_is_none() -> None:
    message = surfaces.list_after_cancel_message(
        _many_operations(3),
        cancelled_id=1,
        user_id=ACTOR,
        filters={},
        page=0,
        items_per_page=20,
        total=3,
        now=NOW,
    )
    assert message is None


def test_an_empty_list_says_so_and_echoes_the_filters() -> None:
    filters = {"type": HOSTILE}
    messages = surfaces.list_message(
        [], filters=filters, page=0, items_per_page=20, total=0, now=NOW
    )
    assert len(messages) == 1
    _assert_message_ok(messages[0])
    assert messages[0]["text"].startswith("No operations match type=")
    assert "&lt;!channel&gt;" in _all_text(messages[0])


# Count and info.


@pytest.mark.parametrize(
    ("count", "words"), [(0, "0 operations"), (1, "1 operation "), (12345, "12,345 operations")]
)
def test_count_message(count: int, words: str) -> None:
    message = surfaces.count_message(count, {"step": "RUN", "type": HOSTILE})
    _assert_message_ok(message)
    assert message["text"].startswith(words)
    assert "step=RUN" in message["text"]


def test_count_without_filters() -> None:
    assert surfaces.count_message(7, {})["text"] == "7 operations in all"


def test_info_card_with_a_huge_error_and_500_params() -> None:
    params = {f"x-param_{n:03d}": f"{HOSTILE} {n}" * 20 for n in range(500)}
    params["authinfo"] = SECRET_VALUE
    operation = _operation(params=params, last_error=HOSTILE * 200 + "x" * 10_000)
    message = surfaces.info_message(operation, now=NOW)
    _assert_message_ok(message)
    text = _all_text(message)
    for label in (
        "ID",
        "Type",
        "Step",
        "ETA",
        "Created",
        "Started",
        "Updated",
        "Error type",
        "Session",
        "Source",
        "Infos",
        "Last error",
        "Parameters",
    ):
        assert f"*{label}*" in text, label
    assert "overdue by 21 days" in text
    assert "2920674" in text
    assert SECRET_VALUE not in text
    assert "`authinfo`: (hidden)" in text
    hidden = len(operation.params) - surfaces.PARAMS_SHOWN
    assert f"and {hidden} more parameters not shown" in text
    last_error = next(
        b for b in message["blocks"] if "*Last error*" in b.get("text", {}).get("text", "")
    )
    assert last_error["text"]["text"].endswith(limits.ELLIPSIS + "```")
    assert last_error["text"]["text"].count("```") == 2
    shown = re.findall(r"• `([^`]+)`", text)
    assert shown == sorted(shown)


def test_the_cancel_on_an_info_card_says_it_was_clicked_there() -> None:
    message = surfaces.info_message(_operation(step="WAIT"), now=NOW)
    _assert_message_ok(message)
    assert _cancel_values(message) == [surfaces.CancelButtonValue(123, "info")]
    assert "Cancelled by" not in _all_text(message)


@pytest.mark.parametrize(
    ("user_id", "named"), [(ACTOR, f"<@{ACTOR}>"), ("U1> <!here", "an unknown user")]
)
def test_an_info_card_after_a_cancel_names_who_cancelled(user_id: str, named: str) -> None:
    message = surfaces.info_message(_operation(step="CANCEL"), now=NOW, cancelled_by=user_id)
    _assert_message_ok(message)
    assert message["blocks"][1]["elements"][0]["text"] == f":no_entry_sign: Cancelled by {named}"
    assert not _cancel_values(message)


def test_info_card_with_nothing_optional() -> None:
    operation = Operation(id=5, type="vm_reboot", step="RUN", eta=300)
    message = surfaces.info_message(operation, now=NOW)
    _assert_message_ok(message)
    text = _all_text(message)
    assert "in 5 min" in text
    assert "*Parameters*\nnone" in text
    assert "Last error" not in text
    assert {b["action_id"] for b in _buttons(message)} == {ids.ACTION_INFO, ids.ACTION_WATCH}


# Cancelling.


def test_cancel_confirmation_asks_with_a_danger_button() -> None:
    message = surfaces.cancel_confirm_message(_operation(step="WAIT", domain=LONG_DOMAIN), now=NOW)
    _assert_message_ok(message)
    buttons = {b["action_id"]: b for b in _buttons(message)}
    assert set(buttons) == {ids.ACTION_CANCEL_CONFIRM, ids.ACTION_CANCEL_KEEP}
    assert buttons[ids.ACTION_CANCEL_CONFIRM]["style"] == "danger"
    assert buttons[ids.ACTION_CANCEL_CONFIRM]["text"]["text"] == "Cancel operation"
    assert buttons[ids.ACTION_CANCEL_KEEP]["text"]["text"] == "Keep it"
    assert {b["value"] for b in buttons.values()} == {"123"}


def test_cancel_confirmation_for_a_running_operation_explains_instead() -> None:
    message = surfaces.cancel_confirm_message(_operation(step="RUN"), now=NOW)
    _assert_message_ok(message)
    assert not _buttons(message)
    assert "BILL, WAIT or ERROR" in _all_text(message)


def test_cancel_result_names_who_cancelled() -> None:
    message = surfaces.cancel_result_message(_operation(step="CANCEL"), user_id=ACTOR, now=NOW)
    _assert_message_ok(message)
    assert f"cancelled by <@{ACTOR}>" in _all_text(message)
    assert "CANCEL" in message["text"]


def test_cancel_result_with_a_forged_user_id_mentions_nobody() -> None:
    message = surfaces.cancel_result_message(_operation(), user_id="U1> <!channel", now=NOW)
    _assert_message_ok(message)
    assert "an unknown user" in _all_text(message)


# Relaunching.


def test_relaunch_loading_modal_carries_the_operation_id() -> None:
    view = surfaces.relaunch_loading_modal(
        123, channel_id="C0123", response_url="https://hooks.slack.com/x"
    )
    _assert_modal_ok(view)
    assert view["callback_id"] == ids.CALLBACK_RELAUNCH == "relaunch"
    assert view["title"]["text"] == "Relaunch #123"
    metadata = surfaces.RelaunchMetadata.from_json(view["private_metadata"])
    assert metadata == surfaces.RelaunchMetadata(123, "C0123", "https://hooks.slack.com/x")


def test_private_metadata_too_long_is_refused_as_a_bug() -> None:
    with pytest.raises(limits.LimitError, match="private_metadata"):
        surfaces.relaunch_loading_modal(1, response_url="https://hooks.slack.com/" + "x" * 3000)


@settings(max_examples=50)
@given(last_error=st.text(max_size=5000), domain=st.text(max_size=300))
def test_any_operation_text_gives_a_valid_safe_info_card(last_error: str, domain: str) -> None:
    operation = _operation(last_error=last_error, domain=domain, errortype=domain)
    _assert_message_ok(surfaces.info_message(operation, now=NOW))


def _inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    inputs = [block for block in view["blocks"] if block["type"] == "input"]
    by_name = {block["block_id"]: block for block in inputs}
    assert len(by_name) == len(inputs)
    return by_name


def _add_field_names(view: dict[str, Any]) -> list[str]:
    menus = [
        element
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == ids.ACTION_ADD_FIELD
    ]
    if not menus:
        return []
    (menu,) = menus
    options = menu.get("options") or [o for g in menu["option_groups"] for o in g["options"]]
    return [option["value"] for option in options]


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
    operation = _operation(type="domain_transfer_in", domain=f"example.{tld}")
    fields = catalog.choose_relaunch_fields(operation)
    others = [p for p in catalog.RELAUNCH_PARAMETERS.values() if p not in fields]
    view = surfaces.relaunch_modal(
        operation, fields, extra_choices=others, channel_id="C1", now=NOW
    )
    _assert_relaunch_view(view, operation)
    shown = list(_inputs(view))
    assert shown == [parameter.name for parameter in fields]
    assert set(_add_field_names(view)) == {parameter.name for parameter in others}
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
    operation = _operation(type="domain_change_owner", params=params)
    fields = catalog.choose_relaunch_fields(operation)
    others = [p for p in catalog.RELAUNCH_PARAMETERS.values() if p not in fields]
    view = surfaces.relaunch_modal(operation, fields, extra_choices=others, now=NOW)
    _assert_relaunch_view(view, operation)
    assert len(view["blocks"]) <= limits.MODAL_BLOCKS
    inputs = _inputs(view)
    assert set(inputs) | set(_add_field_names(view)) == set(catalog.RELAUNCH_PARAMETERS)
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
    operation = _operation()
    view = surfaces.relaunch_modal(
        operation, everything + everything, extra_choices=everything, now=NOW
    )
    _assert_relaunch_view(view, operation)
    assert len(view["blocks"]) == limits.MODAL_BLOCKS
    assert len(_inputs(view)) == surfaces.MAX_RELAUNCH_INPUTS
    assert len(_add_field_names(view)) == len(everything) - surfaces.MAX_RELAUNCH_INPUTS
    assert "43 more fields did not fit" in _all_text(view)


def test_more_than_100_addable_fields_are_grouped_by_registry() -> None:
    fields = [catalog.RELAUNCH_PARAMETERS["authinfo"]]
    others = [p for p in catalog.RELAUNCH_PARAMETERS.values() if p.name != "authinfo"]
    view = surfaces.relaunch_modal(_operation(), fields, extra_choices=others, now=NOW)
    _assert_relaunch_view(view, _operation())
    menu = view["blocks"][-1]["elements"][0]
    labels = [group["label"]["text"] for group in menu["option_groups"]]
    assert ".es" in labels
    assert "Any domain" in labels
    assert sorted(_add_field_names(view)) == sorted(p.name for p in others)


def test_current_values_that_do_not_fit_the_widget() -> None:
    params = {
        "x-ca_legaltype": "NOT-A-KNOWN-CODE",
        "x-us_nexus_category": "n" * 200,
        "x-ee_birthdate": "31/12/1990",
        "x-fi_birthdate": "1990-02-31",
        "x-it_pin": "p" * 4000,
    }
    operation = _operation(params=params)
    fields = [catalog.RELAUNCH_PARAMETERS[name] for name in params]
    view = surfaces.relaunch_modal(operation, fields, extra_choices=[], now=NOW)
    _assert_relaunch_view(view, operation)
    inputs = _inputs(view)
    legaltype = inputs["x-ca_legaltype"]["element"]
    assert legaltype["initial_option"] == legaltype["options"][0]
    assert legaltype["initial_option"]["text"]["text"] == "NOT-A-KNOWN-CODE (current)"
    assert inputs["x-us_nexus_category"]["element"]["initial_value"] == "n" * 200
    assert inputs["x-ee_birthdate"]["element"]["initial_value"] == "31/12/1990"
    assert inputs["x-fi_birthdate"]["element"]["type"] == "plain_text_input"
    assert "initial_value" not in inputs["x-it_pin"]["element"]
    assert not _add_field_names(view)


def test_relaunched_message_names_fields_never_values() -> None:
    params = {
        "authinfo": SECRET_VALUE,
        "x-es_tipo_identification": "1",
        HOSTILE: "v",
        "x-empty": "",
    }
    message = surfaces.relaunched_message(123, user_id=ACTOR, params=params)
    _assert_message_ok(message)
    text = _all_text(message)
    assert SECRET_VALUE not in json.dumps(message)
    assert f"<@{ACTOR}> relaunched operation *#123*" in text
    assert "`authinfo`" in text
    assert "`x-es_tipo_identification`" in text
    assert "x-empty" not in text


def test_relaunched_message_without_changes() -> None:
    message = surfaces.relaunched_message(9, user_id="not a user", params={})
    _assert_message_ok(message)
    assert "Someone relaunched operation *#9* without changing its parameters." in _all_text(
        message
    )


# API errors and audit.


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (AuthorizationError("Invalid API key", code=510150), "`/ops key status`"),
        (NotFoundError("no such operation", code=510242), "Operation *#123* was not found"),
        (
            InvalidStepError("bad step", code=525090),
            "is in *RUN*; cancel is only possible in BILL, WAIT or ERROR.",
        ),
        (TemporaryError("rate limited", code=150004), "Try again in a minute"),
        (BadParameterError("bad", code=501237), "refused a parameter"),
        (ProtocolError("not XML-RPC"), "could not be read"),
        (UnknownApiError("odd"), "returned an error"),
    ],
)
def test_api_errors_in_plain_words(error: ApiError, words: str) -> None:
    message = surfaces.api_error_message(error, op_id=123, action="cancel", step="RUN")
    _assert_message_ok(message)
    assert words in _all_text(message)


def test_api_error_text_is_escaped() -> None:
    error = UnknownApiError(HOSTILE * 100, code=500000)
    message = surfaces.api_error_message(error)
    _assert_message_ok(message)
    assert "&lt;!channel&gt;" in _all_text(message)


def test_invalid_step_for_relaunch() -> None:
    message = surfaces.api_error_message(
        InvalidStepError("x"), op_id=7, action="relaunch", step="DONE"
    )
    assert "Operation 7 is in *DONE*; relaunch is only possible in ERROR." in _all_text(message)


def test_audit_message() -> None:
    message = surfaces.audit_message(
        user_id=ACTOR, action="cancel", target=f"operation 123 {HOSTILE}", outcome=HOSTILE, at=NOW
    )
    _assert_message_ok(message)
    assert f"<@{ACTOR}>" in _all_text(message)
    assert "2026-03-01 12:00 UTC" in _all_text(message)
    assert "<@" not in message["text"]
