"""opsbot served for real on a free port, wired to the simulator, FakeSlack and Redis."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import logging
import secrets
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from aiohttp import web

from opsbot.config import Settings
from opsbot.http_app import services_of
from opsbot.logs import SecretRedactor, redacting_handler, settings_secrets
from opsbot.runtime import build_web_app
from opsbot.services import Services
from tests.support.ports import free_port

SIGNING_SECRET = "signing-secret-for-tests-0123456789"
BOT_TOKEN = "xoxb-test-bot-token-0123456789"
# Multi-workspace (OAuth) mode: the app's credentials, and no bot token.
CLIENT_ID = "1234567890.0987654321"
CLIENT_SECRET = "client-secret-for-tests-0123456789"


def new_encryption_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def opsbot_env(
    *, slack_api_url: str, api_url: str, redis_url: str, oauth: bool = False, **overrides: str
) -> dict[str, str]:
    """Settings for one workspace (``SLACK_BOT_TOKEN``), or any (``oauth``)."""
    workspace = (
        {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET}
        if oauth
        else {"SLACK_BOT_TOKEN": BOT_TOKEN}
    )
    env = {
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        **workspace,
        "SLACK_API_URL": slack_api_url,
        "OPSBOT_API_URL": api_url,
        "REDIS_URL": redis_url,
        "OPSBOT_ENCRYPTION_KEYS": new_encryption_key(),
        "OPSBOT_API_TIMEOUT": "5",
    }
    env.update(overrides)
    return env


@dataclass
class RunningOpsbot:
    base_url: str
    settings: Settings
    web_app: web.Application

    @property
    def services(self) -> Services:
        return services_of(self.web_app)

    async def set_team_key(self, team_id: str, api_key: str, set_by: str = "U0ADMIN") -> None:
        await self.services.team_keys.set(team_id, api_key, set_by)


@contextlib.asynccontextmanager
async def running_opsbot(
    env: Mapping[str, str], *, watcher: bool = False
) -> AsyncIterator[RunningOpsbot]:
    """Serve opsbot; most tests drive the watcher by hand (Worker.run_once), so a
    background one, which would race them, runs only when asked for."""
    settings = Settings.from_env(env)
    web_app = build_web_app(settings, watcher=watcher)
    runner = web.AppRunner(web_app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield RunningOpsbot(f"http://127.0.0.1:{port}", settings, web_app)
    finally:
        await listeners_done()
        await runner.cleanup()


# bolt acks first, then runs the listener as a task of its own (its asyncio_runner.py).
_LISTENER_TASK: Final = "run_ack_function_asynchronously"


async def listeners_done(timeout_s: float = 5.0) -> None:
    """Wait for the listeners still answering: a test may end before a click's last
    step (a lock released, an audit entry), and opsbot's Redis must outlive them, or
    the connection they open leaks into whichever test runs next."""
    running = [
        task
        for task in asyncio.all_tasks()
        if not task.done() and _LISTENER_TASK in task.get_coro().__qualname__  # type: ignore[union-attr]
    ]
    if running:
        await asyncio.wait(running, timeout=timeout_s)


@contextlib.contextmanager
def production_log(settings: Settings) -> Iterator[io.StringIO]:
    """What opsbot's own log handler (``opsbot serve``'s, redactor included) writes, at DEBUG.

    The redactor rewrites records in place, so enter this after caplog's
    handler is attached (in the test body) when caplog must see records as
    they were logged.
    """
    stream = io.StringIO()
    handler = redacting_handler(SecretRedactor(settings_secrets(settings)), stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
