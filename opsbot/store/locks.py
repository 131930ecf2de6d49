"""Short locks so that one action on one operation runs once at a time.

A Cancel button clicked twice, or by two people at once, reaches the app as
two requests; the one that takes the lock calls the API, the other is told
the action is already under way. The lock expires on its own, so a process
that dies while holding it blocks nobody for longer than ``ttl_s``.
"""

from __future__ import annotations

import secrets
from typing import Final

from redis.asyncio import Redis

from opsbot.store import keyspace

DEFAULT_TTL_S: Final = 30.0

# Delete only if we still hold it: after an expiry another caller may own it.
_RELEASE_IF_OWNER: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


async def acquire_action_lock(
    redis: Redis, team_id: str, op_id: int, *, ttl_s: float = DEFAULT_TTL_S
) -> str | None:
    """A token proving we hold the lock, or None when someone else holds it."""
    token = secrets.token_hex(16)
    taken = await redis.set(
        keyspace.action_lock(team_id, op_id), token, nx=True, px=max(1, int(ttl_s * 1000))
    )
    return token if taken else None


async def release_action_lock(redis: Redis, team_id: str, op_id: int, token: str) -> bool:
    """Release a lock we hold; False when it had expired or was taken over."""
    released = await redis.register_script(_RELEASE_IF_OWNER)(
        keys=[keyspace.action_lock(team_id, op_id)], args=[token]
    )
    return bool(released)
