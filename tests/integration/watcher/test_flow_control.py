"""A channel with a queue: outcomes first, an operation's waiting changes merged, edits paced.

The default bucket (a burst of two, a little under one post a second) on the
worker's own clock: a cycle a tenth of a second later finds no token, a
second and a bit later finds one.
"""

from __future__ import annotations

from opsbot.api.operation import DONE, ERROR, RUN, WAIT
from opsbot.store.pacing import ChannelPacing
from tests.integration.watcher.conftest import Watching
from tests.support.slack_requests import CHANNEL_ID, TEAM_ID

NEXT_TOKEN_S = 1.1


async def test_step_changes_waiting_for_the_channel_go_as_one_reply_with_the_path(
    watching: Watching,
) -> None:
    simulator = watching.simulator
    first, second, third = (simulator.create("domain_renew", step=WAIT) for _ in range(3))
    threads = {op_id: await watching.watch(op_id) for op_id in (first, second, third)}
    for op_id in threads:
        simulator.move(op_id, RUN)
    assert (await watching.cycle()).posts == 2  # the burst; the third change waits

    simulator.move(third, DONE)
    assert (await watching.cycle(seconds=0.1)).posts == 0
    assert (await watching.cycle(seconds=NEXT_TOKEN_S)).posts == 1

    [reply] = watching.replies(CHANNEL_ID, threads[third])
    path = reply["blocks"][0]["text"]["text"]
    assert "*WAIT* → *RUN* " in path
    assert "→ *DONE* " in path
    assert reply["reply_broadcast"] is True
    assert not await watching.outbox.pending(TEAM_ID)
    assert await watching.watches.get(TEAM_ID, third) is None


async def test_a_failure_overtakes_the_step_changes_queued_before_it(watching: Watching) -> None:
    simulator = watching.simulator
    moving = [simulator.create("domain_renew", step=WAIT) for _ in range(4)]
    failing = simulator.create("domain_renew", step=RUN)
    threads = {op_id: await watching.watch(op_id) for op_id in [*moving, failing]}
    for op_id in moving:
        simulator.move(op_id, RUN)
    await watching.cycle()  # two of the four changes go, two wait

    simulator.move(failing, ERROR)
    await watching.cycle(seconds=NEXT_TOKEN_S)

    replies = [m for m in watching.slack.messages(CHANNEL_ID) if m.get("thread_ts")]
    assert len(replies) == 3
    assert replies[-1]["thread_ts"] == threads[failing]
    assert "failed" in replies[-1]["text"]
    await watching.until_delivered()
    assert [len(watching.replies(CHANNEL_ID, ts)) for ts in threads.values()] == [1] * 5


async def test_card_edits_wait_for_the_teams_edit_pace_and_the_newest_wins(
    watching: Watching,
) -> None:
    simulator = watching.simulator
    op_ids = [simulator.create("domain_renew", step=WAIT) for _ in range(2)]
    cards = {op_id: await watching.watch(op_id) for op_id in op_ids}
    # Another process spent the team's edits a moment ago.
    edits_taken_at = watching.clock.now + 0.5
    pacing = ChannelPacing(watching.redis)
    while not await pacing.take_edit(TEAM_ID, edits_taken_at):
        pass
    for op_id in op_ids:
        simulator.move(op_id, RUN)
    await watching.cycle()
    assert len(watching.replies(CHANNEL_ID, cards[op_ids[0]])) == 1
    assert watching.slack.calls_to("chat.update") == []  # waiting for the team's pace
    for op_id in op_ids:
        simulator.move(op_id, DONE)

    await watching.until_delivered()
    await watching.cycles(5)

    edits = watching.slack.calls_to("chat.update")
    # One edit per card: its RUN edit, still waiting, was replaced by its DONE one.
    assert sorted(call.args["ts"] for call in edits) == sorted(cards.values())
    assert all(call.args["text"].endswith(DONE) for call in edits)


async def test_a_card_with_a_note_and_a_step_change_in_one_pass_is_edited_once(
    watching: Watching,
) -> None:
    simulator = watching.simulator
    op_id = simulator.create("domain_renew", step=WAIT)
    card = await watching.watch(op_id)
    await watching.outbox.add_note(TEAM_ID, op_id, "Relaunched by someone", watching.clock.moment)
    simulator.move(op_id, RUN)

    await watching.cycle()

    assert len(watching.replies(CHANNEL_ID, card)) == 2  # the note, then the step change
    # Both deliveries show the card as it is now: one chat.update, not the same one twice.
    [edit] = watching.card_edits(CHANNEL_ID, card)
    assert edit.args["text"].endswith(RUN)
