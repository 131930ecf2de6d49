"""Broadcast preferences per card, and outcome subscriptions (``only=``)."""

from __future__ import annotations

from opsbot.api.operation import BILL, DONE, ERROR, RUN, WAIT
from opsbot.simulator import ManualClock
from opsbot.store.watches import FAILURES, NEVER
from opsbot.ui import ids
from tests.integration.watcher.conftest import Watching
from tests.support.slack_api import JSON
from tests.support.slack_requests import CHANNEL_ID, TEAM_ID, USER_ID


def top_level(watching: Watching) -> list[JSON]:
    return [m for m in watching.slack.messages(CHANNEL_ID) if "thread_ts" not in m]


async def ended(watching: Watching, op_id: int, ts: str, step: str) -> JSON:
    watching.simulator.move(op_id, step)
    [reply] = await watching.until_replies(CHANNEL_ID, ts, 1)
    return reply


async def test_never_keeps_the_end_in_the_thread_still_mentioning_the_watchers(
    watching: Watching,
) -> None:
    op_id = watching.simulator.create("domain_renew", step=RUN)
    ts = await watching.watch(op_id)
    assert await watching.watches.set_broadcast(TEAM_ID, op_id, CHANNEL_ID, NEVER)

    reply = await ended(watching, op_id, ts, DONE)

    assert "reply_broadcast" not in reply
    assert f"<@{USER_ID}>" in str(reply["text"])


async def test_failures_broadcasts_an_error_but_not_a_done(watching: Watching) -> None:
    simulator = watching.simulator
    done, failed = (simulator.create("domain_renew", step=RUN) for _ in range(2))
    threads = {op_id: await watching.watch(op_id) for op_id in (done, failed)}
    for op_id in threads:
        await watching.watches.set_broadcast(TEAM_ID, op_id, CHANNEL_ID, FAILURES)

    quiet = await ended(watching, done, threads[done], DONE)
    loud = await ended(watching, failed, threads[failed], ERROR)

    assert "reply_broadcast" not in quiet
    assert loud["reply_broadcast"] is True


async def test_an_outcome_subscription_says_nothing_until_a_wanted_end_then_one_message(
    watching: Watching, sim_clock: ManualClock
) -> None:
    simulator = watching.simulator
    await watching.subscriptions.add(
        TEAM_ID,
        channel=CHANNEL_ID,
        filters={"type": "domain_create"},
        created_by=USER_ID,
        now=simulator.now(),
        only=(ERROR,),
    )
    await watching.schedule.wake(TEAM_ID, watching.clock.now)
    sim_clock.advance(5)
    failing = simulator.create("domain_create", step=BILL, domain="fails.es")
    fine = simulator.create("domain_create", step=BILL, domain="fine.es")
    await watching.cycles(5)
    assert await watching.watches.get(TEAM_ID, failing) is not None  # followed, silently
    for step in (WAIT, RUN):
        simulator.move(failing, step)
        simulator.move(fine, step)
        await watching.cycles(2)
    assert watching.slack.messages(CHANNEL_ID) == []

    simulator.move(fine, DONE)
    simulator.move(failing, ERROR)
    await watching.until(lambda: len(watching.slack.messages(CHANNEL_ID)) >= 1)
    await watching.until_delivered()
    await watching.cycles(3)

    [message] = watching.slack.messages(CHANNEL_ID)
    assert "thread_ts" not in message
    assert f"Operation {failing}" in str(message["text"])
    assert "failed" in str(message["text"])
    relaunch = [
        element
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert ids.ACTION_RELAUNCH in {element["action_id"] for element in relaunch}
    assert await watching.watches.get(TEAM_ID, failing) is None
    assert await watching.watches.get(TEAM_ID, fine) is None


async def test_a_subscriptions_cards_broadcast_failures_only_by_default(
    watching: Watching, sim_clock: ManualClock
) -> None:
    simulator = watching.simulator
    await watching.subscriptions.add(
        TEAM_ID,
        channel=CHANNEL_ID,
        filters={"type": "domain_create"},
        created_by=USER_ID,
        now=simulator.now(),
    )
    await watching.schedule.wake(TEAM_ID, watching.clock.now)
    sim_clock.advance(5)
    op_id = simulator.create("domain_create", step=BILL, domain="sub.es")
    await watching.until(lambda: len(top_level(watching)) == 1)
    watch = await watching.watches.get(TEAM_ID, op_id)
    assert watch is not None
    [card] = watch.cards
    assert card.broadcast == FAILURES

    reply = await ended(watching, op_id, card.ts, DONE)

    assert "reply_broadcast" not in reply
