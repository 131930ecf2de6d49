"""Waiting in a test for what the code under test does in the background."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(probe: Callable[[], T | None], timeout_s: float = 5.0) -> T:
    """``probe()`` once it gives something, polled while opsbot answers in the background."""
    async with asyncio.timeout(timeout_s):
        while True:
            found = probe()
            if found:
                return found
            await asyncio.sleep(0.02)
