"""Watches written straight into the store, for the store's own tests.

One team, fixed times, and a watch or a step change with sensible defaults
that a test overrides by keyword.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from opsbot.store.watches import AddResult, NewWatch, StepChange, Watch, WatchStore
from opsbot.workspace.state import Message
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import API_APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID

TEAM = "T0123"
NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
IN_A_WEEK = NOW + dt.timedelta(days=7)
LATER = NOW + dt.timedelta(minutes=5)


async def watch(
    store: WatchStore,
    op_id: int,
    channel: str = "C0AAA",
    user_id: str = "U0ANN",
    *,
    now: dt.datetime = NOW,
    expires_at: dt.datetime = IN_A_WEEK,
    **overrides: Any,
) -> AddResult:
    """Watch ``op_id`` (a domain_renew at WAIT) as ``user_id`` in ``channel``."""
    fields: dict[str, Any] = {
        "type": "domain_renew",
        "label": "example.com",
        "step": "WAIT",
        "eta": 600,
    }
    fields.update(overrides)
    new = NewWatch(op_id=op_id, channel=channel, user_id=user_id, **fields)
    return await store.add(TEAM, new, now=now, expires_at=expires_at)


async def record(
    store: WatchStore,
    op_id: int,
    old: str,
    new: str,
    *,
    next_due: float = LATER.timestamp() + 30,
    **overrides: Any,
) -> bool:
    """Record the step change ``old`` → ``new`` of ``op_id`` (at LATER, not final)."""
    fields: dict[str, Any] = {"at": LATER, "final": False, "eta": 300}
    fields.update(overrides)
    change = StepChange(op_id=op_id, old=old, new=new, **fields)
    return await store.record_step(TEAM, change, next_due=next_due) is not None


async def stored(store: WatchStore, op_id: int) -> Watch:
    found = await store.get(TEAM, op_id)
    assert found is not None
    return found


async def carded_watch(
    store: WatchStore, team_id: str, new: NewWatch, *, now: dt.datetime
) -> AddResult:
    """Store ``new`` as ``/ops watch`` leaves it (its card posted), watched for a week.

    The benchmarks fill Redis with thousands of these.
    """
    return await store.add(team_id, new, now=now, expires_at=now + dt.timedelta(days=7))


def bench_watch(op_id: int, *, channel: str, user_id: str, card_ts: str, label: str) -> NewWatch:
    """A domain_renew in RUN with its card at ``card_ts``: what the benchmarks watch."""
    return NewWatch(
        op_id=op_id,
        type="domain_renew",
        label=label,
        step="RUN",
        eta=None,
        channel=channel,
        user_id=user_id,
        card_ts=card_ts,
    )


def seat_cards(slack: FakeSlack, cards: Iterable[tuple[str, str]]) -> None:
    """Each ``(channel, ts)`` card as Slack would hold it: the channel, with the bot
    in it, and the bot's message at ``ts``; so that the benchmarks' thread replies
    and card edits, to watches written straight into the store, are taken."""
    workspace = slack.workspace
    for channel, ts in cards:
        if channel not in workspace.channels:
            slack.add_channel(channel)
        workspace.messages[(channel, ts)] = Message(
            channel=channel,
            ts=ts,
            user=BOT_USER_ID,
            text="card",
            bot_id=BOT_ID,
            app_id=API_APP_ID,
            team=TEAM_ID,
        )
