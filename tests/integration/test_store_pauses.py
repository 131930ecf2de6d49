"""A team's pause: set once with its reason, lifted once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from opsbot.config import Settings
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.pauses import TeamPauses
from tests.support.stored_watches import TEAM


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


async def test_pause_and_resume_say_whether_they_changed_anything(redis: RedisClient) -> None:
    pauses = TeamPauses(redis)
    assert await pauses.reason(TEAM) is None
    assert await pauses.pause(TEAM, "the API key was refused")
    assert not await pauses.pause(TEAM, "again")
    assert await pauses.reason(TEAM) == "the API key was refused"

    assert await pauses.resume(TEAM)
    assert not await pauses.resume(TEAM)
    assert await pauses.reason(TEAM) is None
