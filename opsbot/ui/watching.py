"""Following operations: watch cards, thread replies, the lists of watches and subscriptions.

A card lives in a channel and is edited on each step change; each change is
a reply in its thread; the final step is broadcast and mentions the watchers.
The watcher posts these through its outbox, the Slack listeners when someone
starts or stops a watch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar

from opsbot.api.operation import DONE, Operation, can_relaunch
from opsbot.clock import utc_now
from opsbot.ui import humanize, limits, render
from opsbot.ui.common import error_message, notice_message
from opsbot.ui.echo import filters_text
from opsbot.ui.render import Message, render_message
from opsbot.ui.views import SubscriptionView, WatchOutcome, WatchView, watchers_of

if TYPE_CHECKING:
    from opsbot.store.outbox import Post
    from opsbot.store.subscriptions import Subscription
    from opsbot.store.watches import Watch

# The final reply mentions every watcher up to this: a mention is ~14
# characters, so they fit in one section beside the rest.
WATCHERS_MENTIONED: Final = 100
# `/ops watches` and `/ops subscriptions`: rows per section, and sections at most.
LIST_ROWS_PER_SECTION: Final = 5
WATCHES_SHOWN: Final = (limits.MESSAGE_BLOCKS - 3) * LIST_ROWS_PER_SECTION
SUBSCRIPTIONS_SHOWN: Final = (limits.MESSAGE_BLOCKS - 3) * LIST_ROWS_PER_SECTION

# A merged reply shows this many step changes at most (a bouncing operation could have more).
PATH_STEPS_SHOWN: Final = 10

_Row = TypeVar("_Row")


def watch_card_message(watch: Watch, *, now: dt.datetime, channel: str | None = None) -> Message:
    """The card in a channel: type, label, step, who watches; Unwatch until the final step.

    Give ``channel`` to name that channel's watchers only (a card lives in one channel).
    """
    return render_message("watch_card.j2", row=WatchView.of(watch, now, channel=channel))


def watch_step_reply(post: Post, *, now: dt.datetime, earlier: Sequence[Post] = ()) -> Message:
    """A reply in the card's thread: old step → new step, and when.

    ``earlier``: step changes still waiting when ``post`` came, told in the
    same reply as a path (``WAIT → RUN → DONE``, each with its time).
    """
    return render_message(
        "watch_step.j2",
        operation_id=post.op_id,
        old=post.old or humanize.MISSING,
        new=post.new or humanize.MISSING,
        emoji=humanize.step_emoji(post.new),
        at=humanize.when(post.at, now),
        path=step_path([*earlier, post]),
    )


def step_path(steps: Sequence[Post]) -> list[dict[str, str]] | None:
    """The steps one reply tells, for the templates; None for a single change."""
    if len(steps) < 2:
        return None
    shown = steps[-PATH_STEPS_SHOWN:]
    first = "…" if len(steps) > len(shown) else (shown[0].old or humanize.MISSING)
    return [{"step": first, "at": ""}] + [
        {"step": step.new or humanize.MISSING, "at": humanize.clock(step.at)} for step in shown
    ]


def watch_final_reply(  # noqa: PLR0913 - what the reply shows, each a keyword
    watch: Watch,
    post: Post,
    *,
    operation: Operation | None,
    now: dt.datetime,
    earlier: Sequence[Post] = (),
    mention: bool = True,
    read_only: bool = False,
) -> Message:
    """The final step, for reply_broadcast: mentions the watchers of ``post``'s channel.

    ``operation`` (as last polled) brings errortype and last_error; the
    Relaunch button shows where the type and step allow it, unless the
    channel is ``read_only``. Without ``mention`` the watchers were told
    elsewhere (burst mode's summary).
    """
    operation_type = operation.type if operation is not None else watch.type
    # A DONE operation may still carry the error of an earlier, relaunched run.
    last_error = operation.last_error if operation is not None and post.new != DONE else None
    errortype = operation.errortype if operation is not None and post.new != DONE else None
    return render_message(
        "watch_final.j2",
        row=WatchView.of(watch, now, channel=post.channel),
        old=post.old or humanize.MISSING,
        step=post.new or humanize.MISSING,
        emoji=humanize.step_emoji(post.new),
        at=humanize.when(post.at, now),
        mentions=watchers_of(watch, post.channel)[:WATCHERS_MENTIONED] if mention else (),
        errortype=errortype,
        last_error=humanize.code_block_safe(last_error) if last_error else None,
        can_relaunch=can_relaunch(operation_type, post.new) and not read_only,
        path=step_path([*earlier, post]),
    )


def watch_note(text: str) -> Message:
    """A note in a card's thread (paused, expired, no longer visible…)."""
    return render_message("watch_note.j2", text=humanize.nonblank(text, "Note."))


def watch_unwatched_card(
    watch: Watch, *, user_id: str, now: dt.datetime, channel: str | None = None
) -> Message:
    """The card once someone unwatched it here: the last step seen, and a Watch button.

    Give ``channel`` (the card's): a relaunch's or a cancel's announcement keeps saying so.
    """
    return render_message(
        "watch_unwatched.j2",
        row=WatchView.of(watch, now, channel=channel),
        user_id=humanize.slack_user_id(user_id),
    )


def watch_outcomes_message(outcomes: Sequence[WatchOutcome]) -> Message:
    """The private answer to ``/ops watch`` or a Watch click: one line per operation."""
    return render_message("watch_outcomes.j2", outcomes=list(outcomes))


def unwatch_message(op_id: int, *, removed: bool) -> Message:
    if removed:
        return notice_message(f":no_bell: Operation {op_id} is no longer watched in this channel.")
    return error_message(
        f"Operation {op_id} is not watched in this channel.",
        hint="`/ops watches` lists what this channel follows.",
    )


def watches_message(
    watches: Sequence[Watch],
    *,
    now: dt.datetime,
    channel: str | None = None,
    paused: str | None = None,
    muted: tuple[float, str] | None = None,
) -> Message:
    """``/ops watches``: the channel's watches with their current steps.

    ``paused``: why the team's watches are paused, if they are; ``muted``:
    until when (epoch s) and by whom the channel is muted, if it is.
    """
    rows = [
        WatchView.of(watch, now, channel=channel)
        for watch in sorted(watches, key=lambda watch: watch.op_id)
    ]
    context = {
        "total": len(rows),
        "paused": paused,
        "muted_until": humanize.timestamp(dt.datetime.fromtimestamp(muted[0], dt.UTC))
        if muted
        else None,
        "muted_by": humanize.slack_user_id(muted[1]) if muted else None,
    }
    return _listing("watches.j2", rows, WATCHES_SHOWN, context)


def subscribed_message(subscription: Subscription) -> Message:
    """The private answer to ``/ops subscribe``: the subscription's number."""
    return render_message(
        "subscribed.j2",
        number=subscription.number,
        filters=filters_text(subscription.filters),
        only=list(subscription.only),
        # A subscription's cards broadcast failures unless it says otherwise.
        broadcast=subscription.broadcast or "failures",
    )


def subscription_limit_message(count: int, limit: int) -> Message:
    """``/ops subscribe`` when the team has as many subscriptions as it may."""
    return error_message(
        f"No subscription added: this team has {count} subscriptions, and {limit} is its "
        "limit (`OPSBOT_MAX_SUBSCRIPTIONS`).",
        hint="End one with `/ops unsubscribe NUMBER`; `/ops subscriptions` in a channel "
        "lists that channel's, with their numbers.",
    )


def watch_limit_note(limit: int) -> Message:
    """In the thread of a cancel or relaunch report that could not be followed."""
    return watch_note(
        f"This operation is not followed here: this team already watches {limit} operations, "
        "its limit (`OPSBOT_MAX_WATCHES`). `/ops unwatch ID` frees one; "
        "`/ops watch` it then to follow it."
    )


def subscriptions_message(
    subscriptions: Sequence[Subscription], *, now: dt.datetime | None = None
) -> Message:
    """``/ops subscriptions``: this channel's subscriptions, by number."""
    moment = now or utc_now()
    rows = [
        SubscriptionView.of(subscription, moment)
        for subscription in sorted(subscriptions, key=lambda subscription: subscription.number)
    ]
    return _listing("subscriptions.j2", rows, SUBSCRIPTIONS_SHOWN, {"total": len(rows)})


def unsubscribe_message(number: int, *, removed: bool) -> Message:
    if removed:
        return notice_message(
            f"Subscription {number} is ended: no more cards for its new operations."
        )
    return error_message(
        f"This channel has no subscription number {number}.",
        hint="`/ops subscriptions` lists this channel's subscriptions with their numbers.",
    )


def _listing(
    template_name: str, rows: Sequence[_Row], at_most: int, context: dict[str, Any]
) -> Message:
    """``rows`` drawn a few to a section, as many as fit in one message, and how many more."""

    def draw(shown: int) -> Message:
        drawn: Message = render.render(
            template_name,
            sections=_batched(rows[:shown], LIST_ROWS_PER_SECTION),
            more=len(rows) - shown,
            **context,
        )
        return drawn

    # The drawing that fits is fitted as it is, not rendered once more. Through the
    # module, like in_flight.py: tests record what render.render draws.
    return limits.fit_in_place(_as_many_as_fit(min(at_most, len(rows)), draw), "message")


def _as_many_as_fit(most: int, draw: Callable[[int], Message]) -> Message:
    """The drawing of the most rows (up to ``most``) that keeps under Slack's block text limit.

    The blocks allow ``most``; long rows (an API's long labels) may need
    fewer, or Slack refuses the message (msg_blocks_too_long). Bisected:
    the text grows with the rows.
    """
    drawn = draw(most)
    if _fits(drawn):
        return drawn
    fits, too_many = 0, most
    fitting: Message | None = None
    while too_many - fits > 1:
        middle = (fits + too_many) // 2
        candidate = draw(middle)
        if _fits(candidate):
            fits, fitting = middle, candidate
        else:
            too_many = middle
    return fitting if fitting is not None else draw(0)


def _fits(drawn: Message) -> bool:
    return limits.blocks_text_length(drawn.get("blocks")) <= limits.MESSAGE_BLOCKS_TEXT


def _batched(rows: Sequence[_Row], size: int) -> list[list[_Row]]:
    return [list(rows[start : start + size]) for start in range(0, len(rows), size)]
