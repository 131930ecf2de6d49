"""The event loop every opsbot command runs on: uvloop, where it is installed.

A watcher's CPU goes mostly to the event loop's own work, not to opsbot's:
sockets to Redis, to the API and to Slack, their callbacks, timers and
tasks, a few of each per team pass. uvloop does that work in C (on libuv)
with the same asyncio interface; measured with ``bench/scale.py`` (see the
README's "Scaling out"), a worker checks about 40 % more operations per CPU
second on it. Nothing in opsbot depends on which loop runs it.

uvloop is not built for Windows (the dependency is skipped there): the
standard loop then runs, as it does when ``OPSBOT_EVENT_LOOP=asyncio`` asks
for it (to rule the loop out when chasing a problem).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Final, TypeVar

from opsbot.config import SettingsError

T = TypeVar("T")

# Python's own loop, as asyncio.run makes it by default; named, not taken from
# the event loop policy, which a library (or a test suite) may have replaced.
if sys.platform == "win32":
    _standard_loop: Callable[[], asyncio.AbstractEventLoop] = asyncio.ProactorEventLoop
else:
    _standard_loop = asyncio.SelectorEventLoop

VARIABLE: Final = "OPSBOT_EVENT_LOOP"
CHOICES: Final = ("uvloop", "asyncio")


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to its end on a new loop of the chosen kind, as ``asyncio.run`` does."""
    try:
        factory = loop_factory(os.environ)
    except SettingsError:
        main.close()  # never started: no "was never awaited" warning after the one line
        raise
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


def running() -> str:
    """Which kind of loop runs the caller: "uvloop" or "asyncio" (for the start-up log line)."""
    return type(asyncio.get_running_loop()).__module__.partition(".")[0]


def loop_factory(environ: Mapping[str, str]) -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop's loop, unless ``OPSBOT_EVENT_LOOP=asyncio`` or uvloop is not installed."""
    chosen = environ.get(VARIABLE, "").strip().lower() or CHOICES[0]
    if chosen not in CHOICES:
        raise SettingsError(
            f"{VARIABLE}={chosen!r} is not a loop opsbot runs on: {' or '.join(CHOICES)}"
        )
    if chosen == "asyncio":
        return _standard_loop
    try:
        import uvloop
    except ImportError:  # Windows: the dependency is not installed there
        return _standard_loop
    return uvloop.new_event_loop
