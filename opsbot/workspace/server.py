"""The local workspace on HTTP: Web API, response_urls and Socket Mode on one port.

``async with serve_workspace(workspace) as served:`` serves on a free port of
127.0.0.1 (or the one given) until the block ends; point slack_sdk's
``AsyncWebClient(base_url=served.api_url)`` or ``SLACK_API_URL`` at it and
drive people with ``served.interactions``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Final

import aiohttp
from aiohttp import web

from opsbot.workspace.interactions import Interactions
from opsbot.workspace.response_urls import RESPONSE_PATH, response_handler
from opsbot.workspace.socket_mode import SOCKET_PATH, SocketModeHub
from opsbot.workspace.web_api import API_PATH, METHODS, Method, api_handler
from opsbot.workspace.workspace import Workspace

MAX_REQUEST_BYTES: Final = 1024 * 1024
# An app may hold a Socket Mode connection open; this bounds how long closing waits.
SHUTDOWN_SECONDS: Final = 0.5


def build_app(workspace: Workspace, hub: SocketModeHub) -> web.Application:
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    methods = {**METHODS, "apps.connections.open": Method(hub.open_connection, auth="app")}
    answer = api_handler(workspace, methods)
    app.router.add_route("POST", API_PATH + "{method}", answer)
    app.router.add_route("GET", API_PATH + "{method}", answer)
    app.router.add_post(RESPONSE_PATH + "{id}", response_handler(workspace))
    app.router.add_get(SOCKET_PATH, hub.serve)
    return app


@dataclass(frozen=True)
class ServedWorkspace:
    workspace: Workspace
    interactions: Interactions
    hub: SocketModeHub
    host: str
    port: int

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        """For ``SLACK_API_URL``: ends in ``/api/`` as ``https://slack.com/api/`` does."""
        return self.base_url + API_PATH


@contextlib.asynccontextmanager
async def serve_workspace(
    workspace: Workspace, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[ServedWorkspace]:
    """Serve ``workspace`` until the block ends (port 0: any free port)."""
    hub = SocketModeHub(workspace)
    runner = web.AppRunner(
        build_app(workspace, hub), access_log=None, shutdown_timeout=SHUTDOWN_SECONDS
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = int(runner.addresses[0][1])
        async with aiohttp.ClientSession() as session:
            served = ServedWorkspace(
                workspace, Interactions(workspace, session, hub), hub, host, bound_port
            )
            workspace.base_url = served.base_url
            try:
                yield served
            finally:
                await hub.close()
    finally:
        await runner.cleanup()
