"""The outbox: each team's posts waiting to be delivered to Slack, oldest first.

A post is queued in Redis, in the team's ``outbox`` stream, by the same Lua
script that records what it tells (a step change: see
:meth:`opsbot.store.watches.WatchStore.record_step`), or by :class:`Outbox`
for what the watcher has to say besides. The poster delivers each post and
only then, once Slack answered ok, takes it off the outbox (:meth:`Outbox.done`):
no post is lost to a crash, and outside the window the README describes none
is posted twice.

Each post is for one card (one channel) and says what it is, its
:class:`PostKind`. An entry's fields: ``op``, ``channel``, ``kind``, ``old``
and ``new`` (the steps; both the current step for a note), ``at`` (ISO) and
``text`` (a note's words, else "").
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from opsbot.store import keyspace, scripts
from opsbot.store.codec import decoded, decoded_map, iso, parse_iso
from opsbot.store.connection import RedisClient, RedisPipeline
from opsbot.store.queued_here import QUEUED_HERE

_logger = logging.getLogger(__name__)


class PostKind(enum.StrEnum):
    STEP = "step"  # a step change: a reply in the card's thread, the card edited
    FINAL = "final"  # the final step: a reply broadcast to the channel, mentioning watchers
    NOTE = "note"  # words from the watcher in the thread (paused, …)
    FAREWELL = "farewell"  # the last note: once every card has it, the watch is finished
    CARD = "card"  # nothing in the thread: only make sure the card is posted


# Entries queued before posts had kinds of their own were all 'note': one
# without text only asked for the card, and a farewell was known by these
# last words. They are read as such so that a deploy drops none of them;
# Outbox.add_note never writes a note of either shape, so no new note is
# misread. (Fixed words: they are what old entries hold, whatever the
# watcher says today.)
_LEGACY_FAREWELL_WORDS: Final = "This watch has ended."
_KINDS: Final = frozenset(kind.value for kind in PostKind)


@dataclass(frozen=True)
class Post:
    entry_id: str
    op_id: int
    channel: str
    kind: PostKind
    old: str
    new: str
    at: dt.datetime
    text: str


class Outbox:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis
        self._queue = redis.register_script(scripts.QUEUE_POSTS)

    async def add_note(self, team_id: str, op_id: int, text: str, at: dt.datetime) -> None:
        """Queue ``text`` for the thread of every card of the watch (nothing if it is gone)."""
        if not text or text.endswith(_LEGACY_FAREWELL_WORDS):
            raise ValueError("a note needs text and does not end its watch: see add_farewell")
        await self._add(team_id, op_id, PostKind.NOTE, text, at)

    async def add_farewell(self, team_id: str, op_id: int, text: str, at: dt.datetime) -> None:
        """Queue the last note of every card; the watch is finished once they are delivered."""
        await self._add(team_id, op_id, PostKind.FAREWELL, text, at)

    async def add_card(self, team_id: str, op_id: int, at: dt.datetime) -> None:
        """Have every card of the watch posted, saying nothing in its thread."""
        await self._add(team_id, op_id, PostKind.CARD, "", at)

    async def pending(self, team_id: str, count: int = 100) -> list[Post]:
        """Posts not yet delivered, oldest first.

        A post that does not parse can never be delivered: it is logged and
        deleted (all such in one XDEL), so that it does not hold a place in
        every later batch.
        """
        return await self.pending_from(
            team_id, await self._redis.xrange(keyspace.outbox(team_id), count=count)
        )

    @staticmethod
    def queue_pending(pipe: RedisPipeline, team_id: str, count: int = 100) -> None:
        """Queue :meth:`pending`'s read on ``pipe``; :meth:`pending_from` reads its reply."""
        pipe.xrange(keyspace.outbox(team_id), count=count)

    async def pending_from(self, team_id: str, entries: Any) -> list[Post]:
        """The posts out of an ``XRANGE`` reply (see :meth:`pending`)."""
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

    async def done(self, team_id: str, *entry_ids: str) -> None:
        """The posts were delivered (or can never be): take them off the outbox, at once."""
        await self._redis.xdel(keyspace.outbox(team_id), *entry_ids)

    async def _add(
        self, team_id: str, op_id: int, kind: PostKind, text: str, at: dt.datetime
    ) -> None:
        QUEUED_HERE.add(team_id)
        await self._queue(
            keys=[
                keyspace.watch(team_id, op_id),
                keyspace.cards(team_id, op_id),
                keyspace.outbox(team_id),
            ],
            args=[op_id, kind.value, text, iso(at)],
        )


def decode_post(entry_id: str, fields: Mapping[str, str]) -> Post | None:
    """The post an outbox entry holds, or None (with a log line) for garbage."""
    try:
        op_id = int(fields["op"])
        channel, stored_kind = fields["channel"], fields["kind"]
        old, new = fields["old"], fields["new"]
        at = parse_iso(fields["at"])
    except (KeyError, ValueError) as error:
        _logger.warning("dropping unreadable outbox entry %s (%s)", entry_id, error)
        return None
    text = fields.get("text", "")
    kind = _kind(stored_kind, text)
    if kind is None:
        _logger.warning("dropping outbox entry %s of unknown kind %r", entry_id, stored_kind)
        return None
    return Post(entry_id, op_id, channel, kind, old, new, at, text)


def _kind(stored: str, text: str) -> PostKind | None:
    if stored not in _KINDS:
        return None
    kind = PostKind(stored)
    if kind is PostKind.NOTE and not text:
        return PostKind.CARD  # queued before kinds: see _LEGACY_FAREWELL_WORDS
    if kind is PostKind.NOTE and text.endswith(_LEGACY_FAREWELL_WORDS):
        return PostKind.FAREWELL
    return kind
