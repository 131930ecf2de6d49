"""The ``/ops`` slash command: ack at once, then do the work and answer privately.

Parsing errors and help need no API call, so they ride on the ack itself.
Everything else is acked empty first and answered through ``response_url``,
so Slack's 3-second limit holds whatever the API or Redis is doing. Which
handler answers, and what it needs first, is the table's say
(:mod:`opsbot.slack.commands`).
"""

from __future__ import annotations

from typing import Any, Final

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.services import Services
from opsbot.slack import commands
from opsbot.slack.commands import SubCommand
from opsbot.slack.grammar import Command, CommandError
from opsbot.slack.interaction import Interaction
from opsbot.slack.requests import Requester
from opsbot.ui.common import error_message
from opsbot.ui.render import Message

# app_manifest.yml declares it; a test keeps the two in step.
COMMAND: Final = "/ops"


def register(app: AsyncApp, services: Services) -> None:
    @app.command(COMMAND)
    async def ops(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        try:
            command = commands.parse_command(str(body.get("text") or ""))
        except CommandError as error:
            await ack(**_private(_command_error(error)))
            return
        entry = commands.BY_NAME[command.name]
        if entry.on_ack is not None:
            await ack(**_private(entry.on_ack()))
            return
        await ack()
        asked = Interaction(services, client, Requester.of_command(body), respond)
        async with asked.reporting_failures(f"/ops {command.name}"):
            await dispatch(entry, asked, command)


async def dispatch(entry: SubCommand, asked: Interaction, command: Command) -> None:
    """Check the entry's guards, then run its handler; a late refusal reads like a parse error."""
    assert entry.run is not None  # entries answered on the ack never get here
    admitted = await asked.admitted(entry.guards)
    if admitted is None:
        return
    try:
        await entry.run(admitted, command)
    except CommandError as error:
        await admitted.tell(_command_error(error, usage=entry.usage))


def _command_error(error: CommandError, *, usage: str = "") -> Message:
    hint = error.usage or usage
    return error_message(error.message, hint=hint, suggestions=error.suggestions)


def _private(message: Message) -> dict[str, Any]:
    return {"text": message["text"], "blocks": message.get("blocks"), "response_type": "ephemeral"}
