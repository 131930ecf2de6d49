"""/ops list, count, info and cancel, rendered with hostile and oversized data, checked."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsbot.api.list_reply import UnreadableItem
from opsbot.api.operation import RELAUNCHABLE_TYPES, STEPS, Operation
from opsbot.ui import ids, limits, payloads
from opsbot.ui.operations import (
    MAX_PAGE_ROWS,
    PARAMS_SHOWN,
    cancel_confirm_message,
    cancel_result_message,
    count_message,
    info_message,
    list_after_cancel_message,
    list_message,
    page_that_fits,
)
from opsbot.workspace.content import Content, check_content
from opsbot.workspace.settings import Limits
from tests.support.surfaces import (
    ACTOR,
    HOSTILE,
    NOW,
    all_text,
    assert_message_ok,
    sample_operation,
)

LONG_DOMAIN = "a" * 240 + ".example.com"
SECRET_VALUE = "s3cr3t-authinfo-value"


def _assert_message_ok(message: dict[str, Any]) -> None:
    assert_message_ok(message, may_mention=[ACTOR])


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
        return payloads.CancelButtonValue.parse(button["value"]).op_id
    return payloads.OperationButtonValue.parse(button["value"]).op_id


def _cancel_values(message: dict[str, Any]) -> list[payloads.CancelButtonValue]:
    return [
        payloads.CancelButtonValue.parse(button["value"])
        for button in _buttons(message)
        if button["action_id"] == ids.ACTION_CANCEL
    ]


def _row_ids(message: dict[str, Any]) -> list[int]:
    """The operations a list message shows, in order."""
    return [int(row_id) for row_id in re.findall(r"\*#(\d+)\*", all_text(message))]


# The list.


def _many_operations(count: int) -> list[Operation]:
    kinds = itertools.cycle([*sorted(RELAUNCHABLE_TYPES), "vm_create", HOSTILE])
    steps = itertools.cycle(STEPS)
    domains = itertools.cycle(["example.com", LONG_DOMAIN, HOSTILE])
    return [
        sample_operation(1000 + n, type=next(kinds), step=next(steps), domain=next(domains))
        for n in range(count)
    ]


def _assert_slack_takes_it(message: dict[str, Any]) -> None:
    """Within opsbot's limits, and accepted as one message by the local workspace's rules."""
    _assert_message_ok(message)
    content = Content(message["text"], message["blocks"], None)
    check_content(content, Limits())  # raises Slack's error (msg_blocks_too_long, …)


def test_a_page_is_one_message_with_every_rows_buttons() -> None:
    operations = _many_operations(MAX_PAGE_ROWS)
    filters = {"step": "ERROR", "sort_by": "date_created DESC"}
    message = list_message(
        operations, filters=filters, page=0, items_per_page=MAX_PAGE_ROWS, total=250, now=NOW
    )
    _assert_slack_takes_it(message)
    assert f"Operations 1–{MAX_PAGE_ROWS} of 250" in message["text"]
    assert "page 1 of 13" in all_text(message)
    assert "continued" not in all_text(message)

    buttons = _buttons(message)
    for operation in operations:
        actions = {b["action_id"] for b in buttons if _operation_of(b) == operation.id}
        expected = {ids.ACTION_INFO, ids.ACTION_WATCH}
        expected |= {ids.ACTION_CANCEL} if operation.can_cancel else set()
        expected |= {ids.ACTION_RELAUNCH} if operation.can_relaunch else set()
        assert actions == expected, operation
    # No static confirm: a Cancel opens a modal showing what else is in flight.
    assert not any("confirm" in b for b in buttons if b["action_id"] == ids.ACTION_CANCEL)
    assert ids.ACTION_PAGE_NEXT in {b["action_id"] for b in buttons}


def _longest_row(op_id: int, step: str) -> Operation:
    """A row with every field far longer than any the API sends, escaped entities in each."""
    return sample_operation(
        op_id,
        type=sorted(RELAUNCHABLE_TYPES)[0] if step == "ERROR" else "t&" * 200,
        step=step,
        domain="é&<" * 200,
        errortype="E<" * 300,
        date_created=NOW - dt.timedelta(days=99_999),
    )


@pytest.mark.parametrize("step", ["ERROR", "WAIT"])
def test_a_full_page_of_the_longest_rows_fits_one_message_slack_takes(step: str) -> None:
    # ERROR rows carry Cancel and Relaunch; WAIT rows
    # Cancel with the longest type. The largest ids, page and total there are.
    operations = [_longest_row(2_147_483_000 + n, step) for n in range(MAX_PAGE_ROWS)]
    last_page = 2_147_483_647 // MAX_PAGE_ROWS

    message = list_message(
        operations,
        filters={"type": "x" * 1900, "sort_by": "date_created DESC"},
        page=last_page - 1,
        items_per_page=MAX_PAGE_ROWS,
        items_asked=100,
        total=2_147_483_647,
        now=NOW,
    )
    redrawn = list_after_cancel_message(
        operations,
        cancelled_id=operations[0].id,
        user_id=ACTOR,
        filters={"type": "x" * 1900},
        page=last_page - 1,
        items_per_page=MAX_PAGE_ROWS,
        total=2_147_483_647,
        now=NOW,
    )

    assert redrawn is not None
    for drawn in (message, redrawn):
        _assert_slack_takes_it(drawn)
        assert _row_ids(drawn) == [operation.id for operation in operations]
    paging = {b["action_id"] for b in _buttons(message)} & {
        ids.ACTION_PAGE_PREVIOUS,
        ids.ACTION_PAGE_NEXT,
    }
    assert paging == {ids.ACTION_PAGE_PREVIOUS, ids.ACTION_PAGE_NEXT}
    # What is too long is cut with a visible marker, never left out silently.
    assert all_text(message).count("…") >= MAX_PAGE_ROWS


@pytest.mark.parametrize("count", [0, 1, 19, 20, 21, 24, 25, 50, 100, 500])
@pytest.mark.parametrize("filters", [{}, {"domain": "d" * 3000}])
def test_a_list_of_any_length_is_one_message_of_at_most_a_page(
    count: int, filters: dict[str, str]
) -> None:
    operations = _many_operations(count)
    message = list_message(
        operations, filters=filters, page=1, items_per_page=max(count, 1), total=10_000, now=NOW
    )
    _assert_slack_takes_it(message)
    shown = [b["value"] for b in _buttons(message) if b["action_id"] == ids.ACTION_INFO]
    assert shown == [str(operation.id) for operation in operations[:MAX_PAGE_ROWS]]


def test_rows_beyond_items_per_page_are_cut_before_rendering_and_said() -> None:
    # An API that ignores items_per_page: 40,000 rows for 20 asked.
    operations = _many_operations(40_000)
    message = list_message(operations, filters={}, page=0, items_per_page=20, total=400, now=NOW)
    _assert_message_ok(message)
    shown = [b["value"] for b in _buttons(message) if b["action_id"] == ids.ACTION_INFO]
    assert shown == [str(operation.id) for operation in operations[:20]]
    assert "The API returned more rows than asked; showing 20." in all_text(message)


def test_the_client_saying_it_kept_only_the_rows_asked_for_is_said_too() -> None:
    operations = _many_operations(20)
    message = list_message(
        operations, filters={}, page=0, items_per_page=20, total=400, more_than_asked=True, now=NOW
    )
    assert "more rows than asked; showing 20" in all_text(message)


def test_a_page_asked_larger_than_one_message_holds_says_so() -> None:
    message = list_message(
        _many_operations(MAX_PAGE_ROWS),
        filters={"items_per_page": MAX_PAGE_ROWS},
        page=0,
        items_per_page=MAX_PAGE_ROWS,
        items_asked=100,
        total=600,
        now=NOW,
    )
    text = all_text(message)
    assert f"A page shows at most {MAX_PAGE_ROWS} operations" in text
    assert f"{MAX_PAGE_ROWS} a page, not 100" in text
    assert "more rows than asked" not in text


@pytest.mark.parametrize(
    ("page", "items_per_page", "fitted"),
    [
        (0, 20, (0, 20)),
        (3, 5, (3, 5)),
        (0, 100, (0, MAX_PAGE_ROWS)),
        # Page 2 of 50 starts at row 100: the page of 20 that starts there.
        (2, 50, (5, MAX_PAGE_ROWS)),
        # Page 1 of 30 starts at row 30: the page of 20 that holds it (rows 20 to 39).
        (1, 30, (1, MAX_PAGE_ROWS)),
    ],
)
def test_a_page_too_large_is_asked_for_in_pages_that_fit_from_its_first_row(
    page: int, items_per_page: int, fitted: tuple[int, int]
) -> None:
    assert page_that_fits(page, items_per_page) == fitted
    new_page, new_size = fitted
    assert new_page * new_size <= page * items_per_page < (new_page + 1) * new_size


def test_a_full_page_of_items_per_page_has_no_note() -> None:
    message = list_message(
        _many_operations(MAX_PAGE_ROWS),
        filters={},
        page=0,
        items_per_page=MAX_PAGE_ROWS,
        total=600,
        now=NOW,
    )
    assert "A page shows at most" not in all_text(message)
    assert "more rows than asked" not in all_text(message)


def test_an_unreadable_row_is_shown_as_such_without_buttons() -> None:
    rows: list[Operation | UnreadableItem] = [
        sample_operation(1000),
        UnreadableItem(1001, "an eta that is not a number"),
        UnreadableItem(None, "an operation id out of range <!channel>"),
        sample_operation(1002),
    ]
    message = list_message(rows, filters={}, page=0, items_per_page=20, total=4, now=NOW)
    _assert_message_ok(message)
    text = all_text(message)
    assert "*#1001*  This row cannot be read: the API sent an eta that is not a number." in text
    assert "*#?*  This row cannot be read" in text
    operated = {_operation_of(button) for button in _buttons(message)}
    assert operated == {1000, 1002}
    # The page a Cancel redraws holds the readable rows only.
    cancel = next(b for b in _buttons(message) if b["action_id"] == ids.ACTION_CANCEL)
    value = payloads.CancelButtonValue.parse(cancel["value"])
    assert value.listed is not None
    assert value.listed.ids == (1000, 1002)


def test_action_ids_are_unique_within_each_block() -> None:
    message = list_message(
        _many_operations(MAX_PAGE_ROWS),
        filters={},
        page=1,
        items_per_page=MAX_PAGE_ROWS,
        total=None,
        now=NOW,
    )
    for block in message["blocks"]:
        if block["type"] == "actions":
            action_ids = [element["action_id"] for element in block["elements"]]
            assert len(action_ids) == len(set(action_ids))


def test_paging_buttons_carry_the_filters_and_the_page() -> None:
    filters = {"step": "ERROR", ">date_created": "7d", "id": [1, 2, 3], "page": 1}
    message = list_message(
        _many_operations(20), filters=filters, page=1, items_per_page=20, total=100, now=NOW
    )
    paging = {
        b["action_id"]: b
        for b in _buttons(message)
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
    assert "`step=ERROR &gt;date_created=7d id=1,2,3`" in all_text(message)


def test_the_last_page_has_no_next_button() -> None:
    message = list_message(
        _many_operations(5), filters={}, page=4, items_per_page=20, total=85, now=NOW
    )
    assert [
        b["action_id"] for b in _buttons(message) if b["action_id"].startswith("list_page")
    ] == [ids.ACTION_PAGE_PREVIOUS]


def test_without_a_total_a_short_page_is_the_last() -> None:
    message = list_message(
        _many_operations(5), filters={}, page=0, items_per_page=20, total=None, now=NOW
    )
    _assert_message_ok(message)
    assert not [b for b in _buttons(message) if b["action_id"].startswith("list_page")]


def test_filters_too_long_for_a_button_are_said_not_broken() -> None:
    filters = {"domain": "d" * 3000}
    message = list_message(
        _many_operations(3), filters=filters, page=1, items_per_page=3, total=100, now=NOW
    )
    _assert_message_ok(message)
    assert not [b for b in _buttons(message) if b["action_id"].startswith("list_page")]
    assert "`page=N`" in all_text(message)


def test_cancel_buttons_on_a_list_carry_the_page_to_redraw() -> None:
    operations = _many_operations(MAX_PAGE_ROWS)
    filters = {"step": "WAIT", ">date_created": NOW, "page": 2}
    message = list_message(
        operations, filters=filters, page=2, items_per_page=MAX_PAGE_ROWS, total=200, now=NOW
    )
    values = _cancel_values(message)

    assert [value.op_id for value in values] == [op.id for op in operations if op.can_cancel]
    page = payloads.ListedPage(
        filters={"step": "WAIT", ">date_created": NOW.isoformat()},
        page=2,
        total=200,
        ids=tuple(operation.id for operation in operations),
    )
    assert [(value.source, value.listed) for value in values] == [("list", page)] * len(values)


def test_a_cancel_value_too_long_for_a_button_falls_back_to_the_bare_id() -> None:
    operations = _many_operations(3)
    message = list_message(
        operations, filters={"domain": "d" * 3000}, page=0, items_per_page=3, total=3, now=NOW
    )
    _assert_message_ok(message)
    values = _cancel_values(message)
    assert values
    assert all(value == payloads.CancelButtonValue(value.op_id) for value in values)


def test_a_list_redrawn_after_a_cancel_shows_the_new_step_and_who() -> None:
    operations = [sample_operation(n, step="WAIT", domain=f"d{n}.example") for n in range(1, 6)]
    cancelled = sample_operation(3, step="CANCEL", domain="d3.example")
    now_shown = [cancelled if op.id == cancelled.id else op for op in operations]

    message = list_after_cancel_message(
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
    assert f"Operation 3 cancelled by <@{ACTOR}>." in all_text(message)
    assert _row_ids(message) == [1, 2, 3, 4, 5]
    [row] = [b for b in message["blocks"] if "*#3*" in b.get("text", {}).get("text", "")]
    assert ":no_entry_sign: CANCEL" in row["text"]["text"]
    assert [value.op_id for value in _cancel_values(message)] == [1, 2, 4, 5]


def test_a_redrawn_list_without_the_cancelled_row_is_none() -> None:
    message = list_after_cancel_message(
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
    message = list_message([], filters=filters, page=0, items_per_page=20, total=0, now=NOW)
    _assert_message_ok(message)
    assert message["text"].startswith("No operations match type=")
    assert "&lt;!channel&gt;" in all_text(message)


# Count and info.


@pytest.mark.parametrize(
    ("count", "words"), [(0, "0 operations"), (1, "1 operation "), (12345, "12,345 operations")]
)
def test_count_message(count: int, words: str) -> None:
    message = count_message(count, {"step": "RUN", "type": HOSTILE})
    _assert_message_ok(message)
    assert message["text"].startswith(words)
    assert "step=RUN" in message["text"]


def test_count_without_filters() -> None:
    assert count_message(7, {})["text"] == "7 operations in all"


def test_info_card_with_a_huge_error_and_500_params() -> None:
    params = {f"x-param_{n:03d}": f"{HOSTILE} {n}" * 20 for n in range(500)}
    params["authinfo"] = SECRET_VALUE
    operation = sample_operation(params=params, last_error=HOSTILE * 200 + "x" * 10_000)
    message = info_message(operation, now=NOW)
    _assert_message_ok(message)
    text = all_text(message)
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
    hidden = len(operation.params) - PARAMS_SHOWN
    assert f"and {hidden} more parameters not shown" in text
    last_error = next(
        b for b in message["blocks"] if "*Last error*" in b.get("text", {}).get("text", "")
    )
    assert last_error["text"]["text"].endswith(limits.ELLIPSIS + "```")
    assert last_error["text"]["text"].count("```") == 2
    shown = re.findall(r"• `([^`]+)`", text)
    assert shown == sorted(shown)


def test_the_cancel_on_an_info_card_says_it_was_clicked_there() -> None:
    message = info_message(sample_operation(step="WAIT"), now=NOW)
    _assert_message_ok(message)
    assert _cancel_values(message) == [payloads.CancelButtonValue(123, "info")]
    assert "Cancelled by" not in all_text(message)


@pytest.mark.parametrize(
    ("user_id", "named"), [(ACTOR, f"<@{ACTOR}>"), ("U1> <!here", "an unknown user")]
)
def test_an_info_card_after_a_cancel_names_who_cancelled(user_id: str, named: str) -> None:
    message = info_message(sample_operation(step="CANCEL"), now=NOW, cancelled_by=user_id)
    _assert_message_ok(message)
    assert message["blocks"][1]["elements"][0]["text"] == f":no_entry_sign: Cancelled by {named}"
    assert not _cancel_values(message)


def test_info_card_with_nothing_optional() -> None:
    operation = Operation(id=5, type="vm_reboot", step="RUN", eta=300)
    message = info_message(operation, now=NOW)
    _assert_message_ok(message)
    text = all_text(message)
    assert "in 5 min" in text
    assert "*Parameters*\nnone" in text
    assert "Last error" not in text
    assert {b["action_id"] for b in _buttons(message)} == {ids.ACTION_INFO, ids.ACTION_WATCH}


# Cancelling.


def test_cancel_confirmation_asks_with_a_danger_button() -> None:
    message = cancel_confirm_message(sample_operation(step="WAIT", domain=LONG_DOMAIN), now=NOW)
    _assert_message_ok(message)
    buttons = {b["action_id"]: b for b in _buttons(message)}
    assert set(buttons) == {ids.ACTION_CANCEL_CONFIRM, ids.ACTION_CANCEL_KEEP}
    assert buttons[ids.ACTION_CANCEL_CONFIRM]["style"] == "danger"
    assert buttons[ids.ACTION_CANCEL_CONFIRM]["text"]["text"] == "Cancel operation"
    assert buttons[ids.ACTION_CANCEL_KEEP]["text"]["text"] == "Keep it"
    assert {b["value"] for b in buttons.values()} == {"123"}


def test_cancel_confirmation_for_a_running_operation_explains_instead() -> None:
    message = cancel_confirm_message(sample_operation(step="RUN"), now=NOW)
    _assert_message_ok(message)
    assert not _buttons(message)
    assert "BILL, WAIT or ERROR" in all_text(message)


def test_cancel_result_names_who_cancelled() -> None:
    message = cancel_result_message(sample_operation(step="CANCEL"), user_id=ACTOR, now=NOW)
    _assert_message_ok(message)
    assert f"cancelled by <@{ACTOR}>" in all_text(message)
    assert "CANCEL" in message["text"]


def test_cancel_result_with_a_forged_user_id_mentions_nobody() -> None:
    message = cancel_result_message(sample_operation(), user_id="U1> <!channel", now=NOW)
    _assert_message_ok(message)
    assert "an unknown user" in all_text(message)


@settings(max_examples=50)
@given(last_error=st.text(max_size=5000), domain=st.text(max_size=300))
def test_any_operation_text_gives_a_valid_safe_info_card(last_error: str, domain: str) -> None:
    operation = sample_operation(last_error=last_error, domain=domain, errortype=domain)
    _assert_message_ok(info_message(operation, now=NOW))


def test_in_a_read_only_channel_rows_and_cards_have_no_cancel_or_relaunch() -> None:
    operations = _many_operations(20)
    assert any(op.can_cancel for op in operations)
    assert any(op.can_relaunch for op in operations)
    shown = [
        list_message(
            operations, filters={}, page=0, items_per_page=20, total=20, now=NOW, read_only=True
        ),
        *(info_message(operation, now=NOW, read_only=True) for operation in operations),
        cancel_result_message(operations[0], user_id="U0ALICE", now=NOW, read_only=True),
    ]

    actions = {button["action_id"] for message in shown for button in _buttons(message)}
    assert {ids.ACTION_INFO, ids.ACTION_WATCH} <= actions
    assert not actions & {ids.ACTION_CANCEL, ids.ACTION_RELAUNCH}
