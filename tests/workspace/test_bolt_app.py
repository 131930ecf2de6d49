"""A real bolt AsyncApp against the workspace: the way opsbot will meet it.

Bolt verifies the workspace's signatures, reads its payloads, answers through
its Web API and response_urls, and the workspace holds it to Slack's rules.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.workspace import ServedWorkspace, Target, Workspace
from opsbot.workspace.state import Installation
from tests.workspace.conftest import CHANNEL, MEMBER

CARD = [
    {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "details",
                "text": {"type": "plain_text", "text": "Details"},
            },
            {
                "type": "button",
                "action_id": "form",
                "text": {"type": "plain_text", "text": "Relaunch"},
            },
        ],
    }
]


def bolt_app(served: ServedWorkspace, bot: Installation) -> AsyncApp:
    app = AsyncApp(
        client=AsyncWebClient(token=bot.bot_token, base_url=served.api_url),
        signing_secret=served.workspace.app.signing_secret,
    )

    @app.command("/ops")
    async def ops(ack: AsyncAck, respond: AsyncRespond, command: dict[str, Any]) -> None:
        await ack("Working on it…")
        await respond(text=f"Done: {command['text']}", replace_original=True)

    @app.action("details")
    async def details(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(text="Details, privately", replace_original=False)

    @app.action("form")
    async def form(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(
            trigger_id=body["trigger_id"],
            view={
                "type": "modal",
                "title": {"type": "plain_text", "text": "Relaunch"},
                "blocks": [],
            },
        )

    return app


@pytest.fixture
async def bolt(served: ServedWorkspace, bot: Installation) -> AsyncIterator[AsyncApp]:
    app = bolt_app(served, bot)
    runner = web.AppRunner(app.web_app(), shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    served.workspace.app.request_url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    try:
        yield app
    finally:
        await runner.cleanup()


@pytest.mark.usefixtures("bolt")
async def test_a_command_acked_then_answered_leaves_both_messages(
    served: ServedWorkspace, workspace: Workspace
) -> None:
    outcome = await served.interactions.slash_command(MEMBER, CHANNEL, "list")
    await workspace.feed.wait_for("ephemeral.posted", count=2)

    assert outcome.ok
    # Slack has no original for a slash command: "replace" posted a second message.
    # Which shows first is a race: bolt answers through the response_url while
    # its ack is still on the way, so "Working on it…" can even come last.
    assert sorted(e.text for e in workspace.ephemerals_for(MEMBER)) == [
        "Done: list",
        "Working on it…",
    ]
    assert [w.kind for w in workspace.warnings] == ["replace_without_original"]


@pytest.mark.usefixtures("bolt")
async def test_a_click_answers_privately_and_opens_a_modal_with_its_trigger(
    served: ServedWorkspace, workspace: Workspace, client: AsyncWebClient
) -> None:
    card = await client.chat_postMessage(channel=CHANNEL, text="card", blocks=CARD)

    await served.interactions.click(MEMBER, Target.message(CHANNEL, card["ts"]), "details")
    await workspace.feed.wait_for("ephemeral.posted")
    await served.interactions.click(MEMBER, Target.message(CHANNEL, card["ts"]), "form")
    await workspace.feed.wait_for("view.opened")

    assert [m.text for m in workspace.history(CHANNEL)] == ["card"]
    assert [e.text for e in workspace.ephemerals_for(MEMBER)] == ["Details, privately"]
    assert [v.body["title"]["text"] for v in workspace.open_views(MEMBER)] == ["Relaunch"]
