"""Subscriptions: numbered per team, listed per channel, last_seen only moves forward."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest

from opsbot.config import Settings
from opsbot.store import keyspace
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.subscriptions import (
    _RECENT_IDS_MAX,
    SUBSCRIPTION_OVERLAP,
    Subscription,
    SubscriptionLimitReached,
    SubscriptionStore,
)

TEAM = "T0123"
NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
FILTERS = {"type": "domain_create", "step": ["BILL", "WAIT"], "id": [1, 2]}


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


@pytest.fixture
def subscriptions(redis: RedisClient) -> SubscriptionStore:
    return SubscriptionStore(redis)


async def subscribe(
    subscriptions: SubscriptionStore, channel: str = "C0AAA", **filters: object
) -> Subscription:
    return await subscriptions.add(
        TEAM, channel=channel, filters=filters or FILTERS, created_by="U0ANN", now=NOW
    )


async def test_a_subscription_starts_from_now_with_number_one(
    subscriptions: SubscriptionStore,
) -> None:
    created = await subscribe(subscriptions)

    assert created == Subscription(
        number=1,
        channel="C0AAA",
        filters=FILTERS,
        created_by="U0ANN",
        created_at=NOW,
        last_seen=NOW,
    )
    assert await subscriptions.list(TEAM) == [created]


async def test_numbers_are_never_reused(subscriptions: SubscriptionStore) -> None:
    for _ in range(3):
        await subscribe(subscriptions)

    assert await subscriptions.remove(TEAM, 3)
    assert not await subscriptions.remove(TEAM, 3)

    assert (await subscribe(subscriptions)).number == 4
    assert [found.number for found in await subscriptions.list(TEAM)] == [1, 2, 4]


async def test_concurrent_subscribers_get_distinct_numbers(
    subscriptions: SubscriptionStore,
) -> None:
    created = await asyncio.gather(*(subscribe(subscriptions) for _ in range(20)))

    assert sorted(found.number for found in created) == list(range(1, 21))


async def test_a_channel_lists_only_its_own(subscriptions: SubscriptionStore) -> None:
    for channel in ("C0AAA", "C0BBB", "C0AAA"):
        await subscribe(subscriptions, channel=channel, type="domain_renew")

    assert [found.number for found in await subscriptions.list(TEAM, "C0AAA")] == [1, 3]
    assert [found.number for found in await subscriptions.list(TEAM, "C0BBB")] == [2]
    assert await subscriptions.list("T0456") == []


async def test_last_seen_only_moves_forward(subscriptions: SubscriptionStore) -> None:
    await subscribe(subscriptions)
    later = NOW + dt.timedelta(minutes=3)

    await subscriptions.advance(TEAM, 1, {101: later})
    await subscriptions.advance(TEAM, 1, {102: NOW + dt.timedelta(minutes=1)})

    (found,) = await subscriptions.list(TEAM)
    assert found.last_seen == later
    assert (found.created_at, found.filters) == (NOW, FILTERS)


async def test_concurrent_advances_keep_the_latest(subscriptions: SubscriptionStore) -> None:
    await subscribe(subscriptions)
    moments = [NOW + dt.timedelta(seconds=seconds) for seconds in (5, 40, 12, 33, 7, 21)]

    await asyncio.gather(
        *(subscriptions.advance(TEAM, 1, {op_id: moment}) for op_id, moment in enumerate(moments))
    )

    (found,) = await subscriptions.list(TEAM)
    assert found.last_seen == max(moments)


async def test_advancing_a_removed_subscription_does_not_bring_it_back(
    subscriptions: SubscriptionStore,
) -> None:
    await subscribe(subscriptions)
    await subscriptions.remove(TEAM, 1)

    await subscriptions.advance(TEAM, 1, {101: NOW + dt.timedelta(hours=1)})

    assert await subscriptions.list(TEAM) == []


async def test_times_come_back_as_aware_utc(subscriptions: SubscriptionStore) -> None:
    tokyo = dt.timezone(dt.timedelta(hours=9))
    await subscriptions.add(
        TEAM, channel="C0AAA", filters={}, created_by="U0ANN", now=NOW.astimezone(tokyo)
    )
    await subscriptions.advance(TEAM, 1, {101: (NOW + dt.timedelta(hours=1)).astimezone(tokyo)})

    (found,) = await subscriptions.list(TEAM)
    assert found.created_at.tzinfo == found.last_seen.tzinfo == dt.UTC
    assert (found.created_at, found.last_seen) == (NOW, NOW + dt.timedelta(hours=1))


async def test_an_unreadable_subscription_is_skipped_with_a_log_line(
    subscriptions: SubscriptionStore, redis: RedisClient, caplog: pytest.LogCaptureFixture
) -> None:
    await subscribe(subscriptions)
    await redis.hset(keyspace.subscriptions(TEAM), "2", "{broken")
    await redis.hset(keyspace.subscriptions(TEAM), "3", '{"channel": "C0AAA", "filters": []}')
    await redis.hset(keyspace.subscriptions(TEAM), "four", "{}")

    with caplog.at_level(logging.WARNING, logger="opsbot.store.subscriptions"):
        listed = await subscriptions.list(TEAM)
        await subscriptions.advance(TEAM, 2, {101: NOW + dt.timedelta(hours=1)})

    assert [found.number for found in listed] == [1]
    assert caplog.text.count("skipping unreadable subscription") >= 3


async def test_a_hostile_channel_id_is_refused(subscriptions: SubscriptionStore) -> None:
    with pytest.raises(ValueError, match="channel id"):
        await subscribe(subscriptions, channel="C1}:x")


async def test_matched_operations_are_remembered_while_the_overlap_can_return_them(
    subscriptions: SubscriptionStore,
) -> None:
    await subscribe(subscriptions)
    seen = NOW + dt.timedelta(seconds=10)
    await subscriptions.advance(TEAM, 1, {101: seen})
    # Found later, in the second already seen: remembered, last_seen stays.
    await subscriptions.advance(TEAM, 1, {102: seen})
    await subscriptions.advance(TEAM, 1, {103: seen + SUBSCRIPTION_OVERLAP})

    (found,) = await subscriptions.list(TEAM)
    assert found.last_seen == seen + SUBSCRIPTION_OVERLAP
    assert found.recent_ids == {101, 102, 103}

    await subscriptions.advance(TEAM, 1, {104: seen + 3 * SUBSCRIPTION_OVERLAP})

    (found,) = await subscriptions.list(TEAM)
    assert found.recent_ids == {104}  # the others are out of the overlap: forgotten


async def test_concurrent_advances_remember_every_operation(
    subscriptions: SubscriptionStore,
) -> None:
    await subscribe(subscriptions)
    moment = NOW + dt.timedelta(seconds=5)

    # A team's lease keeps workers apart; a few writers at once are plenty.
    await asyncio.gather(*(subscriptions.advance(TEAM, 1, {op_id: moment}) for op_id in range(6)))

    (found,) = await subscriptions.list(TEAM)
    assert found.recent_ids == set(range(6))


async def test_a_burst_in_one_second_keeps_the_record_bounded(
    subscriptions: SubscriptionStore,
) -> None:
    await subscribe(subscriptions)
    burst = dict.fromkeys(range(_RECENT_IDS_MAX + 50), NOW)

    await subscriptions.advance(TEAM, 1, burst)

    (found,) = await subscriptions.list(TEAM)
    assert len(found.recent_ids) == _RECENT_IDS_MAX
    assert max(burst) in found.recent_ids


async def test_a_subscription_stored_before_recent_ids_reads_and_advances(
    subscriptions: SubscriptionStore, redis: RedisClient
) -> None:
    stored = {
        "channel": "C0AAA",
        "filters": FILTERS,
        "created_by": "U0ANN",
        "created_at": NOW.isoformat(),
        "last_seen": NOW.isoformat(),
    }
    await redis.hset(keyspace.subscriptions(TEAM), "1", json.dumps(stored))

    (before,) = await subscriptions.list(TEAM)
    await subscriptions.advance(TEAM, 1, {101: NOW + dt.timedelta(seconds=1)})

    (after,) = await subscriptions.list(TEAM)
    assert before.recent_ids == frozenset()
    assert (after.last_seen, after.recent_ids) == (NOW + dt.timedelta(seconds=1), frozenset({101}))


async def test_concurrent_subscribes_never_pass_the_teams_limit(redis_url: str) -> None:
    settings = Settings(redis_url=redis_url)
    async with open_redis(settings) as first, open_redis(settings) as second:
        stores = [
            SubscriptionStore(first, max_subscriptions=3),
            SubscriptionStore(second, max_subscriptions=3),
        ]
        outcomes = await asyncio.gather(
            *(subscribe(stores[n % 2], type=f"type_{n}") for n in range(12)),
            return_exceptions=True,
        )

        added = [outcome for outcome in outcomes if isinstance(outcome, Subscription)]
        refused = [outcome for outcome in outcomes if isinstance(outcome, SubscriptionLimitReached)]
        assert (len(added), len(refused)) == (3, 9)
        assert {(error.count, error.limit) for error in refused} == {(3, 3)}
        assert len(await stores[0].list(TEAM)) == 3

        # Ending one frees its place; numbers are still never reused.
        await stores[0].remove(TEAM, added[0].number)
        again = await subscribe(stores[1], type="type_again")
        assert again.number == 4


# --- subscriptions stored before opsbot read the API's clock ---------------------------

PARIS = ZoneInfo("Europe/Paris")


async def store_legacy(redis: RedisClient, *, created_at: str, last_seen: str) -> None:
    """A document as the code before OPSBOT_API_TIMEZONE wrote it: no clock marker."""
    document = {
        "channel": "C0AAA",
        "filters": {"type": "domain_create"},
        "created_by": "U0ANN",
        "created_at": created_at,
        "last_seen": last_seen,
    }
    await redis.hset(keyspace.subscriptions(TEAM), "1", json.dumps(document))


async def test_a_legacy_last_seen_is_read_as_the_api_wall_time(redis: RedisClient) -> None:
    # An operation created at 10:00 UTC came back as Paris 12:00 (July: UTC+2)
    # and was stored as "12:00 UTC": read as is, two hours would be skipped.
    await store_legacy(
        redis, created_at="2026-07-01T08:00:00+00:00", last_seen="2026-07-01T12:00:00+00:00"
    )

    [legacy] = await SubscriptionStore(redis, api_zone=PARIS).list(TEAM)

    assert legacy.last_seen == dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)


async def test_a_legacy_last_seen_never_reaches_before_the_subscription(
    redis: RedisClient,
) -> None:
    # Nothing matched yet: last_seen was the true UTC moment of creation.
    await store_legacy(
        redis, created_at="2026-01-10T09:00:00+00:00", last_seen="2026-01-10T09:00:00+00:00"
    )

    [legacy] = await SubscriptionStore(redis, api_zone=PARIS).list(TEAM)

    assert legacy.last_seen == dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.UTC)


async def test_an_advanced_legacy_subscription_is_marked_and_not_converted_twice(
    redis: RedisClient,
) -> None:
    await store_legacy(
        redis, created_at="2026-07-01T08:00:00+00:00", last_seen="2026-07-01T12:00:00+00:00"
    )
    store = SubscriptionStore(redis, api_zone=PARIS)

    await store.advance(TEAM, 1, {7: dt.datetime(2026, 7, 1, 10, 30, tzinfo=dt.UTC)})
    [advanced] = await store.list(TEAM)

    assert advanced.last_seen == dt.datetime(2026, 7, 1, 10, 30, tzinfo=dt.UTC)


async def test_a_new_subscription_is_read_as_utc_whatever_the_api_zone(redis: RedisClient) -> None:
    store = SubscriptionStore(redis, api_zone=PARIS)
    await store.add(TEAM, channel="C0AAA", filters=FILTERS, created_by="U0ANN", now=NOW)

    [fresh] = await store.list(TEAM)

    assert fresh.last_seen == NOW
