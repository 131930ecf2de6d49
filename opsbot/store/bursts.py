"""Burst mode's summary of a channel: what ended while its queue was long.

When a channel's queue would take longer than a threshold to drain, the
poster gives it one summary message, edited in place, instead of a
broadcast per outcome (:mod:`opsbot.watcher.burst_mode`). This is what that
message shows and where it is: one hash per channel, ``ts`` (the message,
"" until posted), ``since`` (epoch s), ``closed`` ("1" once the queue was
short again) and one ``op:<id>`` field per operation summarized (JSON: step,
type, label, the card's ts, its watchers). A closed summary is kept a while
so that outcomes it told are still not broadcast when their replies go.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from redis.typing import EncodableT, FieldT

from opsbot.store import keyspace
from opsbot.store.codec import decoded_map, json_object
from opsbot.store.connection import RedisClient

_logger = logging.getLogger(__name__)

# Long enough for every reply it stands for to be posted at Slack's pace.
SUMMARY_TTL_S: Final = 3 * 3600
_OP: Final = "op:"


@dataclass(frozen=True)
class Outcome:
    """One operation as the summary shows it."""

    op_id: int
    step: str
    type: str
    label: str
    card_ts: str
    watchers: tuple[str, ...]

    def encoded(self) -> str:
        return json.dumps(
            {
                "step": self.step,
                "type": self.type,
                "label": self.label,
                "card_ts": self.card_ts,
                "watchers": list(self.watchers),
            }
        )


@dataclass
class Summary:
    channel: str
    ts: str = ""
    since: float = 0.0
    closed: bool = False
    outcomes: dict[int, Outcome] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        return bool(self.since) and not self.closed


class Bursts:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis

    async def get(self, team_id: str, channel: str) -> Summary:
        """The channel's summary (an empty one, never opened, when there is none)."""
        fields = decoded_map(await self._redis.hgetall(keyspace.burst(team_id, channel)))
        return _decode(channel, fields)

    async def open(self, team_id: str, channel: str, since: float) -> Summary:
        """Start a new summary for the channel (the previous one, closed, is forgotten)."""
        key = keyspace.burst(team_id, channel)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping={"ts": "", "since": repr(since)})
            pipe.expire(key, SUMMARY_TTL_S)
            await pipe.execute()
        return Summary(channel, since=since)

    async def add(self, team_id: str, channel: str, outcomes: Sequence[Outcome]) -> None:
        if outcomes:
            mapping: dict[FieldT, EncodableT] = {
                f"{_OP}{outcome.op_id}": outcome.encoded() for outcome in outcomes
            }
            await self._redis.hset(keyspace.burst(team_id, channel), mapping=mapping)

    async def posted(self, team_id: str, channel: str, ts: str) -> None:
        await self._redis.hset(keyspace.burst(team_id, channel), "ts", ts)

    async def close(self, team_id: str, channel: str) -> None:
        await self._redis.hset(keyspace.burst(team_id, channel), "closed", "1")


def _decode(channel: str, fields: dict[str, str]) -> Summary:
    try:
        since = float(fields.get("since") or 0.0)
    except ValueError:
        since = 0.0
    summary = Summary(channel, fields.get("ts", ""), since, fields.get("closed") == "1")
    for name, value in fields.items():
        if name.startswith(_OP):
            outcome = decode_outcome(name[len(_OP) :], value)
            if outcome is None:
                _logger.warning("ignoring an unreadable summary line %s in %s", name, channel)
            else:
                summary.outcomes[outcome.op_id] = outcome
    return summary


def decode_outcome(op: str, value: str) -> Outcome | None:
    """An outcome as :meth:`Outcome.encoded` wrote it for operation ``op``, or None."""
    fields = json_object(value)
    if fields is None or not op.isdigit():
        return None
    texts = [fields.get(name) for name in ("step", "type", "label", "card_ts")]
    watchers = fields.get("watchers")
    if not all(isinstance(text, str) for text in texts) or not _strings(watchers):
        return None
    step, type_, label, card_ts = (str(text) for text in texts)
    return Outcome(int(op), step, type_, label, card_ts, tuple(watchers or ()))


def _strings(values: object) -> bool:
    return isinstance(values, list) and all(isinstance(value, str) for value in values)
