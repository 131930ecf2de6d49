"""Slack's limits: what check_limits reports, enforce_limits repairs, and slack_sdk accepts."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from opsbot.ui import limits, render
from opsbot.ui.limits import (
    ELLIPSIS,
    Fitter,
    LimitError,
    enforce_limits,
    slack_length,
    truncate,
)
from tests.support import every_surface
from tests.support.limits import check_limits

_ENTITY = re.compile(r"&(amp|lt|gt);")
_MENTION = re.compile(r"<@U[0-9A-Z]+\|[^<>]*>")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _message(*blocks: dict[str, Any], text: str = "fallback") -> dict[str, Any]:
    return {"text": text, "blocks": list(blocks)}


def _button(text: str = "Info", value: str = "1", action_id: str = "op_info") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def _modal(**overrides: Any) -> dict[str, Any]:
    view = {
        "type": "modal",
        "callback_id": "relaunch",
        "private_metadata": '{"operation_id":1}',
        "title": {"type": "plain_text", "text": "Relaunch #1"},
        "submit": {"type": "plain_text", "text": "Relaunch"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [_section("hello")],
    }
    return view | overrides


def _assert_slack_accepts_message(message: dict[str, Any]) -> None:
    assert check_limits(message, "message") == []
    for block in message["blocks"]:
        assert Block.parse(block).to_dict() == block  # type: ignore[union-attr]


# truncate


def test_short_text_is_left_alone() -> None:
    assert truncate("hello", 5) == "hello"


def test_long_text_ends_with_the_marker_within_the_limit() -> None:
    shortened = truncate("word " * 100, 20)
    assert shortened.endswith(ELLIPSIS)
    assert slack_length(shortened) <= 20
    assert ("word " * 100).startswith(shortened.removesuffix(ELLIPSIS))


@pytest.mark.parametrize("limit", range(6, 30))
def test_cut_never_splits_an_entity(limit: int) -> None:
    shortened = truncate("ab" + "&amp;" * 10, limit)
    body = shortened.removesuffix(ELLIPSIS)
    assert slack_length(shortened) <= limit
    assert _ENTITY.sub("", body) == "ab"


@pytest.mark.parametrize("limit", range(4, 40))
def test_cut_never_splits_a_link_or_mention(limit: int) -> None:
    shortened = truncate("see <@U123|someone> then <https://example.com|this link>", limit)
    body = shortened.removesuffix(ELLIPSIS)
    assert slack_length(shortened) <= limit
    assert body.count("<") == body.count(">")


def test_cut_closes_a_code_block_it_opened() -> None:
    shortened = truncate("*Last error*\n```" + "x" * 100 + "```", 40)
    assert slack_length(shortened) <= 40
    assert shortened.count("```") == 2
    assert shortened.endswith(ELLIPSIS + "```")


def test_astral_characters_count_twice() -> None:
    assert slack_length("😀") == 2
    shortened = truncate("😀" * 10, 7)
    assert shortened == "😀😀😀" + ELLIPSIS


_PIECES = st.sampled_from(["a", " ", "&amp;", "&lt;", "&gt;", "<@U1|x>", "```", "😀", "é", "\n"])


@given(pieces=st.lists(_PIECES, max_size=60), limit=st.integers(min_value=5, max_value=80))
def test_truncate_properties(pieces: list[str], limit: int) -> None:
    text = "".join(pieces)
    shortened = truncate(text, limit)
    assert slack_length(shortened) <= limit
    if slack_length(text) <= limit:
        assert shortened == text
        return
    body = shortened.removesuffix("```").removesuffix(ELLIPSIS)
    assert text.startswith(body)
    without_markup = _MENTION.sub("", _ENTITY.sub("", body))
    assert "&" not in without_markup
    assert "<" not in without_markup
    assert shortened.count("```") % 2 == 0


# check_limits and enforce_limits on messages


def test_a_message_within_limits_has_no_violations() -> None:
    message = _message(_section("hello"), {"type": "actions", "elements": [_button()]})
    assert check_limits(message, "message") == []
    assert enforce_limits(message, "message") == message


def test_too_many_blocks_keep_the_first_and_say_how_many_more() -> None:
    message = _message(*(_section(f"row {n}") for n in range(60)))
    assert check_limits(message, "message") == ["blocks: 60 > 50"]
    fitted = enforce_limits(message, "message")
    assert len(fitted["blocks"]) == limits.MESSAGE_BLOCKS
    assert fitted["blocks"][48] == _section("row 48")
    assert fitted["blocks"][-1]["elements"][0]["text"] == f"{ELLIPSIS} 11 more not shown"
    _assert_slack_accepts_message(fitted)


def test_enforce_does_not_touch_its_argument() -> None:
    message = _message(_section("x" * 5000))
    enforce_limits(message, "message")
    assert message["blocks"][0]["text"]["text"] == "x" * 5000


def test_long_section_text_and_fields_are_truncated() -> None:
    # In a modal: a message holds less text in all (below).
    section = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "t" * 5000},
        "fields": [{"type": "mrkdwn", "text": "f" * 2500} for _ in range(12)],
    }
    view = _modal(blocks=[section])
    violations = check_limits(view, "modal")
    assert "blocks[0].text: longer than 3000" in violations
    assert "blocks[0].fields: 12 > 10" in violations
    assert "blocks[0].fields[0]: longer than 2000" in violations
    fitted = enforce_limits(view, "modal")
    block = fitted["blocks"][0]
    assert len(block["text"]["text"]) == limits.SECTION_TEXT
    assert len(block["fields"]) == limits.SECTION_FIELDS
    assert all(len(field["text"]) == limits.SECTION_FIELD for field in block["fields"])
    assert check_limits(fitted, "modal") == []
    View(**fitted).to_dict()


def test_a_message_s_text_in_all_keeps_under_slack_s_block_text_limit() -> None:
    """msg_blocks_too_long: blocks before the last make way, and a line says how many."""
    rows = [_section(f"{n:02d}" + "x" * 2998) for n in range(6)]
    buttons = {"type": "actions", "elements": [_button(text="Next")]}
    message = _message(*rows, buttons)
    assert check_limits(message, "message") == ["blocks: 18004 characters of text > 12000"]

    fitted = enforce_limits(message, "message")

    kept, [more, last] = fitted["blocks"][:-2], fitted["blocks"][-2:]
    assert [block["text"]["text"][:2] for block in kept] == ["00", "01", "02"]
    assert more["elements"][0]["text"] == f"{ELLIPSIS} 3 more not shown"
    assert last == buttons
    _assert_slack_accepts_message(fitted)


def test_a_last_block_too_long_to_keep_gives_way_to_the_blocks_before_it() -> None:
    fields = [{"type": "mrkdwn", "text": "f" * 2000} for _ in range(10)]
    too_long = {"type": "section", "text": {"type": "mrkdwn", "text": "t"}, "fields": fields}
    message = _message(_section("heading"), _section("a"), _section("b"), too_long)

    fitted = enforce_limits(message, "message")

    assert [block["text"]["text"] for block in fitted["blocks"][:-1]] == ["heading", "a", "b"]
    assert fitted["blocks"][-1]["elements"][0]["text"] == f"{ELLIPSIS} 1 more not shown"
    _assert_slack_accepts_message(fitted)


def test_header_context_and_button_texts_are_truncated() -> None:
    message = _message(
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 200}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"} for _ in range(12)]},
        {"type": "actions", "elements": [_button(text="b" * 100)]},
    )
    assert len(check_limits(message, "message")) == 3
    fitted = enforce_limits(message, "message")
    assert len(fitted["blocks"][0]["text"]["text"]) == limits.HEADER_TEXT
    assert len(fitted["blocks"][1]["elements"]) == limits.CONTEXT_ELEMENTS
    assert len(fitted["blocks"][2]["elements"][0]["text"]["text"]) == limits.BUTTON_TEXT
    _assert_slack_accepts_message(fitted)


def test_confirm_dialog_texts_are_truncated() -> None:
    button = _button() | {
        "confirm": {
            "title": {"type": "plain_text", "text": "t" * 150},
            "text": {"type": "mrkdwn", "text": "x" * 400},
            "confirm": {"type": "plain_text", "text": "y" * 40},
            "deny": {"type": "plain_text", "text": "n" * 40},
        }
    }
    fitted = enforce_limits(_message({"type": "actions", "elements": [button]}), "message")
    _assert_slack_accepts_message(fitted)
    confirm = fitted["blocks"][0]["elements"][0]["confirm"]
    assert len(confirm["text"]["text"]) == limits.CONFIRM_TEXT


def test_options_are_capped_and_a_lost_initial_option_dropped() -> None:
    options = [_option(f"{'o' * 80} {n}", f"v{n}") for n in range(150)]
    select = {
        "type": "static_select",
        "action_id": "value",
        "options": options,
        "initial_option": options[120],
    }
    message = _message({"type": "actions", "elements": [select]})
    assert "blocks[0].elements[0].options: 150 > 100" in check_limits(message, "message")
    fitted = enforce_limits(message, "message")
    fitted_select = fitted["blocks"][0]["elements"][0]
    assert len(fitted_select["options"]) == limits.OPTIONS
    assert "initial_option" not in fitted_select
    assert all(
        len(option["text"]["text"]) <= limits.OPTION_TEXT for option in fitted_select["options"]
    )
    _assert_slack_accepts_message(fitted)


def test_a_kept_initial_option_stays_equal_to_its_truncated_option() -> None:
    select = {
        "type": "static_select",
        "action_id": "value",
        "options": [_option("x" * 100, "v")],
        "initial_option": _option("x" * 100, "v"),
    }
    fitted = enforce_limits(_message({"type": "actions", "elements": [select]}), "message")
    fitted_select = fitted["blocks"][0]["elements"][0]
    assert fitted_select["initial_option"] == fitted_select["options"][0]
    _assert_slack_accepts_message(fitted)


def test_option_groups_are_capped() -> None:
    group = {
        "label": {"type": "plain_text", "text": "g" * 90},
        "options": [_option("o", "v")] * 120,
    }
    groups = [copy.deepcopy(group) for _ in range(120)]
    select = {"type": "static_select", "action_id": "add", "option_groups": groups}
    fitted = enforce_limits(_message({"type": "actions", "elements": [select]}), "message")
    groups = fitted["blocks"][0]["elements"][0]["option_groups"]
    # 100 options in all, whatever the groups: the first group holds them,
    # the others would be left empty and go.
    assert sum(len(group["options"]) for group in groups) == limits.OPTIONS
    assert [len(group["options"]) for group in groups] == [limits.OPTIONS]
    assert all(len(group["label"]["text"]) == limits.OPTION_GROUP_LABEL for group in groups)


def test_option_groups_count_every_option_against_the_select_s_100() -> None:
    group = {"label": {"type": "plain_text", "text": "g"}, "options": [_option("o", "v")] * 60}
    groups = [copy.deepcopy(group), copy.deepcopy(group)]
    select = {"type": "static_select", "action_id": "add", "option_groups": groups}
    message = _message({"type": "actions", "elements": [select]})
    assert check_limits(message, "message") == [
        "blocks[0].elements[0].option_groups[1].options: 60 > 40"
    ]
    fitted = enforce_limits(message, "message")
    groups = fitted["blocks"][0]["elements"][0]["option_groups"]
    assert [len(group["options"]) for group in groups] == [60, 40]


def test_empty_text_is_a_violation_and_gets_a_dash() -> None:
    message = _message(_section("  "))
    assert check_limits(message, "message") == ["blocks[0].text: empty text"]
    assert enforce_limits(message, "message")["blocks"][0]["text"]["text"] == "—"


def test_a_message_needs_a_fallback_text() -> None:
    message = {"blocks": [_section("hello")]}
    assert check_limits(message, "message") == ["text: a message needs a plain `text` fallback"]
    with pytest.raises(LimitError):
        enforce_limits(message, "message")


def test_long_fallback_text_is_truncated() -> None:
    fitted = enforce_limits(_message(_section("x"), text="y" * 10_000), "message")
    assert len(fitted["text"]) == limits.FALLBACK_TEXT


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        (_section("x") | {"block_id": "b" * 256}, "block_id longer than 255"),
        ({"type": "actions", "elements": [_button(value="v" * 2001)]}, "value longer than 2000"),
        ({"type": "actions", "elements": [_button(action_id="a" * 256)]}, "action_id longer"),
        (
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "static_select",
                        "action_id": "x",
                        "options": [_option("o", "v" * 151)],
                    }
                ],
            },
            "value longer than 150",
        ),
    ],
)
def test_values_handlers_read_back_are_refused_not_cut(block: dict[str, Any], problem: str) -> None:
    message = _message(block)
    assert any(problem in violation for violation in check_limits(message, "message"))
    with pytest.raises(LimitError, match=problem):
        enforce_limits(message, "message")


# modals


def test_a_modal_within_limits_has_no_violations() -> None:
    view = _modal()
    assert check_limits(view, "modal") == []
    assert View(**enforce_limits(view, "modal")).to_dict() == view


def test_modal_title_and_buttons_are_truncated_and_blocks_capped() -> None:
    view = _modal(
        title={"type": "plain_text", "text": "A title far longer than twenty-four"},
        submit={"type": "plain_text", "text": "s" * 30},
        close={"type": "plain_text", "text": "c" * 30},
        blocks=[_section(f"b{n}") for n in range(120)],
    )
    assert len(check_limits(view, "modal")) == 4
    fitted = enforce_limits(view, "modal")
    assert fitted["title"]["text"] == "A title far longer than…"
    assert len(fitted["blocks"]) == limits.MODAL_BLOCKS
    assert check_limits(fitted, "modal") == []
    View(**fitted).to_dict()


def test_private_metadata_over_the_limit_is_a_bug() -> None:
    view = _modal(private_metadata="m" * 3001)
    assert check_limits(view, "modal") == ["view: private_metadata longer than 3000"]
    with pytest.raises(LimitError, match="private_metadata"):
        enforce_limits(view, "modal")


def test_input_label_hint_and_placeholder_are_truncated() -> None:
    block = {
        "type": "input",
        "block_id": "authinfo",
        "optional": True,
        "label": {"type": "plain_text", "text": "l" * 2100},
        "hint": {"type": "plain_text", "text": "h" * 2100},
        "element": {
            "type": "plain_text_input",
            "action_id": "value",
            "placeholder": {"type": "plain_text", "text": "p" * 200},
        },
    }
    fitted = enforce_limits(_modal(blocks=[block]), "modal")
    assert check_limits(fitted, "modal") == []
    View(**fitted).to_dict()
    assert len(fitted["blocks"][0]["element"]["placeholder"]["text"]) == limits.PLACEHOLDER


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=())))
def test_slack_length_counts_utf16_code_units(text: str) -> None:
    # An astral character is two units; a lone surrogate (JSON can carry one) is one.
    assert slack_length(text) == sum(2 if ord(char) > 0xFFFF else 1 for char in text)


def test_a_block_id_used_twice_is_refused_not_sent() -> None:
    message = _message({**_section("a"), "block_id": "b"}, {**_section("c"), "block_id": "b"})
    assert check_limits(message, "message") == ["blocks[1].block_id: b is used twice"]
    with pytest.raises(LimitError):
        enforce_limits(message, "message")


def test_an_action_id_used_twice_in_one_block_is_refused_not_sent() -> None:
    button = {"type": "button", "text": {"type": "plain_text", "text": "x"}, "action_id": "go"}
    message = _message({"type": "actions", "elements": [button, dict(button)]})
    assert check_limits(message, "message") == ["blocks[0].elements[1].action_id: go is used twice"]
    with pytest.raises(LimitError):
        enforce_limits(message, "message")


# every surface, in every state the sampler draws


def _surface_name(payload: dict[str, Any]) -> str:
    if "options" in payload:
        return f"{len(payload['options'])} suggested options"
    return str(payload.get("type") or payload.get("text", ""))[:60]


@pytest.mark.parametrize("payload", every_surface.draw_every_surface(), ids=_surface_name)
def test_every_surface_opsbot_draws_is_within_limits(payload: dict[str, Any]) -> None:
    fitter = Fitter(fix=False)
    if "options" in payload:
        fitter.suggestions(payload)
    else:
        kind = payload.get("type")
        fitter.surface(payload, kind if kind in ("modal", "home") else "message")
    assert fitter.violations == []


def test_every_template_partials_included_is_drawn_by_some_surface(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sampler above leaves no template unchecked: each is loaded (rendered, included or
    imported) while it draws. Jinja asks its environment for every include at render time."""
    environment = render.environment()
    loaded: set[str] = set()
    get_template = environment.get_template

    def recording(name: Any, *args: Any, **kwargs: Any) -> Any:
        template = get_template(name, *args, **kwargs)
        loaded.add(str(template.name))
        return template

    monkeypatch.setattr(environment, "get_template", recording)
    every_surface.draw_every_surface()

    assert sorted(set(every_surface.template_names()) - loaded) == []
