"""Following operations from Slack: ``/ops watch``, ``unwatch``, ``watches``, and their buttons.

Watching an operation posts its *card* in the channel; the card's ``ts`` is
the thread every step change goes under. From then on the watcher polls the
operation and posts; this module only starts and stops watches
(:func:`opsbot.watching.start_watch`), and answers privately.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Final

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from opsbot.api.errors import ApiError
from opsbot.api.operation import Operation
from opsbot.clock import utc_now
from opsbot.services import Services
from opsbot.slack.direct_messages import open_direct_message
from opsbot.slack.grammar import Command
from opsbot.slack.interaction import (
    IN_CHANNEL,
    IN_CHANNEL_WITH_KEY,
    Interaction,
    on_operation_button,
)
from opsbot.slack.posting import post_paced
from opsbot.slack_web import patiently
from opsbot.store.vault import VaultError
from opsbot.store.watches import BROADCASTS, AddResult, Announced, WatchLimitReached
from opsbot.ui import ids
from opsbot.ui.common import api_error_message, error_message
from opsbot.ui.render import Message
from opsbot.ui.views import WatchOutcome
from opsbot.ui.watching import (
    unwatch_message,
    watch_card_message,
    watch_limit_note,
    watch_note,
    watch_outcomes_message,
    watch_unwatched_card,
    watches_message,
)
from opsbot.watching import Follower, start_watch

log = logging.getLogger(__name__)

_THREAD_NOTE: Final = "Watching: every step change of this operation is posted in this thread."
_NO_DM: Final = (
    "Slack would not open a direct message with you, so nothing is watched. "
    "`/ops watch ID` without `dm` follows it in this channel."
)
_JOINED_NOTE: Final = (
    "This operation is already watched in this channel: its card's thread follows it, "
    "and you will be mentioned when it ends."
)


def register(app: AsyncApp, services: Services) -> None:
    """The Watch button (list rows, info cards) and the Unwatch button (watch cards)."""
    on_operation_button(app, services, ids.ACTION_WATCH, _watch_button, IN_CHANNEL_WITH_KEY)
    on_operation_button(app, services, ids.ACTION_UNWATCH, _unwatch_button, IN_CHANNEL)
    on_operation_button(app, services, ids.ACTION_BROADCAST, _broadcast_button, IN_CHANNEL)


# --- watch -----------------------------------------------------------------------------


async def watch_command(asked: Interaction, command: Command) -> None:
    if command.to_dm:
        await _watch_in_dm(asked, command.operation_ids, broadcast=command.broadcast)
        return
    await _watch(asked, command.operation_ids, broadcast=command.broadcast)


async def _watch_in_dm(asked: Interaction, op_ids: Sequence[int], *, broadcast: str = "") -> None:
    """``/ops watch 123 dm``: the card, its thread and the outcome go to the person's DM.

    The answer to the command itself stays where it was typed, privately.
    """
    dm = await open_direct_message(asked.client, asked.user_id)
    if dm is None:
        await asked.tell(error_message(_NO_DM))
        return
    await asked.answer_when_ready(
        _start_watches(asked, op_ids, channel=dm, broadcast=broadcast), what="Starting to watch"
    )


async def _watch_button(asked: Interaction, op_id: int) -> None:
    await _watch(asked, (op_id,))


async def _watch(asked: Interaction, op_ids: Sequence[int], *, broadcast: str = "") -> None:
    started = _start_watches(asked, op_ids, broadcast=broadcast)
    await asked.answer_when_ready(started, what="Starting to watch")


async def _start_watches(
    asked: Interaction, op_ids: Sequence[int], *, channel: str | None = None, broadcast: str = ""
) -> list[Message]:
    """Watch each of ``op_ids`` in ``channel`` (the channel asked from by default),
    its card broadcasting the end as ``broadcast`` says (unchanged when "")."""
    channel = channel or asked.channel
    try:
        # One call for every id, as the watcher itself polls.
        options = {"id": list(op_ids), "items_per_page": len(op_ids)}
        found = await asked.services.api.list(asked.key, options)
    except ApiError as error:
        only = op_ids[0] if len(op_ids) == 1 else None
        return [api_error_message(error, op_id=only)]
    operations = {operation.id: operation for operation in found}
    outcomes = []
    for op_id in op_ids:
        operation = operations.get(op_id)
        if operation is None:
            outcomes.append(WatchOutcome(op_id, "not_found"))
        elif operation.is_final:
            outcomes.append(WatchOutcome(op_id, "final", operation.step))
        else:
            outcomes.append(await _start_watch(asked, operation, channel))
    if broadcast:
        watches = asked.services.watches
        for outcome in outcomes:
            if outcome.result in ("started", "joined"):
                await watches.set_broadcast(asked.team_id, outcome.op_id, channel, broadcast)
    return [watch_outcomes_message(outcomes)]


async def _start_watch(asked: Interaction, operation: Operation, channel: str) -> WatchOutcome:
    try:
        added = await _add_watch(asked, operation, channel=channel)
    except WatchLimitReached as limit:
        return WatchOutcome(operation.id, "limit", watched=limit.count, limit=limit.limit)
    if added is AddResult.JOINED:
        return WatchOutcome(operation.id, "joined")
    not_posted = await _post_card(asked, operation.id, channel)
    if not_posted:
        await asked.services.watches.remove_card(asked.team_id, operation.id, channel)
        return WatchOutcome(operation.id, "not_posted", not_posted)
    return WatchOutcome(operation.id, "started")


async def _add_watch(
    asked: Interaction,
    operation: Operation,
    *,
    channel: str,
    card_ts: str = "",
    announced: Announced | None = None,
) -> AddResult:
    follower = Follower(asked.team_id, channel, asked.user_id)
    days = asked.services.settings.watch_days
    watches = asked.services.watches
    return await start_watch(
        watches,
        operation,
        follower,
        now=utc_now(),
        days=days,
        card_ts=card_ts,
        announced=announced,
    )


async def _post_card(asked: Interaction, op_id: int, channel: str) -> str | None:
    """Post the card and record its ts; on failure, Slack's reason (the watch is then undone)."""
    watches = asked.services.watches
    watch = await watches.get(asked.team_id, op_id)
    if watch is None:  # unwatched or ended in the meantime: nothing to show
        return None
    card = watch_card_message(watch, now=utc_now(), channel=channel)
    try:
        # A 429 is Slack's "later", not "never": 20 cards in one channel meet it.
        posted = await patiently(
            lambda: post_paced(
                asked.client,
                asked.services.pacing,
                asked.team_id,
                channel,
                text=card["text"],
                blocks=card["blocks"],
            )
        )
    except SlackApiError as error:
        reason = str(error.response.get("error") or "unknown error")
        log.info("could not post a watch card: %s", reason)
        return reason
    await watches.set_card_ts(asked.team_id, op_id, channel, str(posted["ts"]))
    return None


# --- following the result of an action -------------------------------------------------


async def watch_in_thread(
    asked: Interaction,
    op_id: int,
    *,
    channel: str,
    ts: str,
    operation: Operation | None = None,
    announced: Announced | None = None,
) -> None:
    """Follow ``op_id`` under the message ``ts`` that reported a cancel or a relaunch.

    That message becomes the operation's card in ``channel``; the person who
    acted is mentioned when it ends. An operation already final (a cancel
    usually is) is not watched: the report says it all. Pass ``operation``
    when it was just fetched, to save asking the API again, and
    ``announced``, what the message announces (who relaunched and what
    changed, who cancelled, who approved): the card's redraws keep saying it.
    """
    if operation is None or operation.id != op_id:
        operation = await _fetch(asked, op_id)
    if operation is None or operation.is_final:
        return
    try:
        added = await _add_watch(asked, operation, channel=channel, card_ts=ts, announced=announced)
    except WatchLimitReached as limit:
        note = watch_limit_note(limit.limit)
    else:
        # Joined: the thread of the card already in this channel gets the changes.
        note = watch_note(_JOINED_NOTE if added is AddResult.JOINED else _THREAD_NOTE)
    try:
        await post_paced(
            asked.client,
            asked.services.pacing,
            asked.team_id,
            channel,
            thread_ts=ts,
            text=note["text"],
            blocks=note["blocks"],
        )
    except SlackApiError as error:
        log.info("could not say the watch started: %s", error.response.get("error"))


async def _fetch(asked: Interaction, op_id: int) -> Operation | None:
    try:
        key = asked.api_key or await asked.services.team_keys.get(asked.team_id)
    except VaultError:
        return None  # the action's own answer told the person; the watch is skipped
    if key is None:
        return None
    try:
        return await asked.services.api.info(key, op_id)
    except ApiError as error:
        log.info("operation %s not watched after the action: %s", op_id, error.kind.value)
        return None


# --- unwatch and the list of watches ---------------------------------------------------


async def unwatch_command(asked: Interaction, command: Command) -> None:
    removed = await _unwatch(asked, command.operation_id)
    await asked.tell(unwatch_message(command.operation_id, removed=removed))


async def _unwatch_button(asked: Interaction, op_id: int) -> None:
    removed = await _unwatch(asked, op_id, clicked_ts=asked.requester.message_ts)
    if not removed:
        await asked.tell(unwatch_message(op_id, removed=False))


async def _unwatch(asked: Interaction, op_id: int, *, clicked_ts: str | None = None) -> bool:
    """Stop watching ``op_id`` in the channel asked from, and say so on its card."""
    watches, channel = asked.services.watches, asked.channel
    watch = await watches.get(asked.team_id, op_id)
    removed = await watches.remove_card(asked.team_id, op_id, channel)
    card = watch.card(channel) if watch is not None else None
    card_ts = (card.ts if card is not None else "") or clicked_ts
    if removed and watch is not None and card_ts:
        unwatched = watch_unwatched_card(
            watch, user_id=asked.user_id, now=utc_now(), channel=channel
        )
        try:
            await asked.client.chat_update(
                channel=channel, ts=card_ts, text=unwatched["text"], blocks=unwatched["blocks"]
            )
        except SlackApiError as error:
            log.info("could not mark a card unwatched: %s", error.response.get("error"))
    return removed


async def _broadcast_button(asked: Interaction, op_id: int) -> None:
    """The card's Broadcast button: the next preference, shown on the card at once."""
    watches, channel = asked.services.watches, asked.channel
    watch = await watches.get(asked.team_id, op_id)
    card = watch.card(channel) if watch is not None else None
    if card is None:
        await asked.tell(unwatch_message(op_id, removed=False))
        return
    current = BROADCASTS.index(card.broadcast or BROADCASTS[0])
    choice = BROADCASTS[(current + 1) % len(BROADCASTS)]
    await watches.set_broadcast(asked.team_id, op_id, channel, choice)
    changed = await watches.get(asked.team_id, op_id)
    card_ts = card.ts or asked.requester.message_ts
    if changed is None or not card_ts:
        return
    message = watch_card_message(changed, now=utc_now(), channel=channel)
    try:
        await asked.client.chat_update(
            channel=channel, ts=card_ts, text=message["text"], blocks=message["blocks"]
        )
    except SlackApiError as error:
        log.info("could not redraw a card: %s", error.response.get("error"))


async def watches_command(asked: Interaction, _command: Command) -> None:
    watches = asked.services.watches
    in_channel = await watches.in_channel(asked.team_id, asked.channel)
    paused = await asked.services.pauses.reason(asked.team_id)
    mute = await asked.services.mutes.get(asked.team_id, asked.channel)
    muted = (mute.until, mute.by) if mute is not None and mute.until > time.time() else None
    message = watches_message(
        in_channel, now=utc_now(), channel=asked.channel, paused=paused, muted=muted
    )
    await asked.tell(message)
