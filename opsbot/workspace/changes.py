"""Every change to the workspace, for whoever watches: tests and a live page.

A change is a small record (``kind`` and the ids it is about). Subscribers
get their own queue, so a slow web page never holds up the workspace and
never misses what a fast test saw; ``history`` keeps them all for a test to
assert on afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Change:
    """``kind`` is one of ``message.posted``, ``message.updated``, … (see callers)."""

    kind: str
    at: float
    data: dict[str, Any] = field(default_factory=dict)


class ChangeFeed:
    def __init__(self) -> None:
        self.history: list[Change] = []
        self._queues: set[asyncio.Queue[Change]] = set()

    def publish(self, change: Change) -> None:
        self.history.append(change)
        for queue in self._queues:
            queue.put_nowait(change)

    def of_kind(self, kind: str) -> list[Change]:
        return [change for change in self.history if change.kind == kind]

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[Change]]:
        """A queue that receives every change published while the block runs."""
        queue: asyncio.Queue[Change] = asyncio.Queue()
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    async def wait_for(self, kind: str, count: int = 1, timeout: float = 5.0) -> list[Change]:  # noqa: ASYNC109
        """Every change of ``kind``, once at least ``count`` have happened.

        ``timeout`` is a safety net that turns a hang into a readable failure.
        """
        async with self.subscribe() as queue:
            try:
                async with asyncio.timeout(timeout):
                    while len(self.of_kind(kind)) < count:
                        await queue.get()
            except TimeoutError:
                seen = sorted({change.kind for change in self.history})
                raise AssertionError(
                    f"expected {count} change(s) {kind} within {timeout}s; saw {seen}"
                ) from None
        return self.of_kind(kind)
