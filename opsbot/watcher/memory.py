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
from collections.abc import Iterable, Sequence
from typing import Final

from opsbot.api.operation import Operation

MARGIN: Final = dt.timedelta(seconds=2)


class ChangesSince:
    """Per team and operation: when what this worker knows of it was current (API time)."""

    def __init__(self) -> None:
        self._current_at: dict[str, dict[int, dt.datetime]] = {}

    def since(self, team_id: str, op_ids: Sequence[int]) -> dt.datetime | None:
        """The ``>date_updated`` that finds every change among ``op_ids``; None: read in full."""
        known = self._current_at.get(team_id, {})
        moments = [known.get(op_id) for op_id in op_ids]
        if not moments or any(moment is None for moment in moments):
            return None
        return min(moment for moment in moments if moment is not None) - MARGIN

    def answered(
        self, team_id: str, op_ids: Iterable[int], operations: Sequence[Operation]
    ) -> None:
        """The API answered for ``op_ids`` (in full, or changes only) with ``operations``."""
        dates = [operation.date_updated for operation in operations if operation.date_updated]
        if not dates:
            return  # an empty answer tells no time: what was remembered still holds
        newest = max(dates)
        known = self._current_at.setdefault(team_id, {})
        for op_id in op_ids:
            before = known.get(op_id)
            known[op_id] = newest if before is None else max(before, newest)

    def keep_only(self, team_id: str, op_ids: Iterable[int]) -> None:
        """Forget the team's operations no longer watched."""
        known = self._current_at.get(team_id)
        if known is not None:
            watched = set(op_ids)
            self._current_at[team_id] = {op: at for op, at in known.items() if op in watched}


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


class WorkerMemory:
    def __init__(self) -> None:
        self.changes = ChangesSince()
        self.backoff = TeamBackoff()
