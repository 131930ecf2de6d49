"""The line posted in the audit channel for each cancel, relaunch or key change,
and ``/ops audit``'s answer saying which channel that is."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from opsbot.slack_id import is_slack_id
from opsbot.ui import humanize
from opsbot.ui.render import Message, render_message


def audit_message(
    *, user_id: str, action: str, target: str, outcome: str, at: dt.datetime, detail: str = ""
) -> Message:
    return render_message(
        "audit.j2",
        user_id=humanize.slack_user_id(user_id),
        action=action,
        target=target,
        outcome=outcome,
        detail=detail,
        at=humanize.timestamp(at),
    )


def audit_channel_message(
    channel_id: str | None,
    *,
    from_setting: bool = False,
    change: Literal["set", "cleared"] | None = None,
    previous: str | None = None,
) -> Message:
    """``/ops audit``: where audit lines go (``from_setting``: OPSBOT_AUDIT_CHANNEL's),
    and what a ``change`` did, naming the ``previous`` channel."""
    return render_message(
        "audit_channel.j2",
        channel=_channel_id(channel_id),
        from_setting=from_setting,
        change=change,
        previous=_channel_id(previous),
    )


def _channel_id(value: str | None) -> str | None:
    """``value`` if it is a Slack id (safe inside ``<#…>``), else None."""
    return value if is_slack_id(value) else None
