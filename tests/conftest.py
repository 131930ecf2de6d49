"""Fixtures shared by every suite.

``redis_url`` is a real Redis: a ``redis-server`` this session starts on a free
port (and stops), or the one ``REDIS_URL`` names. Only our own server is
flushed after each test: we never flush a database we did not create.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from opsbot.store.server import RedisServer


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("REDIS_URL")
    if external:
        yield external
        return
    server = RedisServer(data_dir=Path(tmp_path_factory.mktemp("redis"))).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
async def redis_url(redis_server: str) -> AsyncIterator[str]:
    """A clean database for each test on the session's own server."""
    yield redis_server
    if not os.environ.get("REDIS_URL"):
        client = aioredis.Redis.from_url(redis_server)
        try:
            await client.flushdb()
        finally:
            await client.aclose()
