"""The watch store: cards, the step compare-and-set with its outbox posts, expiry, garbage."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator

import pytest

from opsbot.config import Settings
from opsbot.store import keyspace
from opsbot.store.codec import decoded
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.outbox import Outbox
from opsbot.store.pacing import ChannelPacing
from opsbot.store.pauses import TeamPauses
from opsbot.store.schedule import Schedule
from opsbot.store.watches import (
    AddResult,
    Card,
    PolledState,
    StepChange,
    WatchLimitReached,
    WatchStore,
)
from tests.support.redis_probe import all_keys, next_poll_due, server_info, watched_count
from tests.support.stored_watches import IN_A_WEEK, LATER, NOW, TEAM, record, stored, watch


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


@pytest.fixture
def store(redis: RedisClient) -> WatchStore:
    return WatchStore(redis)


@pytest.fixture
def outbox(redis: RedisClient) -> Outbox:
    return Outbox(redis)


# Adding watches and cards.


async def test_a_first_watch_is_created_with_its_card_and_polled_now(
    store: WatchStore, redis: RedisClient
) -> None:
    assert await watch(store, 42) is AddResult.CREATED

    found = await stored(store, 42)
    assert (found.team_id, found.op_id, found.type, found.label) == (
        TEAM,
        42,
        "domain_renew",
        "example.com",
    )
    assert (found.step, found.step_at, found.eta, found.final) == ("WAIT", None, 600, False)
    assert found.expires_at == IN_A_WEEK
    assert found.cards == (Card(channel="C0AAA", ts="", watchers=("U0ANN",), started_by="U0ANN"),)
    assert await store.due(TEAM, NOW.timestamp()) == [42]
    assert await watched_count(redis, TEAM) == 1


async def test_adding_a_watch_wakes_the_team(store: WatchStore, redis: RedisClient) -> None:
    await Schedule(redis).wake(TEAM, NOW.timestamp() + 600)

    await watch(store, 42)

    assert await Schedule(redis).next_due() == NOW.timestamp()


async def test_times_come_back_as_aware_utc(store: WatchStore) -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    await watch(store, 42, now=NOW.astimezone(paris), expires_at=IN_A_WEEK.astimezone(paris))
    await record(store, 42, "WAIT", "RUN", at=LATER.astimezone(paris))

    found = await stored(store, 42)
    assert found.step_at is not None
    for moment in (found.expires_at, found.step_at):
        assert moment.tzinfo == dt.UTC
    assert (found.expires_at, found.step_at) == (IN_A_WEEK, LATER)


async def test_naive_datetimes_are_refused(store: WatchStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await watch(store, 42, now=dt.datetime(2026, 11, 1, 12))


async def test_a_second_channel_gets_its_own_card(store: WatchStore, redis: RedisClient) -> None:
    await watch(store, 42, channel="C0AAA", user_id="U0ANN")

    assert await watch(store, 42, channel="C0BBB", user_id="U0BOB") is AddResult.NEW_CHANNEL

    found = await stored(store, 42)
    assert [(card.channel, card.watchers) for card in found.cards] == [
        ("C0AAA", ("U0ANN",)),
        ("C0BBB", ("U0BOB",)),
    ]
    assert await watched_count(redis, TEAM) == 1


async def test_the_same_channel_adds_the_person_to_the_mentions(store: WatchStore) -> None:
    await watch(store, 42, user_id="U0ANN")

    assert await watch(store, 42, user_id="U0BOB") is AddResult.JOINED
    assert await watch(store, 42, user_id="U0BOB") is AddResult.JOINED

    found = await stored(store, 42)
    assert len(found.cards) == 1
    assert found.cards[0].watchers == ("U0ANN", "U0BOB")
    assert found.cards[0].started_by == "U0ANN"


async def test_adding_again_keeps_the_recorded_step_and_only_extends_the_expiry(
    store: WatchStore,
) -> None:
    await watch(store, 42, step="WAIT")
    await record(store, 42, "WAIT", "RUN")

    await watch(store, 42, channel="C0BBB", step="BILL", expires_at=IN_A_WEEK - dt.timedelta(1))
    assert (await stored(store, 42)).step == "RUN"
    assert (await stored(store, 42)).expires_at == IN_A_WEEK

    longer = IN_A_WEEK + dt.timedelta(days=1)
    await watch(store, 42, user_id="U0BOB", expires_at=longer)
    assert (await stored(store, 42)).expires_at == longer
    assert await store.expired(TEAM, IN_A_WEEK) == []


async def test_concurrent_adds_in_one_channel_make_one_card_with_everyone(
    store: WatchStore,
) -> None:
    users = [f"U{number:04d}" for number in range(20)]

    results = await asyncio.gather(*(watch(store, 42, user_id=user) for user in users))

    assert results.count(AddResult.CREATED) == 1
    assert results.count(AddResult.JOINED) == 19
    found = await stored(store, 42)
    assert len(found.cards) == 1
    assert sorted(found.cards[0].watchers) == users


async def test_concurrent_adds_in_two_channels_make_two_cards(store: WatchStore) -> None:
    adds = [(f"C0{'AB'[number % 2]}", f"U{number:04d}") for number in range(20)]

    results = await asyncio.gather(
        *(watch(store, 42, channel=channel, user_id=user) for channel, user in adds)
    )

    assert results.count(AddResult.CREATED) == 1
    assert results.count(AddResult.NEW_CHANNEL) == 1
    assert results.count(AddResult.JOINED) == 18
    found = await stored(store, 42)
    assert [card.channel for card in found.cards] == ["C0A", "C0B"]
    assert sum(len(card.watchers) for card in found.cards) == 20


async def test_a_card_ts_is_given_at_add_or_recorded_after_posting(store: WatchStore) -> None:
    await watch(store, 42, channel="C0AAA", card_ts="1790000000.000100")
    await watch(store, 42, channel="C0BBB")

    await store.set_card_ts(TEAM, 42, "C0BBB", "1790000000.000200")
    await store.set_card_ts(TEAM, 42, "C0CCC", "1790000000.000300")

    found = await stored(store, 42)
    assert [(card.channel, card.ts) for card in found.cards] == [
        ("C0AAA", "1790000000.000100"),
        ("C0BBB", "1790000000.000200"),
    ]


async def test_a_hostile_channel_id_is_refused(store: WatchStore) -> None:
    with pytest.raises(ValueError, match="channel id"):
        await watch(store, 42, channel="C1}:x")


# The step compare-and-set and its posts.


async def test_a_step_change_is_recorded_with_one_post_per_card(
    store: WatchStore, outbox: Outbox
) -> None:
    await watch(store, 42, channel="C0AAA")
    await watch(store, 42, channel="C0BBB")

    assert await record(store, 42, "WAIT", "RUN", eta=120)

    found = await stored(store, 42)
    assert (found.step, found.step_at, found.eta) == ("RUN", LATER, 120)
    posts = await outbox.pending(TEAM)
    assert [(post.op_id, post.channel, post.kind, post.old, post.new) for post in posts] == [
        (42, "C0AAA", "step", "WAIT", "RUN"),
        (42, "C0BBB", "step", "WAIT", "RUN"),
    ]
    assert all(post.at == LATER and post.text == "" for post in posts)


async def test_a_change_from_another_step_changes_nothing(
    store: WatchStore, outbox: Outbox
) -> None:
    await watch(store, 42)

    assert not await record(store, 42, "BILL", "RUN")
    assert not await record(store, 43, "WAIT", "RUN")

    assert (await stored(store, 42)).step == "WAIT"
    assert await outbox.pending(TEAM) == []
    assert await store.get(TEAM, 43) is None


async def test_of_concurrent_recorders_of_one_change_exactly_one_wins(
    store: WatchStore, redis: RedisClient, outbox: Outbox
) -> None:
    await watch(store, 42, channel="C0AAA")
    await watch(store, 42, channel="C0BBB")
    workers = [WatchStore(redis) for _ in range(5)]

    results = await asyncio.gather(
        *(record(workers[number % 5], 42, "WAIT", "RUN") for number in range(50))
    )

    assert results.count(True) == 1
    posts = await outbox.pending(TEAM)
    assert sorted(post.channel for post in posts) == ["C0AAA", "C0BBB"]


async def test_a_change_schedules_the_next_poll(store: WatchStore, redis: RedisClient) -> None:
    await watch(store, 42)
    next_due = NOW.timestamp() + 90

    await record(store, 42, "WAIT", "RUN", next_due=next_due)

    assert await store.due(TEAM, next_due - 1) == []
    assert await store.due(TEAM, next_due) == [42]
    assert await next_poll_due(redis, TEAM) == next_due


@pytest.mark.parametrize(
    ("new", "final", "eta"), [("RUN", False, 120), ("DONE", True, None), ("RUN", False, None)]
)
async def test_recording_a_change_gives_the_watch_as_it_is_now(
    store: WatchStore, new: str, final: bool, eta: int | None
) -> None:
    """What the poster needs of the watch comes back from the script that records: no read again."""
    await watch(store, 42, channel="C0AAA", user_id="U0ANN")
    await watch(store, 42, channel="C0BBB", user_id="U0BOB")
    change = StepChange(op_id=42, old="WAIT", new=new, at=LATER, final=final, eta=eta)

    recorded = await store.record_step(TEAM, change, next_due=LATER.timestamp() + 30)

    assert recorded is not None
    assert recorded.watch == await stored(store, 42)
    assert await store.record_step(TEAM, change, next_due=LATER.timestamp() + 30) is None


async def test_a_final_step_ends_polling_but_keeps_the_watch_until_finished(
    store: WatchStore, outbox: Outbox, redis: RedisClient
) -> None:
    await watch(store, 42, user_id="U0ANN")
    await watch(store, 42, user_id="U0BOB")

    assert await record(store, 42, "WAIT", "DONE", final=True, eta=None)

    posts = await outbox.pending(TEAM)
    assert [(post.kind, post.old, post.new) for post in posts] == [("final", "WAIT", "DONE")]
    found = await stored(store, 42)
    assert found.final
    assert found.eta is None
    assert found.cards[0].watchers == ("U0ANN", "U0BOB")
    assert await store.due(TEAM, 1e12) == []
    assert await next_poll_due(redis, TEAM) is None
    assert not await record(store, 42, "DONE", "RUN")
    assert await watched_count(redis, TEAM) == 1

    await store.finish(TEAM, 42)

    assert await store.get(TEAM, 42) is None
    assert await watched_count(redis, TEAM) == 0


async def test_a_new_channel_after_the_final_step_gets_the_final_post_too(
    store: WatchStore, outbox: Outbox
) -> None:
    await watch(store, 42, channel="C0AAA")
    await record(store, 42, "WAIT", "DONE", final=True)

    assert await watch(store, 42, channel="C0BBB") is AddResult.NEW_CHANNEL

    posts = await outbox.pending(TEAM)
    assert [(post.channel, post.kind, post.new) for post in posts] == [
        ("C0AAA", "final", "DONE"),
        ("C0BBB", "final", "DONE"),
    ]
    assert await store.due(TEAM, 1e12) == []


async def test_a_step_change_of_an_unchanged_step_is_a_caller_bug(store: WatchStore) -> None:
    await watch(store, 42)
    with pytest.raises(ValueError, match="different steps"):
        await record(store, 42, "WAIT", "WAIT")


# Unwatching, gone channels, listing.


async def test_unwatching_removes_a_card_and_the_last_card_ends_the_watch(
    store: WatchStore, redis: RedisClient
) -> None:
    await watch(store, 42, channel="C0AAA")
    await watch(store, 42, channel="C0BBB")

    assert await store.remove_card(TEAM, 42, "C0AAA")
    assert not await store.remove_card(TEAM, 42, "C0AAA")
    assert [card.channel for card in (await stored(store, 42)).cards] == ["C0BBB"]

    assert await store.remove_card(TEAM, 42, "C0BBB")
    assert await store.get(TEAM, 42) is None
    assert await store.due(TEAM, 1e12) == []
    assert await watched_count(redis, TEAM) == 0


async def test_a_gone_channel_loses_every_card_it_had(store: WatchStore) -> None:
    await watch(store, 1, channel="C0GONE")
    await watch(store, 2, channel="C0GONE")
    await watch(store, 2, channel="C0KEPT")
    await watch(store, 3, channel="C0KEPT")
    await record(store, 2, "WAIT", "DONE", final=True)

    assert await store.drop_channel(TEAM, "C0GONE") == 2

    assert await store.get(TEAM, 1) is None
    assert [card.channel for card in (await stored(store, 2)).cards] == ["C0KEPT"]
    assert await store.in_channel(TEAM, "C0GONE") == []
    assert [found.op_id for found in await store.in_channel(TEAM, "C0KEPT")] == [2, 3]
    assert await store.drop_channel(TEAM, "C0GONE") == 0


async def test_a_channel_lists_its_own_watches(store: WatchStore) -> None:
    for op_id in (7, 3, 5):
        await watch(store, op_id, channel="C0AAA")
    await watch(store, 4, channel="C0BBB")

    listed = await store.in_channel(TEAM, "C0AAA")

    assert [found.op_id for found in listed] == [3, 5, 7]
    assert all(found.card("C0AAA") is not None for found in listed)


async def test_due_returns_ids_earliest_first_within_the_limit(store: WatchStore) -> None:
    for op_id, minutes in ((1, 3), (2, 1), (3, 2), (4, 10)):
        await watch(store, op_id, now=NOW + dt.timedelta(minutes=minutes))

    soon = (NOW + dt.timedelta(minutes=5)).timestamp()
    assert await store.due(TEAM, soon) == [2, 3, 1]
    assert await store.due(TEAM, soon, limit=2) == [2, 3]


async def test_get_many_returns_the_stored_ones(store: WatchStore) -> None:
    await watch(store, 1)
    await watch(store, 2)

    found = await store.get_many(TEAM, [2, 9, 1, 2])

    assert sorted(found) == [1, 2]
    assert found[2].op_id == 2


async def test_polled_states_give_step_and_flags_of_the_stored_ones(store: WatchStore) -> None:
    await watch(store, 1)
    await watch(store, 2)
    await watch(store, 3)
    await record(store, 2, "WAIT", "DONE", final=True)
    await store.mark_unreadable(TEAM, 3, "cannot be read", LATER)

    found = await store.polled_states(TEAM, [3, 9, 2, 1, 1])

    assert found == {
        1: PolledState("WAIT", final=False, unreadable=False),
        2: PolledState("DONE", final=True, unreadable=False),
        3: PolledState("WAIT", final=False, unreadable=True),
    }
    assert await store.polled_states(TEAM, []) == {}


async def test_the_poll_view_has_every_polled_watch_and_the_expired_not_final(
    store: WatchStore, redis: RedisClient, caplog: pytest.LogCaptureFixture
) -> None:
    await watch(store, 1, expires_at=NOW + dt.timedelta(days=1))
    await watch(store, 2, expires_at=NOW + dt.timedelta(days=1))
    await watch(store, 3, expires_at=NOW + dt.timedelta(days=3))
    await record(store, 2, "WAIT", "ERROR", final=True)
    await store.reschedule_many(TEAM, {3: NOW.timestamp() + 60})
    await redis.zadd(keyspace.watches(TEAM), {"garbage": 0.0})

    with caplog.at_level(logging.WARNING, logger="opsbot.store.codec"):
        view = await store.poll_view(TEAM, NOW + dt.timedelta(days=2))

    assert view.watched == {1, 3}
    assert view.due == {1, 3}  # both due for a full read two days on
    assert view.expired == [1]
    assert "malformed member 'garbage'" in caplog.text


async def test_rescheduling_never_brings_back_a_finished_watch(
    store: WatchStore, redis: RedisClient
) -> None:
    await watch(store, 42)
    await store.reschedule_many(TEAM, {42: NOW.timestamp() + 60})
    assert await next_poll_due(redis, TEAM) == NOW.timestamp() + 60

    await store.finish(TEAM, 42)
    await store.reschedule_many(TEAM, {42: NOW.timestamp()})

    assert await store.due(TEAM, 1e12) == []


async def test_rescheduling_many_at_once_moves_only_the_watched(
    store: WatchStore, redis: RedisClient
) -> None:
    await watch(store, 1)
    await watch(store, 2)
    later = NOW.timestamp() + 60

    await store.reschedule_many(TEAM, {1: later, 2: later + 1, 3: NOW.timestamp()})

    assert await store.due(TEAM, later) == [1]
    assert await store.due(TEAM, later + 1) == [1, 2]
    await store.reschedule_many(TEAM, {})
    assert await watched_count(redis, TEAM) == 2


# Expiry, pause, channel spacing.


async def test_watches_expire_but_not_those_already_final(store: WatchStore) -> None:
    await watch(store, 1, expires_at=NOW + dt.timedelta(days=1))
    await watch(store, 2, expires_at=NOW + dt.timedelta(days=1))
    await watch(store, 3, expires_at=NOW + dt.timedelta(days=3))
    await record(store, 2, "WAIT", "ERROR", final=True)

    assert await store.expired(TEAM, NOW) == []
    assert await store.expired(TEAM, NOW + dt.timedelta(days=2)) == [1]
    assert await store.expired(TEAM, NOW + dt.timedelta(days=3)) == [1, 3]


# Garbage in Redis.


async def test_a_corrupt_card_is_skipped_with_a_log_line(
    store: WatchStore, redis: RedisClient, caplog: pytest.LogCaptureFixture
) -> None:
    await watch(store, 42, channel="C0AAA")
    await watch(store, 42, channel="C0BBB")
    await redis.hset(keyspace.cards(TEAM, 42), "C0AAA", "{not json")
    await redis.hset(keyspace.cards(TEAM, 42), "C0CCC", '{"ts": 5, "watchers": []}')

    with caplog.at_level(logging.WARNING, logger="opsbot.store.watches"):
        found = await stored(store, 42)

    assert [card.channel for card in found.cards] == ["C0BBB"]
    assert "corrupt card of operation 42 in C0AAA" in caplog.text
    assert "corrupt card of operation 42 in C0CCC" in caplog.text


async def test_the_first_watcher_is_the_one_who_started_the_card(store: WatchStore) -> None:
    for user in ("U0ANN", "U0BOB", "U0CAT"):
        await watch(store, 42, user_id=user)

    (card,) = (await stored(store, 42)).cards

    assert (card.started_by, card.watchers) == ("U0ANN", ("U0ANN", "U0BOB", "U0CAT"))


@pytest.mark.parametrize(
    "garbage", ["[1, 2", "[1, 2]", '{"ts": "1.2"}', '{"ts": "1.2", "watchers": {"U0ANN": 1}}']
)
async def test_watching_again_replaces_a_corrupt_card(
    store: WatchStore, redis: RedisClient, garbage: str
) -> None:
    await watch(store, 42, channel="C0AAA")
    await redis.hset(keyspace.cards(TEAM, 42), "C0AAA", garbage)

    assert await watch(store, 42, channel="C0AAA", user_id="U0BOB") is AddResult.NEW_CHANNEL

    assert (await stored(store, 42)).cards[0].watchers == ("U0BOB",)


async def test_a_card_ts_is_not_recorded_on_a_corrupt_card(
    store: WatchStore, redis: RedisClient, caplog: pytest.LogCaptureFixture
) -> None:
    await watch(store, 42, channel="C0AAA")
    await redis.hset(keyspace.cards(TEAM, 42), "C0AAA", "not json")

    with caplog.at_level(logging.WARNING, logger="opsbot.store.watches"):
        await store.set_card_ts(TEAM, 42, "C0AAA", "1790000000.000100")

    assert await redis.hget(keyspace.cards(TEAM, 42), "C0AAA") == "not json"
    assert "does not parse" in caplog.text


async def test_a_corrupt_watch_is_skipped_with_a_log_line(
    store: WatchStore, redis: RedisClient, caplog: pytest.LogCaptureFixture
) -> None:
    await watch(store, 42)
    await watch(store, 43)
    await redis.hset(keyspace.watch(TEAM, 42), "created_at", "yesterday-ish")

    with caplog.at_level(logging.WARNING, logger="opsbot.store.watches"):
        found = await store.get_many(TEAM, [42, 43])

    assert list(found) == [43]
    assert "watch of operation 42" in caplog.text


async def test_a_malformed_member_of_the_schedule_is_ignored(
    store: WatchStore, redis: RedisClient, caplog: pytest.LogCaptureFixture
) -> None:
    await watch(store, 42)
    await redis.zadd(keyspace.watches(TEAM), {"garbage": 0.0})

    with caplog.at_level(logging.WARNING, logger="opsbot.store.codec"):
        assert await store.due(TEAM, NOW.timestamp()) == [42]

    assert "malformed member 'garbage'" in caplog.text


# Layout and size.


async def test_every_key_is_the_teams_or_the_schedules(
    store: WatchStore, outbox: Outbox, redis: RedisClient
) -> None:
    await watch(store, 42, channel="C0AAA")
    await record(store, 42, "WAIT", "RUN")
    await outbox.add_note(TEAM, 42, "note", LATER)
    await TeamPauses(redis).pause(TEAM, "why")
    await ChannelPacing(redis).take_post(TEAM, "C0AAA", 1.0)

    stored_keys = await all_keys(redis)

    assert stored_keys == sorted(
        [
            keyspace.watch(TEAM, 42),
            keyspace.cards(TEAM, 42),
            keyspace.watches(TEAM),
            keyspace.watch_expiries(TEAM),
            keyspace.outbox(TEAM),
            keyspace.paused(TEAM),
            keyspace.channel_bucket(TEAM, "C0AAA"),
            keyspace.schedule(),
        ]
    )


async def data_memory(redis: RedisClient) -> int:
    """Memory of the server holding the team, without its clients' buffers.

    (Those depend on connections, not data.)
    """
    memory = await server_info(redis, "memory", serving=keyspace.watches(TEAM))
    return int(memory["used_memory"]) - int(memory["mem_clients_normal"])


async def test_a_watch_takes_less_than_a_kilobyte_of_redis(
    store: WatchStore, redis: RedisClient, outbox: Outbox
) -> None:
    """1,000 watches of one team with one posted card each, one step recorded."""
    count = 1000
    first_op = 1_000_000
    # More than the default fair-use limit: this measures memory, not the limit.
    store = WatchStore(redis, max_watches=count + 1)

    async def full_watch(op_id: int) -> None:
        await watch(
            store,
            op_id,
            channel="C0123ABCDE",
            user_id="U0123ABCDE",
            label=f"example-domain-{op_id}.com",
            card_ts=f"1790000000.{op_id:06d}",
        )
        await record(store, op_id, "WAIT", "RUN")
        for post in await outbox.pending(TEAM):
            await outbox.done(TEAM, post.entry_id)

    await full_watch(first_op - 1)  # scripts loaded, team scheduled: not counted
    before = await data_memory(redis)

    for op_id in range(first_op, first_op + count):
        await full_watch(op_id)

    assert await watched_count(redis, TEAM) == count + 1
    assert await outbox.pending(TEAM) == []
    per_watch = (await data_memory(redis) - before) / count
    assert 0 < per_watch < 1024
    encodings = {
        decoded(await redis.object("encoding", key))
        for key in (keyspace.watch(TEAM, first_op), keyspace.cards(TEAM, first_op))
    }
    assert encodings <= {"listpack", "ziplist"}


# The fair-use limit.


async def test_concurrent_watches_never_pass_the_teams_limit(redis_url: str) -> None:
    settings = Settings(redis_url=redis_url)
    async with open_redis(settings) as first, open_redis(settings) as second:
        stores = [WatchStore(first, max_watches=5), WatchStore(second, max_watches=5)]
        outcomes = await asyncio.gather(
            *(watch(stores[op_id % 2], op_id) for op_id in range(100, 140)),
            return_exceptions=True,
        )

        created = [outcome for outcome in outcomes if outcome is AddResult.CREATED]
        refused = [outcome for outcome in outcomes if isinstance(outcome, WatchLimitReached)]
        assert (len(created), len(refused)) == (5, 35)
        assert {(error.count, error.limit) for error in refused} == {(5, 5)}
        assert await stores[0].count(TEAM) == await watched_count(first, TEAM) == 5


async def test_at_the_limit_a_watched_operation_still_takes_cards_and_watchers(
    redis: RedisClient,
) -> None:
    store = WatchStore(redis, max_watches=2)
    assert await watch(store, 1) is AddResult.CREATED
    assert await watch(store, 2) is AddResult.CREATED
    with pytest.raises(WatchLimitReached):
        await watch(store, 3)

    # Another channel, another watcher: still two watched operations.
    assert await watch(store, 1, channel="C0BBB") is AddResult.NEW_CHANNEL
    assert await watch(store, 1, user_id="U0BOB") is AddResult.JOINED

    await store.finish(TEAM, 2)  # a watch that ended frees its place
    assert await watch(store, 3) is AddResult.CREATED


async def test_a_persons_watches_are_those_they_follow_on_any_card(store: WatchStore) -> None:
    await watch(store, 41, channel="C0AAA", user_id="U0ANN")
    await watch(store, 42, channel="C0AAA", user_id="U0BOB")
    await watch(store, 42, channel="DU0ANN", user_id="U0ANN")
    await watch(store, 43, channel="C0BBB", user_id="U0BOB")

    followed = await store.followed_by(TEAM, "U0ANN")

    assert [found.op_id for found in followed] == [41, 42]
    assert await store.followed_by(TEAM, "U0NOBODY") == []
