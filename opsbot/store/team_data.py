"""Everything opsbot keeps about one team, and forgetting it when the team leaves."""

from __future__ import annotations

from opsbot.store import keyspace
from opsbot.store.connection import RedisClient
from opsbot.store.schedule import Schedule
from opsbot.store.unlink import unlink_matching


class TeamData:
    """Every key of a team, reached through its hash tag (``opsbot:{T0123}:…``)."""

    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis

    async def delete(self, team_id: str) -> int:
        """Delete every key of one team (on app_uninstalled, tokens_revoked); return how many.

        The team also leaves the watcher's schedule, whose keys are shared by
        all teams and so not counted.
        """
        deleted = await unlink_matching(self._redis, keyspace.team_pattern(team_id))
        await Schedule(self._redis).forget(team_id)
        return deleted
