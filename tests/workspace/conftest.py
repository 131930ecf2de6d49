"""A workspace served on a free port, with a team, its channels and its people.

``workspace`` holds time still (a :class:`ManualClock`): every rule with a
clock in it moves only when a test moves ``clock``. ``client`` is slack_sdk's
own ``AsyncWebClient`` pointed at the workspace, as opsbot points it with
``SLACK_API_URL``. ``app`` is a stand-in for the app under test: it checks
every request's signature with slack_sdk's ``SignatureVerifier`` and answers
what the test tells it to.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from opsbot.workspace import (
    ManualClock,
    ServedWorkspace,
    Workspace,
    WorkspaceSettings,
    serve_workspace,
)
from opsbot.workspace.state import Installation

JSON = dict[str, Any]

TEAM = "T0123"
OTHER_TEAM = "T0OTHER"
CHANNEL = "C0123"  # public, the bot is in it
UNJOINED = "C0UNJOINED"  # public, the bot is not in it
PRIVATE = "G0PRIVATE"  # private, the bot is in it
SECRET = "G0SECRET"  # private, the bot is not in it
ARCHIVED = "C0ARCHIVED"
MEMBER = "U0MEMBER"
ADMIN = "U0ADMIN"
OWNER = "U0OWNER"
GUEST = "U0GUEST"  # from another workspace, in CHANNEL through Slack Connect


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings() -> WorkspaceSettings:
    return WorkspaceSettings()


@pytest.fixture
def workspace(clock: ManualClock, settings: WorkspaceSettings) -> Workspace:
    workspace = Workspace(settings=settings, clock=clock)
    populate(workspace)
    return workspace


def populate(workspace: Workspace) -> None:
    workspace.add_team(TEAM, "Ops team")
    workspace.add_team(OTHER_TEAM, "Partner")
    workspace.add_channel(CHANNEL, TEAM, name="ops")
    workspace.add_channel(UNJOINED, TEAM, name="random", bot_member=False)
    workspace.add_channel(PRIVATE, TEAM, name="ops-private", private=True)
    workspace.add_channel(SECRET, TEAM, name="secret", private=True, bot_member=False)
    workspace.add_channel(ARCHIVED, TEAM, name="old")
    workspace.archive(ARCHIVED)
    everywhere = [CHANNEL, UNJOINED, PRIVATE, SECRET, ARCHIVED]
    workspace.add_user(MEMBER, TEAM, name="mia", channels=everywhere)
    workspace.add_user(ADMIN, TEAM, name="ada", role="admin", channels=everywhere)
    workspace.add_user(OWNER, TEAM, name="otto", role="owner", channels=everywhere)
    workspace.add_user(GUEST, OTHER_TEAM, name="gus", role="admin", channels=[CHANNEL])


@pytest.fixture
def bot(workspace: Workspace) -> Installation:
    return workspace.install(TEAM)


@pytest.fixture
async def served(workspace: Workspace) -> AsyncIterator[ServedWorkspace]:
    async with serve_workspace(workspace) as served:
        yield served


@pytest.fixture
def client(served: ServedWorkspace, bot: Installation) -> AsyncWebClient:
    return AsyncWebClient(token=bot.bot_token, base_url=served.api_url)


async def refusal(call: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
    """Slack's answer to a call it refuses, as slack_sdk raises it."""
    with pytest.raises(SlackApiError) as refused:
        await call
    response = refused.value.response
    assert isinstance(response, AsyncSlackResponse)
    return response


# --- the app under test ------------------------------------------------------------------

Answer = Callable[[str, JSON], Awaitable[web.StreamResponse]]


@dataclass
class AppStub:
    """Receives Slack's requests, checks their signatures, answers with ``answer``."""

    secret: str
    answer: Answer
    received: list[tuple[str, JSON, dict[str, str]]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        headers = dict(request.headers)
        verifier = SignatureVerifier(self.secret)
        if not verifier.is_valid(
            raw, headers.get("X-Slack-Request-Timestamp"), headers.get("X-Slack-Signature")
        ):
            return web.Response(status=401, text="bad signature")
        kind, payload = _parse_request(raw, request.content_type)
        self.received.append((kind, payload, headers))
        return await self.answer(kind, payload)

    def payloads(self, kind: str) -> list[JSON]:
        return [payload for k, payload, _ in self.received if k == kind]


def _parse_request(raw: bytes, content_type: str) -> tuple[str, JSON]:
    if content_type == "application/json":
        payload = json.loads(raw)
        return str(payload.get("type")), payload
    form = dict(parse_qsl(raw.decode()))
    if "payload" in form:
        payload = json.loads(form["payload"])
        return str(payload["type"]), payload
    return "slash_command", form


async def empty_ack(_kind: str, _payload: JSON) -> web.StreamResponse:
    return web.Response()


@pytest.fixture
async def app(workspace: Workspace) -> AsyncIterator[AppStub]:
    stub = AppStub(workspace.app.signing_secret, empty_ack)
    web_app = web.Application()
    web_app.router.add_post("/slack/events", stub.handle)
    runner = web.AppRunner(web_app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    stub.url = f"http://127.0.0.1:{port}/slack/events"
    workspace.app.request_url = stub.url
    try:
        yield stub
    finally:
        await runner.cleanup()


def answer_with(body: Any, delay: float = 0.0, status: int = 200) -> Answer:
    """An app that acks every request with ``body`` (JSON, text or None)."""

    async def answer(_kind: str, _payload: JSON) -> web.StreamResponse:
        if delay:
            await asyncio.sleep(delay)
        if body is None:
            return web.Response(status=status)
        if isinstance(body, str):
            return web.Response(status=status, text=body)
        return web.json_response(body, status=status)

    return answer
