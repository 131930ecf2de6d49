"""Subscriptions: each new operation gets one card, even one the API shows late.

The API compares ``>date_created`` to the second, so the watcher asks again
from a little before the last operation seen. These tests hold the
simulator's clock still so that operations share a creation second.
"""

from __future__ import annotations

import collections
import re

from opsbot.api.operation import BILL, DONE
from opsbot.simulator import ManualClock
from opsbot.watcher.cycle import BATCH
from tests.integration.watcher.conftest import Watching
from tests.support.slack_requests import CHANNEL_ID, TEAM_ID, USER_ID

# A card's text starts "Operation 123 (...)"; replies go in threads.
CARD = re.compile(r"Operation (\d+) ")


def cards_per_operation(watching: Watching) -> collections.Counter[int]:
    """How many cards (top-level posts) each operation got."""
    counted: collections.Counter[int] = collections.Counter()
    for call in watching.slack.calls_to("chat.postMessage"):
        found = CARD.match(str(call.args.get("text", "")))
        if "thread_ts" not in call.args and found:
            counted[int(found.group(1))] += 1
    return counted


async def subscribe(watching: Watching, sim_clock: ManualClock) -> None:
    await watching.subscriptions.add(
        TEAM_ID,
        channel=CHANNEL_ID,
        filters={"type": "domain_create"},
        created_by=USER_ID,
        now=watching.simulator.now(),
    )
    await watching.schedule.wake(TEAM_ID, watching.clock.now)
    sim_clock.advance(5)


async def test_an_operation_shown_after_another_of_its_second_was_seen_gets_its_card(
    watching: Watching, sim_clock: ManualClock
) -> None:
    simulator = watching.simulator
    await subscribe(watching, sim_clock)
    first = simulator.create("domain_create", step=BILL, domain="first.es")
    await watching.until(lambda: first in cards_per_operation(watching))
    (subscription,) = await watching.subscriptions.list(TEAM_ID)
    assert subscription.last_seen == simulator.operation(first)["date_created"]

    # The simulator's clock stood still: the same creation second, seen late.
    late = simulator.create("domain_create", step=BILL, domain="late.es")
    await watching.until(lambda: late in cards_per_operation(watching), limit=5)

    assert cards_per_operation(watching) == {first: 1, late: 1}


async def test_no_operation_gets_a_second_card_across_many_cycles(
    watching: Watching, sim_clock: ManualClock
) -> None:
    simulator = watching.simulator
    await subscribe(watching, sim_clock)
    created = []
    for number in range(8):
        created.append(simulator.create("domain_create", step=BILL, domain=f"n{number}.es"))
        await watching.cycle()
        if number % 2:
            sim_clock.advance(1)  # every other operation shares its second with the one before
    ended = created[-1]  # within the overlap of the next queries
    simulator.move(ended, DONE)
    await watching.until_delivered()
    assert await watching.watches.get(TEAM_ID, ended) is None  # its watch is over

    await watching.cycles(10)

    assert cards_per_operation(watching) == dict.fromkeys(created, 1)


async def test_a_page_of_operations_matched_already_does_not_hide_the_next_one(
    watching: Watching, sim_clock: ManualClock
) -> None:
    simulator = watching.simulator
    await subscribe(watching, sim_clock)
    burst = [simulator.create("domain_create", step=BILL) for _ in range(BATCH)]
    await watching.cycle()
    assert all([await watching.watches.get(TEAM_ID, op_id) for op_id in burst])

    sim_clock.advance(1)  # the burst fills any page asked from within the overlap
    after = simulator.create("domain_create", step=BILL)
    await watching.cycles(2)

    assert await watching.watches.get(TEAM_ID, after) is not None
