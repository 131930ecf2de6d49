"""Burst mode's summary message: the outcomes of a burst in one channel message.

Failures come first (ERROR, SUPPORT, CANCEL, then DONE); each operation has a
line linking to its thread while there is room, then the rest are listed by
id, so that every outcome is in the message however many ended. The watchers
are mentioned once, in the message rather than in each reply.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING, Any, Final

from opsbot.api.operation import CANCEL, DONE, ERROR, SUPPORT
from opsbot.ui import humanize
from opsbot.ui.render import Message, render_message

if TYPE_CHECKING:
    from opsbot.store.bursts import Outcome, Summary

# The whole message stays well under the ~12,000 characters of block text
# Slack takes (slack-rules.md): lines with a link (about 130 characters
# each) in sections of 10, then ids alone (about 12 each) in blocks of 100,
# then the mentions (about 12 each).
ROWS_SHOWN: Final = 30
ROWS_PER_SECTION: Final = 10
IDS_LISTED: Final = 250
IDS_PER_BLOCK: Final = 100
MENTIONS: Final = 50

_STEP_ORDER: Final = {ERROR: 0, SUPPORT: 1, CANCEL: 2, DONE: 3}
# Message links Slack resolves for a member of the workspace.
_ARCHIVES: Final = "https://slack.com/archives"


def burst_summary_message(summary: Summary, *, muted_by: str | None = None) -> Message:
    """The summary of a burst, or (``muted_by``) of what ended while the channel was muted."""
    outcomes = sorted(summary.outcomes.values(), key=_order)
    shown, rest = outcomes[:ROWS_SHOWN], outcomes[ROWS_SHOWN:]
    rows = [_row(summary.channel, outcome) for outcome in shown]
    counts = Counter(outcome.step for outcome in outcomes)
    return render_message(
        "burst_summary.j2",
        total=len(outcomes),
        counts=[
            {"step": step, "n": n}
            for step, n in sorted(counts.items(), key=lambda item: _step_rank(item[0]))
        ],
        since=humanize.clock(dt.datetime.fromtimestamp(summary.since, dt.UTC)) + " UTC",
        muted=muted_by is not None,
        muted_by=humanize.slack_user_id(muted_by) if muted_by else None,
        sections=[rows[i : i + ROWS_PER_SECTION] for i in range(0, len(rows), ROWS_PER_SECTION)],
        rest=_rest(rest),
        mentions=_mentions(outcomes),
    )


def thread_link(channel: str, ts: str) -> str:
    """A message's link: ``https://slack.com/archives/C0123/p1700000000000100`` ("" for none)."""
    digits = ts.replace(".", "")
    return f"{_ARCHIVES}/{channel}/p{digits}" if digits.isdigit() else ""


def _row(channel: str, outcome: Outcome) -> dict[str, Any]:
    return {
        "id": outcome.op_id,
        "step": outcome.step,
        "emoji": humanize.step_emoji(outcome.step),
        "type": outcome.type,
        "label": outcome.label,
        "link": thread_link(channel, outcome.card_ts)
        if outcome.card_ts.replace(".", "").isdigit()
        else "",
    }


def _rest(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    """Ids by step, in blocks of IDS_PER_BLOCK; past IDS_LISTED, how many more."""
    listed, more = outcomes[:IDS_LISTED], len(outcomes) - IDS_LISTED
    groups: dict[str, list[int]] = {}
    for outcome in listed:
        groups.setdefault(outcome.step, []).append(outcome.op_id)
    blocks = [
        {"step": step, "ids": ids[i : i + IDS_PER_BLOCK], "more": 0}
        for step, ids in groups.items()
        for i in range(0, len(ids), IDS_PER_BLOCK)
    ]
    if blocks and more > 0:
        blocks[-1]["more"] = more
    return blocks


def _mentions(outcomes: list[Outcome]) -> list[str]:
    seen: dict[str, None] = {}
    for outcome in outcomes:
        for watcher in outcome.watchers:
            valid = humanize.slack_user_id(watcher)
            if valid is not None:
                seen.setdefault(valid, None)
    return list(seen)[:MENTIONS]


def _step_rank(step: str) -> int:
    return _STEP_ORDER.get(step, len(_STEP_ORDER))


def _order(outcome: Outcome) -> tuple[int, int]:
    return _step_rank(outcome.step), outcome.op_id
