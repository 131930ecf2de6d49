"""The Redis connection factory: ``REDIS_URL``, or an embedded server under the data dir.

This is the one place that builds a Redis client from the settings: every
client opsbot makes comes from :func:`open_redis`, so the deployment is
chosen here and nowhere else, and every client retries a dropped
connection the same way: a Redis that restarts is reconnected to on the
next command instead of failing every caller until the process restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from opsbot.config import Settings, SettingsError
from opsbot.store.server import RedisServer

logger = logging.getLogger(__name__)

URL_SCHEMES: Final = ("redis://", "rediss://", "unix://")
EMBEDDED_DIR_NAME: Final = "redis"
HEALTH_CHECK_TIMEOUT_S: Final = 1.0

# Five retries with jittered backoff capped at 1 s give a restarting Redis
# about two seconds, short enough that a Slack request still gets its answer
# in time; jitter keeps many workers from reconnecting in lockstep.
_RETRIES: Final = 5
_BACKOFF_BASE_S: Final = 0.05
_BACKOFF_CAP_S: Final = 1.0
_CONNECT_TIMEOUT_S: Final = 5.0
_HEALTH_CHECK_INTERVAL_S: Final = 30
# A Unix socket path longer than this does not fit in sockaddr_un.sun_path.
_MAX_SOCKET_PATH: Final = 107


@contextlib.asynccontextmanager
async def open_redis(settings: Settings) -> AsyncIterator[Redis]:
    """A client on ``REDIS_URL``, or on an embedded persistent server when it is unset.

    Replies are decoded to ``str``. The embedded server is stopped on exit.
    """
    if settings.redis_url:
        async with _client(_checked_url(settings.redis_url)) as client:
            yield client
        return
    async with (
        embedded_redis(settings.data_dir / EMBEDDED_DIR_NAME) as url,
        _client(url) as client,
    ):
        yield client


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


async def redis_is_healthy(redis: Redis, *, timeout_s: float = HEALTH_CHECK_TIMEOUT_S) -> bool:
    """True when Redis answers PING within ``timeout_s`` (for ``GET /healthz``)."""
    try:
        async with asyncio.timeout(timeout_s):
            return bool(await redis.ping())
    except Exception:  # a health check reports, it never raises
        return False


def _client(url: str) -> Redis:
    retry = Retry(
        ExponentialWithJitterBackoff(base=_BACKOFF_BASE_S, cap=_BACKOFF_CAP_S),
        retries=_RETRIES,
        supported_errors=(RedisConnectionError, RedisTimeoutError),
    )
    return Redis.from_url(
        url,
        decode_responses=True,
        retry=retry,
        socket_connect_timeout=_CONNECT_TIMEOUT_S,
        health_check_interval=_HEALTH_CHECK_INTERVAL_S,
    )


def _checked_url(url: str) -> str:
    if not url.startswith(URL_SCHEMES):
        # The URL may hold a password, so it is not repeated here.
        raise SettingsError(
            "REDIS_URL must start with redis://, rediss:// or unix://, "
            "for example redis://localhost:6379/0"
        )
    return url


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
