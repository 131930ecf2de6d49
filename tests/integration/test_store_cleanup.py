"""The tests' own cleanup deletes what a test created, and nothing that was there before.

This is what lets the suite run on a Redis it did not start (``REDIS_URL``):
no database is flushed, keys and schedule entries that were there before a
test stay, whoever wrote them. It runs on every engine.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from opsbot.config import Settings
from opsbot.store import keyspace
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.pauses import TeamPauses
from opsbot.store.schedule import Schedule
from tests.support.redis_cleanup import remove_new, snapshot
from tests.support.redis_probe import all_keys


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


async def test_only_what_appeared_is_removed(redis: RedisClient) -> None:
    # Someone else's data: a key outside opsbot, a team's key, a team on the schedule.
    await redis.set("not-opsbot:kept", "1")
    await TeamPauses(redis).pause("TBEFORE", "kept")
    await Schedule(redis).wake("TBEFORE", 100.0)
    before = await snapshot(redis)

    # What a test writes: a team's keys, schedule entries, a key of its own.
    await TeamPauses(redis).pause("TDURING", "gone")
    await Schedule(redis).wake("TDURING", 50.0)
    await redis.set("not-opsbot:gone", "1")
    removed = await remove_new(redis, before)

    assert removed == 2
    assert await redis.get("not-opsbot:kept") == "1"
    assert await redis.get("not-opsbot:gone") is None
    assert await TeamPauses(redis).reason("TBEFORE") == "kept"
    assert await TeamPauses(redis).reason("TDURING") is None
    assert await redis.zrange(keyspace.schedule(), 0, -1) == ["TBEFORE"]
    assert await all_keys(redis) == sorted(
        ["not-opsbot:kept", keyspace.paused("TBEFORE"), keyspace.schedule()]
    )
