"""chat.* through slack_sdk's AsyncWebClient: what Slack stores, and what it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.workspace import ManualClock, Workspace
from opsbot.workspace.state import Message
from tests.workspace.conftest import ARCHIVED, CHANNEL, MEMBER, PRIVATE, SECRET, UNJOINED, refusal

SECTION = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hello*"}}]


async def test_a_post_is_stored_in_the_channel_with_the_bots_identity(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    answer = await client.chat_postMessage(channel=CHANNEL, text="hello", blocks=SECTION)

    [message] = workspace.history(CHANNEL)
    assert answer["ts"] == message.ts
    assert answer["message"]["blocks"] == SECTION
    assert (message.text, message.user) == ("hello", f"U0BOT{workspace.channels[CHANNEL].team_id}")
    assert workspace.warnings == []


async def test_a_channel_can_be_named(client: AsyncWebClient) -> None:
    answer = await client.chat_postMessage(channel="#ops", text="hi")

    assert answer["channel"] == CHANNEL


async def test_thread_replies_and_broadcasts(
    client: AsyncWebClient, workspace: Workspace, clock: ManualClock
) -> None:
    card = await client.chat_postMessage(channel=CHANNEL, text="card")
    clock.advance(1)
    await client.chat_postMessage(channel=CHANNEL, text="step", thread_ts=card["ts"])
    clock.advance(1)
    await client.chat_postMessage(
        channel=CHANNEL, text="done", thread_ts=card["ts"], reply_broadcast=True
    )

    assert [m.text for m in workspace.thread(CHANNEL, card["ts"])] == ["step", "done"]
    assert [m.text for m in workspace.history(CHANNEL)] == ["card", "done"]
    assert workspace.message(CHANNEL, card["ts"]).as_slack()["reply_count"] == 2


async def test_a_reply_to_a_reply_is_filed_under_the_parent_with_a_warning(
    client: AsyncWebClient, workspace: Workspace, clock: ManualClock
) -> None:
    card = await client.chat_postMessage(channel=CHANNEL, text="card")
    clock.advance(1)
    reply = await client.chat_postMessage(channel=CHANNEL, text="r1", thread_ts=card["ts"])
    clock.advance(1)
    await client.chat_postMessage(channel=CHANNEL, text="r2", thread_ts=reply["ts"])

    assert [m.text for m in workspace.thread(CHANNEL, card["ts"])] == ["r1", "r2"]
    assert [w.kind for w in workspace.warnings] == ["thread_ts"]


@pytest.mark.parametrize(
    ("channel", "error"),
    [
        ("C0NOPE", "channel_not_found"),
        (SECRET, "channel_not_found"),  # private, the bot is not in it: invisible
        (ARCHIVED, "is_archived"),
        (UNJOINED, "not_in_channel"),  # public, not joined, no chat:write.public
    ],
)
async def test_where_the_bot_cannot_post(
    workspace: Workspace, served: Any, channel: str, error: str
) -> None:
    bot = workspace.install(workspace.channels[CHANNEL].team_id, scopes=["chat:write"])
    client = AsyncWebClient(token=bot.bot_token, base_url=served.api_url)

    answer = await refusal(client.chat_postMessage(channel=channel, text="hi"))

    assert answer["error"] == error
    assert workspace.messages == {}


async def test_chat_write_public_posts_in_a_public_channel_not_joined(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    assert "chat:write.public" in workspace.app.manifest.bot_scopes

    await client.chat_postMessage(channel=UNJOINED, text="hi")

    assert [m.text for m in workspace.history(UNJOINED)] == ["hi"]


async def test_a_private_channel_the_bot_is_in(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    await client.chat_postMessage(channel=PRIVATE, text="hi")

    assert [m.text for m in workspace.history(PRIVATE)] == ["hi"]


async def test_a_message_without_text_or_blocks_is_no_text(client: AsyncWebClient) -> None:
    # api_call: slack_sdk's chat_postMessage would warn before sending it.
    answer = await refusal(client.api_call("chat.postMessage", json={"channel": CHANNEL}))

    assert answer["error"] == "no_text"


async def test_blocks_without_text_are_posted_with_a_warning(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    await client.api_call("chat.postMessage", json={"channel": CHANNEL, "blocks": SECTION})

    assert [w.kind for w in workspace.warnings] == ["missing_text"]
    assert [m.blocks for m in workspace.history(CHANNEL)] == [SECTION]


async def test_invalid_blocks_are_refused_with_slacks_pointers(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    header = [{"type": "header", "text": {"type": "mrkdwn", "text": "*Operation*"}}]

    answer = await refusal(client.chat_postMessage(channel=CHANNEL, text="x", blocks=header))

    assert answer["error"] == "invalid_blocks"
    assert answer["response_metadata"]["messages"] == [
        "[ERROR] must be plain_text [json-pointer:/blocks/0/text/type]"
    ]
    assert workspace.history(CHANNEL) == []


def _button(action_id: str) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": "B"}}


def _option(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value}, "value": value}


@pytest.mark.parametrize(
    ("element", "pointer"),
    [
        (
            {
                "type": "static_select",
                "action_id": "field",
                "option_groups": [
                    {
                        "label": {"type": "plain_text", "text": f"group {g}"},
                        "options": [_option(f"{g}.{i}") for i in range(60 - 19 * g)],
                    }
                    for g in range(2)
                ],  # 60 + 41 = 101 options, each group under 100
            },
            "/blocks/0/elements/1/option_groups",
        ),
        (_button("same"), "/blocks/0/elements/1/action_id"),
    ],
)
async def test_too_many_options_in_all_groups_and_duplicate_action_ids_are_invalid_blocks(
    client: AsyncWebClient, element: dict[str, Any], pointer: str
) -> None:
    blocks = [{"type": "actions", "elements": [_button("same"), element]}]

    answer = await refusal(client.chat_postMessage(channel=CHANNEL, text="x", blocks=blocks))

    assert answer["error"] == "invalid_blocks"
    [message] = answer["response_metadata"]["messages"]
    assert message.endswith(f"[json-pointer:{pointer}]")


async def test_fifty_one_blocks_are_invalid_blocks(client: AsyncWebClient) -> None:
    answer = await refusal(client.chat_postMessage(channel=CHANNEL, text="x", blocks=SECTION * 51))

    assert answer["error"] == "invalid_blocks"


async def test_text_over_4000_characters_is_msg_too_long(client: AsyncWebClient) -> None:
    answer = await refusal(client.chat_postMessage(channel=CHANNEL, text="x" * 4001))

    assert answer["error"] == "msg_too_long"


async def test_too_much_block_text_is_msg_blocks_too_long(client: AsyncWebClient) -> None:
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2500}, "block_id": str(i)}
        for i in range(5)
    ]  # each block is valid; 12,500 characters in all

    answer = await refusal(client.chat_postMessage(channel=CHANNEL, text="x", blocks=blocks))

    assert answer["error"] == "msg_blocks_too_long"


async def test_form_encoded_blocks_are_read_too(
    served: Any, bot: Any, workspace: Workspace
) -> None:
    client = AsyncWebClient(token=bot.bot_token, base_url=served.api_url)

    await client.api_call(
        "chat.postMessage",
        data={"channel": CHANNEL, "text": "t", "blocks": '[{"type": "divider"}]'},
    )

    assert workspace.history(CHANNEL)[0].blocks == [{"type": "divider"}]


async def test_an_update_keeps_the_ts_and_marks_the_edit(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL, text="before", blocks=SECTION)

    answer = await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="after")

    message = workspace.message(CHANNEL, posted["ts"])
    assert answer["ts"] == posted["ts"]
    assert (message.text, message.blocks) == ("after", SECTION)  # blocks not sent are kept
    assert message.edited is not None


async def test_an_update_is_validated_like_a_post(client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL, text="before")

    answer = await refusal(
        client.chat_update(channel=CHANNEL, ts=posted["ts"], text="x", blocks=SECTION * 51)
    )

    assert answer["error"] == "invalid_blocks"


async def test_ephemeral_messages_are_seen_by_one_person_and_kept_out_of_history(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    answer = await client.chat_postEphemeral(channel=CHANNEL, user=MEMBER, text="psst")

    [ephemeral] = workspace.ephemerals_for(MEMBER)
    assert (answer["message_ts"], ephemeral.text) == (ephemeral.ts, "psst")
    assert workspace.history(CHANNEL) == []


async def test_an_ephemeral_message_cannot_be_updated_or_deleted(client: AsyncWebClient) -> None:
    posted = await client.chat_postEphemeral(channel=CHANNEL, user=MEMBER, text="psst")

    updated = await refusal(client.chat_update(channel=CHANNEL, ts=posted["message_ts"], text="x"))
    deleted = await refusal(client.chat_delete(channel=CHANNEL, ts=posted["message_ts"]))

    assert (updated["error"], deleted["error"]) == ("message_not_found", "message_not_found")


async def test_an_ephemeral_message_to_someone_outside_the_channel(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    workspace.add_user("U0NEW", workspace.channels[CHANNEL].team_id)

    answer = await refusal(client.chat_postEphemeral(channel=CHANNEL, user="U0NEW", text="x"))

    assert answer["error"] == "user_not_in_channel"


async def test_someone_elses_message_cannot_be_changed(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    workspace.messages[(CHANNEL, "1.000001")] = Message(CHANNEL, "1.000001", MEMBER, "mine")

    updated = await refusal(client.chat_update(channel=CHANNEL, ts="1.000001", text="x"))
    deleted = await refusal(client.chat_delete(channel=CHANNEL, ts="1.000001"))

    assert (updated["error"], deleted["error"]) == ("cant_update_message", "cant_delete_message")


async def test_delete(client: AsyncWebClient, workspace: Workspace) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL, text="x")

    await client.chat_delete(channel=CHANNEL, ts=posted["ts"])

    assert workspace.history(CHANNEL) == []
    missing = await refusal(client.chat_delete(channel=CHANNEL, ts=posted["ts"]))
    assert missing["error"] == "message_not_found"
