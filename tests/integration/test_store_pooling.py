"""The lending pool: a bounded number of connections, waited for in turn, never dropped."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError

from opsbot.config import Settings
from opsbot.store.connection import RedisOptions, open_redis
from opsbot.store.pooling import NO_CONNECTION, LendingPool
from tests.support.ports import free_port

SHORT_WAIT = RedisOptions(max_connections=2, pool_timeout_s=0.2)


@contextlib.asynccontextmanager
async def small_pool(
    url: str, options: RedisOptions = SHORT_WAIT
) -> AsyncIterator[tuple[Redis, LendingPool]]:
    async with open_redis(Settings(redis_url=url), options) as redis:
        assert isinstance(redis, Redis)
        pool = redis.connection_pool
        assert isinstance(pool, LendingPool)
        yield redis, pool


async def borrow(pool: LendingPool) -> AbstractConnection:
    return await pool.get_connection()


async def test_the_client_of_a_single_server_lends_from_the_lending_pool(redis_server: str) -> None:
    async with small_pool(redis_server) as (redis, _):
        assert await redis.ping()


async def test_past_its_size_a_caller_waits_for_a_connection_to_come_back(
    redis_server: str,
) -> None:
    async with small_pool(redis_server) as (redis, pool):
        first, second = await borrow(pool), await borrow(pool)
        waiting = asyncio.create_task(borrow(pool))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        await pool.release(first)
        assert await waiting is first  # the one returned, not a third
        await pool.release(first)
        await pool.release(second)
        assert len(pool._available_connections) == 2  # redis-py's own list
        assert await redis.ping()


async def test_a_caller_that_waits_too_long_is_told_no_connection_is_available(
    redis_server: str,
) -> None:
    async with small_pool(redis_server) as (redis, pool):
        lent = [await borrow(pool), await borrow(pool)]
        with pytest.raises(RedisConnectionError, match=NO_CONNECTION):
            await borrow(pool)
        for connection in lent:
            await pool.release(connection)
        # The caller that gave up holds nothing: both connections serve again.
        assert list(await asyncio.gather(redis.ping(), redis.ping())) == [True, True]


async def test_a_waiter_cancelled_gives_its_turn_to_the_next(redis_server: str) -> None:
    async with small_pool(redis_server, RedisOptions(max_connections=1)) as (_, pool):
        only = await borrow(pool)
        cancelled, next_in_line = (
            asyncio.create_task(borrow(pool)),
            asyncio.create_task(borrow(pool)),
        )
        await asyncio.sleep(0.05)
        cancelled.cancel()
        await pool.release(only)
        assert await next_in_line is only
        assert cancelled.cancelled()
        await pool.release(only)


async def test_many_callers_never_open_more_connections_than_its_size(
    redis_server: str,
) -> None:
    async with small_pool(redis_server, RedisOptions(max_connections=3)) as (redis, pool):
        await asyncio.gather(*(redis.incr("opsbot:{T1}:lent") for _ in range(200)))
        assert await redis.get("opsbot:{T1}:lent") == "200"
        assert len(pool._available_connections) == 3
        assert not pool._in_use_connections
        await redis.delete("opsbot:{T1}:lent")


async def test_a_connection_that_cannot_connect_gives_its_turn_back() -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}"
    async with small_pool(nowhere, RedisOptions(max_connections=1, retries=0)) as (_, pool):
        for _ in range(2):
            # Refused each time: had the first kept its turn, the second would
            # wait for it and be told no connection is available.
            with pytest.raises(RedisConnectionError) as refused:
                await borrow(pool)
            assert NO_CONNECTION not in str(refused.value)
        assert not pool._in_use_connections
