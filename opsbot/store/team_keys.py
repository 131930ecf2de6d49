"""Each team's API key for the operation API, encrypted at rest.

One hash per team, ``opsbot:{T…}:apikey``: ``record`` (the vault's
ciphertext), ``set_by`` (a Slack user id), ``set_at`` (ISO 8601, UTC) and
``fingerprint`` (a short hash to tell keys apart in ``/ops key status``; see
:func:`opsbot.store.vault.fingerprint`). The fingerprint is written when the
key is set and never recomputed: key rotation re-encrypts the record only.

A record that does not decrypt (altered, or encrypted under a key no longer
in the keyring) is a key that must be set again: :meth:`TeamKeyStore.get`
raises the vault's error for it, and :meth:`TeamKeyStore.status` says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from redis.typing import EncodableT, FieldT

from opsbot.clock import utc_now
from opsbot.store import keyspace
from opsbot.store.codec import decoded, decoded_map
from opsbot.store.connection import RedisClient, RedisPipeline
from opsbot.store.vault import Vault, VaultError

PURPOSE: Final = "api_key"


@dataclass(frozen=True)
class KeyStatus:
    """What may be shown about a team's key: never the key itself."""

    set_by: str
    set_at: dt.datetime
    fingerprint: str
    # False when the stored record does not decrypt: the key must be set again.
    readable: bool = True


class TeamKeyStore:
    def __init__(self, redis: RedisClient, vault: Vault) -> None:
        self._redis = redis
        self._vault = vault

    async def set(self, team_id: str, api_key: str, set_by: str) -> KeyStatus:
        status = KeyStatus(
            set_by=set_by,
            set_at=utc_now(),
            fingerprint=self._vault.fingerprint(team_id, api_key),
        )
        fields: dict[FieldT, EncodableT] = {
            "record": self._vault.encrypt(team_id, PURPOSE, api_key),
            "set_by": status.set_by,
            "set_at": status.set_at.isoformat(),
            "fingerprint": status.fingerprint,
        }
        # MULTI: a reader never sees the new record with the old fingerprint.
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(keyspace.api_key(team_id))
            pipe.hset(keyspace.api_key(team_id), mapping=fields)
            await pipe.execute()
        return status

    async def get(self, team_id: str) -> str | None:
        """The team's key in clear, or None when none is set.

        Raises :class:`~opsbot.store.vault.VaultError` when the stored key does
        not decrypt (its message names the missing key id, never a secret).
        """
        return self.opened(team_id, await self._redis.hget(keyspace.api_key(team_id), "record"))

    @staticmethod
    def queue_get(pipe: RedisPipeline, team_id: str) -> None:
        """Queue :meth:`get`'s read on ``pipe``; :meth:`opened` reads its reply."""
        pipe.hget(keyspace.api_key(team_id), "record")

    def opened(self, team_id: str, record: str | bytes | None) -> str | None:
        """The key in clear out of its stored record (None: no key); VaultError as :meth:`get`."""
        if record is None:
            return None
        return self._vault.decrypt(team_id, PURPOSE, decoded(record))

    async def status(self, team_id: str) -> KeyStatus | None:
        """Who set the key, when, its fingerprint, and whether it still decrypts."""
        fields = decoded_map(await self._redis.hgetall(keyspace.api_key(team_id)))
        if "record" not in fields:
            return None
        return KeyStatus(
            set_by=fields.get("set_by", ""),
            set_at=dt.datetime.fromisoformat(fields["set_at"]),
            fingerprint=fields.get("fingerprint", ""),
            readable=self._decrypts(team_id, fields["record"]),
        )

    def _decrypts(self, team_id: str, record: str) -> bool:
        try:
            self._vault.decrypt(team_id, PURPOSE, record)
        except VaultError:
            return False
        return True

    async def remove(self, team_id: str) -> bool:
        """Delete the team's key; False when there was none."""
        return bool(await self._redis.delete(keyspace.api_key(team_id)))


def reencrypt(vault: Vault, team_id: str, record: str) -> dict[str, str] | None:
    """The hash fields to write so the key is under the current key, or None if it is.

    The record is decrypted even when it is under the current key already,
    so that one which does not decrypt raises VaultError rather than pass
    for "unchanged". The fingerprint stays as it was written.
    """
    api_key = vault.decrypt(team_id, PURPOSE, record)
    if not vault.needs_rotation(record):
        return None
    return {"record": vault.encrypt(team_id, PURPOSE, api_key)}
