"""Socket Mode, with slack_sdk's own aiohttp SocketModeClient as the app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.workspace import ServedWorkspace, Target, Workspace
from tests.workspace.conftest import CHANNEL, JSON, MEMBER, refusal

pytestmark = pytest.mark.usefixtures("bot")

Reply = Callable[[SocketModeRequest], Any]


@contextlib.asynccontextmanager
async def socket_app(
    served: ServedWorkspace, app_token: str, reply: Reply
) -> AsyncIterator[list[SocketModeRequest]]:
    """slack_sdk's SocketModeClient, acking each envelope with ``reply(request)``."""
    served.workspace.app.socket_mode = True
    received: list[SocketModeRequest] = []

    async def listener(client: SocketModeClient, request: SocketModeRequest) -> None:
        received.append(request)
        response = SocketModeResponse(envelope_id=request.envelope_id, payload=reply(request))
        await client.send_socket_mode_response(response)

    client = SocketModeClient(
        app_token=app_token,
        web_client=AsyncWebClient(base_url=served.api_url),
        auto_reconnect_enabled=False,
    )
    listeners: list[Callable[[SocketModeClient, SocketModeRequest], Awaitable[None]]] = [listener]
    client.socket_mode_request_listeners = listeners  # type: ignore[assignment]
    try:
        await client.connect()  # type: ignore[no-untyped-call]
        await served.hub.wait_connected()
        yield received
    finally:
        await client.close()  # type: ignore[no-untyped-call]


def no_payload(_request: SocketModeRequest) -> None:
    return None


async def test_the_app_connects_with_its_app_token_and_is_greeted(
    served: ServedWorkspace, workspace: Workspace
) -> None:
    async with socket_app(served, workspace.app.app_token, no_payload):
        assert served.hub.connections == 1
        assert [c.method for c in workspace.calls] == ["apps.connections.open"]
        assert workspace.feed.of_kind("socket.connected")


async def test_a_wrong_app_token_is_invalid_auth(served: ServedWorkspace) -> None:
    answer = await refusal(
        AsyncWebClient(base_url=served.api_url).apps_connections_open(app_token="xapp-nope")
    )

    assert answer["error"] == "invalid_auth"


async def test_a_slash_command_envelope_is_acked_with_its_answer(
    served: ServedWorkspace, workspace: Workspace
) -> None:
    def help_text(_request: SocketModeRequest) -> JSON:
        return {"response_type": "ephemeral", "text": "Here is the help"}

    async with socket_app(served, workspace.app.app_token, help_text) as received:
        outcome = await served.interactions.slash_command(MEMBER, CHANNEL, "help")

    [request] = received
    assert (request.type, request.payload["command"], request.payload["text"]) == (
        "slash_commands",
        "/ops",
        "help",
    )
    assert request.accepts_response_payload is True
    assert outcome.ok
    assert [e.text for e in workspace.ephemerals_for(MEMBER, CHANNEL)] == ["Here is the help"]


async def test_interactive_envelopes_carry_the_same_payloads(
    served: ServedWorkspace, workspace: Workspace, client: AsyncWebClient
) -> None:
    card = await client.chat_postMessage(
        channel=CHANNEL,
        text="card",
        blocks=[
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "info",
                        "text": {"type": "plain_text", "text": "Info"},
                    }
                ],
            }
        ],
    )

    async with socket_app(served, workspace.app.app_token, no_payload) as received:
        outcome = await served.interactions.click(
            MEMBER, Target.message(CHANNEL, card["ts"]), "info"
        )

    [request] = received
    assert (request.type, request.payload["type"]) == ("interactive", "block_actions")
    assert request.payload["response_url"] == outcome.issued.response_url


async def test_a_view_submission_ack_payload_is_its_response_action(
    served: ServedWorkspace, workspace: Workspace, client: AsyncWebClient
) -> None:
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Key"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            {
                "type": "input",
                "block_id": "key",
                "label": {"type": "plain_text", "text": "API key"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            }
        ],
    }
    opened = await client.views_open(trigger_id=workspace.issue_trigger("T0123", MEMBER), view=view)

    def refuse(_request: SocketModeRequest) -> JSON:
        return {"response_action": "errors", "errors": {"key": "That key does not work"}}

    async with socket_app(served, workspace.app.app_token, refuse):
        outcome = await served.interactions.submit(MEMBER, opened["view"]["id"], {"key": "nope"})

    assert outcome.errors == {"key": "That key does not work"}


async def test_events_arrive_as_events_api_envelopes(
    served: ServedWorkspace, workspace: Workspace
) -> None:
    async with socket_app(served, workspace.app.app_token, no_payload) as received:
        await served.interactions.event(
            "T0123", {"type": "tokens_revoked", "tokens": {"bot": ["U0BOT"]}}
        )

    [request] = received
    assert (request.type, request.payload["event"]["type"]) == ("events_api", "tokens_revoked")
    assert request.accepts_response_payload is False


async def test_no_connection_is_dispatch_failed(
    served: ServedWorkspace, workspace: Workspace
) -> None:
    workspace.app.socket_mode = True

    outcome = await served.interactions.slash_command(MEMBER, CHANNEL, "help")

    assert outcome.failure == "dispatch_failed"
