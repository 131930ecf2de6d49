"""The ``/ops`` grammar: the words after ``/ops``, read into a :class:`Command`.

Reading is pure (no Slack, no API, no Redis), so every way a person can get
it wrong is answered here with a message that says what would be right. The
table of sub-commands (:mod:`opsbot.slack.commands`) says which
:class:`Arguments` each one takes and gives the usage line that errors show.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from opsbot.api.filters import (
    CheckedFilters,
    FilterError,
    closest_names,
    no_filters,
    parse_filter_words,
)
from opsbot.api_key import HIDDEN_KEY, looks_like_api_key

KEY_ACTIONS: Final = ("set", "status", "remove")
BROADCAST: Final = "broadcast"
BROADCAST_CHOICES: Final = ("always", "failures", "never")
ONLY: Final = "only"
ONLY_CHOICES: Final = ("ERROR", "SUPPORT", "CANCEL", "DONE")
MAX_MUTE_S: Final = 7 * 86_400
_MUTE_PART: Final = re.compile(r"(\d+)([dhm])")
_MUTE_UNITS: Final = {"d": 86_400, "h": 3_600, "m": 60}
_TIME_OF_DAY: Final = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
MAX_WATCH_IDS: Final = 20
# The word after the ids that sends a watch to the person's direct messages.
DM: Final = "dm"
# `/ops audit off`: no audit channel any more.
OFF: Final = "off"
# A channel picked from Slack's list arrives as <#C0123|name> (or <#C0123>);
# its id may also be typed as it is; a name typed without picking arrives as
# #name (the manifest does not ask Slack to escape command text).
_CHANNEL_LINK: Final = re.compile(r"<#([CG][A-Z0-9]{1,31})(?:\|[^>]*)?>")
_CHANNEL_ID: Final = re.compile(r"[CG][A-Z0-9]{1,31}")
_CHANNEL_NAME: Final = re.compile(r"#([^\s#<>|]{1,80})")


class Arguments(enum.Enum):
    """The shapes a sub-command's arguments take."""

    NONE = "none"
    FILTERS = "filters"  # name=value words
    ONE_ID = "one id"
    IDS = "ids"  # several operation ids, spaces or commas between them, then maybe "dm"
    SUBSCRIPTION = "subscription"  # a subscription's number
    KEY_ACTION = "key action"  # set (nothing), status or remove
    SUBSCRIPTION_FILTERS = "subscription filters"  # filters, broadcast=…, only=…
    MUTE_LENGTH = "mute length"  # 2h, 30m, 1d, 1h30m, or until 18:00 (your time zone)
    CHANNEL_OR_OFF = "channel or off"  # #channel, off, or nothing (show the current one)


class CommandError(ValueError):
    """The text is not a valid ``/ops`` command; ``message`` says what would be."""

    def __init__(self, message: str, *, suggestions: Sequence[str] = (), usage: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = tuple(suggestions)
        self.usage = usage


@dataclass(frozen=True)
class ChannelRef:
    """A channel as typed: its id when Slack sent or the person typed one, else its name."""

    id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Command:
    name: str
    operation_ids: tuple[int, ...] = ()
    filters: CheckedFilters = field(default_factory=no_filters)
    subscription: int | None = None
    key_action: str = "set"
    # /ops watch and subscribe: what reaches the channel ("" : the default),
    # and for an outcome subscription the final steps worth a message.
    broadcast: str = ""
    only: tuple[str, ...] = ()
    # /ops mute: for how long (seconds), or until which time of day (hour, minute),
    # read in the person's own time zone.
    mute_s: int | None = None
    mute_until: tuple[int, int] | None = None
    # `/ops watch 123 dm`: follow in the person's direct message with the app.
    to_dm: bool = False
    # /ops audit: the channel to choose, or ``clear`` (`off`); neither: show the current one.
    channel: ChannelRef | None = None
    clear: bool = False

    @property
    def operation_id(self) -> int:
        return self.operation_ids[0]


@dataclass(frozen=True)
class Words:
    """A sub-command as typed: its name, what follows, and its usage line for errors."""

    name: str
    arguments: list[str]
    usage: str


def split_words(text: str) -> list[str]:
    """The words of ``text`` split as a shell would, as Slack sent them."""
    # Slack clients on macOS and iOS turn straight quotes into curly ones.
    text = _unescape_slack(text).replace("\u201c", '"').replace("\u201d", '"')
    try:
        return shlex.split(text)
    except ValueError:
        raise CommandError(
            "A quote is not closed.",
            usage='Quote values that contain spaces, e.g. sort_by="date_created DESC".',
        ) from None


def read_arguments(shape: Arguments, words: Words) -> Command:
    """``words`` read as ``shape`` says; :class:`CommandError` with the usage if they are not."""
    return _READERS[shape](words)


def parse_operation_id(word: str) -> int:
    """``123`` or ``#123``; anything else is refused with the reason."""
    digits = word.removeprefix("#")
    if not digits.isascii() or not digits.isdigit():
        raise CommandError(
            f"operation id must be a number, not {echoed(word)}.",
            usage="For example `/ops info 123`.",
        )
    value = int(digits)
    if value <= 0 or value >= 2**31:
        raise CommandError(
            f"operation id {echoed(digits)} is out of range.", usage="Ids are positive."
        )
    return value


def echoed(word: str) -> str:
    """``word`` quoted for an error message, unless it may be the team's API key."""
    # Someone may have typed the key after `/ops`.
    return HIDDEN_KEY if looks_like_api_key(word) else f"`{word}`"


def _unescape_slack(text: str) -> str:
    """Slack sends ``<``, ``>`` and ``&`` in command text as entities."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _no_arguments(words: Words) -> Command:
    if words.arguments:
        raise CommandError(f"`/ops {words.name}` takes no arguments.", usage=words.usage)
    return Command(words.name)


def _filters(words: Words) -> Command:
    try:
        return Command(words.name, filters=parse_filter_words(words.arguments))
    except FilterError as error:
        raise CommandError(
            error.message, suggestions=error.suggestions, usage=words.usage
        ) from None


def _one_id(words: Words) -> Command:
    if len(words.arguments) != 1:
        what = "an operation id" if not words.arguments else "one operation id only"
        raise CommandError(f"`/ops {words.name}` needs {what}.", usage=words.usage)
    return Command(words.name, operation_ids=(parse_operation_id(words.arguments[0]),))


def _many_ids(words: Words) -> Command:
    broadcast, arguments = _option(words, BROADCAST, BROADCAST_CHOICES)
    to_dm = bool(arguments) and arguments[-1].lower() == DM
    if to_dm:
        arguments = arguments[:-1]
    ids = [part for argument in arguments for part in argument.split(",") if part]
    if not ids:
        raise CommandError(
            f"`/ops {words.name}` needs at least one operation id.", usage=words.usage
        )
    if len(ids) > MAX_WATCH_IDS:
        raise CommandError(
            f"`/ops {words.name}` takes at most {MAX_WATCH_IDS} ids at a time.", usage=words.usage
        )
    unique = tuple(dict.fromkeys(map(parse_operation_id, ids)))
    return Command(words.name, operation_ids=unique, to_dm=to_dm, broadcast=broadcast)


def _subscription_filters(words: Words) -> Command:
    broadcast, arguments = _option(words, BROADCAST, BROADCAST_CHOICES)
    only, arguments = _option(Words(words.name, arguments, words.usage), ONLY, ONLY_CHOICES)
    command = _filters(Words(words.name, arguments, words.usage))
    steps = tuple(dict.fromkeys(only.split(","))) if only else ()
    return dataclasses.replace(command, broadcast=broadcast, only=steps)


def _option(words: Words, name: str, choices: Sequence[str]) -> tuple[str, list[str]]:
    """``name=value`` taken out of ``words`` (checked against ``choices``, each of a
    comma-separated list): its value ("" when absent), and the other words."""
    prefix = f"{name}="
    given = [word for word in words.arguments if word.lower().startswith(prefix)]
    rest = [word for word in words.arguments if not word.lower().startswith(prefix)]
    if not given:
        return "", rest
    value = given[-1][len(prefix) :]
    value = value.upper() if name == ONLY else value.lower()
    wrong = [part for part in value.split(",") if part not in choices]
    if len(given) > 1 or not value or wrong:
        raise CommandError(
            f"`{name}=` takes {' or '.join(f'`{choice}`' for choice in choices)}"
            f"{', several with commas' if name == ONLY else ''}, not {echoed(given[-1])}.",
            suggestions=closest_names(wrong[0], choices, limit=2) if wrong else (),
            usage=words.usage,
        )
    return value, rest


def _subscription_number(words: Words) -> Command:
    arguments = words.arguments
    if len(arguments) != 1 or not arguments[0].isascii() or not arguments[0].isdigit():
        raise CommandError(
            f"`/ops {words.name}` needs the subscription's number from `/ops subscriptions`.",
            usage=words.usage,
        )
    return Command(words.name, subscription=int(arguments[0]))


def _key_action(words: Words) -> Command:
    if not words.arguments:
        return Command(words.name, key_action="set")
    action = words.arguments[0].lower()
    if len(words.arguments) > 1 or action not in KEY_ACTIONS:
        # The words are not echoed: someone may have pasted the key itself here.
        raise CommandError(
            f"`/ops {words.name}` takes `status`, `remove` or nothing.",
            suggestions=closest_names(action, KEY_ACTIONS, limit=2) if len(action) < 10 else (),
            usage=f"{words.usage} — never type the key in a channel: `/ops key` opens a form.",
        )
    return Command(words.name, key_action=action)


def _mute_length(words: Words) -> Command:
    arguments = [word.lower() for word in words.arguments]
    if len(arguments) == 2 and arguments[0] == "until":
        time_of_day = _TIME_OF_DAY.fullmatch(arguments[1])
        if time_of_day is not None:
            hour, minute = int(time_of_day[1]), int(time_of_day[2])
            return Command(words.name, mute_until=(hour, minute))
    if len(arguments) == 1:
        seconds = _length_s(arguments[0])
        if seconds is not None and 60 <= seconds <= MAX_MUTE_S:
            return Command(words.name, mute_s=seconds)
    raise CommandError(
        f"`/ops {words.name}` needs how long, from 1m to 7d, or a time of day (UTC).",
        usage=words.usage,
    )


def _length_s(word: str) -> int | None:
    """``2h``, ``30m``, ``1d``, ``1h30m`` in seconds; None when it is not one."""
    parts = _MUTE_PART.findall(word)
    if not parts or "".join(number + unit for number, unit in parts) != word:
        return None
    return sum(int(number) * _MUTE_UNITS[unit] for number, unit in parts)


def _channel_or_off(words: Words) -> Command:
    if not words.arguments:
        return Command(words.name)
    word = words.arguments[0]
    if len(words.arguments) == 1:
        if word.lower() == OFF:
            return Command(words.name, clear=True)
        channel = _channel_ref(word)
        if channel is not None:
            return Command(words.name, channel=channel)
    raise CommandError(
        f"`/ops {words.name}` takes one channel (type # and pick it), `{OFF}`, "
        "or nothing to see the current one.",
        usage=words.usage,
    )


def _channel_ref(word: str) -> ChannelRef | None:
    link = _CHANNEL_LINK.fullmatch(word)
    if link is not None:
        return ChannelRef(id=link[1])
    if _CHANNEL_ID.fullmatch(word):
        return ChannelRef(id=word)
    name = _CHANNEL_NAME.fullmatch(word)
    return None if name is None else ChannelRef(name=name[1].lower())


_READERS: Final[Mapping[Arguments, Callable[[Words], Command]]] = {
    Arguments.NONE: _no_arguments,
    Arguments.FILTERS: _filters,
    Arguments.ONE_ID: _one_id,
    Arguments.IDS: _many_ids,
    Arguments.SUBSCRIPTION: _subscription_number,
    Arguments.KEY_ACTION: _key_action,
    Arguments.SUBSCRIPTION_FILTERS: _subscription_filters,
    Arguments.MUTE_LENGTH: _mute_length,
    Arguments.CHANNEL_OR_OFF: _channel_or_off,
}
