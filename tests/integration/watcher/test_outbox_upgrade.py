"""Posts queued by the code before posts had kinds are delivered as they were meant.

That code queued every note as kind ``note``: an empty one asked only for the
card, and one ending "This watch has ended." was the watch's farewell. A
deploy must not drop them nor misread them.
"""

from __future__ import annotations

from redis.typing import EncodableT, FieldT

from opsbot.api.operation import RUN
from opsbot.store import keyspace
from opsbot.store.watches import NewWatch
from tests.integration.watcher.conftest import Watching
from tests.support.slack_requests import CHANNEL_ID, TEAM_ID, USER_ID

OLD_FAREWELL = ":hourglass: Watched for 7 days without reaching a final step. This watch has ended."


async def queue_as_before(watching: Watching, op_id: int, step: str, text: str) -> None:
    """An outbox entry exactly as the code before kinds wrote a note."""
    entry: dict[FieldT, EncodableT] = {
        "op": str(op_id),
        "channel": CHANNEL_ID,
        "kind": "note",
        "old": step,
        "new": step,
        "at": watching.clock.moment.isoformat(),
        "text": text,
    }
    await watching.redis.xadd(keyspace.outbox(TEAM_ID), entry)


async def test_an_old_farewell_is_posted_once_and_ends_its_watch(watching: Watching) -> None:
    op_id = watching.simulator.create("domain_renew", step=RUN)
    ts = await watching.watch(op_id)
    await queue_as_before(watching, op_id, RUN, OLD_FAREWELL)

    await watching.until_delivered()
    await watching.cycles(3)

    assert [reply["text"] for reply in watching.replies(CHANNEL_ID, ts)] == [OLD_FAREWELL]
    assert await watching.watches.get(TEAM_ID, op_id) is None


async def test_an_old_empty_note_posts_the_card_and_says_nothing(watching: Watching) -> None:
    op_id = watching.simulator.create("domain_renew", step=RUN)
    new = NewWatch(
        op_id=op_id,
        type="domain_renew",
        label="",
        step=RUN,
        eta=None,
        channel=CHANNEL_ID,
        user_id=USER_ID,
    )
    now = watching.clock.moment
    await watching.watches.add(TEAM_ID, new, now=now, expires_at=now.replace(year=now.year + 1))
    await queue_as_before(watching, op_id, RUN, "")

    await watching.until_delivered()

    watch = await watching.watches.get(TEAM_ID, op_id)
    assert watch is not None
    card = watch.card(CHANNEL_ID)
    assert card is not None
    assert card.ts
    assert watching.replies(CHANNEL_ID, card.ts) == []
    posted = watching.slack.calls_to("chat.postMessage")
    assert [call.args.get("thread_ts") for call in posted] == [None]
