"""What a team pass reads before it polls, and before it delivers: one round trip each.

A pass needs the team's API key, whether the team is paused, its watches'
schedule (and expiries) and its subscriptions before it asks the API
anything. Asked one after the other, that was four round trips a pass, and
on a worker whose teams are small each round trip (a task switch, a packed
command, a parsed reply) cost more CPU than the check it served. Every key
carries the team's hash tag, so one pipeline takes them all, on Redis
Cluster too. Each store keeps its own reading of its reply. The poster's
outbox and card-edit queue are read together the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from opsbot.store.card_edits import CardEdits
from opsbot.store.connection import RedisClient
from opsbot.store.outbox import Outbox, Post
from opsbot.store.pauses import TeamPauses
from opsbot.store.subscriptions import Subscription, SubscriptionStore
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.watches import PollView, poll_view_from, queue_poll_view


@dataclass(frozen=True)
class PassOpening:
    """The team as a pass finds it: its key (still sealed), pause, watches, subscriptions."""

    # The stored record, decrypted by TeamKeyStore.opened only when used.
    key_record: str | bytes | None = field(repr=False)
    paused: bool
    view: PollView
    subscriptions: list[Subscription]


class PassOpener:
    def __init__(self, redis: RedisClient, subscriptions: SubscriptionStore) -> None:
        self._redis = redis
        self._subscriptions = subscriptions

    async def read(
        self, team_id: str, now: dt.datetime, *, expiries_ahead_s: float | None
    ) -> PassOpening:
        """One round trip; ``expiries_ahead_s`` as in :meth:`WatchStore.poll_view`."""
        async with self._redis.pipeline(transaction=False) as pipe:
            TeamKeyStore.queue_get(pipe, team_id)
            TeamPauses.queue_is_paused(pipe, team_id)
            SubscriptionStore.queue_list(pipe, team_id)
            queue_poll_view(pipe, team_id, now, expiries_ahead_s)
            record, paused, subscriptions, *view = await pipe.execute()
        return PassOpening(
            record,
            bool(paused),
            poll_view_from(view, team_id, now, expiries_ahead_s),
            self._subscriptions.listed(subscriptions),
        )


class DeliveryOpener:
    """What the poster reads first: the outbox's head and how many card edits wait."""

    def __init__(self, redis: RedisClient, outbox: Outbox) -> None:
        self._redis = redis
        self._outbox = outbox

    async def read(self, team_id: str, page: int) -> tuple[list[Post], int]:
        """Up to ``page`` posts, oldest first, and the card edits waiting: one round trip."""
        async with self._redis.pipeline(transaction=False) as pipe:
            Outbox.queue_pending(pipe, team_id, page)
            CardEdits.queue_count(pipe, team_id)
            entries, edits = await pipe.execute()
        return await self._outbox.pending_from(team_id, entries), int(edits)
