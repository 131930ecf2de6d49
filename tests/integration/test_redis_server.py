"""The redis-server fixture starts a private server that really answers."""

from __future__ import annotations

from pathlib import Path

import redis.asyncio as aioredis

from opsbot.store.server import RedisServer, find_redis_server


async def test_fixture_server_answers_and_starts_empty(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    try:
        assert await client.ping()
        assert await client.dbsize() == 0
        await client.set("opsbot:{T1}:probe", "1")
        assert await client.get("opsbot:{T1}:probe") == b"1"
    finally:
        await client.aclose()


async def test_a_persistent_server_keeps_data_across_restarts(tmp_path: Path) -> None:
    server = RedisServer(data_dir=tmp_path, persistent=True).start()
    client = aioredis.Redis.from_url(server.url)
    await client.set("opsbot:{T1}:kept", "yes")
    await client.aclose()
    server.stop()

    server = RedisServer(data_dir=tmp_path, port=server.port, persistent=True).start()
    client = aioredis.Redis.from_url(server.url)
    try:
        assert await client.get("opsbot:{T1}:kept") == b"yes"
    finally:
        await client.aclose()
        server.stop()


def test_the_binary_is_found() -> None:
    assert Path(find_redis_server()).name == "redis-server"
