"""Card edits waiting for Slack's ``chat.update`` pace (Tier 3, per workspace).

A step change edits the operation's card in each channel. When many change
at once, the team's edits outrun Slack's pace; each edit waits here, as the
card's whole new content, until the poster has a token for it. A card
edited again before its turn keeps one edit, the newest, in the first one's
place in line. The content is kept rather than re-rendered so that a watch
finished meanwhile still gets its card showing the end.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from opsbot.store import keyspace, scripts
from opsbot.store.codec import decoded, json_object
from opsbot.store.connection import RedisClient, RedisPipeline
from opsbot.store.queued_here import QUEUED_HERE

_logger = logging.getLogger(__name__)

# The op_id of a channel's burst summary (opsbot.store.bursts): no operation has it.
SUMMARY_EDIT: Final = 0
# Edits read per pass at most: more than a pass can make at Tier 3's pace.
BATCH: Final = 50


@dataclass(frozen=True)
class CardEdit:
    op_id: int
    channel: str
    ts: str
    text: str
    blocks: list[Any]
    stored: str  # the JSON as stored, to take it off only if not replaced meanwhile

    @property
    def field(self) -> str:
        return _field(self.op_id, self.channel)


class CardEdits:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis
        self._queue = redis.register_script(scripts.QUEUE_CARD_EDIT)
        self._done = redis.register_script(scripts.DONE_CARD_EDIT)

    async def queue(
        self,
        team_id: str,
        *,
        op_id: int,
        channel: str,
        ts: str,
        message: Mapping[str, Any],
        at: float,
    ) -> bool:
        """Have the card at ``ts`` show ``message`` (its ``text`` and ``blocks``).

        True when the card had no edit waiting (one more waits now), False
        when this one replaced the edit waiting.
        """
        document = json.dumps({"ts": ts, "text": message["text"], "blocks": message["blocks"]})
        QUEUED_HERE.add(team_id)
        added = await self._queue(keys=_keys(team_id), args=[_field(op_id, channel), document, at])
        return bool(added)

    @staticmethod
    def queue_count(pipe: RedisPipeline, team_id: str) -> None:
        """Queue :meth:`count`'s read on ``pipe`` (its reply is the count)."""
        pipe.zcard(keyspace.card_edits_queue(team_id))

    async def count(self, team_id: str) -> int:
        """How many edits wait (one command: their contents are read only when they can go)."""
        return int(await self._redis.zcard(keyspace.card_edits_queue(team_id)))

    async def waiting(self, team_id: str, count: int = BATCH) -> list[CardEdit]:
        """The edits waiting, first queued first; garbage is dropped with a log line."""
        queued = await self._redis.zrange(keyspace.card_edits_queue(team_id), 0, count - 1)
        fields = [decoded(field) for field in queued if isinstance(field, bytes | str)]
        if not fields:
            return []
        documents = await self._redis.hmget(keyspace.card_edits(team_id), fields)
        edits = []
        for field, document in zip(fields, documents, strict=True):
            edit = None if document is None else _decode(field, decoded(document))
            if edit is None:
                _logger.warning("dropping an unreadable card edit %s", field)
                stored = "" if document is None else decoded(document)
                await self._done(keys=_keys(team_id), args=[field, stored])
            else:
                edits.append(edit)
        return edits

    async def done(self, team_id: str, edit: CardEdit) -> None:
        """Made (or never to be made); a newer edit of the card queued meanwhile stays."""
        await self._done(keys=_keys(team_id), args=[edit.field, edit.stored])


def _keys(team_id: str) -> list[str]:
    return [keyspace.card_edits(team_id), keyspace.card_edits_queue(team_id)]


def _field(op_id: int, channel: str) -> str:
    return f"{op_id}:{channel}"


def _decode(field: str, document: str) -> CardEdit | None:
    op, _, channel = field.partition(":")
    fields = json_object(document)
    if fields is None or not op.isdigit() or not channel:
        return None
    ts, text, blocks = fields.get("ts"), fields.get("text"), fields.get("blocks")
    if not isinstance(ts, str) or not isinstance(text, str) or not isinstance(blocks, list):
        return None
    return CardEdit(int(op), channel, ts, text, blocks, document)
