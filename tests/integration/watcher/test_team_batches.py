"""One team's batches are asked for a few at a time, within its lease, and back off together.

A team with 50,000 watched operations is 500 ``operation.list`` calls per
interval: asked one after the other, a team tops out near 12,000. Here the
simulator answers slowly (its latency switch), and the test counts the calls
in flight at once on the worker's own API client.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from opsbot.api.client import OperationClient
from opsbot.simulator import ManualClock, Simulator
from opsbot.store import keyspace
from opsbot.store.connection import open_redis
from opsbot.store.schedule import Schedule
from opsbot.store.vault import Vault, load_keyring
from opsbot.store.watches import NewWatch, WatchStore
from opsbot.watcher.intervals import BATCH_CONCURRENCY
from opsbot.watcher.worker import open_worker
from tests.integration.watcher.conftest import POLL_INTERVAL_S, Watching
from tests.support.slack_requests import CHANNEL_ID, TEAM_ID, USER_ID

BATCHES = 8


@pytest.fixture
def simulator(sim_key: str, sim_clock: ManualClock) -> Simulator:
    """Operations days from their end: nothing moves unless a test moves it."""
    return Simulator(seed=1, keys=[sim_key], clock=sim_clock, speed=0.001)


@dataclass
class InFlight:
    """``operation.list`` calls in flight: now, at most, and whether one started."""

    now: int = 0
    most: int = 0
    started: asyncio.Event = field(default_factory=asyncio.Event)


@pytest.fixture
def in_flight(monkeypatch: pytest.MonkeyPatch) -> InFlight:
    """Counts the watcher's list calls of every OperationClient (each reaches the simulator)."""
    counts = InFlight()
    real = OperationClient.glance_items

    async def counted(self: OperationClient, *args: Any, **kwargs: Any) -> Any:
        counts.now += 1
        counts.most = max(counts.most, counts.now)
        counts.started.set()
        try:
            return await real(self, *args, **kwargs)
        finally:
            counts.now -= 1

    monkeypatch.setattr(OperationClient, "glance_items", counted)
    return counts


async def watch_many(watching: Watching, count: int, now: float) -> None:
    """``count`` watches in one team, past the usual limit per team."""
    watches, simulator = WatchStore(watching.redis, max_watches=count), watching.simulator
    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    for _ in range(count):
        op_id = simulator.create("domain_renew", step="RUN")
        new = NewWatch(
            op_id=op_id,
            type="domain_renew",
            label="",
            step="RUN",
            eta=None,
            channel=CHANNEL_ID,
            user_id=USER_ID,
        )
        await watches.add(TEAM_ID, new, now=moment, expires_at=moment + dt.timedelta(days=7))


async def test_a_teams_batches_are_polled_a_few_at_a_time(
    watching: Watching, in_flight: InFlight
) -> None:
    await watch_many(watching, BATCHES * 100, watching.clock.now)
    watching.simulator.set_latency(0.05)

    report = await watching.cycle()

    assert (report.operations, report.read_in_full, report.api_calls) == (800, 800, BATCHES)
    assert in_flight.most == BATCH_CONCURRENCY


async def test_one_refused_batch_makes_the_whole_team_back_off_once(watching: Watching) -> None:
    await watch_many(watching, BATCHES * 100, watching.clock.now)
    watching.simulator.set_latency(0.05)
    watching.simulator.rate_limit_every(2)  # every other call is refused
    calls_before = watching.list_calls()

    first = await watching.cycle()
    first_calls = watching.list_calls() - calls_before
    second = await watching.cycle()
    due = await watching.redis.zscore(keyspace.schedule(), TEAM_ID)

    # No batch starts after a refusal: those in flight finish, no more.
    assert first.api_calls <= BATCH_CONCURRENCY
    assert first_calls <= BATCH_CONCURRENCY
    assert second.api_calls <= BATCH_CONCURRENCY
    # Two refused cycles are two failures in a row (not one per batch): 2 intervals.
    assert due == pytest.approx(watching.clock.now + 2 * POLL_INTERVAL_S)


async def test_the_lease_is_kept_while_a_long_pass_runs(
    watching: Watching, in_flight: InFlight
) -> None:
    """A pass three times as long as the lease: a rival worker never gets the team."""
    lease_s = 0.9
    now = time.time()
    await watch_many(watching, 12 * 100, now)
    watching.simulator.set_latency(lease_s)  # 12 batches, 4 at a time: 3 leases long
    rival = Schedule(watching.redis, lease_s=lease_s)
    vault = Vault(load_keyring(watching.settings))
    async with (
        open_redis(watching.settings) as redis,
        open_worker(watching.settings, redis, vault, lease_s=lease_s) as worker,
    ):
        # Claimed at the real time, not at ``now``: storing 1,200 watches on a
        # busy machine can take longer than the lease.
        cycle = asyncio.create_task(worker.run_once(time.time() + POLL_INTERVAL_S))
        await in_flight.started.wait()  # the worker holds the team
        taken = []
        while not cycle.done():
            taken += (await rival.claim_many(time.time(), 1)).leases
            await asyncio.sleep(0.05)
        report = await cycle

    assert report.api_calls == 12
    assert taken == []
