"""The Slack Web API client the watcher posts with, for each team.

One workspace (``SLACK_BOT_TOKEN``): the same bot token for every team. Any
workspace (OAuth): the team's bot token from the installation store, looked
up on every pass so that a reinstall or an uninstall is seen at once. Clients
are kept per token and share one aiohttp session (keep-alive to Slack).
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Self

import aiohttp
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.config import Settings
from opsbot.slack_web import web_client

log = logging.getLogger(__name__)


class TeamClients:
    """``async with TeamClients(settings, installations) as clients: await clients.for_team(T)``."""

    def __init__(
        self, settings: Settings, installations: AsyncInstallationStore | None = None
    ) -> None:
        if settings.slack.oauth and installations is None:
            raise ValueError("OAuth mode needs the installation store to find each team's bot")
        self._settings = settings
        self._installations = installations if settings.slack.oauth else None
        self._session: aiohttp.ClientSession | None = None
        # Keyed by token; the token itself stays out of every repr and log line.
        self._clients: dict[str, AsyncWebClient] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        self._clients.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def for_team(self, team_id: str) -> AsyncWebClient | None:
        """The client for ``team_id``, or None when the app is not installed there."""
        token = await self._bot_token(team_id)
        if token is None:
            return None
        client = self._clients.get(token)
        if client is None:
            client = web_client(self._settings.slack_api_url, token, session=self._open_session())
            self._clients[token] = client
        return client

    async def _bot_token(self, team_id: str) -> str | None:
        if self._installations is None:
            return self._settings.slack.bot_token
        bot = await self._installations.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None:
            log.info("team %s has no installation: its posts wait", team_id)
            return None
        return bot.bot_token

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session
