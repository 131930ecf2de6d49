"""Where the local workspace reads the time.

Every rule with a clock in it (rates, a trigger_id's 3 seconds, a
response_url's 30 minutes) asks this clock, never ``time`` itself, so a test
can hold time still and move it by exactly the amount a rule is about: a rate
test needs no sleep and never races the machine's load.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeAlias

Clock: TypeAlias = Callable[[], float]
"""A callable returning the current time in epoch seconds."""


def system_clock() -> float:
    return time.time()


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._now += seconds
        return self._now
