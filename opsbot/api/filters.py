"""Filters for operation.list and operation.count, checked before any call.

People write filters as `name=value` words (`step=ERROR id=1,2,3
sort_by="date_created DESC"`); code passes a dict. Both go through the same
checks against the catalog, so a mistake is answered in plain English with
what would be right, never by a fault from the API.

What passed the checks is a :class:`CheckedFilters`, which only this module
makes: the client and the Slack handlers take one as it is, so filters are
checked once, where they come in, however many layers they cross.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import shlex
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

from opsbot.api.catalog import KNOWN_STEPS, LIST_OPTIONS, SORT_FIELDS, ListOption
from opsbot.api_key import hide_api_keys
from opsbot.clock import utc_now

# XML-RPC's <int> is 32-bit signed: a larger number cannot even be encoded.
MAX_INT: Final = 2**31 - 1
# The simulator, like the service it imitates, faults above 500 items a page.
MAX_ITEMS_PER_PAGE: Final = 500

_DATE_FORMS: Final = (
    '2026-11-01, "2026-11-01 12:00", 2026-11-01T12:00:00+02:00, or how long ago: 30m, 24h, 7d, 2w'
)
_RELATIVE_DATE: Final = re.compile(r"([0-9]{1,9})\s*([mhdw])", re.IGNORECASE)
_RELATIVE_UNITS: Final = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_NUMBER: Final = re.compile(r"[+-]?[0-9]+")
_SORT_EXAMPLE: Final = 'sort_by="date_created DESC"'
_TEXT_EXAMPLES: Final = {
    "step": "ERROR",
    "type": "domain_create",
    "sort_by": '"date_created DESC"',
    "domain": "example.com",
    "cert.hostname": "www.example.com",
}
# Characters a word can show unquoted and still split back to itself.
_PLAIN_WORD: Final = re.compile(r"[\w@%+=:,./<>-]+", re.ASCII)


class FilterError(ValueError):
    """A filter that cannot be sent; ``message`` says what would be right.

    ``suggestions`` holds the known names or values closest to what was
    written, closest first, for callers that offer them as buttons.
    """

    def __init__(self, message: str, suggestions: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = tuple(suggestions)


class CheckedFilters(Mapping[str, Any]):
    """Options that passed every check, ready to send: ``{"step": "ERROR", "id": [1, 2]}``.

    Made only here (:func:`parse_filter_words`, :func:`validate_options`, and
    the methods below, which check what they add), so whoever holds one can
    trust it without checking it again. It reads like the dict it wraps.
    """

    __slots__ = ("_options",)

    def __init__(self, options: Mapping[str, Any], *, checked_by: object = None) -> None:
        if checked_by is not _CHECKS:
            raise TypeError("CheckedFilters come from parse_filter_words or validate_options")
        self._options = MappingProxyType(dict(options))

    def __getitem__(self, name: str) -> Any:
        return self._options[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._options)

    def __len__(self) -> int:
        return len(self._options)

    def __repr__(self) -> str:
        return f"CheckedFilters({dict(self._options)!r})"

    def with_defaults(self, defaults: Mapping[str, Any]) -> CheckedFilters:
        """These filters, plus each of ``defaults`` (checked here) they do not set."""
        added = validate_options(
            {name: value for name, value in defaults.items() if name not in self}
        )
        # The defaults come first, as they would in {**defaults, **filters}.
        return _checked({**defaults, **self._options, **added})

    def without(self, *names: str) -> CheckedFilters:
        return _checked({name: value for name, value in self.items() if name not in names})

    def as_dict(self) -> dict[str, Any]:
        """A plain dict, for the XML-RPC encoder."""
        return dict(self._options)


# Only this module holds it: see CheckedFilters.__init__.
_CHECKS: Final = object()


def _checked(options: Mapping[str, Any]) -> CheckedFilters:
    return CheckedFilters(options, checked_by=_CHECKS)


def no_filters() -> CheckedFilters:
    return _checked({})


def parse_filter_words(
    words: str | Sequence[str], *, now: dt.datetime | None = None
) -> CheckedFilters:
    """`step=ERROR id=1,2` → {"step": "ERROR", "id": [1, 2]}, ready for the API.

    A string is split the way a shell would, so values with spaces are quoted:
    `sort_by="date_created DESC"`. Relative dates count back from ``now``.
    """
    if isinstance(words, str):
        words = _split_words(words)
    return _check(map(_name_and_value, words), now)


def validate_options(opts: Mapping[str, Any], *, now: dt.datetime | None = None) -> CheckedFilters:
    """The same checks for options built by code; returns what to send.

    Values may already be converted (ints, lists of ints, datetimes); aware
    datetimes are held in UTC, naive ones are taken to be UTC already (the
    client writes them on the API's clock when it sends them).
    Options checked already are returned as they are.
    """
    if isinstance(opts, CheckedFilters):
        return opts
    return _check(opts.items(), now)


def describe_options(opts: Mapping[str, Any]) -> str:
    """A short echo of checked filters: `step=ERROR sort_by="date_created DESC"`.

    It is written in filter words, so it parses back to the same options;
    it is "" when there are no filters.
    """
    return " ".join(f"{name}={_quote(_as_word(value))}" for name, value in opts.items())


def closest_names(name: str, candidates: Iterable[str], limit: int = 5) -> tuple[str, ...]:
    """The candidates that look most like ``name``, most alike first.

    Case does not count, and a candidate containing ``name`` (`hostname` in
    `vm.hostname`) counts as alike even when difflib finds it too different.
    """
    wanted = name.lower()
    scored = []
    for candidate in dict.fromkeys(candidates):
        lowered = candidate.lower()
        ratio = difflib.SequenceMatcher(None, wanted, lowered).ratio()
        if ratio >= 0.6 or (len(wanted) >= 2 and wanted in lowered):
            scored.append((-ratio, candidate))
    return tuple(candidate for _, candidate in sorted(scored)[: max(limit, 0)])


def _split_words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as error:
        raise FilterError(
            f"could not read the filters ({str(error).lower()}): close every quote, "
            f"for example {_SORT_EXAMPLE}"
        ) from None


def _name_and_value(word: str) -> tuple[str, str]:
    name, equals, value = word.partition("=")
    if equals and name:
        return name, value
    if word.upper() in {"DESC", "ASC"}:
        raise FilterError(f"put sort_by's value in quotes: {_SORT_EXAMPLE}")
    if re.fullmatch(r"[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?", word):
        raise FilterError(f'put a date with a time in quotes: >date_created="2026-11-01 {word}"')
    raise FilterError(
        f"'{_shown(word)}' is not a filter: filters are written name=value, like step=ERROR"
    )


def _check(pairs: Iterable[tuple[str, Any]], now: dt.datetime | None) -> CheckedFilters:
    now = _as_utc(now or utc_now())
    checked: dict[str, Any] = {}
    for name, value in pairs:
        option = _option(name)
        if option.name in checked:
            raise FilterError(f"filter '{option.name}' is given twice; give it once")
        checked[option.name] = _converter(option)(option, value, now)
    return _checked(checked)


def _option(name: object) -> ListOption:
    lowered = str(name).lower()
    if lowered in LIST_OPTIONS:
        return LIST_OPTIONS[lowered]
    raise _unknown("filter", str(name), tuple(LIST_OPTIONS))


# Every converter is given the moment relative dates count back from; most need none (_now).
Converter = Callable[[ListOption, Any, dt.datetime], Any]


def _converter(option: ListOption) -> Converter:
    if option.name in _SPECIAL_CONVERTERS:
        return _SPECIAL_CONVERTERS[option.name]
    if option.is_date:
        return _date
    return _CONVERTERS_BY_TYPE[option.type]


def _int(option: ListOption, value: Any, _now: dt.datetime) -> int:
    return _number(option, value, minimum=0, maximum=MAX_INT)


def _page(option: ListOption, value: Any, _now: dt.datetime) -> int:
    return _number(option, value, minimum=0, maximum=MAX_INT, example="1")


def _items_per_page(option: ListOption, value: Any, _now: dt.datetime) -> int:
    return _number(
        option,
        value,
        minimum=1,
        maximum=MAX_ITEMS_PER_PAGE,
        example="50",
        why=f" (the API refuses more than {MAX_ITEMS_PER_PAGE} items a page)",
    )


def _number(
    option: ListOption,
    value: Any,
    *,
    minimum: int,
    maximum: int,
    example: str = "123",
    why: str = "",
) -> int:
    if not _is_number(value):
        raise FilterError(f"{option.name} must be a number, for example {option.name}={example}")
    number = int(value)
    if not minimum <= number <= maximum:
        raise FilterError(f"{option.name} must be from {minimum} to {maximum}{why}")
    return number


def _ids(option: ListOption, value: Any, now: dt.datetime) -> int | list[int]:
    """One id, or several: `1,2,3` as text or a list/tuple from code."""
    if isinstance(value, str) and "," in value:
        value = value.split(",")
    if not isinstance(value, list | tuple):
        return _int(option, value, now)
    # The watcher's hundred ids a call, at every check: plain ints in range
    # are what the checks below would return, without a call per id.
    # (map, set, min and max run in C: no Python call per id either).
    if value and set(map(type, value)) == {int} and min(value) >= 0 and max(value) <= MAX_INT:
        return list(value)
    if not value or not all(map(_is_number, value)):
        raise FilterError(
            f"{option.name} must be a number or numbers separated by commas, "
            f"for example {option.name}=1,2,3"
        )
    return [_int(option, item, now) for item in value]


def _is_number(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_NUMBER.fullmatch(value.strip()))
    return isinstance(value, int) and not isinstance(value, bool)


def _text(option: ListOption, value: Any, _now: dt.datetime) -> str:
    if not isinstance(value, str) or not value:
        example = _TEXT_EXAMPLES.get(option.name, "web1")
        raise FilterError(f"{option.name} needs a text value, for example {option.name}={example}")
    if any(unicodedata.category(char) in {"Cc", "Cs"} for char in value):
        raise FilterError(f"{option.name} contains a control character; remove it")
    return value


def _step(option: ListOption, value: Any, now: dt.datetime) -> str:
    step = _text(option, value, now).strip().upper()
    if step not in KNOWN_STEPS:
        raise _unknown("step", value, KNOWN_STEPS)
    return step


def _type(option: ListOption, value: Any, now: dt.datetime) -> str:
    # Any type is allowed (the API adds types, and an unknown one simply
    # matches nothing), and every type any source shows is lower-case, so
    # case is normalised.
    return _text(option, value, now).lower()


def _sort_by(option: ListOption, value: Any, now: dt.datetime) -> str:
    """`field`, `field DESC` or `field ASC`; sent as `field` or `field DESC`."""
    words = _text(option, value, now).split()
    order = words[1].upper() if len(words) == 2 else "ASC"
    if not 1 <= len(words) <= 2 or order not in {"ASC", "DESC"}:
        raise FilterError(
            f"sort_by is a field, optionally followed by DESC or ASC, for example {_SORT_EXAMPLE}"
        )
    fields = {field.lower(): field for field in SORT_FIELDS}
    field = fields.get(words[0].lower())
    if field is None:
        raise _unknown("sort field", words[0], SORT_FIELDS)
    return f"{field} DESC" if order == "DESC" else field


_CALENDAR_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_EARLIEST: Final = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
_LATEST: Final = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)


def _date(option: ListOption, value: Any, now: dt.datetime) -> str:
    """Any accepted date form → "YYYY-MM-DD HH:MM:SS" in UTC, or a calendar day.

    The reference types the date filters as string. Checked filters hold the
    moment in UTC, written with the separators a date string needs; a date
    without a zone is taken as UTC. The client writes it on the API's clock
    when it sends it (:func:`on_api_clock`). A bare calendar date on an exact
    filter (``date_created=2026-11-01``) is kept as the day itself, meaning
    that whole day on the API's clock, not its first second.
    """
    if _is_calendar_day(option, value):
        return str(value).strip()
    try:
        moment = _as_utc(_moment(value, now))
    except (ValueError, TypeError):
        raise FilterError(
            f"'{_shown(str(value))}' is not a date for {option.name}; write {_DATE_FORMS}"
        ) from None
    except OverflowError:
        moment = _EARLIEST  # out of range either way: said just below
    # A day's margin at both ends, so that any zone can write it.
    if not _EARLIEST < moment < _LATEST:
        raise FilterError(f"{option.name}={_shown(str(value))} is out of the range of dates")
    return _utc_text(moment)


def on_api_clock(options: CheckedFilters, zone: dt.tzinfo) -> dict[str, Any]:
    """Checked filters as the API reads them: each date moved from UTC to the API's clock.

    Calendar days are sent as they are: the API reads a day on its own clock.
    """
    return {
        name: _date_on_clock(value, zone) if LIST_OPTIONS[name].is_date else value
        for name, value in options.items()
    }


def _date_on_clock(value: str, zone: dt.tzinfo) -> str:
    if is_calendar_day(value):
        return value
    moment = dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
    return moment.astimezone(zone).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")


def _utc_text(moment: dt.datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")


def _is_calendar_day(option: ListOption, value: Any) -> bool:
    if option.name[0] in "<>" or not isinstance(value, str):
        return False
    return is_calendar_day(value.strip())


def is_calendar_day(text: str) -> bool:
    """``YYYY-MM-DD`` naming a day that exists (what a Slack datepicker takes too)."""
    if not _CALENDAR_DAY.fullmatch(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _moment(value: Any, now: dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if not isinstance(value, str):
        raise TypeError(value)
    text = value.strip()
    relative = _RELATIVE_DATE.fullmatch(text)
    if relative:
        amount, unit = int(relative[1]), _RELATIVE_UNITS[relative[2].lower()]
        return now - dt.timedelta(**{unit: amount})
    return dt.datetime.fromisoformat(text)


def _as_utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _unknown(kind: str, given: str, known: Sequence[str]) -> FilterError:
    """An "unknown step 'EROR'; known steps: ERROR, …" error: closest names first."""
    suggestions = closest_names(given, known)
    listed = ", ".join([*suggestions, *(name for name in known if name not in suggestions)])
    return FilterError(f"unknown {kind} '{_shown(given)}'; known {kind}s: {listed}", suggestions)


def _shown(text: str, limit: int = 40) -> str:
    """User input echoed in a message, cut short: the message is about the mistake.

    A key-shaped word is never repeated: someone may have pasted the key here.
    """
    text = hide_api_keys(text, "[API key not shown]")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _as_word(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    return str(value)


def _quote(value: str) -> str:
    if _PLAIN_WORD.fullmatch(value):
        return value
    if '"' not in value and "\\" not in value:
        return f'"{value}"'
    return shlex.quote(value)


_SPECIAL_CONVERTERS: Final[Mapping[str, Converter]] = {
    "page": _page,
    "items_per_page": _items_per_page,
    "step": _step,
    "type": _type,
    "sort_by": _sort_by,
}
_CONVERTERS_BY_TYPE: Final[Mapping[str, Converter]] = {
    "int": _int,
    "int_or_int_array": _ids,
    "string": _text,
}
