"""Who did what: a capped Redis stream per team (cancel, relaunch, key changes).

Callers pass ids, action names and outcomes, never a secret: the entries are
stored in clear so that an operator can read them with XRANGE.
"""

from __future__ import annotations

from typing import Final

from opsbot.store import keyspace
from opsbot.store.codec import decoded
from opsbot.store.connection import RedisClient

DEFAULT_MAX_ENTRIES: Final = 10_000

# Action names used by the Slack app; others are accepted as they come.
CANCEL: Final = "cancel"
RELAUNCH: Final = "relaunch"
KEY_SET: Final = "key_set"
KEY_REMOVE: Final = "key_remove"
# /ops config changed the team's guardrails (the detail says what).
CONFIG: Final = "config"
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
