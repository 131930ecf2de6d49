"""slack_sdk's installation and OAuth-state stores, kept in Redis (slack_sdk ships none).

bolt (OAuth mode) and the watcher (each team's bot token) speak slack_sdk's
``AsyncInstallationStore`` and ``AsyncOAuthStateStore``; this module turns
their ``Installation`` and ``Bot`` objects into the plain, sealed records of
:mod:`opsbot.store.installations` and back, so that the store itself knows
nothing of Slack.
"""

from __future__ import annotations

import logging

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from opsbot.store.connection import RedisClient
from opsbot.store.installations import (
    OAUTH_STATE_TTL_S,
    InstallationRecords,
    OAuthStates,
    owner_id,
)
from opsbot.store.vault import Vault

_logger = logging.getLogger(__name__)


class RedisInstallationStore(AsyncInstallationStore):
    def __init__(
        self, redis: RedisClient, vault: Vault, *, logger: logging.Logger = _logger
    ) -> None:
        self._records = InstallationRecords(redis, vault)
        self._logger = logger

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    async def async_save(self, installation: Installation) -> None:
        owner = _required_owner(
            installation.enterprise_id, installation.team_id, installation.is_enterprise_install
        )
        bot = None if installation.bot_token is None else vars(installation.to_bot())
        await self._records.save(owner, vars(installation), bot, installation.enterprise_id)

    async def async_save_bot(self, bot: Bot) -> None:
        if not bot.bot_token:
            self._logger.debug("not saving a bot without a bot token")
            return
        owner = _required_owner(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        await self._records.save_bot(owner, vars(bot), bot.enterprise_id)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        owner = owner_id(enterprise_id, team_id, is_enterprise_install)
        if owner is None:
            return None
        fields = await self._records.find_bot(owner, enterprise_id)
        return None if fields is None else Bot(**fields)

    async def async_find_team_bot(self, team_id: str) -> Bot | None:
        """The bot serving ``team_id``, whether the workspace stands alone or is in a Grid org.

        For work that starts from a team id alone (the watcher's posts): bolt
        finds an installation by the (enterprise_id, team_id) of each request,
        and a team installed inside an Enterprise Grid org is stored under
        its org's id, so it is looked up the same way.
        """
        enterprise_id = await self._records.enterprise_of(team_id)
        return await self.async_find_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        owner = owner_id(enterprise_id, team_id, is_enterprise_install)
        if owner is None:
            return None
        fields = await self._records.find_installation(owner, enterprise_id, user_id)
        if fields is None:
            return None
        installation = Installation(**fields)
        if user_id is not None or installation.bot_token is None:
            # A user's installation may predate the latest bot token; use the
            # newest one, as slack_sdk's own stores do (bolt-python#664).
            latest = await self.async_find_bot(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=is_enterprise_install,
            )
            if latest is not None and latest.bot_token != installation.bot_token:
                _copy_bot(latest, installation)
        return installation

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        owner = owner_id(enterprise_id, team_id)
        if owner is not None:
            await self._records.delete_bot(owner, enterprise_id)

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        owner = owner_id(enterprise_id, team_id)
        if owner is not None:
            await self._records.delete_installation(owner, enterprise_id, user_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)


class RedisOAuthStateStore(AsyncOAuthStateStore):
    """OAuth ``state`` values, each valid once and for ``expiration_seconds``."""

    def __init__(
        self,
        redis: RedisClient,
        *,
        expiration_seconds: int = OAUTH_STATE_TTL_S,
        logger: logging.Logger = _logger,
    ) -> None:
        self._states = OAuthStates(redis, expiration_seconds=expiration_seconds)
        self.expiration_seconds = expiration_seconds
        self._logger = logger

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    async def async_issue(self, *_args: object, **_kwargs: object) -> str:
        return await self._states.issue()

    async def async_consume(self, state: str) -> bool:
        """True the first time a live state comes back, False ever after."""
        return await self._states.consume(state)


def _required_owner(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
) -> str:
    owner = owner_id(enterprise_id, team_id, is_enterprise_install)
    if owner is None:
        raise ValueError("an installation needs a team id or an enterprise id")
    return owner


def _copy_bot(bot: Bot, installation: Installation) -> None:
    installation.bot_id = bot.bot_id
    installation.bot_user_id = bot.bot_user_id
    installation.bot_token = bot.bot_token
    installation.bot_scopes = bot.bot_scopes
    installation.bot_refresh_token = bot.bot_refresh_token
    installation.bot_token_expires_at = bot.bot_token_expires_at
