"""The team's API key as people see it: the modal that sets it, its status, the call to set one.

The key itself never appears: the status names who set it, when, and a
fingerprint. A stored key that no longer decrypts is shown as one to set
again, never as a key that is set.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from opsbot.clock import utc_now
from opsbot.ui import humanize
from opsbot.ui.render import Message, Modal, render_message, render_modal


class KeyStatus(Protocol):
    """What the vault knows about a team's key (never the key itself)."""

    @property
    def set_by(self) -> str: ...
    @property
    def set_at(self) -> dt.datetime: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def readable(self) -> bool: ...


def key_required_message() -> Message:
    return render_message("key_required.j2")


def key_unreadable_message() -> Message:
    """A command needs the key, and the stored one cannot be read: it must be set again."""
    return render_message("key_unreadable.j2")


def key_modal(*, error: str | None = None) -> Modal:
    return render_modal("key_modal.j2", error=error)


def key_status_message(status: KeyStatus | None, *, now: dt.datetime | None = None) -> Message:
    if status is None:
        return render_message("key_status.j2", is_set=False, readable=False)
    return render_message(
        "key_status.j2",
        is_set=True,
        readable=status.readable,
        set_by=humanize.slack_user_id(status.set_by),
        set_at=humanize.when(status.set_at, now or utc_now()),
        fingerprint=status.fingerprint,
    )
