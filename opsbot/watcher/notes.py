"""The notes the watcher leaves in a card's thread, and which of them end a watch.

A note travels through the team's outbox like a step change, so it is
delivered once and survives a crash. Two kinds are special:

- a *farewell* ends its watch: once every card's farewell is delivered, the
  watch is finished (an expired watch, an operation no longer visible). The
  farewell is recognised by its last words, so a worker that picks up the
  outbox after a crash knows it as well as the one that wrote it;
- a note without text only makes sure the card is posted (a subscription's
  new match): nothing is said in the thread.
"""

from __future__ import annotations

from typing import Final

from opsbot.store.outbox import NOTE, Post

WATCH_ENDED: Final = "This watch has ended."
CARD_ONLY: Final = ""


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


def is_farewell(post: Post) -> bool:
    return post.kind == NOTE and post.text.endswith(WATCH_ENDED)


def is_card_only(post: Post) -> bool:
    return post.kind == NOTE and post.text == CARD_ONLY
