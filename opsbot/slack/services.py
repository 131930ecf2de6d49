"""What the Slack handlers need, opened once per process and passed around."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from opsbot.api.client import OperationClient
from opsbot.config import Settings
from opsbot.store.audit import AuditLog
from opsbot.store.locks import ActionLocks
from opsbot.store.pauses import TeamPauses
from opsbot.store.schedule import Schedule
from opsbot.store.subscriptions import SubscriptionStore
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import Vault
from opsbot.store.watches import WatchStore


@dataclass(frozen=True)
class Services:
    settings: Settings
    redis: Redis
    vault: Vault
    api: OperationClient
    team_keys: TeamKeyStore
    audit: AuditLog
    watches: WatchStore
    pauses: TeamPauses
    subscriptions: SubscriptionStore
    schedule: Schedule
    locks: ActionLocks
