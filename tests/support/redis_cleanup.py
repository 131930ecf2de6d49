"""Leave a Redis as a test found it, deleting only what the test created.

The tests may run on a Redis they did not start (``REDIS_URL``), so nothing
here flushes a database. Before each test the fixture notes every key there
is and the members of the shared schedule keys (the only keys that hold
several teams' entries, see :mod:`opsbot.store.keyspace`); afterwards it
deletes the keys that were not there before and takes out of the schedule
keys only the members that were not there before. A key that was there
before the test is never deleted, whoever wrote it.

It works on every deployment: SCAN over a cluster client visits every
primary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from opsbot.store import keyspace
from opsbot.store.codec import decoded
from opsbot.store.connection import RedisClient

_SCAN_BATCH: Final = 1000
# The shared keys, by type: members, not keys, are what a test adds to them.
_SHARED_SORTED_SETS: Final = (keyspace.schedule(), keyspace.approvals_due())
_SHARED_HASHES: Final = (keyspace.schedule_leases(), keyspace.schedule_wakes())


@dataclass(frozen=True)
class KeySnapshot:
    keys: frozenset[str]
    members: dict[str, frozenset[str]] = field(default_factory=dict)


async def snapshot(redis: RedisClient) -> KeySnapshot:
    """Every key there is now, and the members of the shared keys."""
    keys = frozenset([decoded(key) async for key in redis.scan_iter(count=_SCAN_BATCH)])
    members = {}
    for key in _SHARED_SORTED_SETS:
        # Replies are text (opsbot's clients decode them).
        members[key] = frozenset(str(member) for member in await redis.zrange(key, 0, -1))
    for key in _SHARED_HASHES:
        members[key] = frozenset(decoded(m) for m in await redis.hkeys(key))
    return KeySnapshot(keys, members)


async def remove_new(redis: RedisClient, before: KeySnapshot) -> int:
    """Delete what appeared since ``before``; return how many keys went."""
    after = await snapshot(redis)
    created = sorted(after.keys - before.keys)
    for key in created:
        # One key at a time: on a cluster they live in different slots.
        await redis.unlink(key)
    for key in _SHARED_SORTED_SETS:
        added = after.members[key] - before.members[key]
        if key not in created and added:
            await redis.zrem(key, *added)
    for key in _SHARED_HASHES:
        added = after.members[key] - before.members[key]
        if key not in created and added:
            await redis.hdel(key, *added)
    return len(created)
