"""Running an API call inside the 3 seconds Slack gives a modal submission.

A view submission can only show errors inside the modal if its ack carries
them, so we give the API call most of the 3 seconds. When it is slower, the
caller acks with a "working" view and finishes with ``views.update``; the
call itself is never cancelled, so nothing is done twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Final, TypeVar

T = TypeVar("T")

ACK_BUDGET_S: Final = 2.0


async def within_budget(
    work: Awaitable[T], budget_s: float = ACK_BUDGET_S
) -> tuple[bool, asyncio.Future[T]]:
    """Start ``work``; return (finished in time, its future)."""
    future = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({future}, timeout=budget_s)
    return bool(done), future
