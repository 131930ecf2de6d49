"""The ``/ops`` grammar: turn the text after ``/ops`` into a :class:`Command`.

Parsing is pure (no Slack, no API, no Redis) so every way a person can get it
wrong is answered here with a message that says what would be right.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from opsbot.api.api_key import HIDDEN_KEY, looks_like_api_key
from opsbot.api.filters import (
    CheckedFilters,
    FilterError,
    closest_names,
    no_filters,
    parse_filter_words,
)

HELP: Final = "help"
LIST: Final = "list"
COUNT: Final = "count"
INFO: Final = "info"
CANCEL: Final = "cancel"
RELAUNCH: Final = "relaunch"
WATCH: Final = "watch"
UNWATCH: Final = "unwatch"
WATCHES: Final = "watches"
SUBSCRIBE: Final = "subscribe"
SUBSCRIPTIONS: Final = "subscriptions"
UNSUBSCRIBE: Final = "unsubscribe"
KEY: Final = "key"

SUBCOMMANDS: Final = (
    HELP,
    LIST,
    COUNT,
    INFO,
    CANCEL,
    RELAUNCH,
    WATCH,
    UNWATCH,
    WATCHES,
    SUBSCRIBE,
    SUBSCRIPTIONS,
    UNSUBSCRIBE,
    KEY,
)
KEY_ACTIONS: Final = ("set", "status", "remove")
MAX_WATCH_IDS: Final = 20


_WITH_FILTERS: Final = frozenset({LIST, COUNT, SUBSCRIBE})
_ONE_ID: Final = frozenset({INFO, CANCEL, RELAUNCH, UNWATCH})
_NO_ARGUMENTS: Final = frozenset({HELP, WATCHES, SUBSCRIPTIONS})


class CommandError(ValueError):
    """The text is not a valid ``/ops`` command; ``message`` says what would be."""

    def __init__(self, message: str, *, suggestions: Sequence[str] = (), usage: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = tuple(suggestions)
        self.usage = usage


@dataclass(frozen=True)
class Command:
    name: str
    operation_ids: tuple[int, ...] = ()
    filters: CheckedFilters = field(default_factory=no_filters)
    subscription: int | None = None
    key_action: str = "set"

    @property
    def operation_id(self) -> int:
        return self.operation_ids[0]


USAGE: Final = {
    HELP: "/ops help",
    LIST: "/ops list [filters]   e.g. /ops list step=ERROR type=domain_create",
    COUNT: "/ops count [filters]   e.g. /ops count step=RUN",
    INFO: "/ops info ID   e.g. /ops info 123",
    CANCEL: "/ops cancel ID   e.g. /ops cancel 123",
    RELAUNCH: "/ops relaunch ID   e.g. /ops relaunch 123",
    WATCH: "/ops watch ID [ID…]   e.g. /ops watch 123 124",
    UNWATCH: "/ops unwatch ID   e.g. /ops unwatch 123",
    WATCHES: "/ops watches",
    SUBSCRIBE: "/ops subscribe [filters]   e.g. /ops subscribe type=domain_create",
    SUBSCRIPTIONS: "/ops subscriptions",
    UNSUBSCRIBE: "/ops unsubscribe N   e.g. /ops unsubscribe 1",
    KEY: "/ops key [status|remove]",
}


def parse_command(text: str) -> Command:
    """Parse what follows ``/ops``; raise :class:`CommandError` with a helpful message."""
    words = _split(text)
    if not words:
        return Command(HELP)
    name, arguments = words[0].lower(), words[1:]
    if name not in SUBCOMMANDS:
        raise CommandError(
            f"/ops has no command {_echoed(words[0])}.",
            suggestions=closest_names(name, SUBCOMMANDS, limit=3),
            usage="Try `/ops help` for the list of commands.",
        )
    return _parse_arguments(name, arguments)


def _unescape_slack(text: str) -> str:
    """Slack sends ``<``, ``>`` and ``&`` in command text as entities."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _split(text: str) -> list[str]:
    # Slack clients on macOS and iOS turn straight quotes into curly ones.
    text = _unescape_slack(text).replace("\u201c", '"').replace("\u201d", '"')
    try:
        return shlex.split(text)
    except ValueError:
        raise CommandError(
            "A quote is not closed.",
            usage='Quote values that contain spaces, e.g. sort_by="date_created DESC".',
        ) from None


def _parse_arguments(name: str, arguments: list[str]) -> Command:
    if name in _WITH_FILTERS:
        return Command(name, filters=_filters(name, arguments))
    if name in _ONE_ID:
        return Command(name, operation_ids=(_one_id(name, arguments),))
    if name == WATCH:
        return Command(name, operation_ids=_many_ids(arguments))
    if name == UNSUBSCRIBE:
        return Command(name, subscription=_subscription_number(arguments))
    if name == KEY:
        return Command(name, key_action=_key_action(arguments))
    if arguments:
        raise CommandError(f"`/ops {name}` takes no arguments.", usage=USAGE[name])
    return Command(name)


def _filters(name: str, arguments: list[str]) -> CheckedFilters:
    try:
        return parse_filter_words(arguments)
    except FilterError as error:
        raise CommandError(
            error.message, suggestions=error.suggestions, usage=USAGE[name]
        ) from None


def parse_operation_id(word: str) -> int:
    """``123`` or ``#123``; anything else is refused with the reason."""
    digits = word.removeprefix("#")
    if not digits.isascii() or not digits.isdigit():
        raise CommandError(
            f"operation id must be a number, not {_echoed(word)}.",
            usage="For example `/ops info 123`.",
        )
    value = int(digits)
    if value <= 0 or value >= 2**31:
        raise CommandError(
            f"operation id {_echoed(digits)} is out of range.", usage="Ids are positive."
        )
    return value


def _one_id(name: str, arguments: list[str]) -> int:
    if len(arguments) != 1:
        what = "an operation id" if not arguments else "one operation id only"
        raise CommandError(f"`/ops {name}` needs {what}.", usage=USAGE[name])
    return parse_operation_id(arguments[0])


def _many_ids(arguments: list[str]) -> tuple[int, ...]:
    words = [part for argument in arguments for part in argument.split(",") if part]
    if not words:
        raise CommandError("`/ops watch` needs at least one operation id.", usage=USAGE[WATCH])
    if len(words) > MAX_WATCH_IDS:
        raise CommandError(
            f"`/ops watch` takes at most {MAX_WATCH_IDS} ids at a time.", usage=USAGE[WATCH]
        )
    return tuple(dict.fromkeys(parse_operation_id(word) for word in words))


def _subscription_number(arguments: list[str]) -> int:
    if len(arguments) != 1 or not arguments[0].isascii() or not arguments[0].isdigit():
        raise CommandError(
            "`/ops unsubscribe` needs the subscription's number from `/ops subscriptions`.",
            usage=USAGE[UNSUBSCRIBE],
        )
    return int(arguments[0])


def _key_action(arguments: list[str]) -> str:
    if not arguments:
        return "set"
    action = arguments[0].lower()
    if len(arguments) > 1 or action not in KEY_ACTIONS:
        # The words are not echoed: someone may have pasted the key itself here.
        raise CommandError(
            "`/ops key` takes `status`, `remove` or nothing.",
            suggestions=closest_names(action, KEY_ACTIONS, limit=2) if len(action) < 10 else (),
            usage=f"{USAGE[KEY]} — never type the key in a channel: `/ops key` opens a form.",
        )
    return action


def _echoed(word: str) -> str:
    """``word`` quoted for an error message, unless it may be the team's API key."""
    # Someone may have typed the key after `/ops`.
    return HIDDEN_KEY if looks_like_api_key(word) else f"`{word}`"
