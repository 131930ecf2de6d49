"""Changes-only polls: after a full read, each interval asks only for what changed since.

The simulator's clock moves by hand here, so its ``date_updated`` moves too
and ``>date_updated`` answers hold only the operations moved since.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from opsbot.api.operation import BILL, RUN, WAIT
from opsbot.simulator import ManualClock, Simulator
from opsbot.store.watches import WatchStore
from opsbot.watcher.intervals import MAX_STRETCH
from opsbot.watcher.worker import open_worker
from tests.integration.watcher.conftest import TEST_LEASE_S, Watching
from tests.support.slack_requests import CHANNEL_ID, TEAM_ID

OTHER_CHANNEL = "C0456"


@pytest.fixture
def simulator(sim_key: str, sim_clock: ManualClock) -> Simulator:
    """Operations days from their end (a long eta): read in full only every twenty intervals.

    At this speed nothing moves by itself either, whatever the clock says.
    """
    return Simulator(seed=1, keys=[sim_key], clock=sim_clock, speed=0.001)


async def test_after_a_full_read_each_interval_reads_only_changes_and_finds_them(
    watching: Watching, sim_clock: ManualClock
) -> None:
    simulator = watching.simulator
    moving, still = (simulator.create("domain_renew", step=BILL) for _ in range(2))
    ts = await watching.watch(moving)
    await watching.watch(still, channel=OTHER_CHANNEL)
    first = await watching.cycle()
    sim_clock.advance(30)
    simulator.move(moving, WAIT)
    found = await watching.cycle()
    sim_clock.advance(30)
    simulator.move(moving, RUN)
    found_again = await watching.cycle()

    assert first.read_in_full == 2
    assert (found.read_in_full, found.api_calls, found.changes) == (0, 1, 1)
    assert (found_again.read_in_full, found_again.api_calls, found_again.changes) == (0, 1, 1)
    replies = await watching.until_replies(CHANNEL_ID, ts, 2)
    assert [reply["text"] for reply in replies] == [
        f"Operation {moving}: BILL → WAIT",
        f"Operation {moving}: WAIT → RUN",
    ]


async def test_an_operation_a_changes_only_answer_leaves_out_is_still_watched(
    watching: Watching, sim_clock: ManualClock
) -> None:
    simulator = watching.simulator
    moving, still = (simulator.create("domain_renew", step=BILL) for _ in range(2))
    await watching.watch(moving)
    still_ts = await watching.watch(still, channel=OTHER_CHANNEL)
    await watching.cycle()
    for step in (WAIT, RUN, WAIT):
        sim_clock.advance(30)
        simulator.move(moving, step)
        await watching.cycle()

    watch = await watching.watches.get(TEAM_ID, still)
    assert watch is not None
    assert watch.step == BILL
    assert watching.replies(OTHER_CHANNEL, still_ts) == []


async def test_a_new_watch_is_read_in_full_at_once(
    watching: Watching, sim_clock: ManualClock
) -> None:
    simulator = watching.simulator
    await watching.watch(simulator.create("domain_renew", step=WAIT))
    await watching.cycle()
    assert (await watching.cycle()).read_in_full == 0

    sim_clock.advance(30)
    newcomer = simulator.create("domain_renew", step=WAIT)
    await watching.watch(newcomer, channel=OTHER_CHANNEL)
    report = await watching.cycle()

    assert report.read_in_full == 2  # one batch: the newcomer and its neighbour


async def test_every_operation_is_checked_in_full_again_within_the_longest_stretch(
    watching: Watching,
) -> None:
    """Checked by counting: one step, one operation.count instead of a page of operations."""
    op_id = watching.simulator.create("domain_renew", step=RUN)
    await watching.watch(op_id)
    await watching.cycle()
    lists_before = watching.simulator.calls["operation.list"]

    reports = await watching.cycles(MAX_STRETCH)

    counted = [report for report in reports if report.counted]
    assert len(counted) >= 1
    assert sum(report.read_in_full for report in reports) == 0
    assert all(report.api_calls == 1 for report in reports)
    assert watching.simulator.calls["operation.count"] == len(counted)
    assert watching.simulator.calls["operation.list"] - lists_before == MAX_STRETCH - len(counted)


async def test_a_change_the_changes_only_answers_miss_is_found_by_the_count(
    watching: Watching, sim_clock: ManualClock
) -> None:
    """An API that dates a step change before its last answer: the full check's count
    disagrees, the batch is read in full, the change recorded and posted."""
    simulator = watching.simulator
    moving, still = (simulator.create("domain_renew", step=RUN) for _ in range(2))
    ts = await watching.watch(moving)
    await watching.watch(still, channel=OTHER_CHANNEL)
    await watching.cycle()
    sim_clock.advance(30)
    await watching.cycle()  # changes only
    sim_clock.advance(30)
    # Dated a minute before the newest date_updated answered (the operations' creation).
    simulator.move(moving, WAIT, backdated_s=120)

    reports = await watching.cycles(MAX_STRETCH)

    assert sum(report.changes for report in reports) == 1
    assert sum(report.read_in_full for report in reports) == 2
    replies = await watching.until_replies(CHANNEL_ID, ts, 1)
    assert [reply["text"] for reply in replies] == [f"Operation {moving}: RUN → WAIT"]


async def test_a_batch_over_more_steps_than_are_counted_is_read_in_full(
    watching: Watching,
) -> None:
    simulator = watching.simulator
    for step in (BILL, WAIT, RUN):
        await watching.watch(simulator.create("domain_renew", step=step))
    await watching.cycle()

    reports = await watching.cycles(MAX_STRETCH)

    assert sum(report.counted for report in reports) == 0
    assert sum(report.read_in_full for report in reports) >= 3
    assert simulator.calls["operation.count"] == 0


async def test_a_worker_that_knows_nothing_yet_reads_in_full_first(watching: Watching) -> None:
    simulator = watching.simulator
    for _ in range(3):
        await watching.watch(simulator.create("domain_renew", step=WAIT))
    await watching.cycle()
    assert (await watching.cycle()).read_in_full == 0

    async with open_worker(
        watching.settings,
        watching.redis,
        watching.vault,
        lease_s=TEST_LEASE_S,
        clock=watching.clock,
    ) as newcomer:
        watching.clock.advance(1)
        report = await newcomer.run_once()

    assert report.read_in_full == 3


async def test_what_comes_back_unchanged_is_not_compared_with_redis_again(
    watching: Watching, sim_clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The margin brings a batch's newest operations back in every changes-only answer."""
    compared: list[int] = []
    real = WatchStore.polled_states

    async def counted(self: WatchStore, team_id: str, op_ids: Iterable[int]) -> Any:
        wanted = list(op_ids)
        compared.extend(wanted)
        return await real(self, team_id, wanted)

    monkeypatch.setattr(WatchStore, "polled_states", counted)
    simulator = watching.simulator
    moving, still = (simulator.create("domain_renew", step=BILL) for _ in range(2))
    ts = await watching.watch(moving)
    await watching.watch(still, channel=OTHER_CHANNEL)
    await watching.cycle()  # read in full: both compared
    sim_clock.advance(30)
    compared.clear()
    again = await watching.cycle()
    assert again.read_in_full == 0
    assert compared == []  # both came back (within the margin), as already compared

    sim_clock.advance(30)
    simulator.move(moving, WAIT)
    found = await watching.cycle()

    assert compared == [moving]
    assert found.changes == 1
    replies = await watching.until_replies(CHANNEL_ID, ts, 1)
    assert [reply["text"] for reply in replies] == [f"Operation {moving}: BILL → WAIT"]


async def test_a_full_read_compares_only_what_changed_since_this_worker_compared_it(
    watching: Watching, sim_clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full read is the safety net against the API, not against Redis: what comes back
    exactly as last compared is rescheduled, not compared again (one HMGET each)."""
    compared: list[int] = []
    real = WatchStore.polled_states

    async def counted(self: WatchStore, team_id: str, op_ids: Iterable[int]) -> Any:
        wanted = list(op_ids)
        compared.extend(wanted)
        return await real(self, team_id, wanted)

    monkeypatch.setattr(WatchStore, "polled_states", counted)
    simulator = watching.simulator
    op_ids = [simulator.create("domain_renew", step=BILL) for _ in range(3)]
    cards = [await watching.watch(op_id) for op_id in op_ids]
    await watching.cycle()  # read in full: all three compared
    sim_clock.advance(30)
    simulator.move(op_ids[1], WAIT)
    compared.clear()

    reports = await watching.cycles(MAX_STRETCH)

    assert sum(report.read_in_full + report.counted for report in reports) >= 3
    assert compared == [op_ids[1]]  # the one that moved, once
    replies = await watching.until_replies(CHANNEL_ID, cards[1], 1)
    assert [reply["text"] for reply in replies] == [f"Operation {op_ids[1]}: BILL → WAIT"]
