"""What only tests read in Redis: counts, due times, audit entries, one claim.

Production code has no use for these, so they live here and take the client
(or the store) under test; key names still come from
:mod:`opsbot.store.keyspace`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from redis.asyncio.cluster import RedisCluster

from opsbot.clock import moment
from opsbot.store import keyspace
from opsbot.store.codec import decoded, decoded_map
from opsbot.store.connection import RedisClient
from opsbot.store.schedule import Lease, Schedule


async def all_keys(redis: RedisClient, pattern: str = "*") -> list[str]:
    """Every key matching ``pattern``, sorted: SCAN, which visits every primary of a cluster.

    (KEYS on a cluster client asks one node only.)
    """
    return sorted([decoded(key) async for key in redis.scan_iter(match=pattern, count=1000)])


async def server_info(redis: RedisClient, section: str, *, serving: str) -> dict[str, Any]:
    """INFO ``section`` of the server that holds key ``serving`` (its primary on a cluster)."""
    if isinstance(redis, RedisCluster):
        node = redis.get_node_from_key(serving)
        info: dict[str, Any] = await redis.info(section, target_nodes=node)
        return info
    return await redis.info(section)


async def primaries_info(redis: RedisClient, section: str) -> list[dict[str, Any]]:
    """INFO ``section`` of every primary (the one primary outside a cluster)."""
    if isinstance(redis, RedisCluster):
        per_node: dict[str, Any] = await redis.info(section, target_nodes=RedisCluster.PRIMARIES)
        return [info for info in per_node.values() if isinstance(info, dict)]
    return [await redis.info(section)]


async def commands_run(redis: RedisClient) -> Counter[str]:
    """Commands run so far by name, summed over the primaries.

    As Redis counts them (``INFO commandstats``): a script's own commands
    count, besides its EVALSHA.
    """
    total: Counter[str] = Counter()
    for info in await primaries_info(redis, "commandstats"):
        for name, stat in info.items():
            if name.startswith("cmdstat_"):
                total[name.removeprefix("cmdstat_").upper()] += int(stat["calls"])
    return total


async def watched_count(redis: RedisClient, team_id: str) -> int:
    """How many watches the team has (including those awaiting their final posts)."""
    return int(await redis.zcard(keyspace.watch_expiries(team_id)))


async def next_poll_due(redis: RedisClient, team_id: str) -> float | None:
    """When the team's earliest polled watch is due; None when none is polled."""
    earliest = await redis.zrange(keyspace.watches(team_id), 0, 0, withscores=True)
    return float(earliest[0][1]) if earliest else None


async def claim(schedule: Schedule, now: float) -> Lease | None:
    """The earliest team due at ``now``, leased to us; None when none is due."""
    leases = (await schedule.claim_many(now, 1)).leases
    return leases[0] if leases else None


@dataclass(frozen=True)
class AuditEntry:
    id: str
    at: dt.datetime
    user_id: str
    action: str
    target: str
    outcome: str
    detail: str


async def recent_audit(redis: RedisClient, team_id: str, count: int = 20) -> list[AuditEntry]:
    """The team's latest audit entries, newest first."""
    entries = await redis.xrevrange(keyspace.audit(team_id), count=count)
    return [
        _audit_entry(decoded(entry_id), decoded_map(fields))
        for entry_id, fields in entries or []
        if entry_id is not None
    ]


def _audit_entry(entry_id: str, values: dict[str, str]) -> AuditEntry:
    milliseconds = int(entry_id.partition("-")[0])
    return AuditEntry(
        id=entry_id,
        at=moment(milliseconds / 1000),
        user_id=values.get("user_id", ""),
        action=values.get("action", ""),
        target=values.get("target", ""),
        outcome=values.get("outcome", ""),
        detail=values.get("detail", ""),
    )
