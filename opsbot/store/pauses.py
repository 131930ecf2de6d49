"""Whether a team's watches are paused, and why.

The watcher pauses a team whose API key is gone or refused (with a note in
every thread, once) and resumes it when a key works again; ``/ops watches``
says why it is paused. The reason is one string per team, absent while its
watches run.
"""

from __future__ import annotations

from opsbot.store import keyspace
from opsbot.store.codec import decoded
from opsbot.store.connection import RedisClient, RedisPipeline


class TeamPauses:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis

    async def pause(self, team_id: str, reason: str) -> bool:
        """Pause the team's watches; True if they were running."""
        return bool(await self._redis.set(keyspace.paused(team_id), reason, nx=True))

    @staticmethod
    def queue_is_paused(pipe: RedisPipeline, team_id: str) -> None:
        """Queue whether the team is paused (a reply of 1 or 0) on ``pipe``."""
        pipe.exists(keyspace.paused(team_id))

    async def resume(self, team_id: str) -> bool:
        """Resume the team's watches; True if they were paused."""
        return bool(await self._redis.delete(keyspace.paused(team_id)))

    async def reason(self, team_id: str) -> str | None:
        """Why the team's watches are paused, or None while they run."""
        reason = await self._redis.get(keyspace.paused(team_id))
        return None if reason is None else decoded(reason)
