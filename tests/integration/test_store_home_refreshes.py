"""Home tab refreshes: marked on a change, spaced per person, never losing the last change."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from opsbot.config import Settings
from opsbot.store import keyspace
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.home_refreshes import HomeRefreshes

TEAM = "T0123"


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


@pytest.fixture
def refreshes(redis: RedisClient) -> HomeRefreshes:
    return HomeRefreshes(redis, spacing_s=5)


async def test_marked_people_come_back_longest_waiting_first(refreshes: HomeRefreshes) -> None:
    await refreshes.mark(TEAM, ["U0B"], at=20.0)
    await refreshes.mark(TEAM, ["U0A", "U0C"], at=10.0)

    assert await refreshes.marked(TEAM, now=30.0, limit=10) == [
        ("U0A", 10.0),
        ("U0C", 10.0),
        ("U0B", 20.0),
    ]
    assert await refreshes.marked(TEAM, now=15.0, limit=1) == [("U0A", 10.0)]
    assert await refreshes.marked("T0456", now=30.0, limit=10) == []


async def test_a_mark_only_moves_forward(refreshes: HomeRefreshes) -> None:
    await refreshes.mark(TEAM, ["U0A"], at=20.0)
    await refreshes.mark(TEAM, ["U0A"], at=10.0)

    assert await refreshes.marked(TEAM, now=30.0, limit=10) == [("U0A", 20.0)]


async def test_a_change_during_a_publish_keeps_the_person_marked(
    refreshes: HomeRefreshes,
) -> None:
    await refreshes.mark(TEAM, ["U0A", "U0B"], at=10.0)
    # U0A changes again while its Home (drawn from the change at 10) is published.
    await refreshes.mark(TEAM, ["U0A"], at=12.0)

    assert not await refreshes.published(TEAM, "U0A", marked_at=10.0)
    assert await refreshes.published(TEAM, "U0B", marked_at=10.0)
    assert await refreshes.marked(TEAM, now=30.0, limit=10) == [("U0A", 12.0)]


async def test_one_turn_per_person_per_spacing(redis: RedisClient) -> None:
    refreshes = HomeRefreshes(redis, spacing_s=5)

    assert await refreshes.take_turn(TEAM, "U0A")
    assert not await refreshes.take_turn(TEAM, "U0A")
    assert await refreshes.take_turn(TEAM, "U0B")
    remaining_ms = await redis.pttl(keyspace.home_published(TEAM, "U0A"))
    assert 0 < remaining_ms <= 5000


async def test_ids_that_are_not_slack_ids_are_refused(refreshes: HomeRefreshes) -> None:
    with pytest.raises(ValueError, match="user id"):
        await refreshes.mark(TEAM, ["U0A}:x"], at=1.0)


async def test_only_people_who_opened_their_home_lately_are_viewing(redis: RedisClient) -> None:
    refreshes = HomeRefreshes(redis, viewing_s=100)
    await refreshes.opened(TEAM, "U0OLD", at=1000.0)
    await refreshes.opened(TEAM, "U0NEW", at=1950.0)

    assert await refreshes.viewing(TEAM, ["U0OLD", "U0NEW", "U0NEVER"], now=2000.0) == {"U0NEW"}
    assert await refreshes.viewing(TEAM, [], now=2000.0) == set()
    # Opening again forgets those gone for longer than viewing_s.
    await refreshes.opened(TEAM, "U0NEW", at=2000.0)
    assert await redis.zcard(keyspace.home_viewers(TEAM)) == 1
