"""Channel pacing: when each channel may take its next post, kept for a day at most."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from opsbot.config import Settings
from opsbot.store import keyspace
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.pacing import ChannelPacing
from tests.support.stored_watches import TEAM


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


async def test_a_channel_is_ready_at_once_until_told_otherwise(redis: RedisClient) -> None:
    pacing = ChannelPacing(redis)
    assert await pacing.ready_at(TEAM, "C0AAA") == 0.0

    await pacing.hold_until(TEAM, "C0AAA", 1790000001.5)

    assert await pacing.ready_at(TEAM, "C0AAA") == 1790000001.5
    assert await pacing.ready_at(TEAM, "C0BBB") == 0.0
    assert await redis.ttl(keyspace.channel_next_post(TEAM, "C0AAA")) > 0


async def test_a_malformed_next_post_time_means_ready_now(
    redis: RedisClient, caplog: pytest.LogCaptureFixture
) -> None:
    await redis.set(keyspace.channel_next_post(TEAM, "C0AAA"), "soon")

    with caplog.at_level(logging.WARNING, logger="opsbot.store.pacing"):
        assert await ChannelPacing(redis).ready_at(TEAM, "C0AAA") == 0.0

    assert "malformed next post time" in caplog.text
