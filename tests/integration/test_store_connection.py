"""open_redis: the deployment REDIS_URL names (or an embedded persistent server),
healthy only while it takes writes, reconnecting after a restart or a failover."""

from __future__ import annotations

import asyncio
import contextlib
import stat
from pathlib import Path

import pytest
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.sentinel import SentinelConnectionPool
from redis.exceptions import ReadOnlyError

from opsbot.config import Settings, SettingsError, redis_target
from opsbot.redis_url import Deployment
from opsbot.store.connection import (
    RedisOptions,
    embedded_redis,
    open_redis,
    redis_health,
    redis_is_healthy,
)
from opsbot.store.packing import HiredisPacking
from opsbot.store.schedule import Schedule
from opsbot.store.server import RedisServer
from tests.support.ports import free_port
from tests.support.redis_engines import ClusterEngine, SentinelEngine

on_cluster = pytest.mark.redis_engines("cluster")
on_sentinel = pytest.mark.redis_engines("sentinel")
# Fail fast where a test wants the error itself, not the client's patience.
NO_RETRY = RedisOptions(retries=0)


async def test_redis_url_is_used_and_replies_are_text(redis_url: str) -> None:
    async with open_redis(Settings(redis_url=redis_url)) as redis:
        await redis.set("opsbot:{T1}:probe", "yes")
        assert await redis.get("opsbot:{T1}:probe") == "yes"
        assert await redis_is_healthy(redis)


async def test_the_url_alone_chooses_the_client(redis_url: str) -> None:
    deployment = redis_target(redis_url).deployment
    async with open_redis(Settings(redis_url=redis_url)) as redis:
        if deployment is Deployment.CLUSTER:
            assert isinstance(redis, RedisCluster)
        else:
            assert isinstance(redis, Redis)
            is_sentinel = isinstance(redis.connection_pool, SentinelConnectionPool)
            assert is_sentinel == (deployment is Deployment.SENTINEL)


@on_sentinel
async def test_a_replica_answers_ping_but_is_not_healthy(shared_sentinel: SentinelEngine) -> None:
    (replica,) = set(shared_sentinel.servers) - {await shared_sentinel.primary()}
    url = f"redis://{replica[0]}:{replica[1]}/0"
    async with open_redis(Settings(redis_url=url), NO_RETRY) as redis:
        assert await redis.ping()
        health = await redis_health(redis)
        assert not health.ok
        assert health.problem == "no writable primary answers"


@on_sentinel
async def test_a_script_refused_by_a_replica_is_a_readonly_error(
    shared_sentinel: SentinelEngine,
) -> None:
    """Redis 6.2 words it as a script error; read as READONLY, it is retried elsewhere."""
    (replica,) = set(shared_sentinel.servers) - {await shared_sentinel.primary()}
    url = f"redis://{replica[0]}:{replica[1]}/0"
    async with open_redis(Settings(redis_url=url), NO_RETRY) as redis:
        with pytest.raises(ReadOnlyError):
            await Schedule(redis).wake("T0123", 1.0)


@on_sentinel
async def test_after_a_failover_the_same_client_writes_to_the_new_primary(
    redis_sentinel: SentinelEngine,
) -> None:
    async with open_redis(Settings(redis_url=redis_sentinel.url)) as redis:
        schedule = Schedule(redis)
        await schedule.wake("T0123", 100.0)
        new = await redis_sentinel.failover()
        # The pooled connection is to the old primary, a replica now: the
        # script fails there, READONLY, and runs again on the new primary.
        await schedule.wake("T0456", 200.0)
        assert await redis_is_healthy(redis)
    async with Redis(host=new[0], port=new[1], decode_responses=True) as on_new:
        assert await on_new.zrange("opsbot:{schedule}:teams", 0, -1) == ["T0123", "T0456"]


async def test_a_primary_that_holds_every_write_is_not_healthy(tmp_path: Path) -> None:
    """PING still answers; the health check's write waits, and that is a failed check."""
    server = RedisServer(data_dir=tmp_path).start()
    try:
        async with open_redis(Settings(redis_url=server.url)) as redis:
            assert await redis_is_healthy(redis)
            await redis.execute_command("CLIENT", "PAUSE", 3000, "WRITE")
            assert await redis.ping()
            assert not await redis_is_healthy(redis, timeout_s=0.5)
            await redis.execute_command("CLIENT", "UNPAUSE")
            assert await redis_is_healthy(redis)
    finally:
        server.stop()


@on_cluster
async def test_a_cluster_is_healthy_only_with_every_slot_served(tmp_path: Path) -> None:
    async with (
        ClusterEngine(tmp_path / "cluster") as cluster,
        open_redis(Settings(redis_url=cluster.url)) as redis,
    ):
        assert await redis_health(redis) == await redis_health(redis)
        assert (await redis_health(redis)).ok
        last = cluster.masters[-1]
        await _on(last.address, "CLUSTER", "DELSLOTS", 16383)
        assert (await redis_health(redis)).problem == "cluster_state is not ok"
        await _on(last.address, "CLUSTER", "ADDSLOTS", 16383)
        assert (await redis_health(redis)).ok
        cluster.masters[0].kill()
        assert not (await redis_health(redis)).ok


async def test_a_cluster_down_at_start_up_is_unhealthy_not_fatal() -> None:
    url = f"redis+cluster://127.0.0.1:{free_port()}"
    async with open_redis(Settings(redis_url=url), NO_RETRY) as redis:
        assert isinstance(redis, RedisCluster)
        assert not await redis_is_healthy(redis)


async def _on(address: tuple[str, int], *command: object) -> None:
    async with Redis(host=address[0], port=address[1]) as node:
        await node.execute_command(*command)  # type: ignore[no-untyped-call]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://:hunter2@redis:6379", "unknown scheme"),
        ("redis.internal:6380", "unknown scheme"),
        ("redis://:hunter2@a:6379,b:6379/0", "several hosts"),
        ("redis+sentinel://:hunter2@a:26379,b:26379", "Sentinel service"),
        ("redis+cluster://:hunter2@a:7000,b:70000", "port"),
    ],
)
async def test_a_malformed_redis_url_is_refused_without_echoing_it(url: str, problem: str) -> None:
    with pytest.raises(SettingsError) as error:
        async with open_redis(Settings(redis_url=url)):
            pass
    message = str(error.value)
    assert message.startswith("REDIS_URL ")
    assert problem in message
    assert "redis+sentinel://host:26379,host2:26379/mymaster/0" in message
    assert "hunter2" not in message
    assert "\n" not in message


async def test_without_redis_url_an_embedded_server_keeps_data_across_restarts(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    async with open_redis(settings) as redis:
        await redis.set("opsbot:{T1}:kept", "yes")
    socket_path = tmp_path / "redis" / "redis.sock"
    assert not socket_path.exists(), "the embedded server is stopped on exit"

    async with open_redis(settings) as redis:
        assert await redis.get("opsbot:{T1}:kept") == "yes"
        assert stat.S_ISSOCK(socket_path.stat().st_mode)
        assert stat.S_IMODE(socket_path.stat().st_mode) & 0o077 == 0
        assert (await redis.config_get("port"))["port"] == "0", "no TCP port is opened"


async def test_a_second_process_on_the_same_data_dir_joins_the_running_server(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    async with open_redis(settings) as owner:
        async with open_redis(settings) as guest:
            await guest.set("opsbot:{T1}:shared", "1")
        # Leaving did not stop the server the first one started.
        assert await owner.get("opsbot:{T1}:shared") == "1"


async def test_a_data_dir_too_deep_for_a_socket_falls_back_to_tcp(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    async with embedded_redis(deep) as url:
        assert url.startswith("redis://127.0.0.1:")
    async with open_redis(Settings(data_dir=deep)) as redis:
        assert await redis.ping()


async def test_a_restarted_redis_is_reconnected_to_by_the_same_client(tmp_path: Path) -> None:
    server = RedisServer(data_dir=tmp_path, persistent=True).start()
    try:
        async with open_redis(Settings(redis_url=server.url)) as redis:
            await redis.set("opsbot:{T1}:before", "1")
            server.stop()
            assert not await redis_is_healthy(redis)
            server = RedisServer(data_dir=tmp_path, port=server.port, persistent=True).start()
            assert await redis.get("opsbot:{T1}:before") == "1"
            assert await redis_is_healthy(redis)
    finally:
        server.stop()


async def release_cancelled_while_the_pool_is_busy(pool: ConnectionPool) -> AbstractConnection:
    """A connection whose release is cancelled while another task holds the pool's lock.

    This is what a worker stopping (or a timeout) does to a command that has
    just finished under load: redis-py's ``finally`` releases the connection.
    redis-py's own pools wait there for ``pool._lock``, and a cancelled wait
    dropped the connection; the lending pool (``opsbot.store.pooling``) takes
    it back without a lock, which holding the lock here shows.
    """
    connection: AbstractConnection = await pool.get_connection()  # type: ignore[no-untyped-call]
    async with pool._lock:
        releasing = asyncio.create_task(pool.release(connection))
        await asyncio.sleep(0.01)  # now waiting for the lock
        releasing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await releasing
    for _ in range(100):  # the release carries on once the lock is free
        if connection in pool._available_connections:
            break
        await asyncio.sleep(0.01)
    return connection


async def assert_the_pool_keeps_it(redis: Redis) -> None:
    pool = redis.connection_pool
    connection = await release_cancelled_while_the_pool_is_busy(pool)
    # Back in the pool, so closing the client closes its socket; dropped, it
    # would stay open until the garbage collector warns of an unclosed connection.
    assert connection in pool._available_connections
    assert await redis.ping()


async def test_a_cancelled_release_still_returns_the_connection(redis_server: str) -> None:
    async with open_redis(Settings(redis_url=redis_server)) as redis:
        assert isinstance(redis, Redis)
        await assert_the_pool_keeps_it(redis)


@on_sentinel
async def test_a_cancelled_release_still_returns_the_connection_under_sentinel(
    shared_sentinel: SentinelEngine,
) -> None:
    """The primary's pool, and the clients that ask the sentinels where it is."""
    async with open_redis(Settings(redis_url=shared_sentinel.url)) as redis:
        assert isinstance(redis, Redis)
        await assert_the_pool_keeps_it(redis)
        pool = redis.connection_pool
        assert isinstance(pool, SentinelConnectionPool)
        for sentinel_client in pool.sentinel_manager.sentinels:
            await assert_the_pool_keeps_it(sentinel_client)


async def test_every_deployment_writes_its_commands_with_hiredis(redis_url: str) -> None:
    """On every node of a cluster, to the primary the sentinels name, or to the one server."""
    async with open_redis(Settings(redis_url=redis_url)) as redis:
        await redis.hset("opsbot:{T1}:packed", mapping={"é": 1.5, "n": 2})
        assert await redis.hmget("opsbot:{T1}:packed", ["é", "n"]) == ["1.5", "2"]
        classes: set[type[AbstractConnection]] = (
            {node.connection_class for node in redis.get_nodes()}
            if isinstance(redis, RedisCluster)
            else {redis.connection_pool.connection_class}
        )
        assert all(issubclass(cls, HiredisPacking) for cls in classes), classes
