"""Who did what: a capped Redis stream per team (cancel, relaunch, key changes).

Callers pass ids, action names and outcomes, never a secret: the entries are
stored in clear so that an operator can read them with XRANGE.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from redis.asyncio import Redis

from opsbot.clock import moment
from opsbot.store import keys
from opsbot.store.redis import decoded, decoded_map

DEFAULT_MAX_ENTRIES: Final = 10_000

# Action names used by the Slack app; others are accepted as they come.
CANCEL: Final = "cancel"
RELAUNCH: Final = "relaunch"
KEY_SET: Final = "key_set"
KEY_REMOVE: Final = "key_remove"
OK: Final = "ok"


@dataclass(frozen=True)
class AuditEntry:
    id: str
    at: dt.datetime
    user_id: str
    action: str
    target: str
    outcome: str
    detail: str


class AuditLog:
    def __init__(self, redis: Redis, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
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
            keys.audit(team_id),
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

    async def recent(self, team_id: str, count: int = 20) -> list[AuditEntry]:
        """The latest entries, newest first."""
        entries = await self._redis.xrevrange(keys.audit(team_id), count=count)
        return [
            _entry(decoded(entry_id), fields)
            for entry_id, fields in entries or []
            if entry_id is not None
        ]


def _entry(entry_id: str, fields: dict[bytes | str, bytes | str] | None) -> AuditEntry:
    values = decoded_map(fields)
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
