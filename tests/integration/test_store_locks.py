"""The action lock: of many concurrent clicks on one operation, one wins."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from opsbot.config import Settings
from opsbot.store import keyspace
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.locks import ActionLocks


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


@pytest.fixture
def locks(redis: RedisClient) -> ActionLocks:
    return ActionLocks(redis)


async def test_ten_concurrent_callers_get_exactly_one_token(redis: RedisClient) -> None:
    callers = [ActionLocks(redis) for _ in range(10)]
    tokens = await asyncio.gather(*(locks.acquire("T0123", 42) for locks in callers))
    assert len([token for token in tokens if token is not None]) == 1


async def test_the_lock_is_per_team_and_per_operation(locks: ActionLocks) -> None:
    assert await locks.acquire("T0123", 42) is not None
    assert await locks.acquire("T0123", 43) is not None
    assert await locks.acquire("T0456", 42) is not None
    assert await locks.acquire("T0123", 42) is None


async def test_only_the_holder_releases_it(locks: ActionLocks) -> None:
    token = await locks.acquire("T0123", 42)
    assert token is not None
    assert not await locks.release("T0123", 42, "not-the-token")
    assert await locks.acquire("T0123", 42) is None
    assert await locks.release("T0123", 42, token)
    assert await locks.acquire("T0123", 42) is not None


async def test_the_lock_expires_on_its_own(redis: RedisClient) -> None:
    assert await ActionLocks(redis, ttl_s=5).acquire("T0123", 42) is not None
    remaining_ms = await redis.pttl(keyspace.action_lock("T0123", 42))
    assert 0 < remaining_ms <= 5000


async def test_a_lock_taken_over_after_its_expiry_stays_with_its_new_holder(
    redis: RedisClient,
) -> None:
    locks = ActionLocks(redis, ttl_s=0.05)
    first = await locks.acquire("T0123", 42)
    assert first is not None
    await asyncio.sleep(0.1)
    second = await locks.acquire("T0123", 42)
    assert second is not None

    assert not await locks.release("T0123", 42, first)

    assert await redis.get(keyspace.action_lock("T0123", 42)) == second


async def test_holding_once_and_releasing_leaves_no_key(
    redis: RedisClient, locks: ActionLocks
) -> None:
    token = await locks.acquire("T0123", 42)
    assert token is not None
    assert await locks.acquire("T0123", 42) is None
    # The loser held nothing to release: the winner's lock is still there.
    assert await redis.exists(keyspace.action_lock("T0123", 42))
    assert await locks.release("T0123", 42, token)
    assert not await redis.exists(keyspace.action_lock("T0123", 42))


async def test_a_lock_needs_a_positive_lifetime(redis: RedisClient) -> None:
    with pytest.raises(ValueError, match="ttl_s"):
        ActionLocks(redis, ttl_s=0)
