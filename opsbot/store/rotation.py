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

from redis.asyncio import Redis

from opsbot.config import Settings
from opsbot.store import installations, keyspace, team_keys
from opsbot.store.codec import decoded
from opsbot.store.connection import open_redis
from opsbot.store.vault import Vault, VaultError, load_keyring

_SCAN_BATCH: Final = 500
_ATTEMPTS: Final = 3

# Compare-and-set of hash fields: ARGV = compared field, expected value, then
# field/value pairs to write.
_SET_HASH_FIELDS_IF: Final = """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
"""
# Compare-and-set of a string, keeping its expiry: ARGV = expected, new.
_SET_STRING_IF: Final = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
"""


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


async def rotate_keys(redis: Redis, vault: Vault) -> RotationReport:
    report = RotationReport()
    async for raw_key in redis.scan_iter(match=keyspace.PREFIX + "*", count=_SCAN_BATCH):
        key = decoded(raw_key)
        rotate = _rotator(key)
        if rotate is not None:
            report.add(key, await _with_retries(rotate, redis, vault, key))
    return report


_Rotator = Callable[[Redis, Vault, str], Awaitable[Outcome | None]]


def _rotator(key: str) -> _Rotator | None:
    if keyspace.is_api_key(key):
        return _rotate_api_key
    if keyspace.is_installation_record(key):
        return _rotate_installation
    return None


async def _with_retries(rotate: _Rotator, redis: Redis, vault: Vault, key: str) -> Outcome:
    """Retry when the record changed between our read and our write."""
    for _ in range(_ATTEMPTS):
        try:
            outcome = await rotate(redis, vault, key)
        except VaultError:
            return Outcome.FAILED
        if outcome is not None:
            return outcome
    return Outcome.FAILED


async def _rotate_api_key(redis: Redis, vault: Vault, key: str) -> Outcome | None:
    team_id = _team(key)
    record = await redis.hget(key, "record")
    if record is None:
        return Outcome.GONE
    fields = team_keys.reencrypt(vault, team_id, decoded(record))
    if fields is None:
        return Outcome.UNCHANGED
    pairs = [item for pair in fields.items() for item in pair]
    written = await redis.register_script(_SET_HASH_FIELDS_IF)(
        keys=[key], args=["record", decoded(record), *pairs]
    )
    return Outcome.ROTATED if written else None


async def _rotate_installation(redis: Redis, vault: Vault, key: str) -> Outcome | None:
    owner = _team(key)
    document = await redis.get(key)
    if document is None:
        return Outcome.GONE
    resealed = installations.reseal(vault, owner, decoded(document))
    if resealed is None:
        return Outcome.UNCHANGED
    written = await redis.register_script(_SET_STRING_IF)(
        keys=[key], args=[decoded(document), resealed]
    )
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
