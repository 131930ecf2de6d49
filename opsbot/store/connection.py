"""The Redis connection factory: ``REDIS_URL``, or an embedded server under the data dir.

This is the one place that builds a Redis client from the settings: every
client opsbot makes comes from :func:`open_redis`, so the deployment is
chosen here and nowhere else. How each client behaves (a pool that waits
when full, socket timeouts, retrying a dropped connection so that a Redis
that restarts is reconnected to on the next command) is
:class:`~opsbot.store.client_options.ClientOptions`' say, the same for
every deployment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

from redis.asyncio import Redis

from opsbot.config import Settings, SettingsError
from opsbot.store.client_options import ClientOptions
from opsbot.store.server import RedisServer

logger = logging.getLogger(__name__)

URL_SCHEMES: Final = ("redis://", "rediss://", "unix://")
EMBEDDED_DIR_NAME: Final = "redis"
HEALTH_CHECK_TIMEOUT_S: Final = 1.0

# A Unix socket path longer than this does not fit in sockaddr_un.sun_path.
_MAX_SOCKET_PATH: Final = 107


@contextlib.asynccontextmanager
async def open_redis(settings: Settings) -> AsyncIterator[Redis]:
    """A client on ``REDIS_URL``, or on an embedded persistent server when it is unset.

    Replies are decoded to ``str``. The embedded server is stopped on exit.
    """
    options = ClientOptions.from_settings(settings)
    if settings.redis_url:
        async with options.client(_checked_url(settings.redis_url)) as client:
            yield client
        return
    async with (
        embedded_redis(settings.data_dir / EMBEDDED_DIR_NAME) as url,
        options.client(url) as client,
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
