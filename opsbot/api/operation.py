"""What an operation is, and which actions each step allows.

The facts come from shared/reference/api-facts.md: DONE is success; ERROR,
CANCEL and SUPPORT end the normal flow; only five types can be relaunched,
and only from ERROR.

This is where the API's values become opsbot's, so this is where they are
checked and bounded: an id, an eta and the dates must be readable, or the
item is an :class:`UnreadableOperation`; texts are cut (:mod:`opsbot.api.bounds`),
so nothing after this point pays for a nine-megabyte ``last_error``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from opsbot.api.bounds import bounded, cut_text
from opsbot.api.xmlrpc import Unreadable

BILL: Final = "BILL"
WAIT: Final = "WAIT"
RUN: Final = "RUN"
DONE: Final = "DONE"
ERROR: Final = "ERROR"
CANCEL: Final = "CANCEL"
SUPPORT: Final = "SUPPORT"

STEPS: Final = (BILL, WAIT, RUN, DONE, ERROR, CANCEL, SUPPORT)
FINAL_STEPS: Final = frozenset({DONE, ERROR, CANCEL, SUPPORT})
CANCELLABLE_STEPS: Final = frozenset({BILL, WAIT, ERROR})
RELAUNCHABLE_TYPES: Final = frozenset(
    {
        "domain_create",
        "domain_transfer_in",
        "domain_ns_set",
        "domain_transfer_reseller",
        "domain_change_owner",
    }
)


# What an operation the API describes may hold and still be read. An id or an
# eta travels as XML-RPC's 32-bit <int>: a larger one cannot be sent back in a
# filter, and is no operation of the API's. A real struct nests a few levels
# (params holding a list of contacts); far deeper is garbage that would cost
# recursion to render or compare.
MAX_ID: Final = 2**31 - 1
MAX_ETA: Final = 2**31 - 1
MAX_DEPTH: Final = 32


class UnreadableOperation(ValueError):
    """An item of the API's answer that is not an operation opsbot can read.

    ``op_id`` is its id when that much could be read (so the caller knows
    which operation it is), ``reason`` what is wrong, in opsbot's words:
    no value of the item is quoted.
    """

    def __init__(self, reason: str, op_id: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.op_id = op_id


def is_final(step: str) -> bool:
    return step in FINAL_STEPS


def can_cancel(step: str) -> bool:
    return step in CANCELLABLE_STEPS


def can_relaunch(operation_type: str, step: str) -> bool:
    return step == ERROR and operation_type in RELAUNCHABLE_TYPES


@dataclass(frozen=True)
class Operation:
    """One item of operation.list / the result of operation.info."""

    id: int
    type: str
    step: str
    date_created: dt.datetime | None = None
    date_start: dt.datetime | None = None
    date_updated: dt.datetime | None = None
    eta: int | None = None
    errortype: str | None = None
    last_error: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    infos: Mapping[str, Any] = field(default_factory=dict)
    session_id: int | None = None
    source: str | None = None

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> Operation:
        """Build from the API's struct, tolerating `<nil/>` and empty strings.

        Raises :class:`UnreadableOperation` for what cannot be an operation:
        no struct, an id or an eta out of range, a date the codec could not
        read (out of the calendar once on UTC), nesting deeper than
        :data:`MAX_DEPTH`. Texts are cut to a few thousand characters.
        """
        if not isinstance(raw, Mapping):
            raise UnreadableOperation("an item that is not a struct")
        op_id = _op_id(raw.get("id"))
        _check_depth(raw, op_id)
        return cls(
            id=op_id,
            type=_text(raw.get("type")),
            step=_text(raw.get("step")),
            date_created=_date(raw.get("date_created"), "date_created", op_id),
            date_start=_date(raw.get("date_start"), "date_start", op_id),
            date_updated=_date(raw.get("date_updated"), "date_updated", op_id),
            eta=_eta(raw.get("eta"), op_id),
            errortype=_text_or_none(raw.get("errortype")),
            last_error=_text_or_none(raw.get("last_error")),
            params=_mapping(raw.get("params")),
            infos=_infos(raw.get("infos")),
            session_id=_int_or_none(raw.get("session_id")),
            source=_text_or_none(raw.get("source")),
        )

    @property
    def is_final(self) -> bool:
        return is_final(self.step)

    @property
    def can_cancel(self) -> bool:
        return can_cancel(self.step)

    @property
    def can_relaunch(self) -> bool:
        return can_relaunch(self.type, self.step)

    @property
    def domain(self) -> str | None:
        """The domain (or other object name) this operation acts on, if any."""
        for source in (self.params, self.infos):
            for name in ("domain", "fqdn", "hostname", "label"):
                value = source.get(name)
                if isinstance(value, str) and value:
                    return value
        return None

    @property
    def tld(self) -> str | None:
        tld = self.params.get("tld")
        if isinstance(tld, str) and tld:
            return tld.lower().lstrip(".")
        domain = self.domain
        if domain and "." in domain:
            return domain.rsplit(".", 1)[1].lower()
        return None


def check_fields(raw: Mapping[str, Any]) -> tuple[int, str, int | None, dt.datetime | None]:
    """What a check compares: id, step, eta and date_updated, read as :meth:`Operation.from_api`
    reads them (and refused as it refuses them, with :class:`UnreadableOperation`)."""
    op_id = _op_id(raw.get("id"))
    return (
        op_id,
        _text(raw.get("step")),
        _eta(raw.get("eta"), op_id),
        _date(raw.get("date_updated"), "date_updated", op_id),
    )


def _op_id(value: Any) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, Unreadable) or (isinstance(value, str) and value.isdigit()):
        # An int of thousands of digits: the codec did not even read it.
        raise UnreadableOperation(f"an operation id out of range (1 to {MAX_ID})")
    if isinstance(value, bool) or not isinstance(value, int):
        raise UnreadableOperation("an operation without an id")
    if not 0 < value <= MAX_ID:
        raise UnreadableOperation(f"an operation id out of range (1 to {MAX_ID})")
    return value


def _eta(value: Any, op_id: int) -> int | None:
    """Seconds until the expected end; nothing for what is not a whole number of them."""
    if isinstance(value, float) and not math.isfinite(value):
        raise UnreadableOperation("an eta that is not a number", op_id)
    if isinstance(value, Unreadable):
        raise UnreadableOperation("an eta out of range", op_id)
    eta = _int_or_none(value)
    if eta is not None and abs(eta) > MAX_ETA:
        raise UnreadableOperation("an eta out of range", op_id)
    return eta


def _check_depth(raw: Mapping[str, Any], op_id: int) -> None:
    """Refuse an item nested deeper than MAX_DEPTH, without recursion.

    Level by level, containers only (what the decoder builds: dicts and
    lists), with exact type checks: the watcher reads thousands of
    operations a cycle, and most values are scalars that cost one look.
    """
    level = [value for value in raw.values() if type(value) in _CONTAINERS]
    depth = 2
    while level:
        if depth > MAX_DEPTH:
            raise UnreadableOperation(f"values nested deeper than {MAX_DEPTH} levels", op_id)
        below: list[Any] = []
        for value in level:
            children = value.values() if type(value) is dict else value
            below += [child for child in children if type(child) in _CONTAINERS]
        level = below
        depth += 1


_CONTAINERS: Final = frozenset({dict, list, tuple})


def _date(value: Any, name: str, op_id: int) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, Unreadable):
        # Out of the calendar once moved to UTC (0001-01-01T00:00:00+01:00):
        # the codec kept it aside, so that it spoils this operation only.
        raise UnreadableOperation(f"a {name} that is not a date", op_id)
    return None


def _int_or_none(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an infinite float
        return None


def _text(value: Any) -> str:
    """Text as opsbot keeps it: cut to a few thousand characters (bounds.MAX_TEXT)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return cut_text(value)
    # Never str() of what the API sent as is: bounded() cuts every text in it.
    return cut_text(str(bounded(value)))


def _text_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        # errortype is documented as a struct; keep its most telling field.
        for name in ("type", "name", "code"):
            if value.get(name):
                return _text(value[name])
        return None
    return _text(value)


def _mapping(value: Any) -> Mapping[str, Any]:
    return bounded(value) if isinstance(value, Mapping) else {}


def _infos(value: Any) -> Mapping[str, Any]:
    """The reference says "array of struct"; the live service sends one struct."""
    if isinstance(value, Mapping):
        return _mapping(value)
    if isinstance(value, list) and value and isinstance(value[0], Mapping):
        return _mapping(value[0])
    return {}
