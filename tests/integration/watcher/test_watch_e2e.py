"""A watched operation, end to end: each step change once in its card's thread, then the end.

The simulator's steps are moved by hand (``simulator.move``), the worker runs
one cycle at a time on its own clock, and FakeSlack records what Slack got.
"""

from __future__ import annotations

import json

from opsbot.api.operation import BILL, DONE, ERROR, RUN, WAIT
from opsbot.simulator import ManualClock
from opsbot.store.guardrail_store import GuardrailStore
from opsbot.store.guardrails import Guardrails
from opsbot.store.watches import NewWatch
from opsbot.ui import ids
from tests.integration.watcher.conftest import Watching
from tests.support.slack_api import JSON, SlackCall
from tests.support.slack_requests import CHANNEL_ID, TEAM_ID, USER_ID
from tests.support.surfaces import action_ids

OTHER_CHANNEL = "C0456"
OTHER_USER = "U0456"


def change(reply: JSON) -> str:
    """ "BILL → WAIT" from a step reply's text ("Operation 123: BILL → WAIT")."""
    return str(reply["text"]).split(": ", 1)[1]


def top_level_posts(watching: Watching) -> list[SlackCall]:
    return [c for c in watching.slack.calls_to("chat.postMessage") if "thread_ts" not in c.args]


async def test_each_change_once_in_the_cards_thread_then_a_broadcast_and_no_more_polls(
    watching: Watching,
) -> None:
    simulator = watching.simulator
    op_id = simulator.create("domain_create", step=BILL, domain="example.es")
    ts = await watching.watch(op_id)

    for count, step in enumerate((WAIT, RUN, DONE), start=1):
        simulator.move(op_id, step)
        await watching.until_replies(CHANNEL_ID, ts, count)
    polls_at_the_end = watching.list_calls()
    await watching.cycles(10, seconds=30)

    replies = watching.replies(CHANNEL_ID, ts)
    assert [change(call) for call in replies[:2]] == ["BILL → WAIT", "WAIT → RUN"]
    assert all("reply_broadcast" not in call for call in replies[:2])
    final = replies[2]
    assert final["reply_broadcast"] is True
    assert f"<@{USER_ID}>" in final["text"]
    assert "is done" in final["text"]
    assert len(replies) == 3
    # Each change also edited the card, which ends showing the final step.
    edits = watching.card_edits(CHANNEL_ID, ts)
    assert len(edits) == 3
    assert edits[-1].args["text"].endswith(DONE)
    assert await watching.watches.get(TEAM_ID, op_id) is None
    assert watching.list_calls() == polls_at_the_end
    assert simulator.calls["operation.info"] == 0


async def test_an_operation_in_two_channels_is_polled_once_and_told_in_both_threads(
    watching: Watching,
) -> None:
    simulator = watching.simulator
    op_id = simulator.create("domain_renew", step=WAIT)
    here = await watching.watch(op_id)
    there = await watching.watch(op_id, channel=OTHER_CHANNEL, user=OTHER_USER)
    before = watching.list_calls()

    simulator.move(op_id, RUN)
    report = await watching.cycle()

    assert report.api_calls == 1
    assert watching.list_calls() == before + 1
    assert [change(c) for c in watching.replies(CHANNEL_ID, here)] == ["WAIT → RUN"]
    assert [change(c) for c in watching.replies(OTHER_CHANNEL, there)] == ["WAIT → RUN"]

    simulator.move(op_id, DONE)
    [_, mine] = await watching.until_replies(CHANNEL_ID, here, 2)
    [_, theirs] = await watching.until_replies(OTHER_CHANNEL, there, 2)
    # Each channel's final reply mentions that channel's watchers.
    assert f"<@{USER_ID}>" in mine["text"]
    assert OTHER_USER not in mine["text"]
    assert f"<@{OTHER_USER}>" in theirs["text"]


async def test_polls_in_batches_of_one_hundred_never_one_call_per_operation(
    watching: Watching,
) -> None:
    simulator = watching.simulator
    op_ids = [simulator.create("domain_renew", step=RUN) for _ in range(250)]
    for op_id in op_ids:
        new = NewWatch(
            op_id=op_id,
            type="domain_renew",
            label="",
            step=RUN,
            eta=None,
            channel=CHANNEL_ID,
            user_id=USER_ID,
            card_ts="1700000000.000001",
        )
        await watching.watches.add(
            TEAM_ID,
            new,
            now=watching.clock.moment,
            expires_at=watching.clock.moment.replace(year=watching.clock.moment.year + 1),
        )
    before = watching.list_calls()

    report = await watching.cycle()

    assert report.operations == 250
    assert report.api_calls == 3
    assert watching.list_calls() == before + 3
    assert simulator.calls["operation.info"] == 0


async def test_a_failure_is_broadcast_with_its_error_and_a_relaunch_button(
    watching: Watching,
) -> None:
    simulator = watching.simulator
    op_id = simulator.create("domain_create", step=RUN)
    ts = await watching.watch(op_id)
    simulator.move(op_id, ERROR)
    operation = simulator.operation(op_id)

    [final] = await watching.until_replies(CHANNEL_ID, ts, 1)

    assert final["reply_broadcast"] is True
    shown = json.dumps(final["blocks"], ensure_ascii=False)
    assert operation["errortype"] in shown
    assert operation["last_error"].replace("&", "&amp;").replace("<", "&lt;") in shown
    assert ids.ACTION_RELAUNCH in action_ids(final["blocks"])


async def test_in_a_read_only_channel_a_failure_is_broadcast_without_a_relaunch_button(
    watching: Watching,
) -> None:
    await GuardrailStore(watching.redis).set(
        TEAM_ID, Guardrails(read_only_channels=frozenset({CHANNEL_ID}))
    )
    simulator = watching.simulator
    op_id = simulator.create("domain_create", step=RUN)
    ts = await watching.watch(op_id)
    simulator.move(op_id, ERROR)

    [final] = await watching.until_replies(CHANNEL_ID, ts, 1)

    assert final["reply_broadcast"] is True
    assert action_ids(final["blocks"]) == [ids.ACTION_INFO]


async def test_no_operation_is_polled_more_often_than_the_poll_interval(
    watching: Watching,
) -> None:
    simulator = watching.simulator
    op_id = simulator.create("domain_renew", step=RUN)
    await watching.watch(op_id)
    await watching.cycle()
    polled = watching.polling_calls()

    for _ in range(3):
        await watching.cycle(seconds=0.25)
    assert watching.polling_calls() == polled
    await watching.cycle(seconds=0.25)
    assert watching.polling_calls() == polled + 1


async def test_a_watch_expires_with_a_last_note_and_is_no_longer_polled(
    watching: Watching,
) -> None:
    simulator = watching.simulator
    op_id = simulator.create("domain_transfer_in", step=WAIT)
    ts = await watching.watch(op_id)
    await watching.cycle()

    await watching.cycle(seconds=watching.settings.watch_days * 86_400)
    [note] = await watching.until_replies(CHANNEL_ID, ts, 1)
    polls = watching.list_calls()
    await watching.cycles(5, seconds=60)

    assert "This watch has ended." in note["text"]
    assert f"{watching.settings.watch_days} days" in note["text"]
    assert await watching.watches.get(TEAM_ID, op_id) is None
    assert watching.list_calls() == polls


async def test_posts_to_one_channel_go_at_the_buckets_pace(watching: Watching) -> None:
    """A burst of two, then a little under one a second (the default bucket)."""
    simulator = watching.simulator
    op_ids = [simulator.create("domain_renew", step=WAIT) for _ in range(3)]
    threads = [await watching.watch(op_id) for op_id in op_ids]
    for op_id in op_ids:
        simulator.move(op_id, RUN)

    report = await watching.cycle()
    assert report.changes == 3
    assert report.posts == 2
    # A second later the bucket holds 0.95 of a token; a tenth more and it has one.
    assert (await watching.cycle(seconds=0.5)).posts == 0
    assert (await watching.cycle(seconds=0.5)).posts == 0
    assert (await watching.cycle(seconds=0.1)).posts == 1
    assert [len(watching.replies(CHANNEL_ID, ts)) for ts in threads] == [1, 1, 1]


async def test_slack_rate_limits_are_waited_out_and_nothing_is_lost(watching: Watching) -> None:
    simulator = watching.simulator
    op_id = simulator.create("domain_renew", step=WAIT)
    ts = await watching.watch(op_id)
    watching.slack.rate_limit("chat.postMessage", retry_after=5, times=1)

    simulator.move(op_id, RUN)
    refused = await watching.cycle()
    assert refused.changes == 1
    assert refused.posts == 0
    # Retry-After is honoured: nothing goes before five seconds have passed.
    for _ in range(4):
        assert (await watching.cycle()).posts == 0
    assert (await watching.cycle()).posts == 1
    assert [change(c) for c in watching.replies(CHANNEL_ID, ts)] == ["WAIT → RUN"]


async def test_a_subscription_gives_each_new_operation_its_card_and_thread(
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
    wanted = simulator.create("domain_create", step=BILL, domain="new.es")
    simulator.create("domain_renew", step=BILL)  # not a match

    await watching.until(lambda: len(top_level_posts(watching)) == 1)
    [card] = top_level_posts(watching)
    assert card.args["text"].startswith(f"Operation {wanted} (domain_create new.es)")
    watch = await watching.watches.get(TEAM_ID, wanted)
    assert watch is not None
    [posted] = watch.cards
    simulator.move(wanted, WAIT)
    [reply] = await watching.until_replies(CHANNEL_ID, posted.ts, 1)
    await watching.cycles(5)

    assert change(reply) == "BILL → WAIT"
    assert posted.watchers == (USER_ID,)  # the subscriber is mentioned at the end
    # Found once: later cycles post no second card.
    assert len(top_level_posts(watching)) == 1
