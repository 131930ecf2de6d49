"""Redis that hangs, goes away or runs out of connections: callers wait or fail, never hang.

A hung Redis (SIGSTOP: it accepts connections and answers nothing) makes a
command fail after the client's socket timeout instead of holding its caller
for as long as Redis hangs. More callers than the pool has connections wait
for one. And a Slack request whose answer needs Redis after the ack still
gets one: a private "something went wrong" with a reference that is also in
opsbot's log.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from redis.exceptions import TimeoutError as RedisTimeoutError

from opsbot.config import Settings
from opsbot.simulator import ServedSimulator
from opsbot.store.connection import open_redis, redis_is_healthy
from opsbot.store.server import RedisServer
from tests.reliability.edge import answered, keyed_serve, simulated_api, until
from tests.support.opsbot_app import SIGNING_SECRET
from tests.support.redis_faults import hung, private_redis, stopped
from tests.support.serve_process import ServeProcess
from tests.support.slack_api import JSON, FakeSlack
from tests.support.slack_requests import SlackClient, slash_command_body

# Safety nets only: what a hang would otherwise make of these tests.
HANG_S = 20.0
# Slack's rule: an ack later than this is a failed command.
ACK_TIMEOUT_S = 3.0
REFERENCE = re.compile(r"reference ([0-9A-F]{8})")


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    with private_redis(tmp_path / "redis") as server:
        yield server


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        yield slack


@pytest.fixture
async def api() -> AsyncIterator[ServedSimulator]:
    async with simulated_api() as served:
        yield served


# --- the client -------------------------------------------------------------------------


async def test_a_command_to_a_hung_redis_fails_with_a_timeout_instead_of_hanging(
    own_redis: RedisServer,
) -> None:
    async with open_redis(Settings(redis_url=own_redis.url)) as redis:
        await redis.set("opsbot:{T1}:probe", "1")
        async with hung(own_redis):
            with pytest.raises(RedisTimeoutError):
                async with asyncio.timeout(HANG_S):
                    await redis.get("opsbot:{T1}:probe")
            assert not await redis_is_healthy(redis)
        # Let go on, the same client carries on.
        assert await redis.get("opsbot:{T1}:probe") == "1"


async def test_more_callers_than_connections_wait_their_turn(redis_url: str) -> None:
    settings = Settings(redis_url=redis_url, redis_max_connections=2)
    async with open_redis(settings) as redis:
        await asyncio.gather(*(redis.incr("opsbot:{T1}:counter") for _ in range(300)))
        assert await redis.get("opsbot:{T1}:counter") == "300"


def test_the_pool_size_is_a_setting_with_a_default() -> None:
    assert Settings.from_env({}).redis_max_connections == 50
    assert Settings.from_env({"OPSBOT_REDIS_MAX_CONNECTIONS": "8"}).redis_max_connections == 8


# --- a Slack request whose answer needs Redis after the ack ------------------------------


async def list_command(opsbot: ServeProcess, fake_slack: FakeSlack, name: str) -> None:
    """``/ops list``: its ack must come within Slack's 3 seconds, whatever Redis does."""
    timeout = aiohttp.ClientTimeout(total=ACK_TIMEOUT_S)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        SlackClient(opsbot.base_url, SIGNING_SECRET, session=http, slack=fake_slack) as client,
    ):
        reply = await client.post(
            slash_command_body("list", response_url=fake_slack.response_url(name))
        )
    assert (reply.status, reply.text) == (200, "")


async def the_answer(fake_slack: FakeSlack, name: str) -> JSON:
    await until(lambda: bool(answered(fake_slack, name)), f"an answer on {name}", HANG_S)
    [answer] = answered(fake_slack, name)
    return answer


def assert_told_with_a_reference(answer: JSON, opsbot: ServeProcess, mark: int) -> None:
    """The person is told privately; the reference is in one log line, with no traceback."""
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Something went wrong on our side (reference ")
    reference = REFERENCE.search(answer["text"])
    assert reference is not None, answer["text"]
    logged = opsbot.lines_since(mark)
    assert len([line for line in logged if reference[1] in line]) == 1, logged
    assert not [line for line in logged if "Traceback" in line]


@pytest.mark.slow
async def test_a_hung_redis_after_the_ack_ends_in_a_private_answer(
    own_redis: RedisServer, fake_slack: FakeSlack, api: ServedSimulator
) -> None:
    async with keyed_serve(fake_slack, api, own_redis.url) as opsbot:
        mark = len(opsbot.lines)
        async with hung(own_redis):
            await list_command(opsbot, fake_slack, "during")
            answer = await the_answer(fake_slack, "during")
        assert_told_with_a_reference(answer, opsbot, mark)
        assert "Timeout" in opsbot.log()

        await list_command(opsbot, fake_slack, "after")
        assert (await the_answer(fake_slack, "after"))["text"].startswith("Operations 1–20")


@pytest.mark.slow
async def test_redis_gone_after_the_ack_ends_in_a_private_answer(
    own_redis: RedisServer, fake_slack: FakeSlack, api: ServedSimulator
) -> None:
    async with keyed_serve(fake_slack, api, own_redis.url) as opsbot:
        mark = len(opsbot.lines)
        await stopped(own_redis)
        await list_command(opsbot, fake_slack, "gone")
        answer = await the_answer(fake_slack, "gone")
        assert_told_with_a_reference(answer, opsbot, mark)
