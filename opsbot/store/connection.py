"""The Redis connection factory: ``REDIS_URL``, or an embedded server under the data dir.

This is the one place that builds a Redis client from the settings: every
client opsbot makes comes from :func:`open_redis`, so the deployment is
chosen here and nowhere else, from ``REDIS_URL`` alone (its forms are in
:mod:`opsbot.redis_url`):

- standalone (``redis://``, ``rediss://``, ``unix://``): a ``Redis``;
- Sentinel (``redis+sentinel://``): a ``Redis`` on a ``SentinelConnectionPool``,
  which asks the sentinels for the primary each time it connects;
- Cluster (``redis+cluster://``): a ``RedisCluster``, which routes each key
  to the primary serving its slot and follows MOVED and ASK.

Stores take a :data:`RedisClient` (either class: they share the commands
opsbot uses) and never learn which one they got.

Every client is built from one :class:`RedisOptions`, so an option set there
(timeouts, pool size, retries) applies to all three deployments alike:

- **A bounded pool that waits.** redis-py's default asyncio pool raises
  ``MaxConnectionsError`` the moment its cap is reached; a burst of Slack
  requests then fails instead of queueing. A blocking pool makes a caller
  wait up to ``pool_timeout_s`` for a connection another caller returns
  (:mod:`opsbot.store.pooling`: lent without redis-py's lock and metrics).
- **Timeouts on every socket.** A Redis that hangs (stopped, swapping, a
  partition that drops packets) would otherwise hold every request that
  touches it for as long as it hangs.
- **Retries only where nothing can have run twice.** A command whose
  connection dropped or was refused, or that reached a server that has
  become a replica (``READONLY``: a replica takes no write), is sent again
  once a new connection is up, which for Sentinel means asking the sentinels
  for the new primary, and for a managed service's primary endpoint means
  resolving its name again. A reply that timed out is not retried: the
  command may have run, and running ``SET NX`` or ``XADD`` again would take a
  lock we already hold or add an entry twice. What a retry can repeat is
  described in the README (Redis deployments).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeAlias

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.cluster import ClusterNode, ClusterPipeline, RedisCluster
from redis.asyncio.connection import (
    AbstractConnection,
    Connection,
    DefaultParser,
)
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError, RedisClusterException, RedisError, ResponseError

from opsbot.config import DEFAULT_REDIS_MAX_CONNECTIONS, Settings, redis_target
from opsbot.redis_url import Deployment, RedisTarget
from opsbot.store import keyspace
from opsbot.store.packing import (
    PackedConnection,
    PackedSentinelConnection,
    PackedSentinelSSLConnection,
    PackedSSLConnection,
    PackedUnixConnection,
)
from opsbot.store.pooling import LendingPool
from opsbot.store.server import RedisServer

logger = logging.getLogger(__name__)

# What every store takes: a standalone or Sentinel-managed client, or a
# cluster client. redis-py gives both the commands, pipelines and scripts
# opsbot uses, with one difference the stores respect: a cluster pipeline
# takes no script (EVALSHA), so scripts always run on the client itself.
RedisClient: TypeAlias = Redis | RedisCluster
# What ``RedisClient.pipeline(transaction=False)`` gives: commands queued, sent in one round trip.
RedisPipeline: TypeAlias = Pipeline | ClusterPipeline

EMBEDDED_DIR_NAME: Final = "redis"
HEALTH_CHECK_TIMEOUT_S: Final = 1.0
CLUSTER_SLOTS: Final = 16384
# A Unix socket path longer than this does not fit in sockaddr_un.sun_path.
_MAX_SOCKET_PATH: Final = 107


@dataclass(frozen=True)
class RedisOptions:
    """Client options every deployment gets, whatever ``REDIS_URL`` names.

    Five retries with jittered backoff capped at 1 s give a restarting Redis,
    or a Sentinel failover, about two seconds: short enough that a Slack
    request still gets its answer in time; jitter keeps many workers from
    reconnecting in lockstep.
    """

    retries: int = 5
    backoff_base_s: float = 0.05
    backoff_cap_s: float = 1.0
    connect_timeout_s: float = 5.0
    # Every command opsbot sends answers in well under a millisecond on a
    # healthy server (no blocking commands, scripts bounded by a batch); two
    # seconds is far beyond a latency spike and short enough to give up on a
    # hung server.
    socket_timeout_s: float = 2.0
    health_check_interval_s: int = 30
    # Connections one process may open (per node on a cluster), and how long a
    # caller waits for one when all are busy. A burst of 200 slash commands
    # drains in about 2 s on a busy 2-core machine and a hung server frees
    # every connection within the socket timeout: 10 s bounds the wait with
    # a wide margin.
    max_connections: int = DEFAULT_REDIS_MAX_CONNECTIONS
    pool_timeout_s: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisOptions:
        return cls(max_connections=settings.redis_max_connections)

    def retry(self) -> Retry:
        """A fresh policy for one client: retried on what a new connection cures."""
        return Retry(
            ExponentialWithJitterBackoff(base=self.backoff_base_s, cap=self.backoff_cap_s),
            retries=self.retries,
            # READONLY: we reached a server that was demoted to a replica (a
            # failover behind a name, or an old primary still answering).
            supported_errors=(RedisConnectionError, ReadOnlyError),
        )

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments that ``Redis``, ``RedisCluster`` and ``master_for`` all take."""
        return {
            "decode_responses": True,
            "retry": self.retry(),
            "socket_connect_timeout": self.connect_timeout_s,
            "socket_timeout": self.socket_timeout_s,
            "health_check_interval": self.health_check_interval_s,
        }

    def pool_kwargs(self) -> dict[str, Any]:
        """What a waiting pool takes on top: its size and how long a caller waits."""
        return {"max_connections": self.max_connections, "timeout": self.pool_timeout_s}


DEFAULT_OPTIONS: Final = RedisOptions()


@contextlib.asynccontextmanager
async def open_redis(
    settings: Settings, options: RedisOptions | None = None
) -> AsyncIterator[RedisClient]:
    """A client on ``REDIS_URL``, or on an embedded persistent server when it is unset.

    Replies are decoded to ``str``. The client (and the embedded server) is
    closed on exit. A malformed ``REDIS_URL`` is a SettingsError. Without
    ``options``, the settings' pool size and the defaults apply.
    """
    options = options or RedisOptions.from_settings(settings)
    if settings.redis_url:
        async with connect(redis_target(settings.redis_url), options) as client:
            yield client
        return
    async with (
        embedded_redis(settings.data_dir / EMBEDDED_DIR_NAME) as url,
        connect(redis_target(url), options) as client,
    ):
        yield client


@contextlib.asynccontextmanager
async def connect(
    target: RedisTarget, options: RedisOptions = DEFAULT_OPTIONS
) -> AsyncIterator[RedisClient]:
    """A client for the deployment ``target`` names, closed on exit."""
    if target.deployment is Deployment.SENTINEL:
        async with _sentinel_client(target, options) as primary:
            yield primary
        return
    client: RedisClient
    if target.deployment is Deployment.CLUSTER:
        client = _cluster_client(target, options)
        await _learn_the_slots(client)
    else:
        client = _standalone_client(target, options)
    try:
        yield client
    finally:
        await client.aclose()
        if isinstance(client, RedisCluster):
            await _close_every_node(client)


async def _close_every_node(client: RedisCluster) -> None:
    """Close the connections RedisCluster.aclose() leaves open.

    It closes nothing while the client is due to relearn the slot map (after
    a node failed under a command), so a client closed then would leave a
    connection to every node behind. Closing a closed connection is a no-op.
    """
    await client.nodes_manager.aclose()
    await client.nodes_manager.aclose("startup_nodes")


async def _learn_the_slots(client: RedisCluster) -> None:
    """Ask the cluster for its slot map now, before anyone uses the client.

    redis-py would do it on the first command, but when several tasks send
    their first commands at once, the map being built under one of them
    drops connections the others are opening (an AttributeError, not a
    retried ConnectionError). A cluster down at start-up is not fatal: the
    client then learns the map on its first command, as a standalone client
    connects on its first command.
    """
    try:
        await client.initialize()
    except (RedisError, RedisClusterException) as error:
        logger.warning("Redis Cluster not reachable at start-up (%s)", type(error).__name__)


def _server_kwargs(target: RedisTarget) -> dict[str, Any]:
    """How to log in to the Redis servers themselves: credentials and TLS options."""
    kwargs: dict[str, Any] = {"username": target.username, "password": target.password}
    if target.tls:
        kwargs.update(target.tls_options)
    return kwargs


def _standalone_client(target: RedisTarget, options: RedisOptions) -> Redis:
    """A client on one server, TCP (TLS or not) or a Unix socket."""
    where: dict[str, Any]
    connection_class: type[AbstractConnection]
    if target.socket_path is not None:
        where, connection_class = {"path": target.socket_path}, PackedUnixConnection
    else:
        host, port = target.addresses[0]
        where = {"host": host, "port": port}
        connection_class = PackedSSLConnection if target.tls else PackedConnection
    # The pool is built here, not by Redis(), to choose the reply parser.
    pool = LendingPool(
        connection_class=connection_class,
        parser_class=ScriptReadOnlyParser,
        db=target.db,
        **where,
        **_server_kwargs(target),
        **options.client_kwargs(),
        **options.pool_kwargs(),
    )
    return Redis.from_pool(pool)


def _cluster_client(target: RedisTarget, options: RedisOptions) -> RedisCluster:
    # A cluster's replica answers MOVED, not READONLY, for its primary's
    # slots, scripts included: the default parser will do.
    seeds = [ClusterNode(host, port) for host, port in target.addresses]
    return WaitingRedisCluster(
        options,
        startup_nodes=seeds,
        ssl=target.tls,
        # Room for pipelines beside the commands WaitingRedisCluster lets through.
        max_connections=2 * options.max_connections,
        **_server_kwargs(target),
        **options.client_kwargs(),
    )


class WaitingRedisCluster(RedisCluster):
    """A RedisCluster whose callers wait for a connection rather than fail.

    Its per-node pools raise MaxConnectionsError the moment they are full
    (redis-py has no blocking cluster pool), which is the burst failure the
    standalone and Sentinel clients avoid with a waiting pool. At most
    ``max_connections`` commands are in flight at once, so no node's pool
    fills; a caller past them waits up to ``pool_timeout_s``, then fails
    with the ConnectionError a full blocking pool raises.
    """

    def __init__(self, options: RedisOptions, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._in_flight = asyncio.Semaphore(options.max_connections)
        self._wait_s = options.pool_timeout_s
        self._pack_with_hiredis(PackedSSLConnection if kwargs.get("ssl") else PackedConnection)

    def _pack_with_hiredis(self, connection_class: type[Connection]) -> None:
        """Every node's connections write with hiredis (see :mod:`opsbot.store.packing`).

        RedisCluster takes no connection class: it picks Connection or
        SSLConnection itself. Set here before any connection is made, on the
        seeds and on what the nodes learnt later are built from.
        """
        self.connection_kwargs["connection_class"] = connection_class
        self.nodes_manager.connection_kwargs["connection_class"] = connection_class
        for node in self.nodes_manager.startup_nodes.values():
            node.connection_class = connection_class

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        try:
            async with asyncio.timeout(self._wait_s):
                await self._in_flight.acquire()
        except TimeoutError:
            raise RedisConnectionError("No connection available.") from None
        try:
            return await super().execute_command(*args, **kwargs)
        finally:
            self._in_flight.release()


@contextlib.asynccontextmanager
async def _sentinel_client(target: RedisTarget, options: RedisOptions) -> AsyncIterator[Redis]:
    """The primary of ``target.service``; the sentinels' own clients close with it."""
    assert target.service is not None  # the URL parser requires one
    sentinel = Sentinel(  # type: ignore[no-untyped-call,unused-ignore]  # untyped before redis 8.2
        list(target.addresses), sentinel_kwargs=_sentinel_kwargs(target, options)
    )
    sentinel.sentinels = [_releasing_safely(client) for client in sentinel.sentinels]
    primary: Redis = sentinel.master_for(
        target.service,
        db=target.db,
        connection_class=PackedSentinelSSLConnection if target.tls else PackedSentinelConnection,
        parser_class=ScriptReadOnlyParser,
        connection_pool_class=LendingSentinelPool,
        **_server_kwargs(target),
        **options.client_kwargs(),
        **options.pool_kwargs(),
    )
    try:
        yield primary
    finally:
        await primary.aclose()
        await sentinel.aclose()


def _releasing_safely(client: Redis) -> Redis:
    """The same client (a sentinel's), on a pool that survives a cancelled release.

    Built before any command, so the pool replaced holds no connection.
    """
    pool = client.connection_pool
    return Redis.from_pool(
        LendingPool(
            connection_class=pool.connection_class,
            max_connections=pool.max_connections,
            **pool.connection_kwargs,
        )
    )


def _sentinel_kwargs(target: RedisTarget, options: RedisOptions) -> dict[str, Any]:
    """How to talk to the sentinels: their own credentials, the same TLS, short timeouts.

    A sentinel that does not answer is skipped for the next one, so a short
    read timeout keeps one hung sentinel from holding every reconnection.
    """
    kwargs: dict[str, Any] = {
        "username": target.sentinel_username,
        "password": target.sentinel_password,
        "socket_connect_timeout": options.connect_timeout_s,
        "socket_timeout": options.connect_timeout_s,
    }
    if target.tls:
        kwargs.update(ssl=True, **target.tls_options)
    return kwargs


class LendingSentinelPool(LendingPool, SentinelConnectionPool):
    """Sentinel's pool (which asks the sentinels for the primary), lent the same way."""


class ScriptReadOnlyParser(DefaultParser):  # type: ignore[misc,valid-type]
    """redis-py's reply parser, which also knows a script's READONLY for what it is.

    A script that writes, run on a replica, fails at its first write; Redis
    before 7 reports it as ``ERR Error running script (…): … -READONLY You
    can't write against a read only replica.``, which redis-py reads as a
    plain ResponseError: the client would stay on the replica and every
    script fail until it reconnects for another reason. Read as the
    ReadOnlyError it is, it is retried on a new connection (the new primary)
    like any other READONLY. Nothing was written: a replica takes no write.
    """

    @classmethod
    def parse_error(cls, response: str) -> ResponseError:
        error: ResponseError = super().parse_error(response)
        if type(error) is ResponseError and _SCRIPT_READONLY in response:
            return ReadOnlyError(response)
        return error


_SCRIPT_READONLY: Final = "-READONLY "


# --- health ---------------------------------------------------------------------


@dataclass(frozen=True)
class RedisHealth:
    """What ``GET /healthz`` reports: ok, or the problem in a few words (no address)."""

    ok: bool
    problem: str = ""


async def redis_health(
    redis: RedisClient, *, timeout_s: float = HEALTH_CHECK_TIMEOUT_S
) -> RedisHealth:
    """Whether opsbot can write to Redis now, within ``timeout_s``.

    PING is not enough: a replica (an old primary after a failover) answers
    PING but refuses every write. The check is a write, a DEL of a key that
    never exists: a replica refuses it (READONLY), so does a primary that
    cannot reach the replicas it must write to; it leaves nothing behind. On
    a cluster, every primary must also say the whole cluster is fine: a
    cluster with a slot unserved fails the keys of that slot only, and the
    probe's key may not be one of them.
    """
    try:
        async with asyncio.timeout(timeout_s):
            if isinstance(redis, RedisCluster):
                problem = await _cluster_problem(redis)
                if problem:
                    return RedisHealth(ok=False, problem=problem)
            await redis.delete(keyspace.health_probe())
    except Exception as error:  # a health check reports, it never raises
        logger.debug("redis health check failed: %s", type(error).__name__)
        return RedisHealth(ok=False, problem="no writable primary answers")
    return RedisHealth(ok=True)


async def redis_is_healthy(
    redis: RedisClient, *, timeout_s: float = HEALTH_CHECK_TIMEOUT_S
) -> bool:
    """True when Redis takes writes within ``timeout_s`` (see :func:`redis_health`)."""
    return (await redis_health(redis, timeout_s=timeout_s)).ok


async def _cluster_problem(redis: RedisCluster) -> str:
    """'' when every primary says cluster_state:ok with every slot served."""
    replies = await redis.cluster_info(target_nodes=RedisCluster.PRIMARIES)
    for info in _per_node(replies):
        if info.get("cluster_state") != "ok":
            return "cluster_state is not ok"
        if str(info.get("cluster_slots_ok")) != str(CLUSTER_SLOTS):
            return "not every slot is served"
    return ""


def _per_node(replies: Any) -> list[dict[str, Any]]:
    """CLUSTER INFO per primary: redis-py answers one node's dict, or a dict of them by node."""
    if isinstance(replies, dict) and "cluster_state" in replies:
        return [replies]
    if isinstance(replies, dict):
        return [info for info in replies.values() if isinstance(info, dict)]
    return [{}]


# --- the embedded server ------------------------------------------------------------


@contextlib.asynccontextmanager
async def embedded_redis(directory: Path) -> AsyncIterator[str]:
    """Run a persistent redis-server with its data in ``directory``; yield its URL.

    It listens on a Unix socket in ``directory`` (TCP on a free port when the
    path is too long for a socket). If a server already answers on that
    socket, one that another opsbot process on the same data dir started, or
    one left behind by a killed process, we use it rather than start a
    second server over the same files, and leave it running on exit.
    """
    server, started_here = await asyncio.to_thread(_start_or_join, directory)
    try:
        yield server.url
    finally:
        if started_here:
            await asyncio.to_thread(server.stop)


def _start_or_join(directory: Path) -> tuple[RedisServer, bool]:
    """The embedded server, and whether we started it (and so must stop it)."""
    directory = directory.resolve()
    server = RedisServer(data_dir=directory, persistent=True, unix_socket=_socket_path(directory))
    if server.unix_socket is not None and server.answers():
        logger.info("using the embedded Redis already running in %s", directory)
        return server, False
    server.start()
    logger.info("started the embedded Redis in %s", directory)
    return server, True


def _socket_path(directory: Path) -> Path | None:
    path = directory / "redis.sock"
    return path if len(str(path).encode()) <= _MAX_SOCKET_PATH else None
