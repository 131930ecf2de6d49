"""Muted channels: which are muted, which have just ended, and what they kept quiet."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from opsbot.config import Settings
from opsbot.store import keyspace
from opsbot.store.bursts import Outcome
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.mutes import Mutes
from tests.support.stored_watches import TEAM

T0 = 1_790_000_000.0


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


async def test_a_mute_is_on_until_its_end_then_listed_as_ended(redis: RedisClient) -> None:
    mutes = Mutes(redis)
    await mutes.mute(TEAM, "C0AAA", until=T0 + 60, by="U0ANN", now=T0)
    await mutes.mute(TEAM, "C0BBB", until=T0 + 30, by="U0BOB", now=T0)

    now = await mutes.channels(TEAM, T0 + 40)

    assert now.muted == {"C0AAA": T0 + 60}
    assert now.ended == ("C0BBB",)
    assert now.next_end == T0 + 60
    assert await redis.ttl(keyspace.mute(TEAM, "C0AAA")) > 0


async def test_outcomes_are_kept_until_the_mute_is_forgotten(redis: RedisClient) -> None:
    mutes = Mutes(redis)
    await mutes.mute(TEAM, "C0AAA", until=T0 + 60, by="U0ANN", now=T0)
    outcome = Outcome(42, "ERROR", "domain_renew", "example.com", "1.1", ("U0ANN",))
    await mutes.note(TEAM, "C0AAA", outcome)
    # Muting again for longer keeps when it began and what it noted.
    await mutes.mute(TEAM, "C0AAA", until=T0 + 120, by="U0BOB", now=T0 + 10)

    mute = await mutes.get(TEAM, "C0AAA")

    assert mute is not None
    assert (mute.since, mute.until, mute.by) == (T0, T0 + 120, "U0BOB")
    assert mute.outcomes == {42: outcome}
    await mutes.forget(TEAM, "C0AAA")
    assert await mutes.get(TEAM, "C0AAA") is None
    assert (await mutes.channels(TEAM, T0)).muted == {}


async def test_unmute_ends_it_now_and_only_once(redis: RedisClient) -> None:
    mutes = Mutes(redis)
    assert not await mutes.unmute(TEAM, "C0AAA", T0)
    await mutes.mute(TEAM, "C0AAA", until=T0 + 60, by="U0ANN", now=T0)

    assert await mutes.unmute(TEAM, "C0AAA", T0 + 5)

    assert (await mutes.channels(TEAM, T0 + 5)).ended == ("C0AAA",)
    assert not await mutes.unmute(TEAM, "C0AAA", T0 + 6)


async def test_an_unreadable_outcome_is_skipped_with_a_log_line(
    redis: RedisClient, caplog: pytest.LogCaptureFixture
) -> None:
    mutes = Mutes(redis)
    await mutes.mute(TEAM, "C0AAA", until=T0 + 60, by="U0ANN", now=T0)
    await redis.hset(keyspace.mute(TEAM, "C0AAA"), "op:7", "[]")

    with caplog.at_level(logging.WARNING, logger="opsbot.store.mutes"):
        mute = await mutes.get(TEAM, "C0AAA")

    assert mute is not None
    assert mute.outcomes == {}
    assert "unreadable muted outcome op:7" in caplog.text
