"""The action lock: of many concurrent clicks on one operation, one wins."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from opsbot.config import Settings
from opsbot.store import keyspace
from opsbot.store.connection import open_redis
from opsbot.store.locks import acquire_action_lock, release_action_lock


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


async def test_ten_concurrent_callers_get_exactly_one_token(redis: Redis) -> None:
    tokens = await asyncio.gather(*(acquire_action_lock(redis, "T0123", 42) for _ in range(10)))
    assert len([token for token in tokens if token is not None]) == 1


async def test_the_lock_is_per_team_and_per_operation(redis: Redis) -> None:
    assert await acquire_action_lock(redis, "T0123", 42) is not None
    assert await acquire_action_lock(redis, "T0123", 43) is not None
    assert await acquire_action_lock(redis, "T0456", 42) is not None
    assert await acquire_action_lock(redis, "T0123", 42) is None


async def test_only_the_holder_releases_it(redis: Redis) -> None:
    token = await acquire_action_lock(redis, "T0123", 42)
    assert token is not None
    assert not await release_action_lock(redis, "T0123", 42, "not-the-token")
    assert await acquire_action_lock(redis, "T0123", 42) is None
    assert await release_action_lock(redis, "T0123", 42, token)
    assert await acquire_action_lock(redis, "T0123", 42) is not None


async def test_the_lock_expires_on_its_own(redis: Redis) -> None:
    assert await acquire_action_lock(redis, "T0123", 42, ttl_s=5) is not None
    remaining_ms = await redis.pttl(keyspace.action_lock("T0123", 42))
    assert 0 < remaining_ms <= 5000


async def test_holding_once_and_releasing_leaves_no_key(redis: Redis) -> None:
    token = await acquire_action_lock(redis, "T0123", 42)
    assert token is not None
    assert await acquire_action_lock(redis, "T0123", 42) is None
    # The loser held nothing to release: the winner's lock is still there.
    assert await redis.exists(keyspace.action_lock("T0123", 42))
    assert await release_action_lock(redis, "T0123", 42, token)
    assert not await redis.exists(keyspace.action_lock("T0123", 42))
