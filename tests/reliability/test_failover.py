"""The primary changes under the workers' feet: no watch and no step change is lost.

Three workers follow 300 operations of 5 teams through a Sentinel set (a
primary, a replica, three sentinels) while the operations move in the
simulator. In the middle of a round the replica is promoted the way the
README says to fail over on purpose (writes paused on the primary, then
SENTINEL FAILOVER: the old primary turns into a replica and answers
READONLY, scripts included); in the middle of the next the new primary is
killed outright and the sentinels promote the other server again. The
workers reconnect to whichever server the sentinels name, and go on.

What may repeat is the documented window (README, Redis deployments):
replication is asynchronous, so writes the old primary acknowledged in its
last moment may not have reached the server promoted in its place. A lost
outbox delete repeats that post; a lost step record is seen again at the
next poll and recorded, with its posts, again. Nothing is lost: each step
change is recorded with its posts in one script, so a lost record loses
the posts with it and both come back.
"""

from __future__ import annotations

import pytest

from opsbot.api.operation import RUN, WAIT
from tests.reliability.conftest import TEAMS, Fleet, final_step, step_replies, tally
from tests.support.redis_engines import SentinelEngine

# Per failover: one message in flight per team (the outbox delete lost),
# plus one step record per team lost with the old primary's last writes.
REPEATS_PER_TEAM_PER_FAILOVER = 2


@pytest.mark.redis_engines("sentinel")
async def test_workers_ride_out_two_failovers_without_losing_a_watch(
    sentinel_fleet: Fleet, redis_sentinel: SentinelEngine
) -> None:
    fleet = sentinel_fleet
    workers = await fleet.start_workers(3)
    operations = fleet.all_operations
    third = len(fleet.cards) // 3
    first = await redis_sentinel.primary()

    await fleet.move(operations, lambda _: WAIT)
    await fleet.until(lambda: fleet.threads_with(1) >= third, "a third of round 1", 60)
    promoted = await redis_sentinel.failover(pause_writes=True)
    await fleet.until_every_thread_has(1)

    await fleet.move(operations, lambda _: RUN)
    await fleet.until(lambda: fleet.threads_with(2) >= third, "a third of round 2", 60)
    assert await redis_sentinel.kill_primary() == first
    await fleet.until_every_thread_has(2)

    await fleet.move(operations, final_step)
    await fleet.until_every_thread_has(3)
    await fleet.until_all_ended()

    result = tally(fleet, step_replies)
    print(
        f"\nfailed over to {promoted}, then back to {first} after a crash: "
        f"{result.transitions} transitions, {result.duplicates} posted twice"
    )
    import collections

    for card in fleet.cards:
        c = collections.Counter(str(r["text"]) for r in fleet.thread(card))
        d = {t: n for t, n in c.items() if n > 1}
        if d:
            print("DUP", card.team, card.op_id, card.channel, d)
    print("\n".join(fleet.worker_logs(60).splitlines()[-200:]))
    assert result.missing == []
    assert result.beyond_twice == []
    assert result.duplicates <= 2 * REPEATS_PER_TEAM_PER_FAILOVER * len(TEAMS)
    assert all(worker.process.returncode is None for worker in workers)
    for worker in workers:
        worker.terminate()
        assert await worker.wait() == 0
