"""A Redis of the test's own that can hang (SIGSTOP) or go away, never the session's one.

A hung Redis still accepts connections (the kernel does) but answers
nothing: that is what a stopped process, a swapping host or a partition
that drops packets look like to a client.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from redis.asyncio import Redis

from opsbot.store.server import RedisServer


@contextlib.contextmanager
def private_redis(directory: Path) -> Iterator[RedisServer]:
    """A redis-server on a free port, stopped at the end."""
    server = RedisServer(data_dir=directory).start()
    try:
        yield server
    finally:
        server.stop()


async def server_pid(url: str) -> int:
    client = Redis.from_url(url)
    try:
        return int((await client.info("server"))["process_id"])
    finally:
        await client.aclose()


@contextlib.asynccontextmanager
async def hung(server: RedisServer) -> AsyncIterator[None]:
    """The server stopped (SIGSTOP) for the block, then let go on (SIGCONT)."""
    pid = await server_pid(server.url)
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


async def stopped(server: RedisServer) -> None:
    """Stop the server (a crash or a restart, as its clients see it)."""
    await asyncio.to_thread(server.stop)
