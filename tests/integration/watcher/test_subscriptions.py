"""Subscriptions: each new operation gets one card, even one the API shows late.

The API compares ``>date_created`` to the second, so the watcher asks again
from a little before the last operation seen. These tests hold the
simulator's clock still so that operations share a creation second.
"""

from __future__ import annotations

import collections
import re

import pytest

from opsbot.api.operation import BILL, DONE
from opsbot.simulator import ManualClock
from opsbot.watcher.cycle import BATCH
from tests.integration.watcher.conftest import Watching
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import CHANNEL_ID, TEAM_ID, USER_ID

# A card's text starts "Operation 123 (...)"; replies go in threads.
CARD = re.compile(r"Operation (\d+) ")


def cards_per_operation(watching: Watching) -> collections.Counter[int]:
    """How many cards (top-level posts Slack took) each operation got."""
    counted: collections.Counter[int] = collections.Counter()
    for call in watching.slack.calls_to("chat.postMessage"):
        found = CARD.match(str(call.args.get("text", "")))
        if "thread_ts" not in call.args and found and call.error is None:
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


# --- one call a cycle for many subscriptions --------------------------------------------------

TYPES = (
    "domain_create",
    "domain_renew",
    "vm_create",
    "disk_create",
    "domain_transfer_in",
    "vm_delete",
    "certificate_update",
    "iface_create",
)


def channel_of(number: int) -> str:
    return f"C0S{number:02d}"


@pytest.fixture(autouse=True)
def subscription_channels(fake_slack: FakeSlack) -> None:
    """The channels the subscriptions post in exist in the workspace."""
    for number in range(10):
        fake_slack.add_channel(channel_of(number))


async def subscribe_to(watching: Watching, number: int, **filters: object) -> None:
    await watching.subscriptions.add(
        TEAM_ID,
        channel=channel_of(number),
        filters=filters,
        created_by=USER_ID,
        now=watching.simulator.now(),
    )


async def watched_in(watching: Watching, op_id: int) -> set[str]:
    watch = await watching.watches.get(TEAM_ID, op_id)
    return set() if watch is None else {card.channel for card in watch.cards}


async def test_subscriptions_by_type_share_one_call_a_cycle(
    watching: Watching, sim_clock: ManualClock
) -> None:
    simulator = watching.simulator
    for number, wanted in enumerate(TYPES):
        await subscribe_to(watching, number, type=wanted)
    await subscribe_to(watching, len(TYPES))  # every new operation
    await watching.schedule.wake(TEAM_ID, watching.clock.now)
    sim_clock.advance(5)

    before = watching.list_calls()
    await watching.cycles(3)
    assert watching.list_calls() - before == 3  # nine subscriptions, one call a cycle

    created = {wanted: simulator.create(wanted, step=BILL) for wanted in TYPES}
    before = watching.list_calls()
    await watching.cycle()

    assert watching.list_calls() - before == 1
    everything = channel_of(len(TYPES))
    for number, wanted in enumerate(TYPES):
        assert await watched_in(watching, created[wanted]) == {channel_of(number), everything}


async def test_subscriptions_group_by_the_filters_only_the_api_applies(
    watching: Watching, sim_clock: ManualClock
) -> None:
    simulator = watching.simulator
    await subscribe_to(watching, 0, type="domain_create")
    await subscribe_to(watching, 1, type="vm_create")
    await subscribe_to(watching, 2, type="domain_create", step="ERROR")
    await subscribe_to(watching, 3, type="vm_create", step="ERROR")
    await subscribe_to(watching, 4, step="ERROR")
    await watching.schedule.wake(TEAM_ID, watching.clock.now)
    sim_clock.advance(5)

    failed = simulator.create("domain_create", step="ERROR")
    billed = simulator.create("vm_create", step=BILL)
    before = watching.list_calls()
    await watching.cycle()

    # Two groups: no step, and step=ERROR.
    assert watching.list_calls() - before == 2
    assert await watched_in(watching, failed) == {channel_of(0), channel_of(2), channel_of(4)}
    assert await watched_in(watching, billed) == {channel_of(1)}


async def test_a_shared_query_pages_through_a_burst_and_every_member_moves_on(
    watching: Watching, sim_clock: ManualClock
) -> None:
    simulator = watching.simulator
    await subscribe_to(watching, 0, type="domain_create")
    await subscribe_to(watching, 1, type="vm_create")
    await watching.schedule.wake(TEAM_ID, watching.clock.now)
    sim_clock.advance(5)
    # More than a page of operations nobody subscribed to, over several seconds.
    for _second in range(3):
        for _ in range(BATCH // 2):
            simulator.create("domain_renew", step=BILL)
        sim_clock.advance(1)
    wanted = simulator.create("vm_create", step=BILL)

    await watching.cycle()

    assert await watched_in(watching, wanted) == {channel_of(1)}
    first, second = await watching.subscriptions.list(TEAM_ID)
    # Both moved on to what the shared query saw, matched or not.
    assert first.last_seen == second.last_seen == simulator.operation(wanted)["date_created"]
