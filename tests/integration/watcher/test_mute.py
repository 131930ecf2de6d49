"""A muted channel: replies only in existing threads, no broadcast, no new card; then a summary."""

from __future__ import annotations

from opsbot.api.operation import DONE, ERROR, RUN, WAIT
from opsbot.store.mutes import Mutes
from tests.integration.watcher.conftest import TEST_FOLLOWER, Watching
from tests.support.slack_api import JSON
from tests.support.slack_requests import CHANNEL_ID, TEAM_ID, USER_ID

MUTE_S = 60.0


def top_level(watching: Watching) -> list[JSON]:
    return [m for m in watching.slack.messages(CHANNEL_ID) if "thread_ts" not in m]


async def test_a_muted_channel_is_quiet_then_gets_one_summary(watching: Watching) -> None:
    simulator = watching.simulator
    done, failed = (simulator.create("domain_renew", step=WAIT) for _ in range(2))
    threads = {op_id: await watching.watch(op_id) for op_id in (done, failed)}
    # A watch whose card is not posted yet (as a subscription's new one is).
    new = simulator.create("domain_renew", step=WAIT)
    await watching.watch_as(new, type="domain_renew", step=WAIT)
    await watching.watches.set_card_ts(TEAM_ID, new, CHANNEL_ID, "")
    await watching.outbox.add_card(TEAM_ID, new, watching.clock.moment)
    cards_before = len(top_level(watching))
    mutes = Mutes(watching.redis)
    await mutes.mute(
        TEAM_ID, CHANNEL_ID, until=watching.clock.now + MUTE_S, by=USER_ID, now=watching.clock.now
    )

    simulator.move(done, DONE)
    simulator.move(failed, ERROR)
    simulator.move(new, RUN)
    for _ in range(10):
        await watching.cycle()

    for op_id, ts in threads.items():
        [reply] = watching.replies(CHANNEL_ID, ts)
        assert "reply_broadcast" not in reply, op_id
        assert "<@" not in reply["text"]
    assert len(top_level(watching)) == cards_before  # no new card, no summary yet
    assert [p.op_id for p in await watching.outbox.pending(TEAM_ID)] == [new, new]

    await watching.cycle(seconds=MUTE_S)

    summary = top_level(watching)[cards_before]
    assert "2 operations finished while this channel was muted" in summary["text"]
    assert f"<@{USER_ID}>" in summary["text"]
    text = str(summary["blocks"][1]["text"]["text"])
    assert text.index(f"#{failed}>") < text.index(f"#{done}>")  # failures first
    await watching.until_delivered()
    assert await mutes.get(TEAM_ID, CHANNEL_ID) is None
    # The card waiting for the mute's end is posted, and the change told in its thread.
    watch = await watching.watches.get(TEAM_ID, new)
    assert watch is not None
    [card] = watch.cards
    assert card.ts
    assert len(watching.replies(CHANNEL_ID, card.ts)) == 1


async def test_unmuted_before_anything_ended_posts_no_summary(watching: Watching) -> None:
    op_id = watching.simulator.create("domain_renew", step=WAIT)
    await watching.watch(op_id, channel=TEST_FOLLOWER.channel)
    mutes = Mutes(watching.redis)
    now = watching.clock.now
    await mutes.mute(TEAM_ID, CHANNEL_ID, until=now + MUTE_S, by=USER_ID, now=now)
    cards = len(top_level(watching))

    assert await mutes.unmute(TEAM_ID, CHANNEL_ID, now)
    await watching.cycles(3)

    assert len(top_level(watching)) == cards
    assert await mutes.get(TEAM_ID, CHANNEL_ID) is None
    assert not await mutes.unmute(TEAM_ID, CHANNEL_ID, now)
