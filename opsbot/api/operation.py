"""What an operation is, and which actions each step allows.

The facts come from shared/reference/api-facts.md: DONE is success; ERROR,
CANCEL and SUPPORT end the normal flow; only five types can be relaunched,
and only from ERROR.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

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
        """Build from the API's struct, tolerating `<nil/>` and empty strings."""
        return cls(
            id=int(raw["id"]),
            type=str(raw.get("type") or ""),
            step=str(raw.get("step") or ""),
            date_created=_date(raw.get("date_created")),
            date_start=_date(raw.get("date_start")),
            date_updated=_date(raw.get("date_updated")),
            eta=_int_or_none(raw.get("eta")),
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


def _date(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return None


def _int_or_none(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        # errortype is documented as a struct; keep its most telling field.
        for name in ("type", "name", "code"):
            if value.get(name):
                return str(value[name])
        return None
    return str(value)


def _mapping(value: Any) -> Mapping[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _infos(value: Any) -> Mapping[str, Any]:
    """The reference says "array of struct"; the live service sends one struct."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, list) and value and isinstance(value[0], Mapping):
        return dict(value[0])
    return {}
