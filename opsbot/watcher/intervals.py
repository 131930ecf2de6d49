"""How often operations are looked at, and how long a team backs off.

Every watched operation is looked at once per ``OPSBOT_POLL_INTERVAL``,
never more often: a team's cycle asks the API, 100 operations per call,
which of them changed (see :mod:`opsbot.watcher.memory`). Each operation is
also *read in full* on its own schedule, which adapts to its ``eta``
(seconds until the API expects it to end):

- one finishing soon, or already late (a negative eta), is read in full at
  every interval;
- one with hours left is read about ten times over what it has left, at most
  :data:`MAX_STRETCH` intervals apart.

A team whose calls are refused for rate limiting (or answered with garbage)
waits twice as long after each such failure in a row, from the interval up
to :data:`MAX_BACKOFF_DOUBLINGS` doublings, or as long as the API asked
(Retry-After) if that is longer.

A team's batches (100 operations per call) are asked for
:data:`BATCH_CONCURRENCY` at a time, within the team's lease, so that one
team is not capped by one serial pass; the first refused call stops the
team starting more, and the team backs off as one.

An operation the API describes in a way that cannot be read is read alone,
apart from its batch, every :data:`MAX_STRETCH` intervals until it can be.

An error that comes back at every cycle is logged once per team every
:data:`ERROR_LOG_PERIOD_S`, with the number of repeats in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# A long operation is read in full about this many times over the time it has left...
POLLS_PER_ETA: Final = 10
# ...and at least once every this many poll intervals (changes are seen at
# every interval anyway: a full read refreshes the eta and notices an
# operation gone).
MAX_STRETCH: Final = 20
# Consecutive rate-limit faults double the team's wait up to 2**6 = 64 intervals.
MAX_BACKOFF_DOUBLINGS: Final = 6
# A team's batch calls in flight at once: 50,000 watched operations are 500
# calls, which must fit in a 30 s interval at a few hundred ms a call, while
# one team never takes more than a few of the API's connections.
BATCH_CONCURRENCY: Final = 4
# A paused team (key removed or refused) is checked again this many intervals later.
PAUSED_RECHECK_INTERVALS: Final = 10
# The same watcher error of the same team: one log line per this many seconds.
ERROR_LOG_PERIOD_S: Final = 600.0


@dataclass(frozen=True)
class PollPolicy:
    """Delays in seconds, all derived from the poll interval."""

    interval_s: float

    def __post_init__(self) -> None:
        if self.interval_s <= 0:
            raise ValueError("the poll interval must be positive")

    def operation_delay(self, eta: int | None) -> float:
        """How long until an operation with this ``eta`` is read in full again."""
        if eta is None or eta <= 0:
            return self.interval_s
        paced = eta / POLLS_PER_ETA
        return min(max(paced, self.interval_s), self.interval_s * MAX_STRETCH)

    def backoff_delay(self, failures_in_a_row: int, retry_after: float | None = None) -> float:
        """How long a team waits after its ``failures_in_a_row``-th refused call."""
        doublings = min(max(failures_in_a_row - 1, 0), MAX_BACKOFF_DOUBLINGS)
        delay: float = self.interval_s * 2**doublings
        return max(delay, retry_after or 0.0)

    @property
    def unreadable_retry_delay(self) -> float:
        """How long until an operation that could not be read is read again, alone."""
        return self.interval_s * MAX_STRETCH

    @property
    def paused_recheck_delay(self) -> float:
        """How long a paused team waits before its key is looked at again."""
        return self.interval_s * PAUSED_RECHECK_INTERVALS
