"""What a channel's queue sends first, and what it merges: lanes and coalescing.

The outbox holds posts oldest first. When a channel has a queue (Slack takes
about one post a second there), the people reading it want outcomes before
progress: final steps go first, failures (ERROR, SUPPORT) before DONE and
CANCEL, then step changes and notes, then new cards. Each operation's own
posts still go in the order they were recorded.

Step changes of one operation in one channel still waiting merge into one
delivery, one reply that shows the path (``WAIT → RUN → DONE``), and a
post that only asks for the card merges into the operation's next one (which
posts the card first anyway). A note or farewell is never merged: it says
something of its own.

Pure: no I/O; the poster delivers what :func:`channel_queues` orders.
"""

from __future__ import annotations

import enum
import heapq
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from opsbot.api.operation import ERROR, SUPPORT
from opsbot.store.outbox import Post, PostKind

_MERGEABLE: Final = frozenset({PostKind.STEP, PostKind.FINAL, PostKind.CARD})


class Lane(enum.IntEnum):
    FAILURE = 0  # final ERROR or SUPPORT
    OUTCOME = 1  # final DONE or CANCEL
    PROGRESS = 2  # step changes, notes, farewells
    NEW_CARD = 3  # a card and nothing more


@dataclass(frozen=True)
class Delivery:
    """One message's worth of outbox entries: one operation, one channel."""

    posts: tuple[Post, ...]

    @property
    def op_id(self) -> int:
        return self.posts[0].op_id

    @property
    def channel(self) -> str:
        return self.posts[0].channel

    @property
    def last(self) -> Post:
        """The post that says what the delivery is (its kind, its newest step).

        A post asking only for the card says nothing once merged with others.
        """
        telling = [post for post in self.posts if post.kind is not PostKind.CARD]
        return telling[-1] if telling else self.posts[-1]

    @property
    def kind(self) -> PostKind:
        return self.last.kind

    @property
    def steps(self) -> tuple[Post, ...]:
        """The step changes it tells, oldest first (a path of one or more)."""
        return tuple(post for post in self.posts if post.kind in (PostKind.STEP, PostKind.FINAL))

    @property
    def lane(self) -> Lane:
        kind = self.kind
        if kind is PostKind.FINAL:
            return Lane.FAILURE if self.last.new in (ERROR, SUPPORT) else Lane.OUTCOME
        if kind is PostKind.CARD:
            return Lane.NEW_CARD
        return Lane.PROGRESS


def coalesced(posts: Iterable[Post]) -> list[Delivery]:
    """One channel's and operation's posts, oldest first, merged where they can be."""
    deliveries: list[Delivery] = []
    run: list[Post] = []
    for post in posts:
        ended = any(earlier.kind is PostKind.FINAL for earlier in run)
        if run and (post.kind not in _MERGEABLE or ended):
            deliveries.append(Delivery(tuple(run)))
            run = []
        run.append(post)
        if post.kind not in _MERGEABLE:
            deliveries.append(Delivery(tuple(run)))
            run = []
    if run:
        deliveries.append(Delivery(tuple(run)))
    return deliveries


def channel_queues(posts: Sequence[Post]) -> dict[str, list[Delivery]]:
    """Each channel's deliveries in the order they go (see the module doc).

    Channels keep the order of their oldest post; within a channel, the next
    delivery is the best lane among each operation's next, the oldest first
    on a tie, so that no operation's posts overtake each other.
    """
    per_channel: dict[str, dict[int, list[Post]]] = defaultdict(lambda: defaultdict(list))
    for post in posts:
        per_channel[post.channel][post.op_id].append(post)
    return {
        channel: _in_lane_order([deque(coalesced(queue)) for queue in per_op.values()])
        for channel, per_op in per_channel.items()
    }


def _in_lane_order(queues: list[deque[Delivery]]) -> list[Delivery]:
    heads = [(_rank(queue[0]), index) for index, queue in enumerate(queues)]
    heapq.heapify(heads)
    ordered = []
    while heads:
        _, index = heapq.heappop(heads)
        queue = queues[index]
        ordered.append(queue.popleft())
        if queue:
            heapq.heappush(heads, (_rank(queue[0]), index))
    return ordered


def _rank(delivery: Delivery) -> tuple[int, tuple[int, ...]]:
    return delivery.lane, entry_order(delivery.posts[0].entry_id)


def entry_order(entry_id: str) -> tuple[int, ...]:
    """A stream entry id (``1700000000000-3``) as numbers, so ids compare in time order."""
    try:
        return tuple(int(part) for part in entry_id.split("-"))
    except ValueError:
        return (0,)
