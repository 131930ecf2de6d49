"""The watcher's schedule: which team is due for a poll cycle, and who holds it.

One sorted set holds every team with watches, scored by the time (epoch
seconds) its next cycle is due. A worker *claims* a due team: one Lua script
moves the team's score to the end of a lease and records a random token. When
its cycle is done the worker *releases* the team with its next due time; that
works only while it still holds the lease. A worker that dies holding a team
needs nobody's help: the team's score is the lease's end, so once that passes
the team is due again and another worker claims it, and the dead worker's
token no longer matches.

A wake-up (a watch added) while the team is leased must not lower its score,
or a second worker would claim the team in the middle of the first one's
cycle. It is kept aside instead, and the release takes the earlier of the
holder's next due time and the wake-up: a watch added during a cycle that
saw none is still polled.

The Lua scripts (``CLAIM_TEAMS``, ``EXTEND_LEASE``, ``RELEASE_TEAM``,
``WAKE_TEAM``, ``FORGET_TEAM``) are in :mod:`opsbot.store.scripts`.

Every time is passed in by the caller (``now``), so that tests control the
clock. Workers on several hosts must agree on it: they pass ``time.time()``.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Final

from opsbot.store import keyspace, scripts
from opsbot.store.codec import decoded
from opsbot.store.connection import RedisClient

DEFAULT_LEASE_S: Final = 30.0

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lease:
    team_id: str
    token: str
    expires_at: float


@dataclass(frozen=True)
class Claimed:
    """The teams a claim leased to us, and when the schedule's next team is due
    once they are leased (None: no team on the schedule)."""

    leases: list[Lease]
    next_due: float | None


class Schedule:
    def __init__(self, redis: RedisClient, *, lease_s: float = DEFAULT_LEASE_S) -> None:
        if lease_s <= 0:
            raise ValueError("lease_s must be positive")
        self._redis = redis
        self.lease_s = lease_s
        self._claim = redis.register_script(scripts.CLAIM_TEAMS)
        self._extend = redis.register_script(scripts.EXTEND_LEASE)
        self._release = redis.register_script(scripts.RELEASE_TEAM)
        self._wake = redis.register_script(scripts.WAKE_TEAM)
        self._forget = redis.register_script(scripts.FORGET_TEAM)

    async def wake(self, team_id: str, at: float) -> None:
        """Make the team due at ``at``, unless it is already due earlier."""
        await self._wake(keys=self._keys(), args=[keyspace.check_slack_id(team_id), at])

    async def claim_many(self, now: float, limit: int) -> Claimed:
        """Up to ``limit`` due teams, earliest first, each leased to us."""
        if limit < 1:
            raise ValueError("a claim is for one team at least")
        tokens = [secrets.token_hex(16) for _ in range(limit)]
        reply = await self._claim(keys=self._keys(), args=[now, self.lease_s, *tokens])
        earliest, *pairs = [decoded(item) for item in reply]
        leases = []
        for team_id, token in zip(pairs[::2], pairs[1::2], strict=True):
            if _is_team_id(team_id):
                leases.append(Lease(team_id, token, now + self.lease_s))
            else:
                _logger.warning("dropping a malformed team %r from the schedule", team_id)
                await self._forget_member(team_id)
        return Claimed(leases, float(earliest) if earliest else None)

    async def extend(self, lease: Lease, now: float) -> bool:
        """Push our lease's end to ``now + lease_s``; False if it was taken over."""
        extended = await self._extend(
            keys=[keyspace.schedule(), keyspace.schedule_leases()],
            args=[lease.team_id, lease.token, now + self.lease_s],
        )
        return bool(extended)

    async def release(self, lease: Lease, next_due: float | None) -> bool:
        """Hand the team back, due at ``next_due`` (None: nothing left to watch).

        False, and nothing changes, when the lease was taken over meanwhile.
        """
        released = await self._release(
            keys=self._keys(),
            args=[lease.team_id, lease.token, "" if next_due is None else next_due],
        )
        return bool(released)

    async def next_due(self) -> float | None:
        """The earliest time any team is due (a lease's end for a leased team)."""
        earliest = await self._redis.zrange(keyspace.schedule(), 0, 0, withscores=True)
        return float(earliest[0][1]) if earliest else None

    async def forget(self, team_id: str) -> None:
        """Take the team off the schedule (uninstalled); a holder's release then fails."""
        await self._forget_member(keyspace.check_slack_id(team_id))

    async def _forget_member(self, member: str) -> None:
        await self._forget(keys=self._keys(), args=[member])

    @staticmethod
    def _keys() -> list[str]:
        return [keyspace.schedule(), keyspace.schedule_leases(), keyspace.schedule_wakes()]


def _is_team_id(value: str) -> bool:
    try:
        keyspace.check_slack_id(value)
    except ValueError:
        return False
    return True
