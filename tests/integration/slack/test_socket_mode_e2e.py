"""``opsbot socket``: the same app over Socket Mode, against a local Slack.

Slack's side of Socket Mode is played here by a small aiohttp server:
``apps.connections.open`` (called with the app-level token) hands out a
websocket URL on the same server, which says ``hello`` and then delivers
envelopes; opsbot acks each envelope on the socket, with the ack's payload as
the immediate answer. The Web API calls opsbot makes land on the same server
(``SLACK_API_URL``); response_url posts go to FakeSlack.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import itertools
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import WSMsgType, web
from redis.asyncio import Redis

from opsbot.api.operation import DONE, RUN
from opsbot.config import Settings
from opsbot.runtime import run_socket
from opsbot.simulator import ServedSimulator, Simulator
from opsbot.store.server import RedisServer
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import Vault, load_keyring
from opsbot.store.watches import NewWatch, WatchStore
from tests.support.opsbot_app import BOT_TOKEN, opsbot_env
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import (
    BOT_ID,
    BOT_USER_ID,
    CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    slash_command_body,
)

APP_TOKEN = "xapp-1-A0123-0123456789-abcdef0123456789"
# Safety nets: a delivery never acked, or a process that never connects or never
# stops, fails the test instead of hanging it.
ACK_TIMEOUT_S = 5.0
PROCESS_TIMEOUT_S = 30.0

JSON = dict[str, Any]


class SocketModeSlack:
    """Slack's Socket Mode endpoints on a local port.

    ``deliver(type, payload)`` sends one envelope to the connected app and
    returns the app's ack for it.
    """

    def __init__(self) -> None:
        self.connections_opened_with: list[str] = []
        self.web_api_calls: list[str] = []
        self._called: collections.defaultdict[str, asyncio.Event] = collections.defaultdict(
            asyncio.Event
        )
        self._socket: web.WebSocketResponse | None = None
        self._connected = asyncio.Event()
        self._acks: dict[str, asyncio.Future[JSON]] = {}
        self._envelope_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    @property
    def api_url(self) -> str:
        return self.base_url + "api/"

    async def __aenter__(self) -> SocketModeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/link", self._link)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}/"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.web_api_calls.append(method)
        self._called[method].set()
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if method == "apps.connections.open":
            self.connections_opened_with.append(token)
            url = self.base_url.replace("http://", "ws://") + "link"
            return web.json_response({"ok": True, "url": url})
        if method == "auth.test":
            return web.json_response(
                {"ok": True, "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID}
            )
        return web.json_response({"ok": False, "error": "unknown_method"})

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await socket.send_json({"type": "hello", "num_connections": 1})
        self._connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                ack = json.loads(message.data)
                future = self._acks.get(ack.get("envelope_id", ""))
                if future is not None and not future.done():
                    future.set_result(ack)
        return socket

    async def wait_for_call(self, method: str) -> None:
        async with asyncio.timeout(PROCESS_TIMEOUT_S):
            await self._called[method].wait()

    async def wait_for_connection(self) -> None:
        async with asyncio.timeout(PROCESS_TIMEOUT_S):
            await self._connected.wait()

    async def deliver(self, kind: str, payload: JSON) -> JSON:
        await self.wait_for_connection()
        async with asyncio.timeout(ACK_TIMEOUT_S):
            assert self._socket is not None
            envelope_id = f"envelope-{next(self._envelope_ids)}"
            acked: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
            self._acks[envelope_id] = acked
            await self._socket.send_json(
                {
                    "envelope_id": envelope_id,
                    "type": kind,
                    "accepts_response_payload": True,
                    "payload": payload,
                }
            )
            return await acked


def slash_command_payload(text: str, response_url: str) -> JSON:
    """The same fields as over HTTP, as a JSON object instead of a form."""
    return dict(parse_qsl(slash_command_body(text, response_url=response_url)))


@pytest.fixture
async def socket_slack() -> AsyncIterator[SocketModeSlack]:
    async with SocketModeSlack() as slack:
        yield slack


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        yield slack


@pytest.fixture
async def socket_opsbot(
    socket_slack: SocketModeSlack,
    sim_server: ServedSimulator,
    redis_url: str,
    sim_key: str,
) -> AsyncIterator[Settings]:
    """``opsbot socket`` running in this process, with the team's key set."""
    env = opsbot_env(
        slack_api_url=socket_slack.api_url,
        api_url=sim_server.url,
        redis_url=redis_url,
        SLACK_APP_TOKEN=APP_TOKEN,
    )
    settings = Settings.from_env(env)
    async with contextlib.aclosing(Redis.from_url(redis_url, decode_responses=True)) as redis:
        await TeamKeyStore(redis, Vault(load_keyring(settings))).set(TEAM_ID, sim_key, USER_ID)
    running = asyncio.create_task(run_socket(settings, watcher=False))
    try:
        yield settings
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


@pytest.mark.usefixtures("socket_opsbot")
async def test_help_is_answered_on_the_socket(
    socket_slack: SocketModeSlack, fake_slack: FakeSlack
) -> None:
    payload = slash_command_payload("help", fake_slack.response_url("help"))

    ack = await socket_slack.deliver("slash_commands", payload)

    assert socket_slack.connections_opened_with == [APP_TOKEN]
    assert ack["payload"]["response_type"] == "ephemeral"
    assert "/ops list" in json.dumps(ack["payload"]["blocks"])


@pytest.mark.usefixtures("socket_opsbot")
async def test_an_api_command_is_acked_then_answered_through_response_url(
    socket_slack: SocketModeSlack, fake_slack: FakeSlack
) -> None:
    payload = slash_command_payload("count step=ERROR", fake_slack.response_url("count"))

    ack = await socket_slack.deliver("slash_commands", payload)
    [answer] = await fake_slack.wait_for_responses("count")

    assert not ack.get("payload")
    assert answer["response_type"] == "ephemeral"
    assert "step=ERROR" in answer["text"]
    # Both Web API calls opsbot needed here went to SLACK_API_URL.
    assert set(socket_slack.web_api_calls) == {"apps.connections.open", "auth.test"}


async def test_opsbot_socket_runs_a_watcher_beside_the_socket(
    socket_slack: SocketModeSlack,
    sim_server: ServedSimulator,
    simulator: Simulator,
    redis_url: str,
    sim_key: str,
) -> None:
    """Like ``opsbot serve``, ``opsbot socket`` polls watched operations unless told not to."""
    env = opsbot_env(
        slack_api_url=socket_slack.api_url,
        api_url=sim_server.url,
        redis_url=redis_url,
        SLACK_APP_TOKEN=APP_TOKEN,
        OPSBOT_POLL_INTERVAL="0.2",
    )
    settings = Settings.from_env(env)
    op_id = simulator.create("domain_create", step=RUN, domain="followed.fr")
    async with contextlib.aclosing(Redis.from_url(redis_url, decode_responses=True)) as redis:
        await TeamKeyStore(redis, Vault(load_keyring(settings))).set(TEAM_ID, sim_key, USER_ID)
        now = dt.datetime.now(dt.UTC)
        new = NewWatch(
            op_id=op_id,
            type="domain_create",
            label="followed.fr",
            step=RUN,
            eta=None,
            channel=CHANNEL_ID,
            user_id=USER_ID,
            card_ts="1700000000.000100",
        )
        await WatchStore(redis).add(TEAM_ID, new, now=now, expires_at=now + dt.timedelta(days=1))
    simulator.move(op_id, DONE)
    running = asyncio.create_task(run_socket(settings, watcher=True))
    try:
        # The watcher's post of the final step (this local Slack refuses it; it was tried).
        await socket_slack.wait_for_call("chat.postMessage")
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


async def test_opsbot_socket_serves_until_sigterm_then_stops_cleanly(
    socket_slack: SocketModeSlack, sim_server: ServedSimulator, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": socket_slack.api_url,
        "OPSBOT_API_URL": sim_server.url,
        "OPSBOT_DATA_DIR": str(data_dir),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "opsbot.cli",
        "socket",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        ack = await socket_slack.deliver("slash_commands", slash_command_payload("help", "x"))
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(PROCESS_TIMEOUT_S):
            stdout, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.communicate()

    assert ack["payload"]["response_type"] == "ephemeral"
    assert process.returncode == 0, stderr.decode()
    output = (stdout + stderr).decode()
    assert "Traceback" not in output
    assert APP_TOKEN not in output
    assert BOT_TOKEN not in output
    # The embedded Redis went with it.
    redis_dir = data_dir / "redis"
    assert not RedisServer(data_dir=redis_dir, unix_socket=redis_dir / "redis.sock").answers()
