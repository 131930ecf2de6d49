"""Each team's guardrails in Redis: one JSON document, ``opsbot:{T…}:guardrails``.

Written by ``/ops config``; no document is the default (everyone, everywhere,
no approval). A document that does not parse reads as the default and is
logged, so a damaged key never locks a team out.
"""

from __future__ import annotations

import json
import logging

from opsbot.store import keyspace
from opsbot.store.codec import decoded, json_object
from opsbot.store.connection import RedisClient
from opsbot.store.guardrails import Guardrails

log = logging.getLogger(__name__)


class GuardrailStore:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis

    async def get(self, team_id: str) -> Guardrails:
        stored = await self._redis.get(keyspace.guardrails(team_id))
        if stored is None:
            return Guardrails()
        document = json_object(decoded(stored))
        if document is None:
            log.warning("team %s has guardrails that do not parse; using the defaults", team_id)
            return Guardrails()
        return Guardrails.from_json(document)

    async def set(self, team_id: str, guardrails: Guardrails) -> Guardrails:
        """Store the team's new rules and return the ones they replace (one SET … GET)."""
        document = json.dumps(guardrails.as_json(), sort_keys=True)
        previous = await self._redis.set(keyspace.guardrails(team_id), document, get=True)
        if not isinstance(previous, str | bytes):
            return Guardrails()
        parsed = json_object(decoded(previous))
        return Guardrails() if parsed is None else Guardrails.from_json(parsed)
