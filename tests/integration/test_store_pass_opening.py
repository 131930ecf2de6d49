"""A pass's opening read of its outbox holds until this process queues something for the team.

Every store method that adds to a team's outbox or card-edit queue counts it
(opsbot.store.queued_here); the poster then reads both again instead of
trusting the head the pass opened with. No call site has to remember it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Final

import pytest

from opsbot.config import Settings
from opsbot.store.card_edits import CardEdits
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.outbox import Outbox
from opsbot.store.pass_opening import DeliveryOpener, PassOpener
from opsbot.store.subscriptions import SubscriptionStore
from opsbot.store.watches import WatchStore
from tests.support.stored_watches import LATER, NOW, TEAM, record, watch

PAGE: Final = 50


@dataclass(frozen=True)
class Stores:
    watches: WatchStore
    outbox: Outbox
    edits: CardEdits


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


async def a_new_card_of_a_finished_watch(stores: Stores) -> object:
    return await watch(stores.watches, 44, channel="C0BBB")


async def a_step_change(stores: Stores) -> object:
    return await record(stores.watches, 42, "WAIT", "RUN")


async def an_unreadable_operations_note(stores: Stores) -> object:
    return await stores.watches.mark_unreadable(TEAM, 42, "cannot be read", LATER)


async def a_note(stores: Stores) -> None:
    await stores.outbox.add_note(TEAM, 42, "paused: the API key was refused", LATER)


async def a_card_edit(stores: Stores) -> object:
    message = {"text": "Operation 42: RUN", "blocks": []}
    return await stores.edits.queue(
        TEAM, op_id=42, channel="C0AAA", ts="1700000000.000100", message=message, at=0.0
    )


WRITES: Final[list[Callable[[Stores], Awaitable[object]]]] = [
    a_new_card_of_a_finished_watch,
    a_step_change,
    an_unreadable_operations_note,
    a_note,
    a_card_edit,
]


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.__name__)
async def test_what_this_process_queues_after_the_opening_is_read_again(
    redis: RedisClient, write: Callable[[Stores], Awaitable[object]]
) -> None:
    stores = Stores(WatchStore(redis), Outbox(redis), CardEdits(redis))
    await watch(stores.watches, 42)
    await watch(stores.watches, 44)
    await record(stores.watches, 44, "WAIT", "DONE", final=True)
    opener = PassOpener(redis, SubscriptionStore(redis), PAGE)
    delivery = DeliveryOpener(redis, stores.outbox)

    opening = await opener.read(TEAM, NOW, expiries_ahead_s=None)
    posts, edits = await delivery.read(TEAM, PAGE, opening.outbox)
    assert opening.outbox.still_holds(TEAM)
    assert (len(posts), edits) == (1, 0)  # 44's final reply

    await write(stores)
    posts_after, edits_after = await delivery.read(TEAM, PAGE, opening.outbox)

    assert not opening.outbox.still_holds(TEAM)
    assert len(posts_after) + edits_after == 2
    assert posts_after[:1] == posts
