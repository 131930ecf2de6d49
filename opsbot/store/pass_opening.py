"""What a team pass reads before it polls, and before it delivers: one round trip each.

A pass needs the team's API key, whether the team is paused, its watches'
schedule (and expiries) and its subscriptions before it asks the API
anything. Asked one after the other, that was four round trips a pass, and
on a worker whose teams are small each round trip (a task switch, a packed
command, a parsed reply) cost more CPU than the check it served. Every key
carries the team's hash tag, so one pipeline takes them all, on Redis
Cluster too. Each store keeps its own reading of its reply.

The same round trip reads what waits in the outbox and the card-edit
queue: a quiet pass (most passes) queues nothing, and its poster then reads
nothing more. When this process queued something for the team since (a
step change, a note, a new card: counted by the stores that write them, see
:mod:`opsbot.store.queued_here`), the poster reads both again, in one round
trip. A post queued meanwhile by another process is delivered at the next
pass, which the wake-up that came with it brings forward.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from opsbot.store.card_edits import CardEdits
from opsbot.store.connection import RedisClient
from opsbot.store.outbox import Outbox, Post
from opsbot.store.pauses import TeamPauses
from opsbot.store.queued_here import QUEUED_HERE
from opsbot.store.subscriptions import Subscription, SubscriptionStore
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.watches import PollView, poll_view_from, queue_poll_view


@dataclass(frozen=True)
class OutboxHead:
    """The outbox's first entries (an ``XRANGE`` reply) and how many card edits wait,
    read when this process had queued ``queued_here`` times for the team."""

    entries: Any = field(repr=False)
    edits: int
    queued_here: int

    def still_holds(self, team_id: str) -> bool:
        """Nothing queued for the team by this process since it was read."""
        return self.queued_here == QUEUED_HERE.count(team_id)


@dataclass(frozen=True)
class PassOpening:
    """The team as a pass finds it: its key (still sealed), pause, watches, subscriptions,
    and what waits to be delivered."""

    # The stored record, decrypted by TeamKeyStore.opened only when used.
    key_record: str | bytes | None = field(repr=False)
    paused: bool
    view: PollView
    subscriptions: list[Subscription]
    # What the poster finds, unless the pass itself queues a post.
    outbox: OutboxHead


class PassOpener:
    def __init__(self, redis: RedisClient, subscriptions: SubscriptionStore, page: int) -> None:
        self._redis = redis
        self._subscriptions = subscriptions
        self._page = page

    async def read(
        self, team_id: str, now: dt.datetime, *, expiries_ahead_s: float | None
    ) -> PassOpening:
        """One round trip; ``expiries_ahead_s`` as in :meth:`WatchStore.poll_view`."""
        # Counted before the read: a write meanwhile makes the poster read again.
        queued_here = QUEUED_HERE.count(team_id)
        async with self._redis.pipeline(transaction=False) as pipe:
            TeamKeyStore.queue_get(pipe, team_id)
            TeamPauses.queue_is_paused(pipe, team_id)
            SubscriptionStore.queue_list(pipe, team_id)
            Outbox.queue_pending(pipe, team_id, self._page)
            CardEdits.queue_count(pipe, team_id)
            queue_poll_view(pipe, team_id, now, expiries_ahead_s)
            record, paused, subscriptions, entries, edits, *view = await pipe.execute()
        return PassOpening(
            record,
            bool(paused),
            poll_view_from(view, team_id, now, expiries_ahead_s),
            self._subscriptions.listed(subscriptions),
            OutboxHead(entries, int(edits), queued_here),
        )


class DeliveryOpener:
    """What the poster reads first: the outbox's head and how many card edits wait."""

    def __init__(self, redis: RedisClient, outbox: Outbox) -> None:
        self._redis = redis
        self._outbox = outbox

    async def read(
        self, team_id: str, page: int, known: OutboxHead | None = None
    ) -> tuple[list[Post], int]:
        """Up to ``page`` posts, oldest first, and the card edits waiting: one round trip,
        none when the pass's opening read them (``known``) and nothing was queued here since."""
        if known is None or not known.still_holds(team_id):
            queued_here = QUEUED_HERE.count(team_id)
            async with self._redis.pipeline(transaction=False) as pipe:
                Outbox.queue_pending(pipe, team_id, page)
                CardEdits.queue_count(pipe, team_id)
                entries, edits = await pipe.execute()
            known = OutboxHead(entries, int(edits), queued_here)
        return await self._outbox.pending_from(team_id, known.entries), known.edits
