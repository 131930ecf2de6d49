"""open_redis: REDIS_URL or an embedded persistent server, reconnecting after a restart."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from opsbot.config import Settings, SettingsError
from opsbot.store.connection import embedded_redis, open_redis, redis_is_healthy
from opsbot.store.server import RedisServer


async def test_redis_url_is_used_and_replies_are_text(redis_url: str) -> None:
    async with open_redis(Settings(redis_url=redis_url)) as redis:
        await redis.set("opsbot:{T1}:probe", "yes")
        assert await redis.get("opsbot:{T1}:probe") == "yes"
        assert await redis_is_healthy(redis)


@pytest.mark.parametrize("url", ["http://:hunter2@redis:6379", "redis.internal:6380"])
async def test_a_redis_url_of_another_scheme_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(SettingsError) as error:
        async with open_redis(Settings(redis_url=url)):
            pass
    assert str(error.value).startswith("REDIS_URL must start with redis://, rediss:// or unix://")
    assert url not in str(error.value)


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
