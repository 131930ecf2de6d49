"""The messages every feature shares: help, errors, notices, "working on it", API failures."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

from opsbot.api.errors import ApiError
from opsbot.api.operation import CANCELLABLE_STEPS, ERROR
from opsbot.ui.humanize import nonblank, steps_text
from opsbot.ui.render import Message, Modal, render_message, render_modal

SUGGESTIONS_SHOWN: Final = 10


# A help section: its heading and its (form, what it does) lines.
HelpSection = tuple[str, Sequence[tuple[str, str]]]


def help_message(sections: Sequence[HelpSection]) -> Message:
    """``/ops help``, from the sections the table of sub-commands gives."""
    return render_message("help.j2", sections=[(t, list(lines)) for t, lines in sections])


def error_message(
    text: str, *, hint: str | None = None, suggestions: Sequence[str] = ()
) -> Message:
    return render_message(
        "error.j2",
        text=nonblank(text, "Something went wrong."),
        hint=hint,
        suggestions=list(suggestions[:SUGGESTIONS_SHOWN]),
    )


def working_message(what: str) -> Message:
    return render_message("working.j2", what=what)


def notice_message(text: str) -> Message:
    """A short message that is neither an error nor a result."""
    return render_message("notice.j2", text=nonblank(text, "Done."))


def notice_modal(title: str, text: str) -> Modal:
    """A modal that only says something, e.g. while relaunching or when not allowed."""
    return render_modal(
        "notice_modal.j2", title=nonblank(title, "opsbot"), text=nonblank(text, "Done.")
    )


def message_modal(title: str, message: Message) -> Modal:
    """A modal showing ``message``'s words: its plain words and the API's own.

    The blocks are already escaped and within limits; giving their text to
    notice_modal instead would escape it a second time ("&amp;lt;"). A
    message's buttons are left out: they answer in a channel, which a modal
    has not.
    """
    blocks = [block for block in message["blocks"] if block.get("type") != "actions"]
    return {**notice_modal(title, message["text"]), "blocks": blocks}


def api_error_message(
    error: ApiError,
    *,
    op_id: int | None = None,
    action: Literal["cancel", "relaunch"] | None = None,
    step: str | None = None,
) -> Message:
    """An API failure in plain words; ``action`` and ``step`` make a wrong-step error precise."""
    allowed = {"cancel": steps_text(CANCELLABLE_STEPS), "relaunch": ERROR}
    return render_message(
        "api_error.j2",
        kind=error.kind.value,
        operation_id=op_id,
        action=action,
        step=step,
        allowed=allowed.get(action) if action else None,
        message=error.message or "no details",
        code=error.code,
    )
