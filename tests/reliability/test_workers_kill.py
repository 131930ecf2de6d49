"""Three workers over 300 watched operations in 5 teams; one is killed with SIGKILL mid-run.

Every step change must reach its thread, none missed. A change may be posted
twice only inside the documented window (:mod:`opsbot.watcher.poster`):
Slack had answered, the killed worker had not yet deleted the outbox entry.
A worker posts one message at a time per team, so the killed worker can
repeat at most one message per team it held.

The one killed is the one whose message Slack received last, while Slack
takes its time to answer: it is certainly in the middle of a pass, holding
teams, and a message of it is in flight. Its teams are taken over by the
other two when their leases end.
"""

from __future__ import annotations

import pytest

from opsbot.api.operation import RUN, WAIT
from tests.reliability.conftest import TEAMS, Fleet, final_step, step_replies, tally

# About 20 s: a fleet of worker processes runs until every watch ends.
pytestmark = pytest.mark.slow

# Slack's answers come this late while the worker is killed, so that passes
# last long enough to be cut in the middle.
SLOW_SLACK_S = 0.05


async def test_a_killed_worker_loses_no_transition_and_repeats_none_outside_the_window(
    fleet: Fleet,
) -> None:
    workers = await fleet.start_workers(3, oauth=False)
    operations = fleet.all_operations
    assert len(operations) == 300

    await fleet.move(operations, lambda _: WAIT)
    await fleet.until_every_thread_has(1)

    fleet.slack.set_latency(SLOW_SLACK_S)
    await fleet.move(operations, lambda _: RUN)
    third = len(fleet.cards) // 3
    await fleet.until(lambda: fleet.threads_with(2) >= third, "a third of round 2", 60)
    victim = fleet.last_poster()
    victim.kill()
    assert await victim.wait() != 0
    fleet.slack.set_latency(0)
    await fleet.until_every_thread_has(2)

    await fleet.move(operations, final_step)
    await fleet.until_every_thread_has(3)
    await fleet.until_all_ended()
    polls = fleet.simulator.calls["operation.list"]

    result = tally(fleet, step_replies)
    print(
        f"\n{victim.name} killed: {result.transitions} transitions, "
        f"{result.duplicates} posted twice (inside the window)"
    )
    assert result.missing == []
    assert result.beyond_twice == []
    assert result.duplicates <= len(TEAMS)
    # Ended watches are polled no more, by any worker.
    assert await fleet.polls_after_a_while() == polls
    for survivor in workers:
        if survivor is not victim:
            survivor.terminate()
            assert await survivor.wait() == 0
