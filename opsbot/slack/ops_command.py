"""The ``/ops`` slash command: ack at once, then do the work and answer privately.

Parsing errors and help need no API call, so they ride on the ack itself.
Everything else is acked empty first and answered through ``response_url``,
so Slack's 3-second limit holds whatever the API or Redis is doing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.services import Services
from opsbot.slack import commands, operations, surfaces, watch_commands
from opsbot.slack.commands import Command, CommandError, parse_command
from opsbot.slack.key_flow import handle_key_command
from opsbot.slack.relaunch_flow import open_relaunch_modal
from opsbot.slack.replies import answer_when_ready, team_key_or_ask
from opsbot.slack.requests import Requester

log = logging.getLogger(__name__)

Message = dict[str, Any]
ApiWork = Callable[[Services, str, Command], Awaitable[list[Message]]]

_API_WORK: Mapping[str, tuple[str, ApiWork]] = {
    commands.LIST: ("Listing operations", lambda s, k, c: operations.list_page(s, k, c.filters)),
    commands.COUNT: ("Counting operations", lambda s, k, c: operations.count(s, k, c.filters)),
    commands.INFO: (
        "Fetching the operation",
        lambda s, k, c: operations.info(s, k, c.operation_id),
    ),
    commands.CANCEL: (
        "Fetching the operation",
        lambda s, k, c: operations.confirm_cancel(s, k, c.operation_id),
    ),
}


def register(app: AsyncApp, services: Services) -> None:
    @app.command("/ops")
    async def ops(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        requester = Requester.of_command(body)
        try:
            command = parse_command(str(body.get("text") or ""))
        except CommandError as error:
            await ack(**_private(_command_error(error)))
            return
        if command.name == commands.HELP:
            await ack(**_private(surfaces.help_message()))
            return
        await ack()
        await run_command(services, client, respond, requester, command)


async def run_command(
    services: Services,
    client: AsyncWebClient,
    respond: AsyncRespond,
    requester: Requester,
    command: Command,
) -> None:
    if command.name == commands.KEY:
        await handle_key_command(services, client, respond, requester, command.key_action)
        return
    if command.name in watch_commands.WATCH_COMMANDS:
        # Listing and unwatching need no key; the module asks for one where it does.
        await watch_commands.run_watch_command(services, client, respond, requester, command)
        return
    key = await team_key_or_ask(services, requester, respond)
    if key is None:
        return
    if command.name == commands.RELAUNCH:
        await open_relaunch_modal(services, client, respond, requester, key, command.operation_id)
        return
    what, work = _API_WORK[command.name]
    await answer_when_ready(respond, work(services, key, command), what=what)


def _command_error(error: CommandError) -> Message:
    return surfaces.error_message(error.message, hint=error.usage, suggestions=error.suggestions)


def _private(message: Message) -> dict[str, Any]:
    return {"text": message["text"], "blocks": message.get("blocks"), "response_type": "ephemeral"}
