"""Redis stopped and started again mid-run: the workers reconnect and carry on, no watch lost.

Redis runs with persistence (append-only file) and is stopped the way a
restart stops it; it comes back on the same port with the same data. While
it is away, the workers' passes fail and are retried; messages Slack had
accepted whose outbox entry could not be deleted are the documented
window, at most one per team.
"""

from __future__ import annotations

import asyncio

import pytest

from opsbot.api.operation import RUN, WAIT
from opsbot.store.server import RedisServer
from tests.reliability.conftest import TEAMS, Fleet, final_step, step_replies, tally

# About 16 s: workers run while Redis stops and starts again.
pytestmark = pytest.mark.slow

# How long Redis stays away: several poll intervals, and longer than the
# client's own reconnection retries (about two seconds).
OUTAGE_S = 3.0


async def test_workers_ride_out_a_redis_restart_without_losing_a_watch(
    restartable_fleet: Fleet, private_redis: RedisServer
) -> None:
    fleet = restartable_fleet
    workers = await fleet.start_workers(3)
    operations = fleet.all_operations

    await fleet.move(operations, lambda _: WAIT)
    third = len(fleet.cards) // 3
    await fleet.until(lambda: fleet.threads_with(1) >= third, "a third of round 1", 60)
    await asyncio.to_thread(private_redis.stop)
    await asyncio.sleep(OUTAGE_S)  # the outage itself: nothing to wait for
    await asyncio.to_thread(private_redis.start)
    await fleet.until_every_thread_has(1)

    await fleet.move(operations, lambda _: RUN)
    await fleet.until_every_thread_has(2)
    await fleet.move(operations, final_step)
    await fleet.until_every_thread_has(3)
    await fleet.until_all_ended()

    result = tally(fleet, step_replies)
    print(
        f"\nRedis restarted: {result.transitions} transitions, "
        f"{result.duplicates} posted twice (inside the window)"
    )
    assert result.missing == []
    assert result.beyond_twice == []
    assert result.duplicates <= len(TEAMS)
    assert all(worker.process.returncode is None for worker in workers)
    assert any("Redis unreachable" in line for worker in workers for line in worker.lines)
    for worker in workers:
        worker.terminate()
        assert await worker.wait() == 0
