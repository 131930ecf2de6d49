"""Slack installations and OAuth state in Redis (slack_sdk ships no Redis store).

The layout follows slack_sdk's file store: per workspace (or org, for an
org-wide install) the latest bot, the latest installation, and the latest
installation of each installing user. Each is a JSON document whose token
fields are vault records; the vault's associated data is the owner id (the
team, or the enterprise of an org-wide install) and the field name, so a
token copied to another team or into another field does not decrypt.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from typing import Any, Final

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from opsbot.store import keyspace
from opsbot.store.codec import decoded
from opsbot.store.connection import RedisClient
from opsbot.store.schedule import Schedule
from opsbot.store.vault import Vault

DOCUMENT_FORMAT: Final = 1
# Every field of Installation and Bot that grants access to Slack.
SECRET_FIELDS: Final = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)
OAUTH_STATE_TTL_S: Final = 600
_DELETE_BATCH: Final = 500

_logger = logging.getLogger(__name__)


def owner_id(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
) -> str | None:
    """The id whose tag an installation's keys carry: the team, or the org for an org-wide one."""
    if is_enterprise_install or not team_id:
        return enterprise_id
    return team_id


class RedisInstallationStore(AsyncInstallationStore):
    def __init__(
        self, redis: RedisClient, vault: Vault, *, logger: logging.Logger = _logger
    ) -> None:
        self._redis = redis
        self._vault = vault
        self._logger = logger

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    async def async_save(self, installation: Installation) -> None:
        owner = _required_owner(
            installation.enterprise_id, installation.team_id, installation.is_enterprise_install
        )
        enterprise_id = installation.enterprise_id
        document = seal(self._vault, owner, vars(installation))
        async with self._redis.pipeline(transaction=True) as pipe:
            if installation.bot_token is not None:
                bot = seal(self._vault, owner, vars(installation.to_bot()))
                pipe.set(keyspace.bot(owner, enterprise_id), bot)
            pipe.set(keyspace.installation(owner, enterprise_id), document)
            pipe.set(
                keyspace.user_installation(owner, installation.user_id, enterprise_id), document
            )
            await pipe.execute()

    async def async_save_bot(self, bot: Bot) -> None:
        if not bot.bot_token:
            self._logger.debug("not saving a bot without a bot token")
            return
        owner = _required_owner(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        document = seal(self._vault, owner, vars(bot))
        await self._redis.set(keyspace.bot(owner, bot.enterprise_id), document)

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
        fields = await self._load(owner, keyspace.bot(owner, enterprise_id))
        return None if fields is None else Bot(**fields)

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
        key = (
            keyspace.installation(owner, enterprise_id)
            if user_id is None
            else keyspace.user_installation(owner, user_id, enterprise_id)
        )
        fields = await self._load(owner, key)
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
            await self._redis.delete(keyspace.bot(owner, enterprise_id))

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        owner = owner_id(enterprise_id, team_id)
        if owner is None:
            return
        if user_id is None:
            await _unlink_matching(
                self._redis, keyspace.user_installations_pattern(owner, enterprise_id)
            )
            await self._redis.delete(keyspace.installation(owner, enterprise_id))
            return
        await self._redis.delete(keyspace.user_installation(owner, user_id, enterprise_id))
        # The latest installation holds its installer's user token too.
        latest = await self._load(owner, keyspace.installation(owner, enterprise_id))
        if latest is not None and latest.get("user_id") == user_id:
            await self._redis.delete(keyspace.installation(owner, enterprise_id))

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    async def _load(self, owner: str, key: str) -> dict[str, Any] | None:
        document = await self._redis.get(key)
        return None if document is None else unseal(self._vault, owner, decoded(document))


class RedisOAuthStateStore(AsyncOAuthStateStore):
    """OAuth ``state`` values, each valid once and for ``expiration_seconds``."""

    def __init__(
        self,
        redis: RedisClient,
        *,
        expiration_seconds: int = OAUTH_STATE_TTL_S,
        logger: logging.Logger = _logger,
    ) -> None:
        self._redis = redis
        self.expiration_seconds = expiration_seconds
        self._logger = logger

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    async def async_issue(self, *_args: object, **_kwargs: object) -> str:
        state = secrets.token_urlsafe(32)
        await self._redis.set(keyspace.oauth_state(state), "1", ex=self.expiration_seconds, nx=True)
        return state

    async def async_consume(self, state: str) -> bool:
        """True the first time a live state comes back, False ever after."""
        try:
            key = keyspace.oauth_state(state)
        except ValueError:
            return False  # not a state we issue; it came from a URL
        # DEL is atomic: of two callbacks racing with one state, one wins.
        return bool(await self._redis.delete(key))


async def delete_team_data(redis: RedisClient, team_id: str) -> int:
    """Delete every key of one team (on app_uninstalled, tokens_revoked); return how many.

    The team also leaves the watcher's schedule, whose keys are shared by all
    teams and so not counted.
    """
    deleted = await _unlink_matching(redis, keyspace.team_pattern(team_id))
    await Schedule(redis).forget(team_id)
    return deleted


def seal(vault: Vault, owner: str, fields: Mapping[str, Any]) -> str:
    """An installation's or bot's fields as JSON, with its tokens encrypted."""
    public = {name: value for name, value in fields.items() if name not in SECRET_FIELDS}
    sealed = {
        name: vault.encrypt(owner, name, value)
        for name, value in fields.items()
        if name in SECRET_FIELDS and value is not None
    }
    return json.dumps({"format": DOCUMENT_FORMAT, "fields": public, "secrets": sealed})


def unseal(vault: Vault, owner: str, document: str) -> dict[str, Any]:
    parsed = json.loads(document)
    fields: dict[str, Any] = dict(parsed["fields"])
    for name, record in parsed["secrets"].items():
        fields[name] = vault.decrypt(owner, name, record)
    return fields


def reseal(vault: Vault, owner: str, document: str) -> str | None:
    """The document with every token under the current key, or None if already so."""
    parsed = json.loads(document)
    stale = {
        name: vault.decrypt(owner, name, record)
        for name, record in parsed["secrets"].items()
        if vault.needs_rotation(record)
    }
    if not stale:
        return None
    for name, value in stale.items():
        parsed["secrets"][name] = vault.encrypt(owner, name, value)
    return json.dumps(parsed)


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


async def _unlink_matching(redis: RedisClient, pattern: str) -> int:
    """UNLINK the keys matching ``pattern`` in batches; return how many went."""
    deleted = 0
    batch: list[str] = []
    async for key in redis.scan_iter(match=pattern, count=_DELETE_BATCH):
        batch.append(decoded(key))
        if len(batch) == _DELETE_BATCH:
            deleted += await redis.unlink(*batch)
            batch.clear()
    if batch:
        deleted += await redis.unlink(*batch)
    return deleted
