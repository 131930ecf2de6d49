"""Where the simulator reads the time.

The simulator never calls ``datetime.now`` itself: it asks a clock, so tests
and benchmarks can hold time still or move it by hand and get the same steps
on every run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeAlias

Clock: TypeAlias = Callable[[], dt.datetime]
"""A callable returning the current time as an aware UTC datetime."""


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        start = start or system_clock()
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self._now

    def advance(self, seconds: float) -> dt.datetime:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._now += dt.timedelta(seconds=seconds)
        return self._now
