"""The outbox: each team's posts waiting to be delivered to Slack, oldest first.

A post is queued in Redis, in the team's ``outbox`` stream, by the same Lua
script that records what it tells (a step change: see
:meth:`opsbot.store.watches.WatchStore.record_step`), or by :class:`Outbox`
for what the watcher has to say besides. The poster delivers each post and
only then, once Slack answered ok, takes it off the outbox (:meth:`Outbox.done`):
no post is lost to a crash, and outside the window the README describes none
is posted twice.

Each post is for one card (one channel). An entry's fields: ``op``,
``channel``, ``kind`` (``step``, ``final`` or ``note``), ``old`` and
``new`` (the steps; both the current step for a note), ``at`` (ISO) and
``text`` (a note's words, else "").
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from redis.asyncio import Redis

from opsbot.store import keyspace, scripts
from opsbot.store.codec import decoded, decoded_map, iso, parse_iso

STEP: Final = "step"
FINAL: Final = "final"
NOTE: Final = "note"
POST_KINDS: Final = frozenset({STEP, FINAL, NOTE})

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Post:
    entry_id: str
    op_id: int
    channel: str
    kind: str
    old: str
    new: str
    at: dt.datetime
    text: str


class Outbox:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._queue_notes = redis.register_script(scripts.QUEUE_NOTES)

    async def add_note(self, team_id: str, op_id: int, text: str, at: dt.datetime) -> None:
        """Queue one note per card of the watch (nothing if it is gone)."""
        await self._queue_notes(
            keys=[
                keyspace.watch(team_id, op_id),
                keyspace.cards(team_id, op_id),
                keyspace.outbox(team_id),
            ],
            args=[op_id, text, iso(at)],
        )

    async def pending(self, team_id: str, count: int = 100) -> list[Post]:
        """Posts not yet delivered, oldest first.

        A post that does not parse can never be delivered: it is logged and
        deleted (all such in one XDEL), so that it does not hold a place in
        every later batch.
        """
        entries = await self._redis.xrange(keyspace.outbox(team_id), count=count)
        posts, unreadable = [], []
        for entry_id, fields in entries or []:
            if entry_id is None:
                continue
            post = decode_post(decoded(entry_id), decoded_map(fields))
            if post is None:
                unreadable.append(decoded(entry_id))
            else:
                posts.append(post)
        if unreadable:
            await self._redis.xdel(keyspace.outbox(team_id), *unreadable)
        return posts

    async def done(self, team_id: str, entry_id: str) -> None:
        """The post was delivered (or can never be): take it off the outbox."""
        await self._redis.xdel(keyspace.outbox(team_id), entry_id)


def decode_post(entry_id: str, fields: Mapping[str, str]) -> Post | None:
    """The post an outbox entry holds, or None (with a log line) for garbage."""
    try:
        post = Post(
            entry_id=entry_id,
            op_id=int(fields["op"]),
            channel=fields["channel"],
            kind=fields["kind"],
            old=fields["old"],
            new=fields["new"],
            at=parse_iso(fields["at"]),
            text=fields.get("text", ""),
        )
    except (KeyError, ValueError) as error:
        _logger.warning("dropping unreadable outbox entry %s (%s)", entry_id, error)
        return None
    if post.kind not in POST_KINDS:
        _logger.warning("dropping outbox entry %s of unknown kind %r", entry_id, post.kind)
        return None
    return post
