"""Burst mode: a channel whose queue is long gets one summary, edited in place.

The threshold is 2 s here: at the default pace (a little under one post a
second) a queue of three or more deliveries would take longer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from opsbot.api.operation import DONE, ERROR, WAIT
from opsbot.simulator import ServedSimulator
from tests.integration.watcher.conftest import Watching, watching_with
from tests.support.slack_api import JSON, FakeSlack
from tests.support.slack_requests import CHANNEL_ID, TEAM_ID, USER_ID

OTHER_USER = "U0456"


@pytest.fixture
async def bursting(
    sim_server: ServedSimulator, fake_slack: FakeSlack, redis_url: str, sim_key: str
) -> AsyncIterator[Watching]:
    async with watching_with(
        sim_server, fake_slack, redis_url, sim_key, burst_threshold_s=2.0
    ) as watching:
        yield watching


def summaries(watching: Watching) -> list[JSON]:
    return [
        message
        for message in watching.slack.messages(CHANNEL_ID)
        if "thread_ts" not in message and "finished since" in message["text"]
    ]


def summary_text(message: JSON) -> str:
    return "\n".join(
        str(block.get("text", {}).get("text", ""))
        for block in message["blocks"]
        if block["type"] == "section"
    )


async def test_a_burst_of_outcomes_is_one_summary_and_replies_without_broadcast(
    bursting: Watching,
) -> None:
    simulator = bursting.simulator
    op_ids = [simulator.create("domain_renew", step=WAIT) for _ in range(6)]
    threads = {
        op_id: await bursting.watch(op_id, user=USER_ID if n % 2 else OTHER_USER)
        for n, op_id in enumerate(op_ids)
    }
    failed = op_ids[4:]
    for op_id in op_ids:
        simulator.move(op_id, ERROR if op_id in failed else DONE)

    report = await bursting.cycle()

    [summary] = summaries(bursting)
    assert summary["text"].startswith(f"<@{OTHER_USER}> <@{USER_ID}> 6 operations finished since")
    assert "2 ERROR, 4 DONE" in summary["text"]
    lines = summary_text(summary).split("\n")[1:]
    assert [line.split("|#")[1].split(">")[0] for line in lines] == [
        str(op_id) for op_id in [*failed, *op_ids[:4]]
    ]
    assert (
        f"https://slack.com/archives/{CHANNEL_ID}/p{threads[failed[0]].replace('.', '')}"
        in (lines[0])
    )
    assert report.posts == 2  # the summary, then the first reply: the bucket's burst

    await bursting.until_delivered()
    for op_id, ts in threads.items():
        [reply] = bursting.replies(CHANNEL_ID, ts)
        assert "reply_broadcast" not in reply, op_id
        assert "<@" not in reply["text"]
    assert len(summaries(bursting)) == 1


async def test_outcomes_ending_during_the_burst_are_added_to_the_same_summary(
    bursting: Watching,
) -> None:
    simulator = bursting.simulator
    first = [simulator.create("domain_renew", step=WAIT) for _ in range(5)]
    later = [simulator.create("domain_renew", step=WAIT) for _ in range(3)]
    for op_id in [*first, *later]:
        await bursting.watch(op_id)
    for op_id in first:
        simulator.move(op_id, DONE)
    await bursting.cycle()
    [summary] = summaries(bursting)
    assert "5 operations finished" in summary["text"]

    for op_id in later:
        simulator.move(op_id, DONE)
    await bursting.until(
        lambda: any(
            call.args.get("ts") == summary["ts"] and "8 operations" in call.args["text"]
            for call in bursting.slack.calls_to("chat.update")
        )
    )

    assert len(summaries(bursting)) == 1
    text = summary_text(summaries(bursting)[0])
    assert all(f"#{op_id}>" in text for op_id in [*first, *later])


async def test_the_channel_returns_to_a_broadcast_per_outcome_once_the_queue_is_short(
    bursting: Watching,
) -> None:
    simulator = bursting.simulator
    burst = [simulator.create("domain_renew", step=WAIT) for _ in range(4)]
    for op_id in burst:
        await bursting.watch(op_id)
    for op_id in burst:
        simulator.move(op_id, DONE)
    await bursting.until_delivered()
    alone = simulator.create("domain_renew", step=WAIT)
    ts = await bursting.watch(alone)

    simulator.move(alone, DONE)
    [reply] = await bursting.until_replies(CHANNEL_ID, ts, 1)

    assert reply["reply_broadcast"] is True
    assert f"<@{USER_ID}>" in reply["text"]
    assert len(summaries(bursting)) == 1
    assert not await bursting.outbox.pending(TEAM_ID)
