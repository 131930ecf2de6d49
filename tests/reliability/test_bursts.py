"""A burst of slash commands queues for Redis instead of failing.

200 people typing ``/ops list`` at once reach a real ``opsbot serve``: each
request must be acknowledged within Slack's 3 seconds (the client gives up
after that, as Slack does) and each must get its list. Beyond the Redis
pool's size the requests wait for a connection; they never fail for want
of one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from opsbot.simulator import ServedSimulator
from tests.reliability.edge import answered, keyed_serve, simulated_api, until
from tests.support.opsbot_app import SIGNING_SECRET
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import EventsReply, SlackClient, slash_command_body

BURST = 200
# Slack's rule, not a benchmark: an ack later than this is a failed command.
ACK_TIMEOUT_S = 3.0
# Smaller than the burst, so that most requests must wait for a connection.
POOL_SIZE = "20"


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        yield slack


@pytest.fixture
async def api() -> AsyncIterator[ServedSimulator]:
    async with simulated_api() as served:
        yield served


async def burst(client: SlackClient, fake_slack: FakeSlack, count: int) -> list[EventsReply]:
    bodies = [
        slash_command_body("list", response_url=fake_slack.response_url(f"r{n}"))
        for n in range(count)
    ]
    return await asyncio.gather(*(client.post(body) for body in bodies))


@pytest.mark.slow
async def test_200_simultaneous_lists_are_all_acked_in_time_and_answered(
    fake_slack: FakeSlack, api: ServedSimulator, redis_url: str
) -> None:
    timeout = aiohttp.ClientTimeout(total=ACK_TIMEOUT_S)
    async with (
        keyed_serve(fake_slack, api, redis_url, OPSBOT_REDIS_MAX_CONNECTIONS=POOL_SIZE) as opsbot,
        aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as http,
        SlackClient(opsbot.base_url, SIGNING_SECRET, session=http, slack=fake_slack) as client,
    ):
        replies = await burst(client, fake_slack, BURST)
        assert [reply.status for reply in replies] == [200] * BURST

        def all_answered() -> bool:
            return all(answered(fake_slack, f"r{n}") for n in range(BURST))

        await until(all_answered, "every list answered", within=60)
        log = opsbot.log()

    firsts = [answered(fake_slack, f"r{n}")[0]["text"] for n in range(BURST)]
    assert all(text.startswith("Operations 1–20 of 60") for text in firsts), set(firsts)
    assert "Too many connections" not in log
    assert "didn't call ack()" not in log
