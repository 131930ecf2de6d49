"""``GET /healthz``: 200 while Redis answers, 503 while it does not.

The outage is played on a private Redis server of this test, never on the
session's shared one.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis

from opsbot.simulator import ServedSimulator
from opsbot.store.server import RedisServer
from tests.support.opsbot_app import BOT_TOKEN, RunningOpsbot, opsbot_env, running_opsbot
from tests.support.redis_engines import SentinelEngine
from tests.support.slack_api import FakeSlack


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


async def health(http: aiohttp.ClientSession, opsbot: RunningOpsbot) -> tuple[int, str]:
    async with http.get(f"{opsbot.base_url}/healthz") as response:
        return response.status, (await response.json())["status"]


async def test_healthz_is_200_while_redis_answers(
    opsbot: RunningOpsbot, http: aiohttp.ClientSession
) -> None:
    assert await health(http, opsbot) == (200, "ok")


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(data_dir=tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()


async def test_healthz_is_503_while_redis_is_down_and_200_once_it_is_back(
    private_redis: RedisServer,
    fake_slack: FakeSlack,
    sim_server: ServedSimulator,
    http: aiohttp.ClientSession,
) -> None:
    env = opsbot_env(
        slack_api_url=fake_slack.api_url, api_url=sim_server.url, redis_url=private_redis.url
    )
    async with running_opsbot(env) as opsbot:
        assert await health(http, opsbot) == (200, "ok")

        private_redis.stop()
        assert await health(http, opsbot) == (503, "redis unavailable")

        # Same port: opsbot's client reconnects by itself, no restart needed.
        private_redis.start()
        assert await health(http, opsbot) == (200, "ok")


@pytest.mark.redis_engines("sentinel")
async def test_healthz_is_503_while_no_primary_takes_writes_and_200_after_a_failover(
    redis_sentinel: SentinelEngine,
    fake_slack: FakeSlack,
    sim_server: ServedSimulator,
    http: aiohttp.ClientSession,
) -> None:
    env = opsbot_env(
        slack_api_url=fake_slack.api_url, api_url=sim_server.url, redis_url=redis_sentinel.url
    )
    async with running_opsbot(env) as opsbot:
        assert await health(http, opsbot) == (200, "ok")
        # The primary still answers PING but holds every write, as during a
        # planned failover: opsbot cannot write, so it is not healthy.
        primary = await redis_sentinel.primary()
        async with Redis(host=primary[0], port=primary[1]) as admin:
            await admin.execute_command("CLIENT", "PAUSE", 20000, "WRITE")  # type: ignore[no-untyped-call]
            assert await health(http, opsbot) == (503, "redis unavailable")
            await admin.execute_command("CLIENT", "UNPAUSE")  # type: ignore[no-untyped-call]
        await redis_sentinel.failover()
        # The same process, now on the promoted replica.
        assert await health(http, opsbot) == (200, "ok")


async def test_building_the_app_leaves_opsbot_log_levels_alone(opsbot: RunningOpsbot) -> None:
    # bolt resets the level of a logger named like the app; ours must keep NOTSET
    # so that opsbot.api's debug lines reach a handler that asks for them.
    assert logging.getLogger("opsbot").level == logging.NOTSET
    assert opsbot.web_app is not None


async def test_start_up_logs_no_warning_about_the_bot_token(
    fake_slack: FakeSlack,
    sim_server: ServedSimulator,
    redis_url: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # bolt reads SLACK_BOT_TOKEN from the environment itself, as in production.
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    env = opsbot_env(slack_api_url=fake_slack.api_url, api_url=sim_server.url, redis_url=redis_url)
    with caplog.at_level(logging.WARNING):
        async with running_opsbot(env):
            pass
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
