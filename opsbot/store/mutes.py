"""Muted channels: quiet until a time, and what ended meanwhile.

``/ops mute 2h`` keeps a channel quiet: no broadcasts, no new cards, replies
only in existing threads (:mod:`opsbot.watcher.poster`). The poster notes
each outcome it tells quietly; when the mute ends (its time, or ``/ops
unmute``) it posts one summary of them and the mute is forgotten.

Per team: a sorted set of muted channels by the mute's end (so that one read
tells the poster which are muted and which have just ended), and per channel
a hash ``until``, ``by``, ``since`` and one ``op:<id>`` field per outcome
(the JSON of :class:`~opsbot.store.bursts.Outcome`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, cast

from opsbot.store import keyspace
from opsbot.store.bursts import Outcome, decode_outcome
from opsbot.store.codec import decoded, decoded_map
from opsbot.store.connection import RedisClient

_logger = logging.getLogger(__name__)

_OP: Final = "op:"
# A mute's record outlives its end by this much at most, should no worker end it.
_GRACE_S: Final = 7 * 86_400


@dataclass
class Mute:
    channel: str
    until: float
    by: str
    since: float
    outcomes: dict[int, Outcome] = field(default_factory=dict)


@dataclass(frozen=True)
class MutedChannels:
    """The team's muted channels at a moment: still muted, and those whose mute is over."""

    muted: Mapping[str, float]  # channel → the mute's end
    ended: tuple[str, ...]

    @property
    def next_end(self) -> float | None:
        return min(self.muted.values(), default=None)


NOT_MUTED: Final = MutedChannels({}, ())


class Mutes:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis

    async def mute(self, team_id: str, channel: str, *, until: float, by: str, now: float) -> None:
        """Mute ``channel`` until ``until`` (a mute already on keeps what it noted)."""
        key = keyspace.mute(team_id, channel)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hsetnx(key, "since", repr(now))
            pipe.hset(key, mapping={"until": repr(until), "by": by})
            pipe.expire(key, int(max(until - now, 0) + _GRACE_S))
            pipe.zadd(keyspace.mutes(team_id), {channel: until})
            await pipe.execute()

    async def unmute(self, team_id: str, channel: str, now: float) -> bool:
        """End the mute now (its summary follows); False when the channel was not muted."""
        until = await self._redis.zscore(keyspace.mutes(team_id), channel)
        if until is None or float(until) <= now:
            return False  # not muted, or ended already (its summary is on its way)
        await self._redis.zadd(keyspace.mutes(team_id), {channel: now})
        await self._redis.hset(keyspace.mute(team_id, channel), "until", repr(now))
        return True

    async def get(self, team_id: str, channel: str) -> Mute | None:
        fields = decoded_map(await self._redis.hgetall(keyspace.mute(team_id, channel)))
        return _decode(channel, fields)

    async def channels(self, team_id: str, now: float) -> MutedChannels:
        reply = await self._redis.zrange(keyspace.mutes(team_id), 0, -1, withscores=True)
        scored = cast(list[tuple[bytes | str, float]], reply or [])
        muted, ended = {}, []
        for member, score in scored:
            channel = decoded(member)
            if float(score) > now:
                muted[channel] = float(score)
            else:
                ended.append(channel)
        return MutedChannels(muted, tuple(ended))

    async def note(self, team_id: str, channel: str, outcome: Outcome) -> None:
        """An outcome told quietly, for the summary at the mute's end."""
        await self._redis.hset(
            keyspace.mute(team_id, channel), f"{_OP}{outcome.op_id}", outcome.encoded()
        )

    async def forget(self, team_id: str, channel: str) -> None:
        """The mute is over and its summary posted."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zrem(keyspace.mutes(team_id), channel)
            pipe.delete(keyspace.mute(team_id, channel))
            await pipe.execute()


def _decode(channel: str, fields: dict[str, str]) -> Mute | None:
    try:
        until, since = float(fields["until"]), float(fields.get("since") or fields["until"])
    except (KeyError, ValueError):
        return None
    mute = Mute(channel, until, fields.get("by", ""), since)
    for name, value in fields.items():
        if name.startswith(_OP):
            outcome = decode_outcome(name[len(_OP) :], value)
            if outcome is None:
                _logger.warning("ignoring an unreadable muted outcome %s in %s", name, channel)
            else:
                mute.outcomes[outcome.op_id] = outcome
    return mute
