"""The line posted in the audit channel for each cancel, relaunch or key change."""

from __future__ import annotations

import datetime as dt

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
