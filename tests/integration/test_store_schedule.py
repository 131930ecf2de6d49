"""The schedule: every due team goes to one worker at a time, and a dead one's comes back.

Times are plain numbers the tests pass in (``now``): nothing here sleeps.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from opsbot.config import Settings
from opsbot.store import keyspace
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.schedule import Lease, Schedule
from opsbot.store.team_data import TeamData
from tests.support.redis_probe import all_keys, claim

LEASE_S = 5.0


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


@pytest.fixture
def schedule(redis: RedisClient) -> Schedule:
    return Schedule(redis, lease_s=LEASE_S)


def team(number: int) -> str:
    return f"T{number:04d}"


async def claimed(schedule: Schedule, now: float) -> Lease:
    lease = await claim(schedule, now)
    assert lease is not None
    return lease


async def test_a_due_team_is_claimed_with_a_lease(schedule: Schedule) -> None:
    await schedule.wake("T0123", 100.0)

    lease = await claimed(schedule, 100.0)

    assert lease.team_id == "T0123"
    assert lease.expires_at == 100.0 + LEASE_S
    assert lease.token
    assert await claim(schedule, 100.0) is None


async def test_a_team_is_not_claimed_before_it_is_due(schedule: Schedule) -> None:
    await schedule.wake("T0123", 100.0)

    assert await claim(schedule, 99.5) is None
    assert (await claimed(schedule, 100.0)).team_id == "T0123"


async def test_the_earliest_due_team_is_claimed_first(schedule: Schedule) -> None:
    for number, due in ((1, 30.0), (2, 10.0), (3, 20.0)):
        await schedule.wake(team(number), due)

    order = [(await claimed(schedule, 50.0)).team_id for _ in range(3)]

    assert order == [team(2), team(3), team(1)]


async def test_of_many_concurrent_claimers_each_team_goes_to_exactly_one(
    schedule: Schedule,
) -> None:
    for number in range(10):
        await schedule.wake(team(number), 100.0)

    leases = await asyncio.gather(*(claim(schedule, 100.0) for _ in range(30)))

    won = [lease.team_id for lease in leases if lease is not None]
    assert sorted(won) == [team(number) for number in range(10)]
    assert leases.count(None) == 20


async def test_a_claim_says_when_the_next_team_is_due_once_it_has_leased(
    schedule: Schedule,
) -> None:
    empty = await schedule.claim_many(100.0, 5)
    assert (empty.leases, empty.next_due) == ([], None)

    await schedule.wake("T0123", 100.0)
    await schedule.wake("T0456", 103.0)
    first = await schedule.claim_many(100.0, 5)
    assert [lease.team_id for lease in first.leases] == ["T0123"]
    assert first.next_due == 103.0  # T0456; T0123's lease ends at 105

    nothing_due = await schedule.claim_many(101.0, 5)
    assert (nothing_due.leases, nothing_due.next_due) == ([], 103.0)

    both = await schedule.claim_many(200.0, 5)
    assert [lease.team_id for lease in both.leases] == ["T0456", "T0123"]  # 103, then 105
    assert both.next_due == 200.0 + LEASE_S  # only leases are left


async def test_concurrent_batch_claims_share_the_teams_without_overlap(redis: RedisClient) -> None:
    workers = [Schedule(redis, lease_s=LEASE_S) for _ in range(5)]
    for number in range(50):
        await workers[0].wake(team(number), 100.0)

    batches = await asyncio.gather(*(worker.claim_many(100.0, 20) for worker in workers))

    won = [lease.team_id for batch in batches for lease in batch.leases]
    assert len(won) == len(set(won)) == 50


async def test_a_lease_never_released_is_taken_over_when_it_ends(schedule: Schedule) -> None:
    await schedule.wake("T0123", 100.0)
    dead = await claimed(schedule, 100.0)

    assert await claim(schedule, 100.0 + LEASE_S - 0.1) is None
    heir = await claimed(schedule, 100.0 + LEASE_S)

    assert heir.team_id == "T0123"
    assert heir.token != dead.token


async def test_a_holder_whose_lease_was_taken_over_cannot_release(schedule: Schedule) -> None:
    await schedule.wake("T0123", 100.0)
    late = await claimed(schedule, 100.0)
    heir = await claimed(schedule, 100.0 + LEASE_S)

    assert not await schedule.release(late, next_due=101.0)
    assert not await schedule.release(late, next_due=None)

    # The heir's lease is intact: the team is neither rescheduled nor dropped.
    assert await schedule.next_due() == heir.expires_at
    assert await schedule.release(heir, next_due=300.0)
    assert await schedule.next_due() == 300.0


async def test_a_release_schedules_the_next_cycle(schedule: Schedule) -> None:
    await schedule.wake("T0123", 100.0)
    lease = await claimed(schedule, 100.0)

    assert await schedule.release(lease, next_due=130.0)

    assert await claim(schedule, 129.9) is None
    assert (await claimed(schedule, 130.0)).team_id == "T0123"


async def test_a_lease_is_released_once(schedule: Schedule) -> None:
    await schedule.wake("T0123", 100.0)
    lease = await claimed(schedule, 100.0)

    assert await schedule.release(lease, next_due=130.0)
    assert not await schedule.release(lease, next_due=101.0)
    assert await schedule.next_due() == 130.0


async def test_releasing_with_nothing_to_watch_takes_the_team_off(schedule: Schedule) -> None:
    await schedule.wake("T0123", 100.0)
    lease = await claimed(schedule, 100.0)

    assert await schedule.release(lease, next_due=None)

    assert await schedule.next_due() is None
    assert await claim(schedule, 1e12) is None


async def test_wake_never_postpones_an_earlier_due_time(schedule: Schedule) -> None:
    await schedule.wake("T0123", 100.0)
    await schedule.wake("T0123", 200.0)
    assert await schedule.next_due() == 100.0

    await schedule.wake("T0123", 50.0)
    assert await schedule.next_due() == 50.0


async def test_a_wake_during_a_lease_does_not_hand_the_team_to_another_worker(
    schedule: Schedule,
) -> None:
    await schedule.wake("T0123", 100.0)
    lease = await claimed(schedule, 100.0)

    await schedule.wake("T0123", 101.0)

    assert await claim(schedule, 101.0) is None
    assert await schedule.next_due() == lease.expires_at


async def test_a_wake_during_a_lease_survives_a_release_with_nothing_to_watch(
    schedule: Schedule,
) -> None:
    # A watch added while a cycle that saw none was running must still be polled.
    await schedule.wake("T0123", 100.0)
    lease = await claimed(schedule, 100.0)
    await schedule.wake("T0123", 102.0)
    await schedule.wake("T0123", 101.0)
    await schedule.wake("T0123", 103.0)

    assert await schedule.release(lease, next_due=None)

    assert await schedule.next_due() == 101.0


async def test_a_release_keeps_the_earlier_of_its_due_time_and_a_wake(schedule: Schedule) -> None:
    await schedule.wake("T0123", 100.0)
    first = await claimed(schedule, 100.0)
    await schedule.wake("T0123", 101.0)
    assert await schedule.release(first, next_due=130.0)
    assert await schedule.next_due() == 101.0

    second = await claimed(schedule, 101.0)
    await schedule.wake("T0123", 140.0)
    assert await schedule.release(second, next_due=130.0)
    assert await schedule.next_due() == 130.0


async def test_a_wake_before_a_claim_is_not_replayed_at_release(schedule: Schedule) -> None:
    await schedule.wake("T0123", 100.0)
    dead = await claimed(schedule, 100.0)
    # Recorded against the dead holder's lease; the heir's cycle sees it anyway.
    await schedule.wake("T0123", 101.0)
    heir = await claimed(schedule, 100.0 + LEASE_S)
    assert heir.token != dead.token

    assert await schedule.release(heir, next_due=200.0)

    assert await schedule.next_due() == 200.0


async def test_extending_a_lease_keeps_the_team_from_others(schedule: Schedule) -> None:
    await schedule.wake("T0123", 100.0)
    lease = await claimed(schedule, 100.0)

    assert await schedule.extend(lease, now=104.0)

    assert await claim(schedule, 100.0 + LEASE_S) is None
    assert (await claimed(schedule, 104.0 + LEASE_S)).team_id == "T0123"
    assert not await schedule.extend(lease, now=110.0)


async def test_next_due_is_the_earliest_team(schedule: Schedule) -> None:
    assert await schedule.next_due() is None
    await schedule.wake(team(1), 300.0)
    await schedule.wake(team(2), 200.0)

    assert await schedule.next_due() == 200.0


async def test_a_forgotten_team_is_off_the_schedule_and_its_holder_cannot_put_it_back(
    schedule: Schedule,
) -> None:
    await schedule.wake("T0123", 100.0)
    await schedule.wake("T0456", 100.0)
    lease = await claimed(schedule, 100.0)

    await schedule.forget(lease.team_id)

    assert not await schedule.release(lease, next_due=101.0)
    remaining = await claimed(schedule, 1e9)
    assert remaining.team_id != lease.team_id
    assert await claim(schedule, 1e9) is None


async def test_uninstalling_a_team_takes_it_off_the_schedule(
    schedule: Schedule, redis: RedisClient
) -> None:
    await schedule.wake("T0123", 100.0)
    await schedule.wake("T0456", 100.0)

    await TeamData(redis).delete("T0123")

    assert [lease.team_id for lease in (await schedule.claim_many(1e9, 10)).leases] == ["T0456"]


async def test_a_malformed_member_is_dropped_not_handed_out(
    schedule: Schedule, redis: RedisClient, caplog: pytest.LogCaptureFixture
) -> None:
    await redis.zadd(keyspace.schedule(), {"not a team}": 10.0})
    await schedule.wake("T0123", 20.0)

    with caplog.at_level(logging.WARNING, logger="opsbot.store.schedule"):
        leases = (await schedule.claim_many(100.0, 10)).leases

    assert [lease.team_id for lease in leases] == ["T0123"]
    assert "malformed team" in caplog.text
    assert await redis.zscore(keyspace.schedule(), "not a team}") is None


@pytest.mark.parametrize("hostile", ["", "t1", "T1}:x", "T 1"])
async def test_a_hostile_team_id_is_refused(schedule: Schedule, hostile: str) -> None:
    with pytest.raises(ValueError, match="team id"):
        await schedule.wake(hostile, 1.0)


async def test_the_schedule_keeps_its_keys_under_its_own_tag(
    schedule: Schedule, redis: RedisClient
) -> None:
    await schedule.wake("T0123", 100.0)
    lease = await claimed(schedule, 100.0)
    await schedule.wake("T0123", 101.0)
    await schedule.extend(lease, 102.0)
    await schedule.release(lease, next_due=150.0)

    assert all(key.startswith("opsbot:{schedule}:") for key in await all_keys(redis))
