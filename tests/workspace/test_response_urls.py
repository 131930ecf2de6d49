"""response_url, through slack_sdk's AsyncWebhookClient (what bolt's ``respond`` uses)."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from opsbot.workspace import ManualClock, Workspace
from tests.workspace.conftest import CHANNEL, MEMBER, TEAM

pytestmark = pytest.mark.usefixtures("bot", "served")


def after_command(workspace: Workspace) -> AsyncWebhookClient:
    """A slash command's response_url: no message carried the command."""
    return AsyncWebhookClient(workspace.issue_response_url(TEAM, CHANNEL, MEMBER, None))


def after_click(workspace: Workspace, ts: str, *, ephemeral: bool = False) -> AsyncWebhookClient:
    """A click's response_url: the message at ``ts`` carried the button."""
    return AsyncWebhookClient(
        workspace.issue_response_url(TEAM, CHANNEL, MEMBER, (CHANNEL, ts, ephemeral))
    )


async def test_an_answer_is_private_by_default(workspace: Workspace) -> None:
    answer = await after_command(workspace).send(text="only you")

    assert (answer.status_code, answer.body) == (200, "ok")
    assert [e.text for e in workspace.ephemerals_for(MEMBER, CHANNEL)] == ["only you"]
    assert workspace.history(CHANNEL) == []


async def test_in_channel_posts_for_everyone(workspace: Workspace) -> None:
    await after_command(workspace).send(text="everyone", response_type="in_channel")

    assert [m.text for m in workspace.history(CHANNEL)] == ["everyone"]


async def test_five_uses_then_used_url(workspace: Workspace) -> None:
    webhook = after_command(workspace)
    for n in range(5):
        assert (await webhook.send(text=str(n))).status_code == 200

    sixth = await webhook.send(text="6")

    assert (sixth.status_code, sixth.body) == (404, "used_url")
    assert len(workspace.ephemerals_for(MEMBER)) == 5


async def test_thirty_minutes_then_expired_url(workspace: Workspace, clock: ManualClock) -> None:
    webhook = after_command(workspace)
    clock.advance(30 * 60)
    assert (await webhook.send(text="just in time")).status_code == 200

    clock.advance(1)
    late = await webhook.send(text="late")

    assert (late.status_code, late.body) == (404, "expired_url")


async def test_replace_original_after_a_slash_command_posts_a_new_message(
    workspace: Workspace,
) -> None:
    webhook = after_command(workspace)
    await webhook.send(text="Working on it…")

    await webhook.send(text="Done", replace_original=True)

    # Both are there: nothing replaced "Working on it…".
    assert [e.text for e in workspace.ephemerals_for(MEMBER)] == ["Working on it…", "Done"]
    assert [w.kind for w in workspace.warnings] == ["replace_without_original"]


async def test_delete_original_after_a_slash_command_deletes_nothing(workspace: Workspace) -> None:
    webhook = after_command(workspace)
    await webhook.send(text="Working on it…")

    await webhook.send_dict({"delete_original": True})

    assert [e.text for e in workspace.ephemerals_for(MEMBER)] == ["Working on it…"]
    assert [w.kind for w in workspace.warnings] == ["delete_without_original"]


async def test_replace_original_replaces_the_message_that_carried_the_button(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    card = await client.chat_postMessage(channel=CHANNEL, text="public card")

    await after_click(workspace, card["ts"]).send(text="replaced", replace_original=True)

    # A public card replaced is replaced for everyone, in place.
    assert [(m.ts, m.text) for m in workspace.history(CHANNEL)] == [(card["ts"], "replaced")]
    assert workspace.ephemerals_for(MEMBER) == []


async def test_without_replace_original_a_click_gets_a_new_private_answer(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    card = await client.chat_postMessage(channel=CHANNEL, text="public card")

    await after_click(workspace, card["ts"]).send(text="details")

    assert [m.text for m in workspace.history(CHANNEL)] == ["public card"]
    assert [e.text for e in workspace.ephemerals_for(MEMBER)] == ["details"]


async def test_delete_original_deletes_the_clicked_message(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    card = await client.chat_postMessage(channel=CHANNEL, text="card")

    await after_click(workspace, card["ts"]).send_dict({"delete_original": True})

    assert workspace.history(CHANNEL) == []


async def test_an_ephemeral_message_is_replaced_through_its_own_response_url(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    posted = await client.chat_postEphemeral(channel=CHANNEL, user=MEMBER, text="page 1")

    await after_click(workspace, posted["message_ts"], ephemeral=True).send(
        text="page 2", replace_original=True
    )

    assert [(e.ts, e.text) for e in workspace.ephemerals_for(MEMBER)] == [
        (posted["message_ts"], "page 2")
    ]


async def test_a_post_slack_cannot_accept(workspace: Workspace) -> None:
    webhook = after_command(workspace)
    header = [{"type": "header", "text": {"type": "mrkdwn", "text": "*x*"}}]

    invalid = await webhook.send(text="x", blocks=header)
    empty = await webhook.send_dict({"response_type": "ephemeral"})

    assert (invalid.status_code, invalid.body) == (400, "invalid_blocks")
    assert (empty.status_code, empty.body) == (400, "no_text")
    assert workspace.ephemerals_for(MEMBER) == []


async def test_an_uninstalled_apps_url_goes_nowhere(workspace: Workspace) -> None:
    webhook = after_command(workspace)
    workspace.revoke(workspace.installation_of(TEAM).bot_token)

    answer = await webhook.send(text="x")

    assert answer.status_code == 404


async def test_refusals_do_not_use_up_the_url(workspace: Workspace) -> None:
    webhook = after_command(workspace)
    for _ in range(5):
        await webhook.send_dict({})

    assert (await webhook.send(text="still works")).status_code == 200
