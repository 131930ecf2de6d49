"""The app's Home tab: what one person follows, what failed, and how to use ``/ops``.

Published with views.publish (a ``home`` view, 100 blocks at most) when the
person opens the tab and again when one of their watches changes step. It
shows their watches with current steps, the team's operations in ERROR
(how many, the newest with Info and Relaunch), the subscriptions of the
channels they are in, the API key's status and the ``/ops`` grammar, which
comes from the same table as ``/ops help``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from opsbot.api.operation import Operation
from opsbot.slack_id import is_slack_id
from opsbot.ui import humanize
from opsbot.ui.common import HelpSection
from opsbot.ui.render import Modal, render_home
from opsbot.ui.team_key import KeyStatus
from opsbot.ui.views import OperationView, SubscriptionView, WatchView

if TYPE_CHECKING:
    from opsbot.store.subscriptions import Subscription
    from opsbot.store.watches import Watch

# Enough to see at a glance and far below the 100 blocks a Home tab takes:
# one block a watch, two a failed operation (its row and its buttons).
WATCHES_SHOWN: Final = 20
FAILED_SHOWN: Final = 10
SUBSCRIPTIONS_SHOWN: Final = 15


@dataclass(frozen=True)
class FailedOperations:
    """The team's operations in ERROR: how many, the newest, or why they are not known."""

    count: int | None = None
    newest: Sequence[Operation] = ()
    problem: str | None = None


@dataclass(frozen=True)
class HomeContent:
    """Everything one person's Home tab shows, gathered by the caller (ui does no I/O).

    ``may_relaunch``: whether this person may relaunch (the Relaunch buttons
    are shown only then, on operations that can be relaunched).
    """

    user_id: str
    watches: Sequence[Watch]
    failed: FailedOperations
    subscriptions: Sequence[Subscription]
    key: KeyStatus | None
    grammar: Sequence[HelpSection]
    may_relaunch: bool = True
    key_unreadable: bool = False
    paused: str | None = None


@dataclass(frozen=True)
class _WatchRow:
    watch: WatchView
    # Where this person follows it: channel ids, and whether in their DM with the app.
    channels: tuple[str, ...]
    in_dm: bool


def home_view(content: HomeContent, *, now: dt.datetime) -> Modal:
    rows = [_watch_row(watch, content.user_id, now) for watch in content.watches]
    subscriptions = [
        (SubscriptionView.of(subscription, now), _channel_id(subscription.channel))
        for subscription in content.subscriptions
    ]
    failed = content.failed
    return render_home(
        "home.j2",
        updated=humanize.timestamp(now),
        watches=rows[:WATCHES_SHOWN],
        more_watches=max(len(rows) - WATCHES_SHOWN, 0),
        failed_count=failed.count,
        failed=[OperationView.of(operation, now) for operation in failed.newest[:FAILED_SHOWN]],
        failed_problem=failed.problem,
        may_relaunch=content.may_relaunch,
        subscriptions=subscriptions[:SUBSCRIPTIONS_SHOWN],
        more_subscriptions=max(len(subscriptions) - SUBSCRIPTIONS_SHOWN, 0),
        key=_key_line(content),
        paused=content.paused,
        grammar=[(title, list(lines)) for title, lines in content.grammar],
    )


def _watch_row(watch: Watch, user_id: str, now: dt.datetime) -> _WatchRow:
    theirs = [card.channel for card in watch.cards if user_id in card.watchers]
    channels = tuple(
        channel for channel in theirs if not channel.startswith("D") and _channel_id(channel)
    )
    return _WatchRow(WatchView.of(watch, now), channels, any(c.startswith("D") for c in theirs))


def _channel_id(value: str) -> str | None:
    """``value`` if it is a Slack id (safe inside ``<#…>``), else None."""
    return value if is_slack_id(value) else None


@dataclass(frozen=True)
class _KeyLine:
    state: str  # "unset", "unreadable" or "set"
    set_by: str | None = None
    set_at: str = ""
    fingerprint: str = ""


def _key_line(content: HomeContent) -> _KeyLine:
    key = content.key
    if content.key_unreadable or (key is not None and not key.readable):
        return _KeyLine("unreadable")
    if key is None:
        return _KeyLine("unset")
    return _KeyLine(
        "set", humanize.slack_user_id(key.set_by), humanize.timestamp(key.set_at), key.fingerprint
    )
