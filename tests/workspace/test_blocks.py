"""Block Kit as Slack validates it: every limit opsbot relies on, with Slack's pointer."""

from __future__ import annotations

from typing import Any

import pytest

from opsbot.workspace.blocks import (
    blocks_text_length,
    message_problems,
    slack_length,
    suggestion_problems,
    view_problems,
)
from tests.support.block_kit import mrkdwn, option, plain, section

JSON = dict[str, Any]


def button(action_id: str, text: str = "Go", value: str = "v") -> JSON:
    return {"type": "button", "action_id": action_id, "text": plain(text), "value": value}


def select(**fields: Any) -> JSON:
    return {"type": "static_select", "action_id": "pick", "placeholder": plain("Pick"), **fields}


def modal(blocks: list[JSON], **fields: Any) -> JSON:
    return {
        "type": "modal",
        "title": plain("Relaunch"),
        "submit": plain("Go"),
        "blocks": blocks,
        **fields,
    }


def messages(problems: list[Any]) -> list[str]:
    return [problem.slack() for problem in problems]


def test_a_well_formed_message_and_modal_have_no_problem() -> None:
    blocks = [
        {"type": "header", "text": plain("Operation 123")},
        {
            "type": "section",
            "fields": [mrkdwn("*step*"), mrkdwn("ERROR")],
            "accessory": button("info"),
        },
        {"type": "actions", "elements": [button("cancel"), button("relaunch")]},
        {"type": "context", "elements": [mrkdwn("by <@U1>")]},
        {"type": "divider"},
    ]
    form = [
        {
            "type": "input",
            "block_id": "authinfo",
            "label": plain("authinfo"),
            "element": {"type": "plain_text_input", "action_id": "value"},
        },
        {
            "type": "input",
            "block_id": "pick",
            "label": plain("Field"),
            "element": select(options=[option("a")]),
        },
    ]

    assert message_problems(blocks) == []
    assert view_problems(modal(form, private_metadata="123", callback_id="relaunch")) == []


@pytest.mark.parametrize(("surface", "limit"), [("message", 50), ("modal", 100)])
def test_block_counts_per_surface(surface: str, limit: int) -> None:
    ok = [section() for _ in range(limit)]
    over = [*ok, section()]

    if surface == "message":
        assert message_problems(ok) == []
        assert messages(message_problems(over)) == [
            "[ERROR] no more than 50 items allowed [json-pointer:/blocks]"
        ]
    else:
        assert view_problems(modal(ok)) == []
        assert messages(view_problems(modal(over))) == [
            "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"
        ]


@pytest.mark.parametrize(
    ("block", "pointer", "limit"),
    [
        (section("x" * 3001), "/blocks/0/text/text", 3000),
        ({"type": "section", "fields": [mrkdwn("x" * 2001)]}, "/blocks/0/fields/0/text", 2000),
        ({"type": "header", "text": plain("x" * 151)}, "/blocks/0/text/text", 150),
        (
            {"type": "actions", "elements": [button("b", text="x" * 76)]},
            "/blocks/0/elements/0/text/text",
            75,
        ),
        (
            {"type": "actions", "elements": [button("b", value="x" * 2001)]},
            "/blocks/0/elements/0/value",
            2000,
        ),
        (
            {"type": "actions", "elements": [select(options=[option("v", "x" * 76)])]},
            "/blocks/0/elements/0/options/0/text/text",
            75,
        ),
        (
            {"type": "actions", "elements": [select(options=[option("x" * 151, "short")])]},
            "/blocks/0/elements/0/options/0/value",
            150,
        ),
        (
            {
                "type": "actions",
                "elements": [select(placeholder=plain("x" * 151), options=[option("a")])],
            },
            "/blocks/0/elements/0/placeholder/text",
            150,
        ),
        (
            {"type": "section", "block_id": "x" * 256, "text": mrkdwn("t")},
            "/blocks/0/block_id",
            255,
        ),
        (
            {"type": "actions", "elements": [button("x" * 256)]},
            "/blocks/0/elements/0/action_id",
            255,
        ),
    ],
)
def test_each_length_limit_is_one_past_slacks_number(block: JSON, pointer: str, limit: int) -> None:
    assert messages(message_problems([block])) == [
        f"[ERROR] must be less than {limit + 1} characters [json-pointer:{pointer}]"
    ]


def test_ten_fields_at_most() -> None:
    block = {"type": "section", "fields": [mrkdwn("f")] * 11}

    assert messages(message_problems([block])) == [
        "[ERROR] no more than 10 items allowed [json-pointer:/blocks/0/fields]"
    ]


@pytest.mark.parametrize(
    ("field", "value", "pointer", "limit"),
    [
        ("title", plain("x" * 25), "/view/title/text", 24),
        ("submit", plain("x" * 25), "/view/submit/text", 24),
        ("close", plain("x" * 25), "/view/close/text", 24),
        ("private_metadata", "x" * 3001, "/view/private_metadata", 3000),
        ("callback_id", "x" * 256, "/view/callback_id", 255),
    ],
)
def test_modal_fields(field: str, value: Any, pointer: str, limit: int) -> None:
    assert messages(view_problems(modal([section()], **{field: value}))) == [
        f"[ERROR] must be less than {limit + 1} characters [json-pointer:{pointer}]"
    ]


def test_101_options_across_groups_are_refused_though_each_group_holds_fewer() -> None:
    groups = [
        {"label": plain(f"group {g}"), "options": [option(f"{g}-{i}") for i in range(50 + g)]}
        for g in range(2)
    ]  # 50 + 51 = 101 options

    problems = message_problems([{"type": "actions", "elements": [select(option_groups=groups)]}])

    assert messages(problems) == [
        "[ERROR] no more than 100 options allowed in all groups"
        " [json-pointer:/blocks/0/elements/0/option_groups]"
    ]


def test_100_options_across_groups_pass() -> None:
    groups = [
        {"label": plain("g"), "options": [option(f"{g}-{i}") for i in range(50)]} for g in range(2)
    ]

    assert message_problems([{"type": "actions", "elements": [select(option_groups=groups)]}]) == []


def test_101_plain_options_are_refused() -> None:
    element = select(options=[option(str(i)) for i in range(101)])

    assert messages(message_problems([{"type": "actions", "elements": [element]}])) == [
        "[ERROR] no more than 100 items allowed [json-pointer:/blocks/0/elements/0/options]"
    ]


def test_duplicate_action_id_within_a_block_is_refused() -> None:
    block = {"type": "actions", "elements": [button("same"), button("same")]}

    assert messages(message_problems([block])) == [
        "[ERROR] duplicate action_id: same [json-pointer:/blocks/0/elements/1/action_id]"
    ]


def test_the_same_action_id_in_two_blocks_is_allowed() -> None:
    blocks = [{"type": "actions", "elements": [button("info")]} for _ in range(2)]

    assert message_problems(blocks) == []


def test_duplicate_block_id_is_refused_in_a_message_and_in_a_view() -> None:
    blocks = [{**section(), "block_id": "b"}, {**section(), "block_id": "b"}]

    assert messages(message_problems(blocks)) == [
        "[ERROR] duplicate block_id: b [json-pointer:/blocks/1/block_id]"
    ]
    assert messages(view_problems(modal(blocks))) == [
        "[ERROR] duplicate block_id: b [json-pointer:/view/blocks/1/block_id]"
    ]


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ([{"type": "header", "text": mrkdwn("*Operation*")}], "/blocks/0/text/type"),
        (
            [{"type": "actions", "elements": [{**button("b"), "text": mrkdwn("Go")}]}],
            "/blocks/0/elements/0/text/type",
        ),
        (
            [
                {
                    "type": "actions",
                    "elements": [select(options=[{"text": mrkdwn("a"), "value": "a"}])],
                }
            ],
            "/blocks/0/elements/0/options/0/text/type",
        ),
    ],
)
def test_mrkdwn_where_only_plain_text_is_allowed(blocks: list[JSON], pointer: str) -> None:
    assert messages(message_problems(blocks)) == [
        f"[ERROR] must be plain_text [json-pointer:{pointer}]"
    ]


def test_modal_title_and_input_label_must_be_plain_text() -> None:
    view = modal(
        [{"type": "input", "label": mrkdwn("*x*"), "element": {"type": "plain_text_input"}}],
        title=mrkdwn("Title"),
    )

    assert messages(view_problems(view)) == [
        "[ERROR] must be plain_text [json-pointer:/view/title/type]",
        "[ERROR] must be plain_text [json-pointer:/view/blocks/0/label/type]",
    ]


def test_radio_buttons_take_mrkdwn_options() -> None:
    element = {
        "type": "radio_buttons",
        "action_id": "r",
        "options": [{"text": mrkdwn("*a*"), "value": "a"}],
    }

    assert message_problems([{"type": "actions", "elements": [element]}]) == []


def test_a_modal_with_inputs_needs_a_submit_button() -> None:
    view = {
        "type": "modal",
        "title": plain("T"),
        "blocks": [{"type": "input", "label": plain("L"), "element": {"type": "plain_text_input"}}],
    }

    assert messages(view_problems(view)) == [
        "[ERROR] must define `submit` to use an `input` block in modals [json-pointer:/view/submit]"
    ]


def test_an_initial_option_must_be_one_of_the_options() -> None:
    element = select(options=[option("a")], initial_option=option("b"))

    assert messages(message_problems([{"type": "actions", "elements": [element]}])) == [
        "[ERROR] must be one of the provided options"
        " [json-pointer:/blocks/0/elements/0/initial_option]"
    ]


def test_empty_text_and_unknown_types_are_refused() -> None:
    assert messages(message_problems([section(""), {"type": "carousel"}])) == [
        "[ERROR] must be more than 0 characters [json-pointer:/blocks/0/text/text]",
        "[ERROR] unsupported type: carousel [json-pointer:/blocks/1/type]",
    ]


def test_lengths_count_utf16_units() -> None:
    emoji = "\U0001f600"  # outside the BMP: two UTF-16 units

    assert slack_length(emoji) == 2
    assert message_problems([{"type": "header", "text": plain(emoji * 75)}]) == []
    assert message_problems([{"type": "header", "text": plain(emoji * 75 + "x")}]) != []


def test_block_text_length_sums_every_text() -> None:
    blocks = [
        section("abc"),
        {"type": "section", "fields": [mrkdwn("de")], "accessory": button("b", text="f")},
    ]

    assert blocks_text_length(blocks) == 6


def test_a_block_suggestion_answer_is_held_to_the_select_limits() -> None:
    assert suggestion_problems({"options": [option(str(i)) for i in range(100)]}) == []
    assert messages(suggestion_problems({"options": [option(str(i)) for i in range(101)]})) == [
        "[ERROR] no more than 100 items allowed [json-pointer:/options]"
    ]


def test_an_external_selects_initial_option_is_held_to_option_limits() -> None:
    element = {
        "type": "external_select",
        "action_id": "pick",
        "initial_option": {"text": plain("x" * 76), "value": "x"},
    }

    assert messages(message_problems([{"type": "actions", "elements": [element]}])) == [
        "[ERROR] must be less than 76 characters"
        " [json-pointer:/blocks/0/elements/0/initial_option/text/text]"
    ]


def _input(element: JSON, block_id: str = "in") -> JSON:
    return {"type": "input", "block_id": block_id, "label": plain("L"), "element": element}


def _element_problems(element: JSON) -> list[str]:
    """What Slack says of ``element`` in a modal's input, pointers relative to the element."""
    pointer = "/view/blocks/0/element"
    return [
        problem.slack().replace(pointer, "")
        for problem in view_problems(modal([_input({"action_id": "a", **element})]))
    ]


@pytest.mark.parametrize(
    "kind",
    [
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
    ],
)
def test_a_multi_select_lets_at_least_one_item_be_chosen(kind: str) -> None:
    options = {"options": [option("a")]} if kind == "multi_static_select" else {}
    for most in (1, 3):
        assert _element_problems({"type": kind, "max_selected_items": most, **options}) == []
    wrong: tuple[Any, ...] = (0, -1, "2", True, 1.5)
    for not_a_count in wrong:
        element = {"type": kind, "max_selected_items": not_a_count, **options}
        assert _element_problems(element) == [
            "[ERROR] must be a whole number of at least 1 [json-pointer:/max_selected_items]"
        ]


def test_a_multi_static_selects_initial_options_must_be_among_its_options() -> None:
    element = {"type": "multi_static_select", "options": [option("a"), option("b")]}

    assert _element_problems({**element, "initial_options": [option("b")]}) == []
    assert _element_problems({**element, "initial_options": [option("a"), option("c")]}) == [
        "[ERROR] must be one of the provided options [json-pointer:/initial_options/1]"
    ]


def test_a_multi_external_selects_initial_options_are_held_to_option_limits() -> None:
    element = {"type": "multi_external_select", "min_query_length": 0}

    assert _element_problems({**element, "initial_options": [option("a")]}) == []
    assert _element_problems({**element, "initial_options": [option("a", "x" * 76)]}) == [
        "[ERROR] must be less than 76 characters [json-pointer:/initial_options/0/text/text]"
    ]
    assert _element_problems({**element, "initial_options": option("a")}) == [
        "[ERROR] must provide an array [json-pointer:/initial_options]"
    ]


@pytest.mark.parametrize(
    ("kind", "initial"),
    [("checkboxes", "initial_options"), ("radio_buttons", "initial_option")],
)
def test_checkboxes_and_radio_buttons_start_on_their_own_options(kind: str, initial: str) -> None:
    element = {"type": kind, "options": [option("a"), option("b")]}

    def chosen(value: str) -> Any:
        return [option(value)] if initial == "initial_options" else option(value)

    assert _element_problems({**element, initial: chosen("a")}) == []
    pointer = f"/{initial}/0" if initial == "initial_options" else f"/{initial}"
    assert _element_problems({**element, initial: chosen("z")}) == [
        f"[ERROR] must be one of the provided options [json-pointer:{pointer}]"
    ]


@pytest.mark.parametrize("date", ["2026-02-28", "2024-02-29"])
def test_a_datepicker_starts_on_a_date_written_yyyy_mm_dd(date: str) -> None:
    assert _element_problems({"type": "datepicker", "initial_date": date}) == []


@pytest.mark.parametrize(
    "date", ["2026-2-28", "28/02/2026", "2026-02-30", "2026-02-28T00:00", 20260228]
)
def test_a_datepicker_refuses_any_other_initial_date(date: Any) -> None:
    assert _element_problems({"type": "datepicker", "initial_date": date}) == [
        "[ERROR] must be a date in the format YYYY-MM-DD [json-pointer:/initial_date]"
    ]


def test_a_timepicker_starts_on_a_time_written_hh_mm() -> None:
    assert _element_problems({"type": "timepicker", "initial_time": "09:05"}) == []
    for time in ("9:05", "24:00", "09:60", "09:05:00"):
        assert _element_problems({"type": "timepicker", "initial_time": time}) == [
            "[ERROR] must be a time in the format HH:mm [json-pointer:/initial_time]"
        ]


def test_only_one_element_of_a_view_focuses_on_load() -> None:
    focused = {"type": "plain_text_input", "focus_on_load": True}
    one = modal([_input({**focused, "action_id": "a"}, "x"), _input({"type": "plain_text_input"})])
    two = modal([_input({**focused, "action_id": "a"}, "x"), _input({**focused, "action_id": "b"})])

    assert view_problems(one) == []
    assert messages(view_problems(two)) == [
        "[ERROR] only one element can be set to focus on load"
        " [json-pointer:/view/blocks/1/element/focus_on_load]"
    ]
