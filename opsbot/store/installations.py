"""Slack installations and OAuth state in Redis, as plain records with sealed tokens.

The layout follows slack_sdk's file store: per workspace (or org, for an
org-wide install) the latest bot, the latest installation, and the latest
installation of each installing user. Each is a JSON document whose token
fields are vault records; the vault's associated data is the owner id (the
team, or the enterprise of an org-wide install) and the field name, so a
token copied to another team or into another field does not decrypt.

Records here are field mappings: this module knows Redis and the vault, not
slack_sdk. :mod:`opsbot.slack_installations` turns them into slack_sdk's
``Installation`` and ``Bot`` for bolt and the watcher.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any, Final

from opsbot.store import keyspace
from opsbot.store.codec import decoded
from opsbot.store.connection import RedisClient
from opsbot.store.unlink import unlink_matching
from opsbot.store.vault import Vault

DOCUMENT_FORMAT: Final = 1
# Every field of an installation or a bot that grants access to Slack.
SECRET_FIELDS: Final = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)
OAUTH_STATE_TTL_S: Final = 600

Fields = Mapping[str, Any]


def _remember_enterprise(pipe: Any, owner: str, enterprise_id: str | None) -> None:
    """Note the org of a workspace installed inside one (same slot: the owner's tag)."""
    if enterprise_id is not None and owner != enterprise_id:
        pipe.set(keyspace.team_enterprise(owner), enterprise_id)
    elif enterprise_id is None:
        pipe.delete(keyspace.team_enterprise(owner))


def owner_id(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
) -> str | None:
    """The id whose tag an installation's keys carry: the team, or the org for an org-wide one."""
    if is_enterprise_install or not team_id:
        return enterprise_id
    return team_id


class InstallationRecords:
    """The installation and bot records of each owner (see :func:`owner_id`)."""

    def __init__(self, redis: RedisClient, vault: Vault) -> None:
        self._redis = redis
        self._vault = vault

    async def save(
        self, owner: str, installation: Fields, bot: Fields | None, enterprise_id: str | None
    ) -> None:
        """Store ``installation`` as the latest and as its installer's, with its ``bot`` if any."""
        document = seal(self._vault, owner, installation)
        async with self._redis.pipeline(transaction=True) as pipe:
            if bot is not None:
                pipe.set(keyspace.bot(owner, enterprise_id), seal(self._vault, owner, bot))
            pipe.set(keyspace.installation(owner, enterprise_id), document)
            pipe.set(
                keyspace.user_installation(owner, installation["user_id"], enterprise_id),
                document,
            )
            _remember_enterprise(pipe, owner, enterprise_id)
            await pipe.execute()

    async def save_bot(self, owner: str, bot: Fields, enterprise_id: str | None) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(keyspace.bot(owner, enterprise_id), seal(self._vault, owner, bot))
            _remember_enterprise(pipe, owner, enterprise_id)
            await pipe.execute()

    async def enterprise_of(self, team_id: str) -> str | None:
        """The Enterprise Grid org ``team_id``'s installation is stored under, if any.

        Work that starts from a team alone (the watcher) needs it to find the
        bot: installations are keyed by (enterprise, team), as bolt keys them.
        """
        enterprise = await self._redis.get(keyspace.team_enterprise(team_id))
        return None if enterprise is None else decoded(enterprise)

    async def find_bot(self, owner: str, enterprise_id: str | None) -> dict[str, Any] | None:
        return await self._load(owner, keyspace.bot(owner, enterprise_id))

    async def find_installation(
        self, owner: str, enterprise_id: str | None, user_id: str | None = None
    ) -> dict[str, Any] | None:
        """The latest installation, or ``user_id``'s latest when given."""
        key = (
            keyspace.installation(owner, enterprise_id)
            if user_id is None
            else keyspace.user_installation(owner, user_id, enterprise_id)
        )
        return await self._load(owner, key)

    async def delete_bot(self, owner: str, enterprise_id: str | None) -> None:
        await self._redis.delete(keyspace.bot(owner, enterprise_id))

    async def delete_installation(
        self, owner: str, enterprise_id: str | None, user_id: str | None = None
    ) -> None:
        """Forget every installation of the owner, or only ``user_id``'s when given."""
        if user_id is None:
            await unlink_matching(
                self._redis, keyspace.user_installations_pattern(owner, enterprise_id)
            )
            await self._redis.delete(keyspace.installation(owner, enterprise_id))
            return
        await self._redis.delete(keyspace.user_installation(owner, user_id, enterprise_id))
        # The latest installation holds its installer's user token too.
        latest = await self.find_installation(owner, enterprise_id)
        if latest is not None and latest.get("user_id") == user_id:
            await self._redis.delete(keyspace.installation(owner, enterprise_id))

    async def _load(self, owner: str, key: str) -> dict[str, Any] | None:
        document = await self._redis.get(key)
        return None if document is None else unseal(self._vault, owner, decoded(document))


class OAuthStates:
    """OAuth ``state`` values, each valid once and for ``expiration_seconds``."""

    def __init__(self, redis: RedisClient, *, expiration_seconds: int = OAUTH_STATE_TTL_S) -> None:
        self._redis = redis
        self.expiration_seconds = expiration_seconds

    async def issue(self) -> str:
        state = secrets.token_urlsafe(32)
        await self._redis.set(keyspace.oauth_state(state), "1", ex=self.expiration_seconds, nx=True)
        return state

    async def consume(self, state: str) -> bool:
        """True the first time a live state comes back, False ever after."""
        try:
            key = keyspace.oauth_state(state)
        except ValueError:
            return False  # not a state we issue; it came from a URL
        # DEL is atomic: of two callbacks racing with one state, one wins.
        return bool(await self._redis.delete(key))


def seal(vault: Vault, owner: str, fields: Fields) -> str:
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
