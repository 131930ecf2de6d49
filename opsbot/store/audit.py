"""Who did what: a capped Redis stream per team (cancel, relaunch, key changes),
and the channel the team chose for its audit lines (``/ops audit #channel``).

Callers pass ids, action names and outcomes, never a secret: the entries are
stored in clear so that an operator can read them with XRANGE.
"""

from __future__ import annotations

from typing import Final

from opsbot.store import keyspace
from opsbot.store.codec import decoded
from opsbot.store.connection import RedisClient
from opsbot.store.keyspace import check_slack_id

DEFAULT_MAX_ENTRIES: Final = 10_000

# Action names used by the Slack app; others are accepted as they come.
CANCEL: Final = "cancel"
RELAUNCH: Final = "relaunch"
KEY_SET: Final = "key_set"
KEY_REMOVE: Final = "key_remove"
# /ops config changed the team's guardrails (the detail says what).
CONFIG: Final = "config"
# /ops audit chose or cleared the audit channel (target: the new one, detail: the old).
AUDIT_CHANNEL: Final = "audit_channel"
OK: Final = "ok"


class AuditLog:
    def __init__(self, redis: RedisClient, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._redis = redis
        self._max_entries = max_entries

    async def record(
        self,
        team_id: str,
        *,
        user_id: str,
        action: str,
        target: str = "",
        outcome: str = OK,
        detail: str = "",
    ) -> str:
        """Append an entry and return its id.

        ``outcome`` is ``"ok"`` or ``"error: <why>"``. Trimming is exact, not
        ``~``: entries come from people clicking, so the cost is nothing and
        the cap is what it says.
        """
        entry_id = await self._redis.xadd(
            keyspace.audit(team_id),
            {
                "user_id": user_id,
                "action": action,
                "target": target,
                "outcome": outcome,
                "detail": detail,
            },
            maxlen=self._max_entries,
            approximate=False,
        )
        return decoded(entry_id)

    async def channel(self, team_id: str) -> str | None:
        """The channel the team chose for its audit lines, or None."""
        stored = await self._redis.get(keyspace.audit_channel(team_id))
        return None if stored is None else decoded(stored)

    async def set_channel(self, team_id: str, channel_id: str | None) -> str | None:
        """Choose the team's audit channel (None: none); return the one it replaces.

        One SET … GET (or GETDEL): two admins changing it at once each learn
        what their change replaced, so both changes are audited where they should be.
        """
        key = keyspace.audit_channel(team_id)
        previous: object
        if channel_id is None:
            previous = await self._redis.getdel(key)
        else:
            channel = check_slack_id(channel_id, "channel id")
            previous = await self._redis.set(key, channel, get=True)
        return decoded(previous) if isinstance(previous, str | bytes) else None
