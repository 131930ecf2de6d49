"""A short memory of who is in each Slack user group.

Slack answers ``usergroups.users.list`` at Tier 2 (about 20 calls a minute
per workspace), and every guarded click would ask it. The members of a group
are kept here for ``ttl_s`` seconds, shared by every process; a decision that
runs an action asks Slack again and refreshes this copy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Final

from opsbot.slack_id import is_slack_id
from opsbot.store import keyspace
from opsbot.store.codec import decoded
from opsbot.store.connection import RedisClient

DEFAULT_TTL_S: Final = 60


class GroupMembers:
    def __init__(self, redis: RedisClient, *, ttl_s: int = DEFAULT_TTL_S) -> None:
        if ttl_s < 1:
            raise ValueError("ttl_s must be at least one second")
        self._redis = redis
        self._ttl_s = ttl_s

    async def get(self, team_id: str, group_id: str) -> frozenset[str] | None:
        """The members remembered for the group, or None when nothing recent is."""
        stored = await self._redis.get(keyspace.group_members(team_id, group_id))
        if stored is None:
            return None
        try:
            members = json.loads(decoded(stored))
        except ValueError:
            return None
        if not isinstance(members, list):
            return None
        return frozenset(m for m in members if is_slack_id(m))

    async def put(self, team_id: str, group_id: str, members: Iterable[str]) -> None:
        document = json.dumps(sorted(m for m in members if is_slack_id(m)))
        await self._redis.set(keyspace.group_members(team_id, group_id), document, ex=self._ttl_s)
