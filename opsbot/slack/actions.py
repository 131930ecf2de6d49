"""Buttons on operation messages: Info, Cancel, Relaunch, paging.

Every handler acks first; the API work follows and is answered through
``respond``. Watch and Unwatch belong to the watcher and are wired there.
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.api.errors import ApiError, TemporaryError
from opsbot.api.filters import FilterError, validate_options
from opsbot.services import Services
from opsbot.slack import ids, operations, surfaces
from opsbot.slack.audit_trail import record_action
from opsbot.slack.relaunch_flow import open_relaunch_modal
from opsbot.slack.replies import answer_when_ready, respond_privately, team_key_or_ask
from opsbot.slack.requests import Requester
from opsbot.slack.watch_commands import watch_in_thread
from opsbot.store import audit
from opsbot.store.locks import acquire_action_lock, release_action_lock

log = logging.getLogger(__name__)

Message = dict[str, Any]


def register(app: AsyncApp, services: Services) -> None:
    @app.action(ids.ACTION_INFO)
    async def info(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await _with_key(services, body, respond, _info)

    async def cancel(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        confirmed = body["actions"][0]["action_id"] == ids.ACTION_CANCEL_CONFIRM
        await _cancel(services, body, respond, client, confirmed_in_message=confirmed)

    # A Cancel on a card or a row, and the "Cancel it" answer to `/ops cancel ID`.
    app.action(ids.ACTION_CANCEL)(cancel)
    app.action(ids.ACTION_CANCEL_CONFIRM)(cancel)

    @app.action(ids.ACTION_CANCEL_KEEP)
    async def keep(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(delete_original=True)

    @app.action(ids.ACTION_RELAUNCH)
    async def relaunch(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        requester = Requester.of_interaction(body)
        key = await team_key_or_ask(services, requester, respond)
        if key is not None:
            op_id = _operation_id(body)
            await open_relaunch_modal(services, client, respond, requester, key, op_id)

    @app.action(ids.ACTION_PAGE_PATTERN)
    async def page(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await _with_key(services, body, respond, _page)


def _operation_id(body: dict[str, Any]) -> int:
    return int(body["actions"][0]["value"])


async def _with_key(
    services: Services, body: dict[str, Any], respond: AsyncRespond, work: Any
) -> None:
    requester = Requester.of_interaction(body)
    key = await team_key_or_ask(services, requester, respond)
    if key is not None:
        await work(services, key, body, respond)


async def _info(services: Services, key: str, body: dict[str, Any], respond: AsyncRespond) -> None:
    work = operations.info(services, key, _operation_id(body))
    await answer_when_ready(respond, work, what="Fetching the operation")


async def _page(services: Services, key: str, body: dict[str, Any], respond: AsyncRespond) -> None:
    try:
        state = json.loads(body["actions"][0]["value"])
        filters = {**state["filters"], "page": int(state["page"])}
    except (ValueError, KeyError, TypeError):
        await respond_privately(
            respond,
            surfaces.error_message("This page link is broken; run the list again."),
            replace=False,
        )
        return
    work = _checked_page(services, key, filters)
    await answer_when_ready(respond, work, what="Listing operations", replace=True)


async def _checked_page(services: Services, key: str, filters: dict[str, Any]) -> list[Message]:
    """The page a button asks for: its filters came back from Slack, so they are checked."""
    try:
        checked = validate_options(filters)
    except FilterError as error:
        return [surfaces.error_message(error.message, suggestions=error.suggestions)]
    return await operations.list_page(services, key, checked)


async def _cancel(
    services: Services,
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    *,
    confirmed_in_message: bool,
) -> None:
    """``confirmed_in_message``: clicked in `/ops cancel`'s question, which the report replaces."""
    requester = Requester.of_interaction(body)
    key = await team_key_or_ask(services, requester, respond)
    if key is None:
        return
    try:
        button = surfaces.CancelButtonValue.parse(body["actions"][0]["value"])
    except ValueError:
        message = surfaces.error_message("This Cancel button is broken; run the command again.")
        await respond_privately(respond, message, replace=False)
        return
    op_id = button.op_id
    # Two fast clicks (or two people) reach us as two requests: one cancels.
    # The lock is kept after a success, so a late second click is refused too.
    token = await acquire_action_lock(services.redis, requester.team_id, op_id)
    if token is None:
        message = surfaces.notice_message(f"Operation {op_id} is already being cancelled.")
        await respond_privately(respond, message, replace=False)
        return
    try:
        await services.api.cancel(key, op_id)
    except ApiError as error:
        await release_action_lock(services.redis, requester.team_id, op_id, token)
        await _cancel_failed(services, client, respond, requester, op_id, error, key)
        return
    await record_action(services, client, requester, action=audit.CANCEL, target=str(op_id))
    await _report_cancel(services, client, respond, requester, key, button, confirmed_in_message)


async def _cancel_failed(
    services: Services,
    client: AsyncWebClient,
    respond: AsyncRespond,
    requester: Requester,
    op_id: int,
    error: ApiError,
    key: str,
) -> None:
    await record_action(
        services,
        client,
        requester,
        action=audit.CANCEL,
        target=str(op_id),
        outcome=f"error: {error.kind.value}",
    )
    step = None
    with contextlib.suppress(ApiError):
        step = (await services.api.info(key, op_id)).step
    if isinstance(error, TemporaryError) and error.may_have_run:
        text = (
            f"The API did not answer in time: operation {op_id} may or may not be cancelled "
            f"(it is now in {step or 'an unknown step'}). Check with `/ops info {op_id}`."
        )
        await respond_privately(respond, surfaces.error_message(text), replace=False)
        return
    message = surfaces.api_error_message(error, op_id=op_id, action="cancel", step=step)
    await respond_privately(respond, message, replace=False)


async def _report_cancel(
    services: Services,
    client: AsyncWebClient,
    respond: AsyncRespond,
    requester: Requester,
    key: str,
    button: surfaces.CancelButtonValue,
    confirmed_in_message: bool,
) -> None:
    """Report in the channel, and show the new step where the Cancel was clicked."""
    op_id = button.op_id
    try:
        operation = await services.api.info(key, op_id)
    except ApiError as error:
        await respond_privately(
            respond, surfaces.api_error_message(error, op_id=op_id), replace=False
        )
        return
    report = surfaces.cancel_result_message(operation, user_id=requester.user_id)
    posted = await _post_in_channel(client, requester, report)
    if confirmed_in_message:
        redrawn: Message | None = report
    else:
        redrawn = await operations.redraw_after_cancel(
            services, key, button, operation, user_id=requester.user_id
        )
    if redrawn is not None:
        await respond_privately(respond, redrawn, replace=True)
    elif posted is None:
        # Nothing shows the outcome yet: say it to the person who clicked.
        await respond_privately(respond, report, replace=False)
    if posted is not None:
        # The report's thread follows the operation if it is not over yet.
        channel, ts = posted
        await watch_in_thread(
            services, client, requester, op_id, channel=channel, ts=ts, operation=operation
        )


async def _post_in_channel(
    client: AsyncWebClient, requester: Requester, message: Message
) -> tuple[str, str] | None:
    """Say it where the team can see it: (channel, ts), or None when the bot may not post there."""
    if not requester.channel_id:
        return None
    try:
        reply = await client.chat_postMessage(
            channel=requester.channel_id, text=message["text"], blocks=message["blocks"]
        )
    except SlackApiError as error:
        log.info("could not post in the channel: %s", error.response.get("error"))
        return None
    return str(reply["channel"]), str(reply["ts"])
