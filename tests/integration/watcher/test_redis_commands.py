"""What a team pass costs Redis, as Redis counts it: a few commands a pass, a few per change.

``INFO commandstats`` on every primary, a script's own commands counted
besides its EVALSHA, as bench/scale.py counts them: these are the budget
its commands per check are made of (issue 13 item 7 asks for at most 0.2).
A pass claims the team, reads its key, its schedule (the ids, and those due
apart: scores of every id cost more CPU than the command), its
subscriptions, its outbox and its card edits (its mutes and Home marks only
when there is reason to), and releases it; a
step change posted is compared and recorded (its posts queued, its watch
read back), its reply's and its card edit's tokens taken, its outbox entry
taken off. Measured: 19 commands a quiet pass (a claim of several teams
shares some; the claim also reads when the next team is due, which the
worker's wait then reads in no round trip of its own: 18 before, with that
read made apart after the cycle), 15 more per change posted; before, 20 and 31.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Final

import pytest
from redis.asyncio.connection import AbstractConnection

from opsbot.api.operation import RUN, WAIT
from opsbot.store.card_edits import CardEdits
from opsbot.store.packing import HiredisPacking
from tests.integration.watcher.conftest import Watching
from tests.support.redis_probe import commands_run
from tests.support.slack_requests import TEAM_ID

CHANNELS: Final = [f"C0CMD{index:02d}" for index in range(10)]
# What the deployment runs itself (replication, Sentinel's checks, cluster
# discovery, a new connection's greeting, loading a script the first time,
# this probe's INFO), not opsbot's work.
HOUSEKEEPING: Final = frozenset(
    {"INFO", "PING", "PUBLISH", "REPLCONF", "CLIENT", "CLUSTER", "HELLO", "SCRIPT", "COMMAND"}
)
# The team's card edits (Tier 3's pace) take this long to come back whole.
EDITS_REFILL_S: Final = 20.0
QUIET_PASS_AT_MOST: Final = 19
PER_CHANGE_AT_MOST: Final = 16


async def pass_cost(watching: Watching) -> tuple[int, Counter[str]]:
    """The Redis commands one worker cycle over the one team costs, and its step changes."""
    before = await commands_run(watching.redis)
    report = await watching.cycle(2.0)
    run = await commands_run(watching.redis) - before
    for name in HOUSEKEEPING:
        del run[name]
    return report.changes, run


async def test_a_pass_costs_a_few_commands_and_a_step_change_a_few_more(
    watching: Watching,
) -> None:
    simulator = watching.simulator
    op_ids = [simulator.create("domain_renew", step=WAIT) for _ in range(2 * len(CHANNELS))]
    for channel in CHANNELS:
        watching.slack.add_channel(channel)
    for index, op_id in enumerate(op_ids):
        await watching.watch(op_id, channel=CHANNELS[index % len(CHANNELS)])
    moving = op_ids[: len(CHANNELS)]  # one a channel, every channel
    for op_id in moving:  # every script loaded, every bucket made
        simulator.move(op_id, RUN)
    await watching.cycle()
    await watching.cycle(EDITS_REFILL_S)

    changes, quiet = await pass_cost(watching)
    assert changes == 0
    for op_id in moving:
        simulator.move(op_id, WAIT)
    changes, moved = await pass_cost(watching)

    assert changes == len(moving)
    assert not await watching.outbox.pending(TEAM_ID)
    assert await CardEdits(watching.redis).count(TEAM_ID) == 0  # every card edited
    per_change = (moved.total() - quiet.total()) / changes
    print(f"\nquiet pass: {quiet.total()} commands; per change posted: {per_change:.1f}")
    assert quiet.total() <= QUIET_PASS_AT_MOST, quiet
    assert per_change <= PER_CHANGE_AT_MOST, moved


QUIET_PASS_ROUND_TRIPS: Final = 4


async def test_a_quiet_pass_is_four_round_trips(
    watching: Watching, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claim, what the pass reads first (with what waits to be delivered), the
    full reads' new due times, release (before: nine).

    On a worker of small teams each round trip cost more CPU than the checks
    it served; the reads a pass starts with are pipelined (pass_opening).
    Counted where every command leaves the client: one write per round trip.
    """
    simulator = watching.simulator
    for index, channel in enumerate(CHANNELS):
        watching.slack.add_channel(channel)
        await watching.watch(simulator.create("domain_renew", step=WAIT), channel=channel)
        if index == 0:
            await watching.cycle()
    await watching.cycle()
    await watching.cycle(EDITS_REFILL_S)
    sent: list[int] = []
    send = AbstractConnection.send_packed_command

    async def counted(self: AbstractConnection, *args: Any, **kwargs: Any) -> None:
        sent.append(1)
        await send(self, *args, **kwargs)

    # On the mixin every connection class opsbot uses shares (TCP, Sentinel, Cluster).
    monkeypatch.setattr(HiredisPacking, "send_packed_command", counted, raising=False)

    report = await watching.cycle(2.0)

    assert report.changes == 0
    assert len(sent) == QUIET_PASS_ROUND_TRIPS
