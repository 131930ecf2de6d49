"""Block Kit validated the way Slack validates it: a pure module, no I/O.

:func:`message_problems`, :func:`view_problems` and
:func:`suggestion_problems` return every :class:`Problem` Slack would
report, each with the json-pointer Slack puts in its answer
(``[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text]``).
They read plain JSON-like values, so tests can hold opsbot's own limits
checker (``opsbot.ui.limits``) to them. opsbot's code never imports this
module (pyproject's ``separate-programs`` contract): it plays Slack, which
does not read opsbot's code, so its numbers and type lists below are its own
copy, kept equal to opsbot's by ``tests/unit/ui/test_limits_workspace_rules.py``.

The numbers are Block Kit's reference (docs.slack.dev/reference/block-kit),
the same ones slack_sdk's models check. Lengths are counted in UTF-16 code
units, the stricter reading of "characters": an emoji outside the Basic
Multilingual Plane counts twice, so a text that passes here passes Slack.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

Surface = Literal["message", "modal", "home"]

MAX_BLOCKS: Final[Mapping[Surface, int]] = {"message": 50, "modal": 100, "home": 100}
SECTION_TEXT: Final = 3000
SECTION_FIELDS: Final = 10
SECTION_FIELD: Final = 2000
HEADER_TEXT: Final = 150
CONTEXT_ELEMENTS: Final = 10
ACTIONS_ELEMENTS: Final = 25
INPUT_LABEL: Final = 2000
INPUT_HINT: Final = 2000
INPUT_INITIAL_VALUE: Final = 3000
BUTTON_TEXT: Final = 75
BUTTON_VALUE: Final = 2000
URL: Final = 3000
OPTION_TEXT: Final = 75
OPTION_VALUE: Final = 150
OPTION_DESCRIPTION: Final = 75
OPTION_GROUP_LABEL: Final = 75
SELECT_OPTIONS: Final = 100
OVERFLOW_OPTIONS: Final = 5
CHOICE_OPTIONS: Final = 10
PLACEHOLDER: Final = 150
CONFIRM_TITLE: Final = 100
CONFIRM_TEXT: Final = 300
CONFIRM_BUTTON: Final = 30
IMAGE_ALT_TEXT: Final = 2000
MARKDOWN_TEXT: Final = 12_000
MODAL_TEXT: Final = 24
PRIVATE_METADATA: Final = 3000
ID: Final = 255

# The multi-select menus: "max_selected_items ... Minimum number is 1."
# (docs.slack.dev/reference/block-kit/block-elements/multi-select-menu-element)
MULTI_SELECTS: Final = frozenset(
    {
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
    }
)
_PLACEHOLDER_ONLY: Final = frozenset(
    {
        "external_select",
        "multi_external_select",
        "users_select",
        "multi_users_select",
        "conversations_select",
        "multi_conversations_select",
        "channels_select",
        "multi_channels_select",
        "datetimepicker",
        "number_input",
        "email_text_input",
        "url_text_input",
    }
)
# datepicker: "initial_date ... should be in the format YYYY-MM-DD";
# timepicker: "initial_time ... in the format HH:mm" (24-hour, leading zeros).
# (docs.slack.dev/reference/block-kit/block-elements/date-picker-element,
# .../time-picker-element)
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME: Final = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


@dataclass(frozen=True)
class Problem:
    pointer: str
    message: str

    def slack(self) -> str:
        """As Slack words it in ``response_metadata.messages``."""
        return f"[ERROR] {self.message} [json-pointer:{self.pointer}]"


def slack_length(text: str) -> int:
    """Length in UTF-16 code units."""
    if text.isascii():  # the usual case, counted in C
        return len(text)
    # surrogatepass: a lone surrogate (from JSON) is one unit, as in UTF-16.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def message_problems(blocks: Any) -> list[Problem]:
    """What Slack refuses in a message's ``blocks`` (``invalid_blocks``)."""
    check = _Check()
    check.blocks(blocks, "/blocks", "message")
    return check.problems


def view_problems(view: Any) -> list[Problem]:
    """What Slack refuses in a modal or Home tab (``invalid_arguments``)."""
    check = _Check()
    if not isinstance(view, dict):
        check.add("/view", "must provide an object")
        return check.problems
    surface: Surface = "home" if view.get("type") == "home" else "modal"
    if view.get("type") not in ("modal", "home"):
        check.add("/view/type", "must be modal or home")
    check.view_fields(view, surface)
    check.blocks(view.get("blocks"), "/view/blocks", surface)
    return check.problems


def suggestion_problems(answer: Any) -> list[Problem]:
    """What Slack refuses in a ``block_suggestion`` answer (options for an external select)."""
    check = _Check()
    if not isinstance(answer, dict):
        check.add("", "must provide an object")
        return check.problems
    check.select_options(answer, "", plain=True)
    return check.problems


def blocks_text_length(blocks: Any) -> int:
    """Every character of text in ``blocks``, for Slack's ``msg_blocks_too_long``."""
    return sum(slack_length(text) for text in _texts(blocks))


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                yield item
            else:
                yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


Checker = Callable[["_Check", dict[str, Any], str], None]


@dataclass
class _Check:
    problems: list[Problem] = field(default_factory=list)
    block_ids: set[str] = field(default_factory=set)
    # focus_on_load: "Only one element can be set to true" in a view (the
    # same is held of a message: the reading that cannot be refused).
    focused: bool = False

    def add(self, pointer: str, message: str) -> None:
        self.problems.append(Problem(pointer, message))

    # --- containers --------------------------------------------------------------

    def blocks(self, blocks: Any, pointer: str, surface: Surface) -> None:
        if blocks is None:
            return
        if not isinstance(blocks, list):
            self.add(pointer, "must provide an array")
            return
        if len(blocks) > MAX_BLOCKS[surface]:
            self.add(pointer, f"no more than {MAX_BLOCKS[surface]} items allowed")
        for index, block in enumerate(blocks):
            self.block(block, f"{pointer}/{index}")

    def block(self, block: Any, pointer: str) -> None:
        if not isinstance(block, dict):
            self.add(pointer, "must provide an object")
            return
        checker = _BLOCKS.get(str(block.get("type")))
        if checker is None:
            self.add(f"{pointer}/type", f"unsupported type: {block.get('type')}")
            return
        self.block_id(block, pointer)
        checker(self, block, pointer)

    def block_id(self, block: dict[str, Any], pointer: str) -> None:
        block_id = block.get("block_id")
        if block_id is None:
            return
        self.length(block_id, ID, f"{pointer}/block_id")
        if block_id in self.block_ids:
            self.add(f"{pointer}/block_id", f"duplicate block_id: {block_id}")
        self.block_ids.add(block_id)

    def view_fields(self, view: dict[str, Any], surface: Surface) -> None:
        if surface == "modal":
            self.text(view.get("title"), "/view/title", MODAL_TEXT, plain=True)
            if _has_input(view.get("blocks")) and view.get("submit") is None:
                self.add("/view/submit", "must define `submit` to use an `input` block in modals")
        for name in ("submit", "close"):
            self.optional_text(view.get(name), f"/view/{name}", MODAL_TEXT, plain=True)
        self.optional_string(
            view.get("private_metadata"), PRIVATE_METADATA, "/view/private_metadata"
        )
        self.optional_string(view.get("callback_id"), ID, "/view/callback_id")
        self.optional_string(view.get("external_id"), ID, "/view/external_id")

    # --- text ----------------------------------------------------------------------

    def text(self, value: Any, pointer: str, limit: int, *, plain: bool = False) -> None:
        if not isinstance(value, dict) or not isinstance(value.get("text"), str):
            self.add(pointer, "must provide a text object")
            return
        kind = value.get("type")
        if kind not in ("plain_text", "mrkdwn") or (plain and kind != "plain_text"):
            self.add(f"{pointer}/type", "must be plain_text" if plain else "must be a text type")
        if not value["text"]:
            self.add(f"{pointer}/text", "must be more than 0 characters")
        self.length(value["text"], limit, f"{pointer}/text")

    def optional_text(self, value: Any, pointer: str, limit: int, *, plain: bool = False) -> None:
        if value is not None:
            self.text(value, pointer, limit, plain=plain)

    def length(self, value: Any, limit: int, pointer: str) -> None:
        if not isinstance(value, str):
            self.add(pointer, "must be a string")
        elif slack_length(value) > limit:
            self.add(pointer, f"must be less than {limit + 1} characters")

    def optional_string(self, value: Any, limit: int, pointer: str) -> None:
        if value is not None:
            self.length(value, limit, pointer)

    def count(self, items: Any, limit: int, pointer: str) -> list[Any]:
        if not isinstance(items, list):
            self.add(pointer, "must provide an array")
            return []
        if len(items) > limit:
            self.add(pointer, f"no more than {limit} items allowed")
        return items

    # --- elements ------------------------------------------------------------------

    def elements(self, elements: list[Any], pointer: str) -> None:
        action_ids: set[str] = set()
        for index, element in enumerate(elements):
            self.element(element, f"{pointer}/{index}", action_ids)

    def element(self, element: Any, pointer: str, action_ids: set[str]) -> None:
        if not isinstance(element, dict):
            self.add(pointer, "must provide an object")
            return
        self.action_id(element, pointer, action_ids)
        self.focus(element, pointer)
        kind = str(element.get("type"))
        checker = _ELEMENTS.get(kind)
        if checker is not None:
            checker(self, element, pointer)
        elif kind in _PLACEHOLDER_ONLY:
            self.optional_text(
                element.get("placeholder"), f"{pointer}/placeholder", PLACEHOLDER, plain=True
            )
            self.given_options(element, pointer)
        else:
            self.add(f"{pointer}/type", f"unsupported type: {kind}")
        if kind in MULTI_SELECTS:
            _max_selected_items(self, element, pointer)

    def focus(self, element: dict[str, Any], pointer: str) -> None:
        if element.get("focus_on_load") is not True:
            return
        if self.focused:
            self.add(f"{pointer}/focus_on_load", "only one element can be set to focus on load")
        self.focused = True

    def given_options(self, element: dict[str, Any], pointer: str) -> None:
        """An external select's initial option(s), given whole: each held to the option rules."""
        if "initial_option" in element:
            self.option(element["initial_option"], f"{pointer}/initial_option", plain=True)
        if "initial_options" in element:
            at = f"{pointer}/initial_options"
            given = self.count(element["initial_options"], SELECT_OPTIONS, at)
            for index, option in enumerate(given):
                self.option(option, f"{at}/{index}", plain=True)

    def action_id(self, element: dict[str, Any], pointer: str, seen: set[str]) -> None:
        action_id = element.get("action_id")
        if action_id is None:
            return
        self.length(action_id, ID, f"{pointer}/action_id")
        # docs: an action_id "should be unique among all other action_ids in the
        # containing block"; Slack refuses the block otherwise.
        if action_id in seen:
            self.add(f"{pointer}/action_id", f"duplicate action_id: {action_id}")
        seen.add(action_id)

    def confirm(self, confirm: Any, pointer: str) -> None:
        if confirm is None:
            return
        if not isinstance(confirm, dict):
            self.add(pointer, "must provide an object")
            return
        self.text(confirm.get("title"), f"{pointer}/title", CONFIRM_TITLE, plain=True)
        self.text(confirm.get("text"), f"{pointer}/text", CONFIRM_TEXT)
        self.text(confirm.get("confirm"), f"{pointer}/confirm", CONFIRM_BUTTON, plain=True)
        self.text(confirm.get("deny"), f"{pointer}/deny", CONFIRM_BUTTON, plain=True)

    def option(self, option: Any, pointer: str, *, plain: bool) -> None:
        if not isinstance(option, dict):
            self.add(pointer, "must provide an object")
            return
        self.text(option.get("text"), f"{pointer}/text", OPTION_TEXT, plain=plain)
        self.length(option.get("value"), OPTION_VALUE, f"{pointer}/value")
        self.optional_text(
            option.get("description"), f"{pointer}/description", OPTION_DESCRIPTION, plain=True
        )

    def options(self, options: Any, pointer: str, limit: int, *, plain: bool) -> int:
        items = self.count(options, limit, pointer)
        for index, option in enumerate(items):
            self.option(option, f"{pointer}/{index}", plain=plain)
        return len(items)

    def select_options(self, element: dict[str, Any], pointer: str, *, plain: bool) -> None:
        """``options`` or ``option_groups``, at most 100 options in all.

        The option-group page allows 100 groups of 100 options but also says "a
        maximum of 100 options": every option across every group is counted,
        the reading under which Slack can never refuse what passes here.
        """
        if ("options" in element) == ("option_groups" in element):
            self.add(pointer or "/", "must provide exactly one of options or option_groups")
            return
        if "options" in element:
            self.options(element["options"], f"{pointer}/options", SELECT_OPTIONS, plain=plain)
            return
        groups = self.count(element["option_groups"], SELECT_OPTIONS, f"{pointer}/option_groups")
        total = sum(
            self.option_group(group, f"{pointer}/option_groups/{i}")
            for i, group in enumerate(groups)
        )
        if total > SELECT_OPTIONS:
            self.add(
                f"{pointer}/option_groups",
                f"no more than {SELECT_OPTIONS} options allowed in all groups",
            )

    def option_group(self, group: Any, pointer: str) -> int:
        if not isinstance(group, dict):
            self.add(pointer, "must provide an object")
            return 0
        self.text(group.get("label"), f"{pointer}/label", OPTION_GROUP_LABEL, plain=True)
        return self.options(group.get("options"), f"{pointer}/options", SELECT_OPTIONS, plain=True)


def _has_input(blocks: Any) -> bool:
    return isinstance(blocks, list) and any(
        isinstance(block, dict) and block.get("type") == "input" for block in blocks
    )


# --- blocks --------------------------------------------------------------------------


def _section(check: _Check, block: dict[str, Any], pointer: str) -> None:
    if "text" not in block and "fields" not in block:
        check.add(pointer, "must provide text or fields")
    check.optional_text(block.get("text"), f"{pointer}/text", SECTION_TEXT)
    if "fields" in block:
        fields = check.count(block["fields"], SECTION_FIELDS, f"{pointer}/fields")
        for index, item in enumerate(fields):
            check.text(item, f"{pointer}/fields/{index}", SECTION_FIELD)
    if "accessory" in block:
        check.element(block["accessory"], f"{pointer}/accessory", set())


def _header(check: _Check, block: dict[str, Any], pointer: str) -> None:
    check.text(block.get("text"), f"{pointer}/text", HEADER_TEXT, plain=True)


def _context(check: _Check, block: dict[str, Any], pointer: str) -> None:
    elements = check.count(block.get("elements"), CONTEXT_ELEMENTS, f"{pointer}/elements")
    for index, element in enumerate(elements):
        at = f"{pointer}/elements/{index}"
        if isinstance(element, dict) and element.get("type") == "image":
            _image_element(check, element, at)
        else:
            check.text(element, at, SECTION_TEXT)


def _actions(check: _Check, block: dict[str, Any], pointer: str) -> None:
    elements = check.count(block.get("elements"), ACTIONS_ELEMENTS, f"{pointer}/elements")
    check.elements(elements, f"{pointer}/elements")


def _input(check: _Check, block: dict[str, Any], pointer: str) -> None:
    check.text(block.get("label"), f"{pointer}/label", INPUT_LABEL, plain=True)
    check.optional_text(block.get("hint"), f"{pointer}/hint", INPUT_HINT, plain=True)
    if not isinstance(block.get("element"), dict):
        check.add(f"{pointer}/element", "must provide an object")
        return
    check.element(block["element"], f"{pointer}/element", set())


def _nothing(check: _Check, block: dict[str, Any], pointer: str) -> None:
    """Blocks with nothing Slack limits that opsbot could get wrong."""


def _markdown(check: _Check, block: dict[str, Any], pointer: str) -> None:
    check.length(block.get("text"), MARKDOWN_TEXT, f"{pointer}/text")


def _image_block(check: _Check, block: dict[str, Any], pointer: str) -> None:
    _image_element(check, block, pointer)
    check.optional_text(block.get("title"), f"{pointer}/title", IMAGE_ALT_TEXT, plain=True)


_BLOCKS: Final[dict[str, Checker]] = {
    "section": _section,
    "header": _header,
    "context": _context,
    "actions": _actions,
    "input": _input,
    "divider": _nothing,
    "rich_text": _nothing,
    "markdown": _markdown,
    "image": _image_block,
}


# --- elements ------------------------------------------------------------------------


def _button(check: _Check, element: dict[str, Any], pointer: str) -> None:
    check.text(element.get("text"), f"{pointer}/text", BUTTON_TEXT, plain=True)
    check.optional_string(element.get("value"), BUTTON_VALUE, f"{pointer}/value")
    check.optional_string(element.get("url"), URL, f"{pointer}/url")
    if element.get("style") not in (None, "primary", "danger"):
        check.add(f"{pointer}/style", "must be primary or danger")
    check.confirm(element.get("confirm"), f"{pointer}/confirm")


def _static_select(check: _Check, element: dict[str, Any], pointer: str) -> None:
    check.optional_text(
        element.get("placeholder"), f"{pointer}/placeholder", PLACEHOLDER, plain=True
    )
    check.select_options(element, pointer, plain=True)
    check.confirm(element.get("confirm"), f"{pointer}/confirm")
    _initial_options(check, element, pointer)


def _overflow(check: _Check, element: dict[str, Any], pointer: str) -> None:
    check.options(element.get("options"), f"{pointer}/options", OVERFLOW_OPTIONS, plain=True)
    check.confirm(element.get("confirm"), f"{pointer}/confirm")


def _choices(check: _Check, element: dict[str, Any], pointer: str) -> None:
    check.options(element.get("options"), f"{pointer}/options", CHOICE_OPTIONS, plain=False)
    check.confirm(element.get("confirm"), f"{pointer}/confirm")
    _initial_options(check, element, pointer)


def _datepicker(check: _Check, element: dict[str, Any], pointer: str) -> None:
    check.optional_text(
        element.get("placeholder"), f"{pointer}/placeholder", PLACEHOLDER, plain=True
    )
    initial = element.get("initial_date")
    if initial is not None and not _is_date(initial):
        check.add(f"{pointer}/initial_date", "must be a date in the format YYYY-MM-DD")
    check.confirm(element.get("confirm"), f"{pointer}/confirm")


def _timepicker(check: _Check, element: dict[str, Any], pointer: str) -> None:
    check.optional_text(
        element.get("placeholder"), f"{pointer}/placeholder", PLACEHOLDER, plain=True
    )
    initial = element.get("initial_time")
    if initial is not None and not (isinstance(initial, str) and _TIME.fullmatch(initial)):
        check.add(f"{pointer}/initial_time", "must be a time in the format HH:mm")
    check.confirm(element.get("confirm"), f"{pointer}/confirm")


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False  # 2026-02-30: the shape of a date, but none
    return True


def _max_selected_items(check: _Check, element: dict[str, Any], pointer: str) -> None:
    most = element.get("max_selected_items")
    if most is not None and (isinstance(most, bool) or not isinstance(most, int) or most < 1):
        check.add(f"{pointer}/max_selected_items", "must be a whole number of at least 1")


def _text_input(check: _Check, element: dict[str, Any], pointer: str) -> None:
    check.optional_text(
        element.get("placeholder"), f"{pointer}/placeholder", PLACEHOLDER, plain=True
    )
    check.optional_string(
        element.get("initial_value"), INPUT_INITIAL_VALUE, f"{pointer}/initial_value"
    )


def _image_element(check: _Check, element: dict[str, Any], pointer: str) -> None:
    check.optional_string(element.get("image_url"), URL, f"{pointer}/image_url")
    check.length(element.get("alt_text"), IMAGE_ALT_TEXT, f"{pointer}/alt_text")


def _initial_options(check: _Check, element: dict[str, Any], pointer: str) -> None:
    """An initial option must be one of the select's own options, text and value alike."""
    offered = list(_all_options(element))
    if "initial_option" in element and element["initial_option"] not in offered:
        check.add(f"{pointer}/initial_option", "must be one of the provided options")
    for index, option in enumerate(element.get("initial_options") or []):
        if option not in offered:
            check.add(f"{pointer}/initial_options/{index}", "must be one of the provided options")


def _all_options(element: dict[str, Any]) -> Iterator[Any]:
    yield from element.get("options") or []
    for group in element.get("option_groups") or []:
        if isinstance(group, dict):
            yield from group.get("options") or []


_ELEMENTS: Final[dict[str, Checker]] = {
    "button": _button,
    "static_select": _static_select,
    "multi_static_select": _static_select,
    "overflow": _overflow,
    "radio_buttons": _choices,
    "checkboxes": _choices,
    "plain_text_input": _text_input,
    "image": _image_element,
    "datepicker": _datepicker,
    "timepicker": _timepicker,
}


def problems_as_messages(problems: Sequence[Problem]) -> list[str]:
    return [problem.slack() for problem in problems]
