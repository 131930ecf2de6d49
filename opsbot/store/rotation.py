"""Re-encrypt every stored secret under the first key of the keyring.

``opsbot rotate-keys`` runs this after a new key is put first in
``OPSBOT_ENCRYPTION_KEYS``; once it reports nothing unreadable and no
failure, the old keys can be dropped from the list. It may run while opsbot
serves: each record is replaced with a compare-and-set, so a secret written
meanwhile is never overwritten by an older one. Running it twice changes
nothing the second time.

Every record is decrypted, even one under the current key already, so that
a record which does not decrypt (altered, or under a key no longer in the
keyring) is reported as such, by team and field, never as "unchanged" and
never with its value. Fingerprints are left as they were written (they do
not depend on the keyring: see :func:`opsbot.store.vault.fingerprint`).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Final

from opsbot.config import Settings
from opsbot.store import approvals, installations, keyspace, team_keys
from opsbot.store.codec import decoded
from opsbot.store.compare_and_set import CompareAndSet
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.vault import Vault, VaultError, load_keyring

_SCAN_BATCH: Final = 500
_ATTEMPTS: Final = 3


class Outcome(enum.Enum):
    ROTATED = "rotated"
    UNCHANGED = "unchanged"
    FAILED = "failed"  # it kept changing under our feet: run again
    GONE = "gone"  # deleted while we looked at it: nothing to count


@dataclass(frozen=True)
class UnreadableRecord:
    """A stored secret that does not decrypt: which team, which field, in which record."""

    team_id: str
    field: str
    record: str

    def line(self) -> str:
        return (
            f"unreadable: team {self.team_id}, {self.field} of the {self.record} does not "
            "decrypt (altered, or under a key not in OPSBOT_ENCRYPTION_KEYS): put its key "
            "back in the list, or set it again"
        )


class _Unreadable(Exception):
    def __init__(self, fields: list[str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


@dataclass
class RotationReport:
    rotated: int = 0
    unchanged: int = 0
    failed: int = 0
    # Key names only: records that kept changing while we rotated them.
    failed_keys: list[str] = field(default_factory=list)
    unreadable: list[UnreadableRecord] = field(default_factory=list)

    def add(self, key: str, outcome: Outcome) -> None:
        if outcome is Outcome.ROTATED:
            self.rotated += 1
        elif outcome is Outcome.UNCHANGED:
            self.unchanged += 1
        elif outcome is Outcome.FAILED:
            self.failed += 1
            self.failed_keys.append(key)

    @property
    def complete(self) -> bool:
        """True when every record is under the first key: the old keys may go."""
        return not (self.failed or self.unreadable)

    def lines(self) -> list[str]:
        """One line per record that needs the operator, then the counts."""
        details = [record.line() for record in self.unreadable]
        details += [f"failed: {key} kept changing; run again" for key in self.failed_keys]
        return [*details, str(self)]

    def __str__(self) -> str:
        return (
            f"rotated {self.rotated}, unchanged {self.unchanged}, "
            f"unreadable {len(self.unreadable)}, failed {self.failed}"
        )


async def rotate_keys(redis: RedisClient, vault: Vault) -> RotationReport:
    report = RotationReport()
    rotation = _Rotation(redis, vault, CompareAndSet(redis))
    async for raw_key in redis.scan_iter(match=keyspace.PREFIX + "*", count=_SCAN_BATCH):
        key = decoded(raw_key)
        rotate = rotation.rotator(key)
        if rotate is None:
            continue
        try:
            report.add(key, await _with_retries(rotate, key))
        except _Unreadable as unreadable:
            report.unreadable.extend(
                UnreadableRecord(_team(key), name, _record_name(key)) for name in unreadable.fields
            )
    return report


# Rotates one record: None when it changed between our read and our write.
_Rotator = Callable[[str], Awaitable[Outcome | None]]


async def _with_retries(rotate: _Rotator, key: str) -> Outcome:
    """Retry when the record changed between our read and our write."""
    for _ in range(_ATTEMPTS):
        outcome = await rotate(key)
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
        if keyspace.is_approval(key):
            return self.approval
        return None

    async def api_key(self, key: str) -> Outcome | None:
        record = await self.redis.hget(key, "record")
        if record is None:
            return Outcome.GONE
        try:
            fields = team_keys.reencrypt(self.vault, _team(key), decoded(record))
        except VaultError:
            raise _Unreadable([team_keys.PURPOSE]) from None
        if fields is None:
            return Outcome.UNCHANGED
        written = await self.compare_and_set.hash_fields(
            key, field="record", expected=decoded(record), new=fields
        )
        return Outcome.ROTATED if written else None

    async def approval(self, key: str) -> Outcome | None:
        """A relaunch waiting for approval keeps its parameters encrypted: they move too."""
        sealed = await self.redis.hget(key, "params")
        if sealed is None:
            return Outcome.GONE
        try:
            resealed = approvals.reseal(self.vault, _team(key), decoded(sealed))
        except VaultError:
            raise _Unreadable([approvals.PARAMS_PURPOSE]) from None
        if resealed is None:
            return Outcome.UNCHANGED
        written = await self.compare_and_set.hash_fields(
            key, field="params", expected=decoded(sealed), new={"params": resealed}
        )
        return Outcome.ROTATED if written else None

    async def installation(self, key: str) -> Outcome | None:
        document = await self.redis.get(key)
        if document is None:
            return Outcome.GONE
        _check_secrets(self.vault, _team(key), decoded(document))
        resealed = installations.reseal(self.vault, _team(key), decoded(document))
        if resealed is None:
            return Outcome.UNCHANGED
        written = await self.compare_and_set.string(key, expected=decoded(document), new=resealed)
        return Outcome.ROTATED if written else None


def _check_secrets(vault: Vault, owner: str, document: str) -> None:
    """Raise _Unreadable naming each secret of an installation that does not decrypt."""
    try:
        secrets = json.loads(document)["secrets"]
        names = sorted(secrets)
    except (ValueError, TypeError, KeyError):
        raise _Unreadable(["the whole document"]) from None
    unreadable = []
    for name in names:
        try:
            vault.decrypt(owner, name, secrets[name])
        except (VaultError, ValueError):
            unreadable.append(name)
    if unreadable:
        raise _Unreadable(unreadable)


def _record_name(key: str) -> str:
    """What a key holds, in words: "API key", "Slack bot", "Slack installation by U0…"."""
    if keyspace.is_api_key(key):
        return "API key record"
    if keyspace.is_approval(key):
        return "approval request record"
    parts = key.split(":")
    if parts[4:] == ["bot"]:
        return "Slack bot record"
    if len(parts) > 5:
        return f"Slack installation record of user {parts[5]}"
    return "Slack installation record"


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
