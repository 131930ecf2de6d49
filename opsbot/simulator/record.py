"""One simulated operation: its fields, the steps still ahead of it, its struct.

An operation keeps the steps it will reach (``upcoming``, each with a time)
and catches up lazily: whoever looks at it first calls :meth:`advance`. The
dates it reports are the times the steps were planned for, not the time
someone looked, so the same clock gives the same answers.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from opsbot.api.operation import BILL, ERROR, RUN


@dataclass(frozen=True)
class OperationSpec:
    """An operation a test switch creates now: its type, the step it is put in, what it pins down.

    ``errortype`` and ``last_error`` say why one put in ERROR is there; left
    out, the simulator words it (a plain "Failed").
    """

    type: str = "domain_create"
    step: str = BILL
    domain: str | None = None
    params: Mapping[str, Any] | None = None
    errortype: str | None = None
    last_error: str | None = None


class OperationFacts(TypedDict, total=False):
    """:class:`OperationSpec`'s fields but its type, as keywords of ``Simulator.create``."""

    step: str
    domain: str | None
    params: Mapping[str, Any] | None
    errortype: str | None
    last_error: str | None


@dataclass(frozen=True)
class Failure:
    """Why an operation is in ERROR, and what a relaunch must bring to clear it."""

    errortype: str | None
    last_error: str
    needs: tuple[str, ...] = ()
    fatal: bool = False


@dataclass(frozen=True)
class Transition:
    at: dt.datetime
    step: str
    failure: Failure | None = None


@dataclass
class SimulatedOperation:
    id: int
    type: str
    step: str
    date_created: dt.datetime
    date_updated: dt.datetime
    expected_end: dt.datetime
    params: dict[str, Any]
    infos: dict[str, Any]
    session_id: int
    source: str
    date_start: dt.datetime | None = None
    failure: Failure | None = None
    last_error: str | None = None
    attempts: int = 0
    upcoming: list[Transition] = field(default_factory=list)

    def advance(self, now: dt.datetime) -> None:
        while self.upcoming and self.upcoming[0].at <= now:
            self.enter(self.upcoming.pop(0))

    def enter(self, transition: Transition) -> None:
        # The wire format has whole seconds; keeping the same here lets date
        # filters compare exactly what clients were shown.
        at = transition.at.replace(microsecond=0)
        self.step = transition.step
        self.date_updated = at
        if transition.step == RUN and self.date_start is None:
            self.date_start = at
        self.failure = transition.failure
        if transition.failure is not None:
            self.last_error = transition.failure.last_error

    @property
    def errortype(self) -> str | None:
        if self.step != ERROR or self.failure is None:
            return None
        return self.failure.errortype

    def to_struct(self, now: dt.datetime) -> dict[str, Any]:
        """The struct operation.info and operation.list return.

        ``eta`` counts the seconds left until the planned end, so it turns
        negative once that moment has passed, as on the live service.
        """
        return {
            "cert_id": self.params.get("cert_id"),
            "date_created": self.date_created,
            "date_start": self.date_start,
            "date_updated": self.date_updated,
            "errortype": self.errortype,
            "eta": int((self.expected_end - now).total_seconds()),
            "id": self.id,
            "infos": copy.deepcopy(self.infos),
            "last_error": self.last_error,
            "params": copy.deepcopy(self.params),
            "session_id": self.session_id,
            "source": self.source,
            "step": self.step,
            "type": self.type,
        }
