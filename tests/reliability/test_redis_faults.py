"""Redis that hangs or runs out of connections: callers wait or fail, never hang.

A hung Redis (SIGSTOP: it accepts connections and answers nothing) makes a
command fail after the client's socket timeout instead of holding its caller
for as long as Redis hangs. More callers than the pool has connections wait
for one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.exceptions import TimeoutError as RedisTimeoutError

from opsbot.config import Settings
from opsbot.store.connection import open_redis, redis_is_healthy
from opsbot.store.server import RedisServer
from tests.support.redis_faults import hung, private_redis

# A safety net only: what a hang would otherwise make of these tests.
HANG_S = 20.0


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    with private_redis(tmp_path / "redis") as server:
        yield server


# --- the client -------------------------------------------------------------------------


async def test_a_command_to_a_hung_redis_fails_with_a_timeout_instead_of_hanging(
    own_redis: RedisServer,
) -> None:
    async with open_redis(Settings(redis_url=own_redis.url)) as redis:
        await redis.set("opsbot:{T1}:probe", "1")
        async with hung(own_redis):
            with pytest.raises(RedisTimeoutError):
                async with asyncio.timeout(HANG_S):
                    await redis.get("opsbot:{T1}:probe")
            assert not await redis_is_healthy(redis)
        # Let go on, the same client carries on.
        assert await redis.get("opsbot:{T1}:probe") == "1"


async def test_more_callers_than_connections_wait_their_turn(redis_url: str) -> None:
    settings = Settings(redis_url=redis_url, redis_max_connections=2)
    async with open_redis(settings) as redis:
        await asyncio.gather(*(redis.incr("opsbot:{T1}:counter") for _ in range(300)))
        assert await redis.get("opsbot:{T1}:counter") == "300"


def test_the_pool_size_is_a_setting_with_a_default() -> None:
    assert Settings.from_env({}).redis_max_connections == 50
    assert Settings.from_env({"OPSBOT_REDIS_MAX_CONNECTIONS": "8"}).redis_max_connections == 8
