"""Short locks so that one action on one operation runs once at a time.

A Cancel button clicked twice, or by two people at once, reaches the app as
two requests; the one that takes the lock calls the API, the other is told
the action is already under way. The lock expires on its own, so a process
that dies while holding it blocks nobody for longer than ``ttl_s``.
"""

from __future__ import annotations

import secrets
from typing import Final

from opsbot.store import keyspace
from opsbot.store.compare_and_set import CompareAndSet
from opsbot.store.connection import RedisClient

DEFAULT_TTL_S: Final = 30.0


class ActionLocks:
    """The action locks of every team, on one client (built once per process)."""

    def __init__(self, redis: RedisClient, *, ttl_s: float = DEFAULT_TTL_S) -> None:
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        self._redis = redis
        self._ttl_ms = max(1, int(ttl_s * 1000))
        self._compare_and_set = CompareAndSet(redis)

    async def acquire(self, team_id: str, op_id: int) -> str | None:
        """A token proving we hold the lock, or None when someone else holds it."""
        token = secrets.token_hex(16)
        taken = await self._redis.set(
            keyspace.action_lock(team_id, op_id), token, nx=True, px=self._ttl_ms
        )
        return token if taken else None

    async def release(self, team_id: str, op_id: int, token: str) -> bool:
        """Release a lock we hold; False when it had expired or was taken over."""
        # Only if we still hold it: after an expiry another caller may own it.
        return await self._compare_and_set.delete(
            keyspace.action_lock(team_id, op_id), expected=token
        )
