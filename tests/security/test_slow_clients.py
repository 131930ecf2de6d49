"""Slow or greedy HTTP clients cannot starve ``opsbot serve``.

100 slow-loris connections (headers sent a line at a time and never
finished, or a body announced and never sent) leave ``/healthz`` and Slack's
requests answered at once, and each is closed once the read timeout is up:
a body that never arrives gets 408. Beyond ``OPSBOT_HTTP_MAX_CONNECTIONS``
open connections, a new one is told 503 and closed rather than held.

Everything runs against a real ``opsbot serve`` process with raw sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import pytest

from opsbot.config import Settings
from opsbot.simulator import ServedSimulator
from tests.reliability.edge import keyed_serve, simulated_api
from tests.support.opsbot_app import SIGNING_SECRET
from tests.support.serve_process import ServeProcess
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import SlackClient, slash_command_body

SLOW_CLIENTS = 100
READ_TIMEOUT = "1"
# Slack's rule for an ack, used as the client's timeout: "promptly".
PROMPTLY_S = 3.0
# Safety net only: how long a test waits for the server to close a socket.
CLOSE_WITHIN_S = 15.0

Socket = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        yield slack


@pytest.fixture
async def api() -> AsyncIterator[ServedSimulator]:
    async with simulated_api() as served:
        yield served


@contextlib.asynccontextmanager
async def sockets(port: int, count: int) -> AsyncIterator[list[Socket]]:
    opened = [await asyncio.open_connection("127.0.0.1", port) for _ in range(count)]
    try:
        yield opened
    finally:
        for _, writer in opened:
            writer.close()


async def slow_headers(writer: asyncio.StreamWriter) -> None:
    writer.write(b"POST /slack/events HTTP/1.1\r\nHost: opsbot\r\n")
    await writer.drain()


async def body_never_sent(writer: asyncio.StreamWriter) -> None:
    writer.write(
        b"POST /slack/events HTTP/1.1\r\nHost: opsbot\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
        b"token=abc"
    )
    await writer.drain()


async def until_closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends before it closes the connection."""
    async with asyncio.timeout(CLOSE_WITHIN_S):
        return await reader.read()


async def healthz_and_help(opsbot: ServeProcess, fake_slack: FakeSlack) -> tuple[int, int]:
    timeout = aiohttp.ClientTimeout(total=PROMPTLY_S)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        async with http.get(f"{opsbot.base_url}/healthz") as health:
            health_status = health.status
        client = SlackClient(opsbot.base_url, SIGNING_SECRET, session=http, slack=fake_slack)
        body = slash_command_body("help", response_url=fake_slack.response_url("help"))
        helped = await client.post(body)
    # A refused connection answers 503 without a body: only an answer is read.
    if helped.status == 200:
        assert helped.json()["text"].startswith("How to use /ops")
    return health_status, helped.status


@pytest.mark.slow
async def test_slow_loris_connections_neither_starve_others_nor_stay_open(
    fake_slack: FakeSlack, api: ServedSimulator, redis_url: str
) -> None:
    async with (
        keyed_serve(fake_slack, api, redis_url, OPSBOT_HTTP_READ_TIMEOUT=READ_TIMEOUT) as opsbot,
        sockets(opsbot.port, SLOW_CLIENTS) as slow,
    ):
        half = SLOW_CLIENTS // 2
        for _, writer in slow[:half]:
            await slow_headers(writer)
        for _, writer in slow[half:]:
            await body_never_sent(writer)

        assert await healthz_and_help(opsbot, fake_slack) == (200, 200)

        answers = await asyncio.gather(*(until_closed(reader) for reader, _ in slow))
        log = opsbot.log()

    # Headers never finished: closed without a word. A body never sent: 408.
    assert answers[:half] == [b""] * half
    assert all(answer.startswith(b"HTTP/1.1 408") for answer in answers[half:])
    assert log.count("the body did not arrive within 1 s (408)") == half
    assert "Traceback" not in log


@pytest.mark.slow
async def test_connections_beyond_the_limit_are_refused_at_once(
    fake_slack: FakeSlack, api: ServedSimulator, redis_url: str
) -> None:
    limit = 20
    async with keyed_serve(
        fake_slack, api, redis_url, OPSBOT_HTTP_MAX_CONNECTIONS=str(limit)
    ) as opsbot:
        async with sockets(opsbot.port, limit) as held:
            # Each asks once and keeps its connection: the server has surely counted it.
            for reader, writer in held:
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: opsbot\r\n\r\n")
                await writer.drain()
                assert (await reader.readuntil(b"\r\n")).startswith(b"HTTP/1.1 200")

            async with sockets(opsbot.port, 3) as extra:
                refused = await asyncio.gather(*(until_closed(reader) for reader, _ in extra))

        assert all(answer.startswith(b"HTTP/1.1 503") for answer in refused)
        assert "refused 1 HTTP connection(s)" in opsbot.log()
        # Once they are gone, everyone is served again.
        await until_served(opsbot, fake_slack)


async def until_served(opsbot: ServeProcess, fake_slack: FakeSlack) -> None:
    """The server notices closed connections a moment after the client closes them."""
    async with asyncio.timeout(CLOSE_WITHIN_S):
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                if await healthz_and_help(opsbot, fake_slack) == (200, 200):
                    return
            await asyncio.sleep(0.1)


def test_the_http_limits_are_settings_with_defaults() -> None:
    defaults = Settings.from_env({})
    assert (defaults.http_read_timeout_s, defaults.http_max_connections) == (10.0, 500)
    chosen = Settings.from_env(
        {"OPSBOT_HTTP_READ_TIMEOUT": "2.5", "OPSBOT_HTTP_MAX_CONNECTIONS": "64"}
    )
    assert (chosen.http_read_timeout_s, chosen.http_max_connections) == (2.5, 64)
