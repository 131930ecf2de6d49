"""Following operations from Slack: the six watch commands and the Watch/Unwatch buttons.

Watching an operation posts its *card* in the channel; the card's ``ts`` is the
thread every step change goes under. From then on the watcher
(:mod:`opsbot.watcher`) polls the operation and posts; this module only
starts and stops watches and subscriptions, and answers privately.

Commands arrive already acked (see :mod:`opsbot.slack.ops_command`); buttons
are acked here before any work.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.api.errors import ApiError
from opsbot.api.operation import Operation
from opsbot.clock import utc_now
from opsbot.services import Services
from opsbot.slack import commands, ids, surfaces
from opsbot.slack.commands import Command
from opsbot.slack.replies import answer_when_ready, respond_privately, team_key_or_ask
from opsbot.slack.requests import Requester
from opsbot.slack.surfaces import WatchOutcome
from opsbot.store.watches import AddResult
from opsbot.watching import Follower, start_watch

log = logging.getLogger(__name__)

Message = dict[str, Any]
Handler = Callable[[Services, AsyncWebClient, AsyncRespond, Requester, Command], Awaitable[None]]

# Options the watcher sets itself when it looks for a subscription's new
# operations, or that cannot match a new one: refused, with the reason.
_NOT_FOR_SUBSCRIPTIONS: Final[Mapping[str, str]] = {
    "id": "new operations have ids nobody knows yet; `/ops watch ID` follows known ones",
    ">date_created": "a subscription always looks from the last time it looked",
    "sort_by": "new operations are always taken oldest first",
    "page": "a subscription sees every new operation, not a page of them",
    "items_per_page": "a subscription sees every new operation, not a page of them",
}
_IN_A_CHANNEL: Final = "Use this in a channel: watches and subscriptions belong to one."
_THREAD_NOTE: Final = "Watching: every step change of this operation is posted in this thread."
_JOINED_NOTE: Final = (
    "This operation is already watched in this channel: its card's thread follows it, "
    "and you will be mentioned when it ends."
)


# --- entry points the rest of the app calls ------------------------------------------


async def run_watch_command(
    services: Services,
    client: AsyncWebClient,
    respond: AsyncRespond,
    requester: Requester,
    command: Command,
) -> None:
    """Answer an already acked watch command (watch, unwatch, watches, subscribe…)."""
    if await _in_a_channel(requester, respond):
        await _HANDLERS[command.name](services, client, respond, requester, command)


def register(app: AsyncApp, services: Services) -> None:
    """The Watch button (list rows, info cards) and the Unwatch button (watch cards)."""

    @app.action(ids.ACTION_WATCH)
    async def watch(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        requester = Requester.of_interaction(body)
        if await _in_a_channel(requester, respond):
            await _watch(services, client, respond, requester, (_button_operation_id(body),))

    @app.action(ids.ACTION_UNWATCH)
    async def unwatch(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        requester = Requester.of_interaction(body)
        if not await _in_a_channel(requester, respond):
            return
        op_id = _button_operation_id(body)
        removed = await _unwatch(services, client, requester, op_id, clicked_ts=_message_ts(body))
        if not removed:
            message = surfaces.unwatch_message(op_id, removed=False)
            await respond_privately(respond, message, replace=False)


async def watch_in_thread(
    services: Services,
    client: AsyncWebClient,
    requester: Requester,
    op_id: int,
    *,
    channel: str,
    ts: str,
    operation: Operation | None = None,
) -> None:
    """Follow ``op_id`` under the message ``ts`` that reported a cancel or a relaunch.

    That message becomes the operation's card in ``channel``; the person who
    acted is mentioned when it ends. An operation already final (a cancel
    usually is) is not watched: the report says it all. Pass ``operation``
    when it was just fetched, to save asking the API again.
    """
    if operation is None or operation.id != op_id:
        operation = await _fetch(services, requester.team_id, op_id)
    if operation is None or operation.is_final:
        return
    added = await _add_watch(services, requester, operation, channel=channel, card_ts=ts)
    # Joined: the thread of the card already in this channel gets the changes.
    note = surfaces.watch_note(_JOINED_NOTE if added is AddResult.JOINED else _THREAD_NOTE)
    try:
        await client.chat_postMessage(
            channel=channel, thread_ts=ts, text=note["text"], blocks=note["blocks"]
        )
    except SlackApiError as error:
        log.info("could not say the watch started: %s", error.response.get("error"))


async def _fetch(services: Services, team_id: str, op_id: int) -> Operation | None:
    key = await services.team_keys.get(team_id)
    if key is None:
        return None
    try:
        return await services.api.info(key, op_id)
    except ApiError as error:
        log.info("operation %s not watched after the action: %s", op_id, error.kind.value)
        return None


# --- watch -----------------------------------------------------------------------------


async def _watch_command(
    services: Services,
    client: AsyncWebClient,
    respond: AsyncRespond,
    requester: Requester,
    command: Command,
) -> None:
    await _watch(services, client, respond, requester, command.operation_ids)


async def _watch(
    services: Services,
    client: AsyncWebClient,
    respond: AsyncRespond,
    requester: Requester,
    op_ids: Sequence[int],
) -> None:
    key = await team_key_or_ask(services, requester, respond)
    if key is None:
        return
    work = _start_watches(services, client, requester, key, op_ids)
    await answer_when_ready(respond, work, what="Starting to watch")


async def _start_watches(
    services: Services,
    client: AsyncWebClient,
    requester: Requester,
    key: str,
    op_ids: Sequence[int],
) -> list[Message]:
    try:
        # One call for every id, as the watcher itself polls.
        found = await services.api.list(key, {"id": list(op_ids), "items_per_page": len(op_ids)})
    except ApiError as error:
        only = op_ids[0] if len(op_ids) == 1 else None
        return [surfaces.api_error_message(error, op_id=only)]
    operations = {operation.id: operation for operation in found}
    outcomes = []
    for op_id in op_ids:
        operation = operations.get(op_id)
        if operation is None:
            outcomes.append(WatchOutcome(op_id, "not_found"))
        elif operation.is_final:
            outcomes.append(WatchOutcome(op_id, "final", operation.step))
        else:
            outcomes.append(await _start_watch(services, client, requester, operation))
    return [surfaces.watch_outcomes_message(outcomes)]


async def _start_watch(
    services: Services, client: AsyncWebClient, requester: Requester, operation: Operation
) -> WatchOutcome:
    channel = _channel(requester)
    added = await _add_watch(services, requester, operation, channel=channel)
    if added is AddResult.JOINED:
        return WatchOutcome(operation.id, "joined")
    not_posted = await _post_card(services, client, requester.team_id, operation.id, channel)
    if not_posted:
        await services.watches.remove_card(requester.team_id, operation.id, channel)
        return WatchOutcome(operation.id, "not_posted", not_posted)
    return WatchOutcome(operation.id, "started")


async def _add_watch(
    services: Services,
    requester: Requester,
    operation: Operation,
    *,
    channel: str,
    card_ts: str = "",
) -> AddResult:
    follower = Follower(requester.team_id, channel, requester.user_id)
    days = services.settings.watch_days
    return await start_watch(
        services.watches, operation, follower, now=utc_now(), days=days, card_ts=card_ts
    )


async def _post_card(
    services: Services, client: AsyncWebClient, team_id: str, op_id: int, channel: str
) -> str | None:
    """Post the card and record its ts; on failure, Slack's reason (the watch is then undone)."""
    watch = await services.watches.get(team_id, op_id)
    if watch is None:  # unwatched or ended in the meantime: nothing to show
        return None
    card = surfaces.watch_card_message(watch, now=utc_now(), channel=channel)
    try:
        posted = await client.chat_postMessage(
            channel=channel, text=card["text"], blocks=card["blocks"]
        )
    except SlackApiError as error:
        reason = str(error.response.get("error") or "unknown error")
        log.info("could not post a watch card: %s", reason)
        return reason
    await services.watches.set_card_ts(team_id, op_id, channel, str(posted["ts"]))
    return None


# --- unwatch and the list of watches ---------------------------------------------------------


async def _unwatch_command(
    services: Services,
    client: AsyncWebClient,
    respond: AsyncRespond,
    requester: Requester,
    command: Command,
) -> None:
    removed = await _unwatch(services, client, requester, command.operation_id)
    message = surfaces.unwatch_message(command.operation_id, removed=removed)
    await respond_privately(respond, message, replace=False)


async def _unwatch(
    services: Services,
    client: AsyncWebClient,
    requester: Requester,
    op_id: int,
    *,
    clicked_ts: str | None = None,
) -> bool:
    """Stop watching ``op_id`` in the requester's channel and say so on its card."""
    channel = _channel(requester)
    watch = await services.watches.get(requester.team_id, op_id)
    removed = await services.watches.remove_card(requester.team_id, op_id, channel)
    card = watch.card(channel) if watch is not None else None
    card_ts = (card.ts if card is not None else "") or clicked_ts
    if removed and watch is not None and card_ts:
        unwatched = surfaces.watch_unwatched_card(watch, user_id=requester.user_id, now=utc_now())
        try:
            await client.chat_update(
                channel=channel, ts=card_ts, text=unwatched["text"], blocks=unwatched["blocks"]
            )
        except SlackApiError as error:
            log.info("could not mark a card unwatched: %s", error.response.get("error"))
    return removed


async def _watches_command(
    services: Services,
    client: AsyncWebClient,
    respond: AsyncRespond,
    requester: Requester,
    command: Command,
) -> None:
    team_id = requester.team_id
    channel = _channel(requester)
    watches = await services.watches.in_channel(team_id, channel)
    paused = await services.watches.paused(team_id)
    message = surfaces.watches_message(watches, now=utc_now(), channel=channel, paused=paused)
    await respond_privately(respond, message, replace=False)


# --- subscriptions ---------------------------------------------------------------------


async def _subscribe_command(
    services: Services,
    client: AsyncWebClient,
    respond: AsyncRespond,
    requester: Requester,
    command: Command,
) -> None:
    refused = _refused_filter(command.filters)
    if refused is not None:
        await respond_privately(respond, refused, replace=False)
        return
    if await team_key_or_ask(services, requester, respond) is None:
        return
    now = utc_now()
    subscription = await services.subscriptions.add(
        requester.team_id,
        channel=_channel(requester),
        filters=command.filters,
        created_by=requester.user_id,
        now=now,
    )
    # The watcher only visits teams on the schedule: put this one there now.
    await services.schedule.wake(requester.team_id, now.timestamp())
    await respond_privately(respond, surfaces.subscribed_message(subscription), replace=False)


def _refused_filter(filters: Mapping[str, Any]) -> Message | None:
    for name, why in _NOT_FOR_SUBSCRIPTIONS.items():
        if name in filters:
            return surfaces.error_message(
                f"`{name}` cannot be used in a subscription: {why}.",
                hint=commands.USAGE[commands.SUBSCRIBE],
            )
    return None


async def _subscriptions_command(
    services: Services,
    client: AsyncWebClient,
    respond: AsyncRespond,
    requester: Requester,
    command: Command,
) -> None:
    subscriptions = await services.subscriptions.list(requester.team_id, _channel(requester))
    message = surfaces.subscriptions_message(subscriptions, now=utc_now())
    await respond_privately(respond, message, replace=False)


async def _unsubscribe_command(
    services: Services,
    client: AsyncWebClient,
    respond: AsyncRespond,
    requester: Requester,
    command: Command,
) -> None:
    number = command.subscription
    assert number is not None  # the grammar requires it
    # Numbers are per team: only this channel's own subscriptions can be ended here.
    own = await services.subscriptions.list(requester.team_id, _channel(requester))
    removed = False
    if any(subscription.number == number for subscription in own):
        removed = await services.subscriptions.remove(requester.team_id, number)
    message = surfaces.unsubscribe_message(number, removed=removed)
    await respond_privately(respond, message, replace=False)


# --- small helpers ---------------------------------------------------------------------


_HANDLERS: Final[Mapping[str, Handler]] = {
    commands.WATCH: _watch_command,
    commands.UNWATCH: _unwatch_command,
    commands.WATCHES: _watches_command,
    commands.SUBSCRIBE: _subscribe_command,
    commands.SUBSCRIPTIONS: _subscriptions_command,
    commands.UNSUBSCRIBE: _unsubscribe_command,
}
WATCH_COMMANDS: Final = frozenset(_HANDLERS)


async def _in_a_channel(requester: Requester, respond: AsyncRespond) -> bool:
    """Whether the request came from a channel; if not, say that it must."""
    if requester.channel_id:
        return True
    await respond_privately(respond, surfaces.error_message(_IN_A_CHANNEL), replace=False)
    return False


def _channel(requester: Requester) -> str:
    assert requester.channel_id is not None  # checked by every entry point
    return requester.channel_id


def _button_operation_id(body: Mapping[str, Any]) -> int:
    return int(body["actions"][0]["value"])


def _message_ts(body: Mapping[str, Any]) -> str | None:
    message = body.get("message") or {}
    ts = message.get("ts") or (body.get("container") or {}).get("message_ts")
    return str(ts) if ts else None
