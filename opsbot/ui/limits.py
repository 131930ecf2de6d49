"""Slack's limits, in one place: make a payload fit them.

The numbers and rules come from Slack's Block Kit reference (the same ones
slack_sdk's models validate), and are every rule the local workspace
(``opsbot.workspace.blocks``) refuses a payload for: a payload this module
leaves alone, Slack takes. Text that is too long is shortened with "…", never
cut inside an ``&amp;``-style entity or a ``<…|…>`` link; lists that are too
long are capped; an initial option that is not among the options is dropped.
Values that carry meaning rather than prose (ids, button and option values,
private_metadata, an initial date) cannot be changed without breaking the
handler that reads them back, and a payload of the wrong shape (an unknown
type, mrkdwn where only plain_text goes, a select with neither options nor
option groups) cannot be repaired at all: either is a bug, and
:func:`enforce_limits` raises :class:`LimitError` instead of sending it.

Lengths are counted in UTF-16 code units, the stricter reading of Slack's
"characters": an emoji outside the Basic Multilingual Plane counts twice, so it
can never push a text over a limit that a code-point count said it was under.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final, Literal

Surface = Literal["message", "modal", "home"]

ELLIPSIS: Final = "…"

MESSAGE_BLOCKS: Final = 50
MODAL_BLOCKS: Final = 100
# The Home tab takes as many blocks as a modal (docs.slack.dev/surfaces/app-home).
HOME_BLOCKS: Final = 100
MAX_BLOCKS: Final[Mapping[Surface, int]] = {
    "message": MESSAGE_BLOCKS,
    "modal": MODAL_BLOCKS,
    "home": HOME_BLOCKS,
}

# Slack accepts 40,000 characters of message `text` (chat.update only 4,000);
# nobody reads that much in a notification, and the blocks carry the detail.
FALLBACK_TEXT: Final = 3000
# msg_blocks_too_long: every text of a message's blocks together. Slack
# publishes no number; it has been seen refusing around 12,000-13,000
# characters (slack-rules.md, Blocks): the low end.
MESSAGE_BLOCKS_TEXT: Final = 12_000
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
OVERFLOW_OPTIONS: Final = 5
# Radio buttons and checkboxes: "A maximum of 10 options are allowed."
CHOICE_OPTIONS: Final = 10
OPTION_GROUP_LABEL: Final = 75
CONFIRM_TITLE: Final = 100
CONFIRM_TEXT: Final = 300
CONFIRM_BUTTON: Final = 30
INPUT_INITIAL_VALUE: Final = 3000
MODAL_TITLE: Final = 24
MODAL_BUTTON: Final = 24
PRIVATE_METADATA: Final = 3000
ID: Final = 255
URL: Final = 3000
IMAGE_ALT_TEXT: Final = 2000
IMAGE_TITLE: Final = 2000
MARKDOWN_TEXT: Final = 12_000

# The workspace (opsbot.workspace.blocks) keeps its own copy of the lists
# below on purpose: it plays Slack, which does not read opsbot's code.
# tests/unit/ui/test_limits_workspace_rules.py holds the two readings together.
BLOCK_TYPES: Final = frozenset(
    {
        "section",
        "header",
        "context",
        "actions",
        "input",
        "divider",
        "rich_text",
        "markdown",
        "image",
    }
)
_SELECTS: Final = frozenset({"static_select", "multi_static_select"})
# Radio buttons and checkboxes: their options' text may be mrkdwn.
_CHOICES: Final = frozenset({"radio_buttons", "checkboxes"})
# "max_selected_items ... Minimum number is 1" (multi-select menu element).
MULTI_SELECTS: Final = frozenset(
    {
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
    }
)
# Elements with nothing to check but a placeholder (and, for an external
# select, initial options given whole).
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
ELEMENT_TYPES: Final = frozenset(
    {"button", "overflow", "plain_text_input", "image", "datepicker", "timepicker"}
    | _SELECTS
    | _CHOICES
    | _PLACEHOLDER_ONLY
)
# datepicker: "initial_date ... in the format YYYY-MM-DD"; timepicker: "HH:mm".
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME: Final = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
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

    Raises LimitError when an id, a value or private_metadata is too long, or
    the payload is of a shape Slack refuses.
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


def blocks_text_length(blocks: Any) -> int:
    """Every text of ``blocks`` together, as ``msg_blocks_too_long`` counts them."""
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


class Fitter:
    """Walks a message or a view; records each violation and, when fixing, repairs it.

    :func:`enforce_limits` fixes. Without ``fix`` the walk only records, which
    is how the tests list a payload's violations (``tests/support/limits.py``):
    one walk, so what they report is exactly what enforce_limits repairs.
    A violation that cannot be repaired raises LimitError when fixing.
    """

    def __init__(self, *, fix: bool) -> None:
        self.fix = fix
        self.violations: list[str] = []
        self._focused = False

    def surface(self, payload: dict[str, Any], surface: Surface) -> None:
        if surface in ("modal", "home"):
            self._view(payload, surface)
        else:
            self._message(payload)
        self._blocks(payload, MAX_BLOCKS[surface])
        if surface == "message":
            self._block_text(payload)

    def suggestions(self, answer: dict[str, Any]) -> None:
        """The options an external select shows: the same rules as a static select's."""
        self._select_options(answer, "answer")

    # --- recording -------------------------------------------------------------------

    def _violation(self, where: str, problem: str) -> bool:
        """Record a violation; True when the caller should repair it."""
        self.violations.append(f"{where}: {problem}")
        return self.fix

    def _refuse(self, where: str, problem: str) -> None:
        """Record a violation nothing can repair: a bug, never sent when fixing."""
        if self._violation(where, problem):
            raise LimitError(f"{where}: {problem}")

    # --- surfaces --------------------------------------------------------------------

    def _message(self, message: dict[str, Any]) -> None:
        text = message.get("text")
        missing = "a message needs a plain `text` fallback"
        if not isinstance(text, str) or not text.strip():
            self._refuse("text", missing)
            return
        too_long = f"longer than {FALLBACK_TEXT}"
        if slack_length(text) > FALLBACK_TEXT and self._violation("text", too_long):
            message["text"] = truncate(text, FALLBACK_TEXT)

    def _view(self, view: dict[str, Any], surface: Surface) -> None:
        if view.get("type") != surface:
            self._refuse("view.type", f"must be {surface}")
        modal = surface == "modal"
        self._text(view.get("title"), MODAL_TITLE, "title", plain=True, required=modal)
        if modal and view.get("submit") is None and _has_input(view.get("blocks")):
            self._refuse("submit", "a modal with an input block needs a submit button")
        self._text(view.get("submit"), MODAL_BUTTON, "submit", plain=True)
        self._text(view.get("close"), MODAL_BUTTON, "close", plain=True)
        self._fixed(view, "private_metadata", PRIVATE_METADATA, "view")
        self._fixed(view, "callback_id", ID, "view")
        self._fixed(view, "external_id", ID, "view")

    def _block_text(self, message: dict[str, Any]) -> None:
        """All the blocks' text together: past the limit, blocks make way (:func:`_within_text`)."""
        blocks = message.get("blocks")
        total = blocks_text_length(blocks)
        if total <= MESSAGE_BLOCKS_TEXT or not isinstance(blocks, list):
            return
        if self._violation("blocks", f"{total} characters of text > {MESSAGE_BLOCKS_TEXT}"):
            message["blocks"] = _within_text(blocks, MESSAGE_BLOCKS_TEXT)

    # --- blocks ----------------------------------------------------------------------

    def _blocks(self, payload: dict[str, Any], limit: int) -> None:
        blocks = payload.get("blocks")
        if blocks is None:
            return
        if not isinstance(blocks, list):
            self._refuse("blocks", "must be a list")
            return
        if len(blocks) > limit and self._violation("blocks", f"{len(blocks)} > {limit}"):
            hidden = len(blocks) - (limit - 1)
            blocks = [*blocks[: limit - 1], _more_not_shown(hidden)]
            payload["blocks"] = blocks
        self._each_block(blocks)

    def _each_block(self, blocks: list[Any]) -> None:
        seen: set[str] = set()
        for index, block in enumerate(blocks):
            where = f"blocks[{index}]"
            if not isinstance(block, dict):
                self._refuse(where, "must be an object")
                continue
            self._unique(block.get("block_id"), seen, f"{where}.block_id")
            self._block(block, where)

    def _block(self, block: dict[str, Any], where: str) -> None:
        self._fixed(block, "block_id", ID, where)
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self._refuse(f"{where}.type", f"unsupported type {kind}")
            return
        checker = _BLOCK_CHECKERS.get(str(kind))
        if checker is not None:
            checker(self, block, where)

    def _section(self, block: dict[str, Any], where: str) -> None:
        if "text" not in block and "fields" not in block:
            self._refuse(where, "a section needs text or fields")
        self._text(block.get("text"), SECTION_TEXT, f"{where}.text")
        fields = self._capped(block, "fields", SECTION_FIELDS, where)
        for index, field in enumerate(fields):
            self._text(field, SECTION_FIELD, f"{where}.fields[{index}]", required=True)
        if "accessory" in block:
            self._element(block["accessory"], f"{where}.accessory", set())

    def _header(self, block: dict[str, Any], where: str) -> None:
        self._text(block.get("text"), HEADER_TEXT, f"{where}.text", plain=True, required=True)

    def _context(self, block: dict[str, Any], where: str) -> None:
        elements = self._capped(block, "elements", CONTEXT_ELEMENTS, where, required=True)
        for index, element in enumerate(elements):
            element_where = f"{where}.elements[{index}]"
            if isinstance(element, dict) and element.get("type") == "image":
                self._image(element, element_where)
            else:
                self._text(element, TEXT_OBJECT, element_where, required=True)

    def _actions(self, block: dict[str, Any], where: str) -> None:
        elements = self._capped(block, "elements", ACTIONS_ELEMENTS, where, required=True)
        actions: set[str] = set()
        for index, element in enumerate(elements):
            self._element(element, f"{where}.elements[{index}]", actions)

    def _input(self, block: dict[str, Any], where: str) -> None:
        self._text(block.get("label"), INPUT_LABEL, f"{where}.label", plain=True, required=True)
        self._text(block.get("hint"), INPUT_HINT, f"{where}.hint", plain=True)
        if not isinstance(block.get("element"), dict):
            self._refuse(f"{where}.element", "an input block needs an element")
            return
        self._element(block["element"], f"{where}.element", set())

    def _markdown(self, block: dict[str, Any], where: str) -> None:
        self._prose(block, "text", MARKDOWN_TEXT, where)

    def _image_block(self, block: dict[str, Any], where: str) -> None:
        self._image(block, where)
        self._text(block.get("title"), IMAGE_TITLE, f"{where}.title", plain=True)

    def _image(self, image: dict[str, Any], where: str) -> None:
        self._fixed(image, "image_url", URL, where)
        self._prose(image, "alt_text", IMAGE_ALT_TEXT, where)

    # --- elements --------------------------------------------------------------------

    def _element(self, element: Any, where: str, actions: set[str]) -> None:
        if not isinstance(element, dict):
            self._refuse(where, "must be an object")
            return
        self._unique(element.get("action_id"), actions, f"{where}.action_id")
        self._fixed(element, "action_id", ID, where)
        self._focus(element, where)
        kind = element.get("type")
        if kind not in ELEMENT_TYPES:
            self._refuse(f"{where}.type", f"unsupported type {kind}")
            return
        self._text(element.get("placeholder"), PLACEHOLDER, f"{where}.placeholder", plain=True)
        checker = _ELEMENT_CHECKERS.get(str(kind))
        if checker is not None:
            checker(self, element, where)
        if kind in MULTI_SELECTS:
            self._max_selected_items(element, where)
        if isinstance(element.get("confirm"), dict):
            self._confirm(element["confirm"], f"{where}.confirm")
        elif "confirm" in element:
            self._refuse(f"{where}.confirm", "must be an object")

    def _focus(self, element: dict[str, Any], where: str) -> None:
        """ "Only one element can be set to true" for focus_on_load, in a whole surface."""
        if element.get("focus_on_load") is not True:
            return
        if self._focused:
            self._refuse(f"{where}.focus_on_load", "only one element may focus on load")
        self._focused = True

    def _button(self, element: dict[str, Any], where: str) -> None:
        self._text(element.get("text"), BUTTON_TEXT, f"{where}.text", plain=True, required=True)
        self._fixed(element, "value", BUTTON_VALUE, where)
        self._fixed(element, "url", URL, where)
        if element.get("style") not in (None, "primary", "danger"):
            self._refuse(f"{where}.style", "must be primary or danger")

    def _select(self, select: dict[str, Any], where: str) -> None:
        self._select_options(select, where)
        self._initial_choices(select, where)

    def _overflow(self, element: dict[str, Any], where: str) -> None:
        self._options(element, "options", OVERFLOW_OPTIONS, where, required=True)

    def _choices(self, element: dict[str, Any], where: str) -> None:
        self._options(element, "options", CHOICE_OPTIONS, where, required=True, plain=False)
        self._initial_choices(element, where, plain=False)

    def _text_input(self, element: dict[str, Any], where: str) -> None:
        self._fixed(element, "initial_value", INPUT_INITIAL_VALUE, where)

    def _datepicker(self, element: dict[str, Any], where: str) -> None:
        initial = element.get("initial_date")
        if initial is not None and not _is_date(initial):
            self._refuse(f"{where}.initial_date", "must be a date written YYYY-MM-DD")

    def _timepicker(self, element: dict[str, Any], where: str) -> None:
        initial = element.get("initial_time")
        if initial is not None and not (isinstance(initial, str) and _TIME.fullmatch(initial)):
            self._refuse(f"{where}.initial_time", "must be a time written HH:mm")

    def _given_options(self, element: dict[str, Any], where: str) -> None:
        """An external select's initial option(s), given whole: held to the option rules."""
        if "initial_option" in element:
            self._option(element["initial_option"], f"{where}.initial_option")
        self._options(element, "initial_options", OPTIONS, where)

    def _max_selected_items(self, element: dict[str, Any], where: str) -> None:
        most = element.get("max_selected_items")
        if most is not None and (isinstance(most, bool) or not isinstance(most, int) or most < 1):
            self._refuse(f"{where}.max_selected_items", "must be a whole number of at least 1")

    # --- options ---------------------------------------------------------------------

    def _select_options(self, select: dict[str, Any], where: str) -> None:
        """``options`` or ``option_groups``: exactly one, with at most 100 options in all."""
        if ("options" in select) == ("option_groups" in select):
            self._refuse(where, "needs exactly one of options and option_groups")
            return
        self._options(select, "options", OPTIONS, where)
        groups = self._capped(select, "option_groups", OPTION_GROUPS, where)
        room = OPTIONS
        for index, group in enumerate(groups):
            room -= self._option_group(group, room, f"{where}.option_groups[{index}]")
        if self.fix and groups:
            # A group left with no option is itself refused: it goes.
            select["option_groups"] = [group for group in groups if group.get("options")]

    def _option_group(self, group: Any, room: int, where: str) -> int:
        """Check one group with ``room`` options left in the select; return how many it keeps."""
        if not isinstance(group, dict):
            self._refuse(where, "must be an object")
            return 0
        self._text(
            group.get("label"), OPTION_GROUP_LABEL, f"{where}.label", plain=True, required=True
        )
        # Every group's options count against the select's 100: the safe
        # reading of "a maximum of 100 options" (slack-rules.md, Blocks).
        return len(self._options(group, "options", max(room, 0), where, required=True))

    def _initial_choices(self, element: dict[str, Any], where: str, *, plain: bool = True) -> None:
        """The initial option(s) must be among the options: one that is not goes."""
        offered = [*_list(element.get("options"))]
        for group in _list(element.get("option_groups")):
            offered.extend(_list(group.get("options")) if isinstance(group, dict) else [])
        initial = element.get("initial_option")
        if initial is not None:
            self._option(initial, f"{where}.initial_option", plain=plain)
            if initial not in offered and self._violation(
                f"{where}.initial_option", "is not one of the options"
            ):
                del element["initial_option"]
        chosen = self._options(element, "initial_options", OPTIONS, where, plain=plain)
        kept = [option for option in chosen if option in offered]
        lost = len(chosen) - len(kept)
        if lost and self._violation(f"{where}.initial_options", f"{lost} not among the options"):
            element["initial_options"] = kept
            if not kept:
                del element["initial_options"]

    def _options(
        self,
        container: dict[str, Any],
        key: str,
        limit: int,
        where: str,
        *,
        required: bool = False,
        plain: bool = True,
    ) -> list[Any]:
        """The list of options under ``key``, capped at ``limit``, each held to the option rules."""
        options = self._capped(container, key, limit, where, required=required)
        for index, option in enumerate(options):
            self._option(option, f"{where}.{key}[{index}]", plain=plain)
        return options

    def _option(self, option: Any, where: str, *, plain: bool = True) -> None:
        if not isinstance(option, dict):
            self._refuse(where, "must be an object")
            return
        self._text(option.get("text"), OPTION_TEXT, f"{where}.text", plain=plain, required=True)
        self._text(
            option.get("description"), OPTION_DESCRIPTION, f"{where}.description", plain=True
        )
        self._fixed(option, "value", OPTION_VALUE, where, required=True)

    def _confirm(self, confirm: dict[str, Any], where: str) -> None:
        plain = {"plain": True, "required": True}
        self._text(confirm.get("title"), CONFIRM_TITLE, f"{where}.title", **plain)
        self._text(confirm.get("text"), CONFIRM_TEXT, f"{where}.text", required=True)
        self._text(confirm.get("confirm"), CONFIRM_BUTTON, f"{where}.confirm", **plain)
        self._text(confirm.get("deny"), CONFIRM_BUTTON, f"{where}.deny", **plain)

    # --- values ----------------------------------------------------------------------

    def _text(
        self,
        text_object: Any,
        limit: int,
        where: str,
        *,
        plain: bool = False,
        required: bool = False,
    ) -> None:
        """A text object ({"type", "text"}): of an allowed type, non-empty, within ``limit``."""
        if text_object is None and not required:
            return
        if not isinstance(text_object, dict) or not isinstance(text_object.get("text"), str):
            self._refuse(where, "must be a text object")
            return
        if text_object.get("type") not in (("plain_text",) if plain else _TEXT_TYPES):
            self._refuse(f"{where}.type", "must be plain_text" if plain else "must be a text type")
        text = text_object["text"]
        if not text.strip():
            if self._violation(where, "empty text"):
                text_object["text"] = "—"
        elif slack_length(text) > limit and self._violation(where, f"longer than {limit}"):
            text_object["text"] = truncate(text, limit)

    def _prose(self, container: dict[str, Any], key: str, limit: int, where: str) -> None:
        """A plain string shown to people (alt text, a markdown block): cut when too long."""
        value = container.get(key)
        if not isinstance(value, str):
            self._refuse(f"{where}.{key}", "must be a string")
        elif slack_length(value) > limit and self._violation(
            f"{where}.{key}", f"longer than {limit}"
        ):
            container[key] = truncate(value, limit)

    def _capped(
        self,
        container: dict[str, Any],
        key: str,
        limit: int,
        where: str,
        *,
        required: bool = False,
    ) -> list[Any]:
        items = container.get(key)
        if items is None and not required:
            return []
        if not isinstance(items, list):
            self._refuse(f"{where}.{key}", "must be a list")
            return []
        if len(items) > limit and self._violation(f"{where}.{key}", f"{len(items)} > {limit}"):
            del items[limit:]
        return items

    def _unique(self, value: Any, seen: set[str], where: str) -> None:
        """A block_id in its surface, an action_id in its block: Slack refuses a repeat."""
        if not isinstance(value, str):
            return
        if value in seen:
            self._refuse(where, f"{value} is used twice")
        seen.add(value)

    def _fixed(
        self, container: dict[str, Any], key: str, limit: int, where: str, *, required: bool = False
    ) -> None:
        """A value a handler reads back: too long cannot be repaired, only refused."""
        value = container.get(key)
        if value is None and not required:
            return
        if not isinstance(value, str):
            self._refuse(where, f"{key} must be a string")
        elif slack_length(value) > limit:
            self._refuse(where, f"{key} longer than {limit}")


_TEXT_TYPES: Final = ("plain_text", "mrkdwn")

_BLOCK_CHECKERS: Final = {
    "section": Fitter._section,
    "header": Fitter._header,
    "context": Fitter._context,
    "actions": Fitter._actions,
    "input": Fitter._input,
    "markdown": Fitter._markdown,
    "image": Fitter._image_block,
}
_ELEMENT_CHECKERS: Final = {
    "button": Fitter._button,
    "static_select": Fitter._select,
    "multi_static_select": Fitter._select,
    "overflow": Fitter._overflow,
    "radio_buttons": Fitter._choices,
    "checkboxes": Fitter._choices,
    "plain_text_input": Fitter._text_input,
    "image": Fitter._image,
    "datepicker": Fitter._datepicker,
    "timepicker": Fitter._timepicker,
    **dict.fromkeys(_PLACEHOLDER_ONLY, Fitter._given_options),
}


def _has_input(blocks: Any) -> bool:
    return isinstance(blocks, list) and any(
        isinstance(block, dict) and block.get("type") == "input" for block in blocks
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False  # 2026-02-30: the shape of a date, but none
    return True


def _within_text(blocks: list[Any], limit: int) -> list[Any]:
    """``blocks`` with as many of their middle blocks left out as it takes for their
    text, with a line saying how many were, to fit ``limit``.

    The first block (a heading) and the last (Previous/Next, "continued below")
    stay when they can: they say what the message is and lead to the rest.
    """
    head, tail = (blocks[:1], blocks[-1:]) if len(blocks) > 2 else ([], [])
    middle = blocks[len(head) : len(blocks) - len(tail)]
    for kept in range(len(middle) - 1, -1, -1):
        shortened = [*head, *middle[:kept], _more_not_shown(len(middle) - kept), *tail]
        if blocks_text_length(shortened) <= limit:
            return shortened
    # A heading or a last block too long on its own: keep from the start.
    for kept in range(len(blocks) - 1, -1, -1):
        shortened = [*blocks[:kept], _more_not_shown(len(blocks) - kept)]
        if blocks_text_length(shortened) <= limit:
            return shortened
    return [_more_not_shown(len(blocks))]


def _more_not_shown(hidden: int) -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"{ELLIPSIS} {hidden} more not shown"}],
    }
