"""Slack's limits, in one place: make a payload fit them.

The numbers come from Slack's Block Kit reference (the same ones slack_sdk's
models validate). Text that is too long is shortened with "…", never cut inside
an ``&amp;``-style entity or a ``<…|…>`` link; lists that are too long are
capped. Values that carry meaning rather than prose (ids, button and option
values, private_metadata) cannot be shortened without breaking the handler
that reads them back: a payload with one of those too long is a bug, and
:func:`enforce_limits` raises :class:`LimitError` instead of sending it.

Lengths are counted in UTF-16 code units, the stricter reading of Slack's
"characters": an emoji outside the Basic Multilingual Plane counts twice, so it
can never push a text over a limit that a code-point count said it was under.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any, Final, Literal

Surface = Literal["message", "modal", "home"]

ELLIPSIS: Final = "…"

MESSAGE_BLOCKS: Final = 50
# Slack takes at most this many posts on one response_url: what one answer to
# a command can be, however long.
RESPONSE_URL_POSTS: Final = 5
MODAL_BLOCKS: Final = 100
# The Home tab takes as many blocks as a modal (docs.slack.dev/surfaces/app-home).
HOME_BLOCKS: Final = 100
MAX_BLOCKS: Final[Mapping[Surface, int]] = {
    "message": MESSAGE_BLOCKS,
    "modal": MODAL_BLOCKS,
    "home": HOME_BLOCKS,
}

# Slack accepts 40,000 characters of message `text`; nobody reads that much in a
# notification, and the blocks carry the detail.
FALLBACK_TEXT: Final = 3000
TEXT_OBJECT: Final = 3000
SECTION_TEXT: Final = 3000
SECTION_FIELD: Final = 2000
SECTION_FIELDS: Final = 10
HEADER_TEXT: Final = 150
CONTEXT_ELEMENTS: Final = 10
ACTIONS_ELEMENTS: Final = 25
INPUT_LABEL: Final = 2000
INPUT_HINT: Final = 2000
PLACEHOLDER: Final = 150
BUTTON_TEXT: Final = 75
BUTTON_VALUE: Final = 2000
OPTION_TEXT: Final = 75
OPTION_DESCRIPTION: Final = 75
OPTION_VALUE: Final = 150
OPTIONS: Final = 100
OPTION_GROUPS: Final = 100
OPTION_GROUP_LABEL: Final = 75
CONFIRM_TITLE: Final = 100
CONFIRM_TEXT: Final = 300
CONFIRM_BUTTON: Final = 30
INPUT_INITIAL_VALUE: Final = 3000
MODAL_TITLE: Final = 24
MODAL_BUTTON: Final = 24
PRIVATE_METADATA: Final = 3000
ID: Final = 255

_SELECTS: Final = frozenset({"static_select", "multi_static_select"})
_ENTITY: Final = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_LONGEST_ENTITY: Final = 10
_CODE_FENCE: Final = "```"


class LimitError(ValueError):
    """A value that cannot be shortened without breaking it is over its limit."""


def slack_length(text: str) -> int:
    """Length as Slack may count it: UTF-16 code units.

    Counted by the codec, in C: a Python loop over the characters cost
    0.4 s per 9 MB, paid on every request's every text.
    """
    if text.isascii():
        return len(text)
    # surrogatepass: a lone surrogate (from JSON) is one unit, as in UTF-16.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def truncate(text: str, limit: int, marker: str = ELLIPSIS) -> str:
    """Shorten ``text`` to at most ``limit`` units, ending with ``marker``.

    The cut never splits an entity (``&amp;``) or a ``<…>`` link or mention,
    and a code block left open by the cut is closed again.
    """
    if slack_length(text) <= limit:
        return text
    kept = _cut(text, limit - slack_length(marker))
    if kept.count(_CODE_FENCE) % 2:
        kept = _cut(text, limit - slack_length(marker + _CODE_FENCE))
        if kept.count(_CODE_FENCE) % 2:
            return kept + marker + _CODE_FENCE
    return kept + marker


def _cut(text: str, budget: int) -> str:
    end = _longest_prefix(text, max(budget, 0))
    end = _outside_entity(text, end)
    end = _outside_link(text, end)
    return text[:end].rstrip()


def _longest_prefix(text: str, budget: int) -> int:
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > budget:
            return index
    return len(text)


def _outside_entity(text: str, end: int) -> int:
    start = text.rfind("&", max(0, end - _LONGEST_ENTITY), end)
    if start == -1 or ";" in text[start:end]:
        return end
    entity = _ENTITY.match(text, start)
    return start if entity and entity.end() > end else end


def _outside_link(text: str, end: int) -> int:
    start = text.rfind("<", 0, end)
    if start == -1 or text.find(">", start, end) != -1:
        return end
    return start


def enforce_limits(payload: Mapping[str, Any], surface: Surface) -> dict[str, Any]:
    """A copy of ``payload`` that fits Slack's limits.

    Raises LimitError when an id, a value or private_metadata is too long.
    """
    return fit_in_place(copy.deepcopy(dict(payload)), surface)


def fit_in_place(payload: dict[str, Any], surface: Surface) -> dict[str, Any]:
    """:func:`enforce_limits` on a payload nobody else holds (one just rendered): no copy.

    The watcher renders a card and a reply for every step change it posts;
    copying each whole was a tenth of its rendering.
    """
    Fitter(fix=True).surface(payload, surface)
    return payload


def enforce_option_limits(answer: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a ``block_suggestion`` answer (``{"options": …}``) that fits Slack's limits."""
    fitted = copy.deepcopy(dict(answer))
    Fitter(fix=True).suggestions(fitted)
    return fitted


class Fitter:
    """Walks a message or a view; records each violation and, when fixing, repairs it.

    :func:`enforce_limits` fixes. Without ``fix`` the walk only records, which
    is how the tests list a payload's violations (``tests/support/limits.py``):
    one walk, so what they report is exactly what enforce_limits repairs.
    """

    def __init__(self, *, fix: bool) -> None:
        self.fix = fix
        self.violations: list[str] = []

    def surface(self, payload: dict[str, Any], surface: Surface) -> None:
        if surface in ("modal", "home"):
            self._view(payload)
        else:
            self._message(payload)
        self._blocks(payload, MAX_BLOCKS[surface])

    def suggestions(self, answer: dict[str, Any]) -> None:
        """The options an external select shows: the same rules as a static select's."""
        self._select(answer, "options")

    def _violation(self, where: str, problem: str) -> bool:
        """Record a violation; True when the caller should repair it."""
        self.violations.append(f"{where}: {problem}")
        return self.fix

    def _message(self, message: dict[str, Any]) -> None:
        text = message.get("text")
        missing = "a message needs a plain `text` fallback"
        if not isinstance(text, str) or not text.strip():
            if self._violation("text", missing):
                raise LimitError(missing)
            return
        too_long = f"longer than {FALLBACK_TEXT}"
        if slack_length(text) > FALLBACK_TEXT and self._violation("text", too_long):
            message["text"] = truncate(text, FALLBACK_TEXT)

    def _view(self, view: dict[str, Any]) -> None:
        self._text(view.get("title"), MODAL_TITLE, "title")
        self._text(view.get("submit"), MODAL_BUTTON, "submit")
        self._text(view.get("close"), MODAL_BUTTON, "close")
        self._fixed(view, "private_metadata", PRIVATE_METADATA, "view")
        self._fixed(view, "callback_id", ID, "view")

    def _blocks(self, payload: dict[str, Any], limit: int) -> None:
        blocks = payload.get("blocks") or []
        if len(blocks) > limit and self._violation("blocks", f"{len(blocks)} > {limit}"):
            hidden = len(blocks) - (limit - 1)
            blocks = [*blocks[: limit - 1], _more_not_shown(hidden)]
            payload["blocks"] = blocks
        seen: set[str] = set()
        for index, block in enumerate(blocks):
            self._unique(block.get("block_id"), seen, f"blocks[{index}].block_id")
            self._block(block, f"blocks[{index}]")

    def _block(self, block: dict[str, Any], where: str) -> None:
        self._fixed(block, "block_id", ID, where)
        kind = block.get("type")
        if kind == "section":
            self._section(block, where)
        elif kind == "header":
            self._text(block.get("text"), HEADER_TEXT, f"{where}.text")
        elif kind == "context":
            self._context(block, where)
        elif kind == "actions":
            elements = self._capped(block, "elements", ACTIONS_ELEMENTS, where)
            actions: set[str] = set()
            for index, element in enumerate(elements):
                element_where = f"{where}.elements[{index}]"
                self._unique(element.get("action_id"), actions, f"{element_where}.action_id")
                self._element(element, element_where)
        elif kind == "input":
            self._input(block, where)

    def _section(self, block: dict[str, Any], where: str) -> None:
        self._text(block.get("text"), SECTION_TEXT, f"{where}.text")
        fields = self._capped(block, "fields", SECTION_FIELDS, where)
        for index, field in enumerate(fields):
            self._text(field, SECTION_FIELD, f"{where}.fields[{index}]")
        if isinstance(block.get("accessory"), dict):
            self._element(block["accessory"], f"{where}.accessory")

    def _context(self, block: dict[str, Any], where: str) -> None:
        elements = self._capped(block, "elements", CONTEXT_ELEMENTS, where)
        for index, element in enumerate(elements):
            if element.get("type") in ("mrkdwn", "plain_text"):
                self._text(element, TEXT_OBJECT, f"{where}.elements[{index}]")

    def _input(self, block: dict[str, Any], where: str) -> None:
        self._text(block.get("label"), INPUT_LABEL, f"{where}.label")
        self._text(block.get("hint"), INPUT_HINT, f"{where}.hint")
        if isinstance(block.get("element"), dict):
            self._element(block["element"], f"{where}.element")

    def _element(self, element: dict[str, Any], where: str) -> None:
        self._fixed(element, "action_id", ID, where)
        self._text(element.get("placeholder"), PLACEHOLDER, f"{where}.placeholder")
        kind = element.get("type")
        if kind == "button":
            self._text(element.get("text"), BUTTON_TEXT, f"{where}.text")
            self._fixed(element, "value", BUTTON_VALUE, where)
            if isinstance(element.get("confirm"), dict):
                self._confirm(element["confirm"], f"{where}.confirm")
        elif kind in _SELECTS:
            self._select(element, where)
        elif kind == "plain_text_input":
            self._fixed(element, "initial_value", INPUT_INITIAL_VALUE, where)

    def _select(self, select: dict[str, Any], where: str) -> None:
        for index, option in enumerate(self._capped(select, "options", OPTIONS, where)):
            self._option(option, f"{where}.options[{index}]")
        groups = self._capped(select, "option_groups", OPTION_GROUPS, where)
        room = OPTIONS
        for index, group in enumerate(groups):
            group_where = f"{where}.option_groups[{index}]"
            self._text(group.get("label"), OPTION_GROUP_LABEL, f"{group_where}.label")
            # Every group's options count against the select's 100: the safe
            # reading of "a maximum of 100 options" (slack-rules.md, Blocks).
            options = self._capped(group, "options", max(room, 0), group_where)
            room -= len(options)
            for number, option in enumerate(options):
                self._option(option, f"{group_where}.options[{number}]")
        if self.fix and groups:
            # A group left with no option is itself refused: it goes.
            select["option_groups"] = [group for group in groups if group.get("options")]
        initial = select.get("initial_option")
        if isinstance(initial, dict):
            self._option(initial, f"{where}.initial_option")
            offered = [*select.get("options", [])]
            for group in select.get("option_groups", []):
                offered.extend(group.get("options", []))
            if initial not in offered and self._violation(
                f"{where}.initial_option", "is not one of the options"
            ):
                del select["initial_option"]

    def _option(self, option: dict[str, Any], where: str) -> None:
        self._text(option.get("text"), OPTION_TEXT, f"{where}.text")
        self._text(option.get("description"), OPTION_DESCRIPTION, f"{where}.description")
        self._fixed(option, "value", OPTION_VALUE, where)

    def _confirm(self, confirm: dict[str, Any], where: str) -> None:
        self._text(confirm.get("title"), CONFIRM_TITLE, f"{where}.title")
        self._text(confirm.get("text"), CONFIRM_TEXT, f"{where}.text")
        self._text(confirm.get("confirm"), CONFIRM_BUTTON, f"{where}.confirm")
        self._text(confirm.get("deny"), CONFIRM_BUTTON, f"{where}.deny")

    def _text(self, text_object: Any, limit: int, where: str) -> None:
        """A text object ({"type", "text"}): non-empty, and within ``limit``."""
        if not isinstance(text_object, dict):
            return
        text = text_object.get("text")
        if not isinstance(text, str) or not text.strip():
            if self._violation(where, "empty text"):
                text_object["text"] = "—"
        elif slack_length(text) > limit and self._violation(where, f"longer than {limit}"):
            text_object["text"] = truncate(text, limit)

    def _capped(self, container: dict[str, Any], key: str, limit: int, where: str) -> list[Any]:
        items = container.get(key)
        if not isinstance(items, list):
            return []
        if len(items) > limit and self._violation(f"{where}.{key}", f"{len(items)} > {limit}"):
            del items[limit:]
        return items

    def _unique(self, value: Any, seen: set[str], where: str) -> None:
        """A block_id in its surface, an action_id in its block: Slack refuses a repeat."""
        if not isinstance(value, str):
            return
        if value in seen:
            problem = f"{value} is used twice"
            if self._violation(where, problem):
                raise LimitError(f"{where}: {problem}")
        seen.add(value)

    def _fixed(self, container: dict[str, Any], key: str, limit: int, where: str) -> None:
        """A value a handler reads back: too long cannot be repaired, only refused."""
        value = container.get(key)
        if isinstance(value, str) and slack_length(value) > limit:
            problem = f"{key} longer than {limit}"
            if self._violation(where, problem):
                raise LimitError(f"{where}: {problem}")


def _more_not_shown(hidden: int) -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"{ELLIPSIS} {hidden} more not shown"}],
    }
