"""The token buckets in Redis: posts per channel and edits per team, shared by every process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from opsbot.config import Settings
from opsbot.store import keyspace
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.pacing import ChannelPacing, Rate
from tests.support.stored_watches import TEAM

T0 = 1_790_000_000.0
ONE_A_SECOND = Rate(per_s=1.0, burst=2)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


def pacing(redis: RedisClient) -> ChannelPacing:
    return ChannelPacing(redis, posts=ONE_A_SECOND, edits=Rate(per_s=0.5, burst=1))


async def test_a_channel_takes_its_burst_then_one_a_second(redis: RedisClient) -> None:
    buckets = pacing(redis)

    assert await buckets.take_post(TEAM, "C0AAA", T0) == 0.0
    assert await buckets.take_post(TEAM, "C0AAA", T0) == 0.0
    assert await buckets.take_post(TEAM, "C0AAA", T0) == T0 + 1.0
    assert await buckets.take_post(TEAM, "C0AAA", T0 + 0.5) == T0 + 1.0
    assert await buckets.take_post(TEAM, "C0AAA", T0 + 1.0) == 0.0
    assert await buckets.take_post(TEAM, "C0AAA", T0 + 1.0) == T0 + 2.0
    # Another channel has a bucket of its own.
    assert await buckets.take_post(TEAM, "C0BBB", T0 + 1.0) == 0.0
    assert await redis.ttl(keyspace.channel_bucket(TEAM, "C0AAA")) > 0


async def test_a_batch_of_posts_takes_what_the_bucket_holds_in_one_call(
    redis: RedisClient,
) -> None:
    buckets = pacing(redis)

    taken = await buckets.take_posts(TEAM, "C0AAA", T0, 5)
    assert (taken.count, taken.ready_at) == (2, T0 + 1.0)  # the burst; the next in a second
    nothing = await buckets.take_posts(TEAM, "C0AAA", T0 + 0.5, 5)
    assert (nothing.count, nothing.ready_at) == (0, T0 + 1.0)
    one = await buckets.take_posts(TEAM, "C0AAA", T0 + 1.5, 5)
    assert (one.count, one.ready_at) == (1, T0 + 2.0)
    await buckets.pause_channel(TEAM, "C0AAA", T0 + 30)
    paused = await buckets.take_posts(TEAM, "C0AAA", T0 + 3.0, 5)
    assert (paused.count, paused.ready_at) == (0, T0 + 30)


async def test_a_bucket_taken_from_often_keeps_its_expiry_without_renewing_it_each_time(
    redis: RedisClient,
) -> None:
    buckets = pacing(redis)
    key = keyspace.channel_bucket(TEAM, "C0AAA")
    await buckets.take_post(TEAM, "C0AAA", T0)
    await redis.expire(key, 1000)  # as if set long ago

    await buckets.take_post(TEAM, "C0AAA", T0 + 1.0)
    assert await redis.ttl(key) <= 1000  # a day ahead still: not pushed back at this take
    await redis.hset(key, "kept_until", str(T0))  # half a day later by the bucket's clock
    await buckets.take_post(TEAM, "C0AAA", T0 + 2.0)
    assert await redis.ttl(key) > 1000


async def test_two_workers_share_one_bucket_per_channel(redis: RedisClient) -> None:
    one, other = pacing(redis), pacing(redis)

    taken = [
        await worker.take_post(TEAM, "C0AAA", T0 + second)
        for second in (0.0, 0.0, 1.0, 2.0)
        for worker in (one, other)
    ]

    # Two at once, then one a second whichever worker asks.
    assert [ready == 0.0 for ready in taken] == [True, True, False, False, True, False, True, False]


async def test_looking_takes_nothing(redis: RedisClient) -> None:
    buckets = pacing(redis)
    assert await buckets.post_ready_at(TEAM, "C0AAA", T0) == T0
    await buckets.take_post(TEAM, "C0AAA", T0)
    await buckets.take_post(TEAM, "C0AAA", T0)

    assert await buckets.post_ready_at(TEAM, "C0AAA", T0) == T0 + 1.0
    assert await buckets.post_ready_at(TEAM, "C0AAA", T0 + 1.0) == T0 + 1.0
    assert await buckets.take_post(TEAM, "C0AAA", T0 + 1.0) == 0.0


async def test_a_429_pauses_the_channel_for_everyone_then_lets_one_go(redis: RedisClient) -> None:
    one, other = pacing(redis), pacing(redis)
    await one.pause_channel(TEAM, "C0AAA", T0 + 30)
    await other.pause_channel(TEAM, "C0AAA", T0 + 10)  # an earlier end does not shorten it

    assert await other.take_post(TEAM, "C0AAA", T0 + 29.9) == T0 + 30
    assert await other.take_post(TEAM, "C0AAA", T0 + 30) == 0.0
    assert await one.take_post(TEAM, "C0AAA", T0 + 30) == T0 + 31
    assert await one.take_post(TEAM, "C0BBB", T0) == 0.0


async def test_a_lagging_clock_mints_no_tokens(redis: RedisClient) -> None:
    buckets = pacing(redis)
    await buckets.take_post(TEAM, "C0AAA", T0 + 10)
    await buckets.take_post(TEAM, "C0AAA", T0 + 10)

    # A worker whose clock says 5 s earlier waits for the same token.
    assert await buckets.take_post(TEAM, "C0AAA", T0 + 5) == T0 + 11


async def test_edits_are_paced_per_team_and_paused_by_a_429(redis: RedisClient) -> None:
    buckets = pacing(redis)

    assert await buckets.take_edit(TEAM, T0) == 0.0
    assert await buckets.take_edit(TEAM, T0) == T0 + 2.0
    assert await buckets.take_edit("T0OTHER", T0) == 0.0
    await buckets.pause_edits(TEAM, T0 + 60)
    assert await buckets.take_edit(TEAM, T0 + 2.0) == T0 + 60


async def test_the_settings_set_the_post_rate(redis: RedisClient) -> None:
    buckets = ChannelPacing.from_settings(redis, Settings(posts_per_s=0.5, post_burst=1))
    assert await buckets.take_post(TEAM, "C0AAA", T0) == 0.0
    assert await buckets.take_post(TEAM, "C0AAA", T0) == T0 + 2.0


async def test_an_answer_to_a_person_waits_for_its_token_then_goes(redis: RedisClient) -> None:
    buckets = pacing(redis)
    now = [T0]

    async def clock_moves() -> None:
        await buckets.wait_for_post(TEAM, "C0AAA", lambda: now[0], at_most_s=5.0)

    await clock_moves()
    await clock_moves()
    # The bucket is empty: a third answer waits for its token (the clock moves on).
    now[0] = T0 + 1.0
    await clock_moves()
    assert await buckets.take_post(TEAM, "C0AAA", T0 + 1.0) == T0 + 2.0


async def test_an_answer_to_a_person_goes_late_rather_than_never(redis: RedisClient) -> None:
    buckets = pacing(redis)
    await buckets.pause_channel(TEAM, "C0AAA", T0 + 600)

    await buckets.wait_for_post(TEAM, "C0AAA", lambda: T0, at_most_s=2.0)  # returns at once
