"""What a worker remembers between cycles: shortcuts only, never needed for correctness.

Losing all of it (a restart, a team taken over by another worker) costs a
few more bytes read from the API and nothing else, which is why it may live
in memory while everything else lives in Redis.

Changes-only polls
------------------
Reading 100 operations in full costs a large reply to decode, every
interval, for operations that mostly did not change. So once a worker has
read a batch in full, it asks the API only for the operations among them
updated since (``>date_updated``): usually none, so the reply is nearly
empty. For that it remembers, per operation, a moment (in the API's own
time) at which what it knows of the operation was current. It takes that
moment from the API's answers: no operation in an answer can have been
updated after the API answered, so the newest ``date_updated`` in an answer
is a moment the answer was current at, for every operation asked about. A
step change after it carries a later ``date_updated`` and is in the next
changes-only answer. :data:`MARGIN` covers the API's one-second precision
and a change dated a moment before it becomes visible; a change visible
later than that is seen at the next full read.

The safety net: every operation is still read in full on its own schedule
(:mod:`opsbot.watcher.intervals`), at least every twenty poll intervals, so
that a vanished operation is noticed and a change the API would date too
early is seen then at the latest.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from typing import Final, NamedTuple, TypeVar

from opsbot.api.glance import Glance
from opsbot.logs import Repeats
from opsbot.watcher.intervals import ERROR_LOG_PERIOD_S

MARGIN: Final = dt.timedelta(seconds=2)

_Value = TypeVar("_Value")


class ChangesSince:
    """Per team and operation: when what this worker knows of it was current (API time)."""

    def __init__(self) -> None:
        self._current_at: dict[str, dict[int, dt.datetime]] = {}

    def since(self, team_id: str, op_ids: Sequence[int]) -> dt.datetime | None:
        """The ``>date_updated`` that finds every change among ``op_ids``; None: read in full."""
        known = self._current_at.get(team_id)
        if not known or not op_ids:
            return None
        # At every batch of every pass: map and min run in C.
        try:
            return min(map(known.__getitem__, op_ids)) - MARGIN
        except KeyError:  # one of them is new to this worker
            return None

    def answered(self, team_id: str, op_ids: Iterable[int], glances: Sequence[Glance]) -> None:
        """The API answered for ``op_ids`` (in full, or changes only) with ``glances``."""
        dates = [glance.date_updated for glance in glances if glance.date_updated]
        if not dates:
            return  # an empty answer tells no time: what was remembered still holds
        newest = max(dates)
        known = self._current_at.setdefault(team_id, {})
        for op_id in op_ids:
            before = known.get(op_id)
            if before is None or before < newest:
                known[op_id] = newest

    def keep_only(self, team_id: str, op_ids: Iterable[int]) -> None:
        """Forget the team's operations no longer watched."""
        known = self._current_at.get(team_id)
        if known is not None:
            self._current_at[team_id] = _kept(known, op_ids)


class SeenSteps:
    """Per team and operation: the ``(date_updated, step)`` last compared with Redis.

    :data:`MARGIN` makes every changes-only answer bring back the operations
    of its batch updated in the last two seconds before the newest one, at
    every interval, though they did not change. One that comes back exactly
    as this worker last compared it with the stored step needs no compare
    again: a step change always moves ``date_updated`` on, so an equal pair
    is the same state (and whoever recorded it, Redis holds it). Full reads
    do not compare it again either: they are the safety net against what the
    API leaves out of changes-only answers; what they would compare it with
    is what was compared already.

    With each pair goes when the operation was expected to end, from the
    last eta read: a batch whose every step is known here is checked in full
    by counting (:func:`opsbot.watcher.reading.steps_hold`), which reads no
    eta, and its next full check is paced on this one.
    """

    def __init__(self) -> None:
        self._seen: dict[str, dict[int, _Seen]] = {}

    def unchanged(self, team_id: str, glance: Glance) -> bool:
        if glance.date_updated is None:
            return False
        known = self._seen.get(team_id, {}).get(glance.id)
        if known is None:
            return False
        return known.date_updated == glance.date_updated and known.step == glance.step

    def compared(self, team_id: str, glance: Glance, now: float) -> None:
        """``glance`` was compared with Redis at ``now`` (or read again, unchanged)."""
        if glance.date_updated is not None:
            ends_at = None if glance.eta is None else now + glance.eta
            known = self._seen.setdefault(team_id, {})
            known[glance.id] = _Seen(glance.date_updated, glance.step, ends_at)

    def last_compared(self, team_id: str, op_ids: Iterable[int]) -> dict[int, _Seen] | None:
        """What was last compared of each of ``op_ids``; None if one of them never was."""
        known = self._seen.get(team_id)
        if not known:
            return None
        try:
            return {op_id: known[op_id] for op_id in op_ids}
        except KeyError:
            return None

    def keep_only(self, team_id: str, op_ids: Iterable[int]) -> None:
        known = self._seen.get(team_id)
        if known is not None:
            self._seen[team_id] = _kept(known, op_ids)


class _Seen(NamedTuple):
    date_updated: dt.datetime
    step: str
    # When the operation was expected to end (worker's clock); None: no eta.
    ends_at: float | None

    def eta(self, now: float) -> int | None:
        """The eta as it would read at ``now``, had the API been asked."""
        return None if self.ends_at is None else int(self.ends_at - now)


class TeamBackoff:
    """Rate-limit faults in a row, per team.

    A worker that takes a team over starts again from one interval, which
    costs at most one early call.
    """

    def __init__(self) -> None:
        self._failures: dict[str, int] = {}

    def failed(self, team_id: str) -> int:
        self._failures[team_id] = self._failures.get(team_id, 0) + 1
        return self._failures[team_id]

    def succeeded(self, team_id: str) -> None:
        self._failures.pop(team_id, None)


class UnreadableOperations:
    """Operations whose descriptions cannot be read, per team: read alone, now and then.

    Kept out of their batches, so that finding the bad one among a hundred
    (see :mod:`opsbot.watcher.reading`) happens once, not at every cycle.
    Their watches are flagged in Redis too (their threads were told once);
    a worker that does not remember them finds them again, at the cost of a
    few calls.
    """

    def __init__(self) -> None:
        self._retry_at: dict[str, dict[int, float]] = {}

    def hold(self, team_id: str, op_id: int, retry_at: float) -> None:
        self._retry_at.setdefault(team_id, {})[op_id] = retry_at

    def held(self, team_id: str) -> dict[int, float]:
        """The team's unreadable operations, with when each is to be tried again."""
        return dict(self._retry_at.get(team_id, {}))

    def release(self, team_id: str, op_ids: Iterable[int]) -> None:
        """``op_ids`` were read: none of them is held any more."""
        held = self._retry_at.get(team_id)
        if held:  # at every batch of every team: usually none is held
            for op_id in op_ids:
                held.pop(op_id, None)

    def keep_only(self, team_id: str, op_ids: Iterable[int]) -> None:
        """Forget the team's operations no longer watched."""
        held = self._retry_at.get(team_id)
        if held:
            self._retry_at[team_id] = _kept(held, op_ids)


def _kept(known: dict[int, _Value], op_ids: Iterable[int]) -> dict[int, _Value]:
    """``known`` less the operations not among ``op_ids``.

    At every pass of every team, over every watched operation: when none
    was dropped (the common case) ``known`` is kept as it is, which a set
    of ids (a dict's keys) tells in one comparison run in C.
    """
    watched = op_ids if isinstance(op_ids, AbstractSet) else set(op_ids)
    if known.keys() <= watched:
        return known
    return {op_id: value for op_id, value in known.items() if op_id in watched}


class QuietExpiries:
    """Per team: until when none of its watches expires, as last read.

    A team pass reads its watches' expiries only once that moment has come:
    watches last days, and reading the expiries at every pass was one Redis
    command a pass for nothing. The look-ahead (:data:`EXPIRIES_AHEAD_S`)
    bounds how long a watch added meanwhile with an earlier end could wait
    for its farewell; watches are added for whole days, so none does.
    """

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def look_ahead(self, team_id: str, now: float) -> float | None:
        """How far ahead to read the team's expiries now; None: no need to read them."""
        return None if now < self._until.get(team_id, now) else EXPIRIES_AHEAD_S

    def read(self, team_id: str, quiet_until: float | None) -> None:
        if quiet_until is not None:
            self._until[team_id] = quiet_until


# How far ahead a team pass reads its watches' expiries.
EXPIRIES_AHEAD_S: Final = 300.0


class WorkerMemory:
    def __init__(self, errors: Repeats | None = None) -> None:
        self.changes = ChangesSince()
        self.expiries = QuietExpiries()
        self.seen = SeenSteps()
        self.backoff = TeamBackoff()
        self.unreadable = UnreadableOperations()
        # Watcher errors that repeat at every cycle: one line per team and
        # kind per period (see opsbot.logs.Repeats).
        self.errors = errors or Repeats(logging.getLogger("opsbot.watcher"), ERROR_LOG_PERIOD_S)
