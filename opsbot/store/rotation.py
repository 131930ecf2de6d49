"""Re-encrypt every stored secret under the first key of the keyring.

``opsbot rotate-keys`` runs this after a new key is put first in
``OPSBOT_ENCRYPTION_KEYS``; once it reports no failure, the old keys can be
dropped from the list. It may run while opsbot serves: each record is
replaced with a compare-and-set, so a secret written meanwhile is never
overwritten by an older one. Running it twice changes nothing the second time.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Final

from opsbot.config import Settings
from opsbot.store import installations, keyspace, team_keys
from opsbot.store.codec import decoded
from opsbot.store.compare_and_set import CompareAndSet
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.vault import Vault, VaultError, load_keyring

_SCAN_BATCH: Final = 500
_ATTEMPTS: Final = 3


class Outcome(enum.Enum):
    ROTATED = "rotated"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    GONE = "gone"  # deleted while we looked at it: nothing to count


@dataclass
class RotationReport:
    rotated: int = 0
    unchanged: int = 0
    failed: int = 0
    # Key names only: which records need the operator (their old key is missing).
    failed_keys: list[str] = field(default_factory=list)

    def add(self, key: str, outcome: Outcome) -> None:
        if outcome is Outcome.ROTATED:
            self.rotated += 1
        elif outcome is Outcome.UNCHANGED:
            self.unchanged += 1
        elif outcome is Outcome.FAILED:
            self.failed += 1
            self.failed_keys.append(key)

    def __str__(self) -> str:
        return f"rotated {self.rotated}, unchanged {self.unchanged}, failed {self.failed}"


async def rotate_keys(redis: RedisClient, vault: Vault) -> RotationReport:
    report = RotationReport()
    rotation = _Rotation(redis, vault, CompareAndSet(redis))
    async for raw_key in redis.scan_iter(match=keyspace.PREFIX + "*", count=_SCAN_BATCH):
        key = decoded(raw_key)
        rotate = rotation.rotator(key)
        if rotate is not None:
            report.add(key, await _with_retries(rotate, key))
    return report


# Rotates one record: None when it changed between our read and our write.
_Rotator = Callable[[str], Awaitable[Outcome | None]]


async def _with_retries(rotate: _Rotator, key: str) -> Outcome:
    """Retry when the record changed between our read and our write."""
    for _ in range(_ATTEMPTS):
        try:
            outcome = await rotate(key)
        except VaultError:
            return Outcome.FAILED
        if outcome is not None:
            return outcome
    return Outcome.FAILED


@dataclass(frozen=True)
class _Rotation:
    """One run: each record is replaced with a compare-and-set on what was read."""

    redis: RedisClient
    vault: Vault
    compare_and_set: CompareAndSet

    def rotator(self, key: str) -> _Rotator | None:
        if keyspace.is_api_key(key):
            return self.api_key
        if keyspace.is_installation_record(key):
            return self.installation
        return None

    async def api_key(self, key: str) -> Outcome | None:
        record = await self.redis.hget(key, "record")
        if record is None:
            return Outcome.GONE
        fields = team_keys.reencrypt(self.vault, _team(key), decoded(record))
        if fields is None:
            return Outcome.UNCHANGED
        written = await self.compare_and_set.hash_fields(
            key, field="record", expected=decoded(record), new=fields
        )
        return Outcome.ROTATED if written else None

    async def installation(self, key: str) -> Outcome | None:
        document = await self.redis.get(key)
        if document is None:
            return Outcome.GONE
        resealed = installations.reseal(self.vault, _team(key), decoded(document))
        if resealed is None:
            return Outcome.UNCHANGED
        written = await self.compare_and_set.string(key, expected=decoded(document), new=resealed)
        return Outcome.ROTATED if written else None


def _team(key: str) -> str:
    team_id = keyspace.team_of(key)
    if team_id is None:  # the key predicates above only accept team keys
        raise AssertionError(f"not a team key: {key}")
    return team_id


async def rotate_all(settings: Settings) -> RotationReport:
    """``opsbot rotate-keys``: re-encrypt everything under the first key of the keyring."""
    vault = Vault(load_keyring(settings))
    async with open_redis(settings) as redis:
        return await rotate_keys(redis, vault)
