"""operation.list and operation.count options: checked, then applied.

The names and types come from the catalog (the reference's
OperationListOptions); what each one filters on is decided here:
``date_x`` and its ``<``/``>`` forms compare the operation's dates, dotted
names such as ``vm.hostname`` look at the matching ``vm_hostname`` param,
the ``*_id`` names at the param of that name. Anything the live service
would refuse becomes a BADPARAMETER fault.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from opsbot.api import errors
from opsbot.api.catalog import LIST_OPTIONS, SORT_FIELDS, ListOption
from opsbot.api.operation import STEPS
from opsbot.api.xmlrpc import from_api_clock
from opsbot.simulator import faults
from opsbot.simulator.record import SimulatedOperation

DEFAULT_ITEMS_PER_PAGE: Final = 100
MAX_ITEMS_PER_PAGE: Final = 500
_PAGING: Final = frozenset({"page", "items_per_page", "sort_by"})
_ONE_SECOND: Final = dt.timedelta(seconds=1)
_ONE_DAY: Final = dt.timedelta(days=1)

Predicate = Callable[[SimulatedOperation], bool]


@dataclass(frozen=True)
class ListQuery:
    predicates: tuple[Predicate, ...] = ()
    sort_field: str = "id"
    descending: bool = False
    page: int = 0
    items_per_page: int = DEFAULT_ITEMS_PER_PAGE

    def matches(self, operation: SimulatedOperation) -> bool:
        return all(predicate(operation) for predicate in self.predicates)

    def count(self, operations: Iterable[SimulatedOperation]) -> int:
        return sum(1 for operation in operations if self.matches(operation))

    def select(self, operations: Iterable[SimulatedOperation]) -> list[SimulatedOperation]:
        """The matching operations, sorted, one page of them."""
        found = [operation for operation in operations if self.matches(operation)]
        found.sort(key=self._sort_key, reverse=self.descending)
        start = self.page * self.items_per_page
        return found[start : start + self.items_per_page]

    def _sort_key(self, operation: SimulatedOperation) -> tuple[bool, Any, int]:
        # Missing values sort last (first with DESC), as SQL's NULLs do;
        # the id settles ties so pages never overlap.
        value = field_value(operation, self.sort_field)
        if isinstance(value, str):
            value = value.lower()
        return (value is None, value if value is not None else 0, operation.id)


def field_value(operation: SimulatedOperation, name: str) -> Any:
    """What a filter or sort field names, on this operation (None when absent)."""
    if name in ("id", "step", "type", "date_created", "date_start", "date_updated"):
        return getattr(operation, name)
    return operation.params.get(name.replace(".", "_"))


def parse_options(opts: object, zone: dt.tzinfo) -> ListQuery:
    """A ListQuery from an opts struct, or the fault the live service would send.

    ``zone``: the API's clock, on which zone-less dates in filters are read.
    """
    if opts is None:
        return ListQuery()
    if not isinstance(opts, Mapping):
        raise faults.bad_parameter(faults.OBJECT_STRUCT, "opts: expected a struct")
    predicates: list[Predicate] = []
    for name, value in opts.items():
        option = LIST_OPTIONS.get(name)
        if option is None:
            raise faults.bad_parameter(faults.OBJECT_STRUCT, f"unknown option {_shown(name)}")
        if name not in _PAGING:
            predicates.append(_predicate(option, value, zone))
    sort_field, descending = _sort_by(opts.get("sort_by", "id"))
    return ListQuery(
        predicates=tuple(predicates),
        sort_field=sort_field,
        descending=descending,
        page=_bounded_int("page", opts.get("page", 0), low=0),
        items_per_page=_bounded_int(
            "items_per_page",
            opts.get("items_per_page", DEFAULT_ITEMS_PER_PAGE),
            low=1,
            high=MAX_ITEMS_PER_PAGE,
        ),
    )


def _predicate(option: ListOption, value: object, zone: dt.tzinfo) -> Predicate:
    if option.is_date:
        return _date_predicate(option.name, value, zone)
    if option.type == "int":
        wanted = require_int(option.name, value)
        return lambda operation: field_value(operation, option.name) == wanted
    if option.type == "int_or_int_array":
        accepted = _ints(option.name, value)
        return lambda operation: field_value(operation, option.name) in accepted
    text = _string(option.name, value)
    if option.name == "step":
        return _step_predicate(text)
    if option.name == "type":
        return lambda operation: operation.type == text
    # Domains and host names compare without case, as DNS does.
    return lambda operation: _same_name(field_value(operation, option.name), text)


def _step_predicate(step: str) -> Predicate:
    if step not in STEPS:
        raise faults.bad_parameter(
            errors.OBJECT_OPERATION_STATE,
            f"step: {_shown(step)} is not one of {', '.join(STEPS)}",
        )
    return lambda operation: operation.step == step


def _same_name(actual: object, wanted: str) -> bool:
    return isinstance(actual, str) and actual.lower() == wanted.lower()


def _date_predicate(name: str, value: object, zone: dt.tzinfo) -> Predicate:
    start, span = parse_date(name, value, zone)
    field = name.lstrip("<>")

    def date_of(operation: SimulatedOperation) -> dt.datetime | None:
        date: dt.datetime | None = getattr(operation, field)
        return date

    if name.startswith("<"):
        return lambda operation: (date := date_of(operation)) is not None and date < start
    if name.startswith(">"):
        return lambda operation: (date := date_of(operation)) is not None and date > start
    return lambda operation: (
        (date := date_of(operation)) is not None and (start <= date < start + span)
    )


def parse_date(name: str, value: object, zone: dt.tzinfo) -> tuple[dt.datetime, dt.timedelta]:
    """When a date option starts (UTC), and how long it lasts (a day for a bare date).

    Accepts an XML-RPC dateTime (read on the API's clock by the codec) and
    strings such as "2026-11-01", "2026-11-01 12:00:00", ISO 8601 with or
    without a zone, and the wire's own "20261101T12:00:00". A date without a
    zone is on the API's clock, ``zone``; a bare date is that day on it,
    23 or 25 hours long on the days the clock changes.
    """
    if isinstance(value, dt.datetime):
        return _utc(value), _ONE_SECOND
    if not isinstance(value, str):
        raise faults.bad_parameter(faults.OBJECT_DATE, f"{name}: expected a date string")
    text = value.strip()
    try:
        if len(text) == 10:
            return _day(dt.date.fromisoformat(text), zone)
        return _on_clock(_parse_datetime(text), zone), _ONE_SECOND
    except (ValueError, OverflowError):
        raise faults.bad_parameter(
            faults.OBJECT_DATE, f"{name}: {_shown(value)} is not a date"
        ) from None


def _day(day: dt.date, zone: dt.tzinfo) -> tuple[dt.datetime, dt.timedelta]:
    start = from_api_clock(dt.datetime.combine(day, dt.time()), zone)
    end = from_api_clock(dt.datetime.combine(day + _ONE_DAY, dt.time()), zone)
    return start, end - start


def _parse_datetime(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return dt.datetime.strptime(text, "%Y%m%dT%H:%M:%S")


def _on_clock(value: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    if value.tzinfo is None:
        return from_api_clock(value, zone)
    return value.astimezone(dt.UTC)


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _sort_by(value: object) -> tuple[str, bool]:
    text = _string("sort_by", value)
    field, _, direction = text.strip().partition(" ")
    direction = direction.strip().upper()
    if field not in SORT_FIELDS or direction not in ("", "ASC", "DESC"):
        raise faults.bad_parameter(
            errors.OBJECT_STRING, f"sort_by: {_shown(text)} is not a sortable field"
        )
    return field, direction == "DESC"


def _bounded_int(name: str, value: object, *, low: int, high: int | None = None) -> int:
    number = require_int(name, value)
    if number < low:
        raise faults.bad_parameter(faults.OBJECT_INTEGER, f"{name}: {number} is less than {low}")
    if high is not None and number > high:
        raise faults.bad_parameter(
            faults.OBJECT_INTEGER, f"{name}: {number} is greater than {high}"
        )
    return number


def require_int(name: str, value: object) -> int:
    # bool is an int to Python, never to XML-RPC.
    if isinstance(value, bool) or not isinstance(value, int):
        raise faults.bad_parameter(
            faults.OBJECT_INTEGER, f"{name}: {_shown(value)} is not an integer"
        )
    return value


def _ints(name: str, value: object) -> frozenset[int]:
    if isinstance(value, list):
        return frozenset(require_int(name, item) for item in value)
    return frozenset({require_int(name, value)})


def _string(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise faults.bad_parameter(errors.OBJECT_STRING, f"{name}: {_shown(value)} is not a string")
    return value


def _shown(value: object) -> str:
    """A value quoted in a fault, cut short: faults end up in chat messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
