"""Deleting every key that matches a pattern, in batches that never block Redis for long."""

from __future__ import annotations

from typing import Final

from opsbot.store.codec import decoded
from opsbot.store.connection import RedisClient

# Keys per SCAN step and per UNLINK: small enough to keep each call short.
_BATCH: Final = 500


async def unlink_matching(redis: RedisClient, pattern: str) -> int:
    """UNLINK the keys matching ``pattern`` in batches; return how many went."""
    deleted = 0
    batch: list[str] = []
    async for key in redis.scan_iter(match=pattern, count=_BATCH):
        batch.append(decoded(key))
        if len(batch) == _BATCH:
            deleted += await redis.unlink(*batch)
            batch.clear()
    if batch:
        deleted += await redis.unlink(*batch)
    return deleted
