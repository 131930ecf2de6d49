"""The services container: what every process shape needs, opened once and closed in reverse.

``opsbot serve``, ``opsbot socket`` and ``opsbot worker`` all start from
:func:`open_services` (see :mod:`opsbot.runtime`): one Redis client, one API
client, one vault, and the stores built on them. Listeners and the watcher
receive the container rather than opening anything themselves.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from opsbot.api.client import OperationClient
from opsbot.config import Settings
from opsbot.slack_installations import RedisInstallationStore, RedisOAuthStateStore
from opsbot.store.approvals import ApprovalStore
from opsbot.store.audit import AuditLog
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.group_members import GroupMembers
from opsbot.store.guardrail_store import GuardrailStore
from opsbot.store.locks import ActionLocks
from opsbot.store.mutes import Mutes
from opsbot.store.pacing import ChannelPacing
from opsbot.store.pauses import TeamPauses
from opsbot.store.schedule import Schedule
from opsbot.store.subscriptions import SubscriptionStore
from opsbot.store.team_data import TeamData
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import Vault, load_keyring
from opsbot.store.watches import WatchStore


@dataclass(frozen=True)
class Services:
    settings: Settings
    redis: RedisClient
    vault: Vault
    api: OperationClient
    team_keys: TeamKeyStore
    audit: AuditLog
    watches: WatchStore
    subscriptions: SubscriptionStore
    schedule: Schedule
    locks: ActionLocks
    pauses: TeamPauses
    team_data: TeamData
    # Each channel's post bucket, shared with the watcher's poster.
    pacing: ChannelPacing
    mutes: Mutes
    guardrails: GuardrailStore
    group_members: GroupMembers
    approvals: ApprovalStore
    # Used in OAuth mode only: where installations and OAuth states are kept.
    installations: RedisInstallationStore
    oauth_states: RedisOAuthStateStore


@contextlib.asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Redis, the API client and the vault for as long as the block lasts."""
    vault = Vault(load_keyring(settings))
    async with open_redis(settings) as redis, OperationClient.from_settings(settings) as api:
        yield Services(
            settings=settings,
            redis=redis,
            vault=vault,
            api=api,
            team_keys=TeamKeyStore(redis, vault),
            audit=AuditLog(redis),
            watches=WatchStore(redis, max_watches=settings.max_watches),
            subscriptions=SubscriptionStore(
                redis, max_subscriptions=settings.max_subscriptions, api_zone=settings.api_zone
            ),
            schedule=Schedule(redis),
            locks=ActionLocks(redis),
            pauses=TeamPauses(redis),
            team_data=TeamData(redis),
            pacing=ChannelPacing.from_settings(redis, settings),
            mutes=Mutes(redis),
            guardrails=GuardrailStore(redis),
            group_members=GroupMembers(redis),
            approvals=ApprovalStore(redis, vault),
            installations=RedisInstallationStore(redis, vault),
            oauth_states=RedisOAuthStateStore(redis),
        )
