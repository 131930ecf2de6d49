"""The words the watcher leaves in a card's thread.

They travel through the team's outbox like a step change, so each is
delivered once and survives a crash. What a post does is its kind
(:class:`~opsbot.store.outbox.PostKind`), not its words: a *note*
(:func:`key_removed`, :func:`key_refused`) is said in the thread; a
*farewell* (:func:`expired`, :func:`no_longer_visible`,
:func:`already_ended`) ends its watch once every card has it. The note of
:func:`unreadable` is queued by the store with the watch's flag, once.
"""

from __future__ import annotations

from typing import Final

# The last words of every farewell, for the people reading it.
WATCH_ENDED: Final = "This watch has ended."


def expired(days: int) -> str:
    unit = "day" if days == 1 else "days"
    return f":hourglass: Watched for {days} {unit} without reaching a final step. {WATCH_ENDED}"


def no_longer_visible(op_id: int) -> str:
    return (
        f":ghost: Operation {op_id} is no longer visible with this team's API key"
        f" (deleted, or the key belongs to another account now). {WATCH_ENDED}"
    )


def already_ended(step: str) -> str:
    return f"It was already {step} when the subscription found it. {WATCH_ENDED}"


# What went wrong, in a note: enough to tell one fault from another.
_REASON_CHARS: Final = 200


def unreadable(op_id: int, reason: str, retry_s: float) -> str:
    minutes = max(1, round(retry_s / 60))
    unit = "minute" if minutes == 1 else "minutes"
    shown = reason if len(reason) <= _REASON_CHARS else reason[: _REASON_CHARS - 1] + "…"
    return (
        f":warning: The API describes operation {op_id} in a way opsbot cannot read "
        f"({shown}), so its steps are not followed for now; the other watched operations "
        "carry on. "
        f"It is looked at again every {minutes} {unit}, and followed again once it can be read."
    )


def key_removed() -> str:
    return (
        ":pause_button: Paused: this team has no API key any more. "
        "An admin can set one with `/ops key`; watching resumes then."
    )


def key_refused() -> str:
    return (
        ":pause_button: Paused: the API refuses this team's key. "
        "An admin can set a working one with `/ops key`; watching resumes then."
    )
