"""conversations.open and users.conversations as Slack answers them, scopes included."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from opsbot.workspace import ServedWorkspace, Workspace
from tests.workspace.conftest import (
    ADMIN,
    ARCHIVED,
    CHANNEL,
    MEMBER,
    PRIVATE,
    SECRET,
    TEAM,
    UNJOINED,
    refusal,
)


def client_with(served: ServedWorkspace, workspace: Workspace, *scopes: str) -> AsyncWebClient:
    bot = workspace.install(TEAM, scopes=["chat:write", *scopes])
    return AsyncWebClient(token=bot.bot_token, base_url=served.api_url)


async def test_opening_a_dm_gives_the_persons_channel_and_messages_reach_it(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    opened = await client.conversations_open(users=MEMBER)
    dm = opened["channel"]["id"]
    posted = await client.chat_postMessage(channel=dm, text="operation 123 is DONE")

    assert dm.startswith("D")
    assert workspace.channels[dm].im_user == MEMBER
    assert [m.text for m in workspace.history(dm)] == ["operation 123 is DONE"]
    assert posted["channel"] == dm


async def test_opening_it_again_is_a_no_op_on_the_same_channel(client: AsyncWebClient) -> None:
    first = await client.conversations_open(users=MEMBER)
    again = await client.conversations_open(users=MEMBER, return_im=True)

    assert again["channel"]["id"] == first["channel"]["id"]
    assert (again["no_op"], again["already_open"]) == (True, True)
    assert again["channel"]["is_im"] is True
    assert again["channel"]["user"] == MEMBER
    assert "already_open" not in first.data


async def test_without_im_write_it_is_missing_scope(
    served: ServedWorkspace, workspace: Workspace
) -> None:
    narrow = client_with(served, workspace)

    refused = await refusal(narrow.conversations_open(users=MEMBER))

    assert refused["error"] == "missing_scope"
    assert refused["needed"] == "im:write"


async def test_a_group_dm_needs_mpim_write_which_a_bot_does_not_hold(
    client: AsyncWebClient,
) -> None:
    refused = await refusal(client.conversations_open(users=f"{MEMBER},{ADMIN}"))

    assert (refused["error"], refused["needed"]) == ("missing_scope", "mpim:write")


async def test_unknown_absent_and_deactivated_people(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    workspace.add_user("U0GONE", TEAM, name="gone").deleted = True

    assert (await refusal(client.conversations_open(users="U0NOBODY")))["error"] == (
        "user_not_found"
    )
    # slack_sdk refuses to send it without users; Slack's own answer, asked directly:
    empty = await refusal(client.api_call("conversations.open", json={}))
    assert empty["error"] == "users_list_not_supplied"
    assert (await refusal(client.conversations_open(users="U0GONE")))["error"] == "user_disabled"


async def test_users_conversations_lists_a_persons_channels_the_bot_may_see(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    workspace.add_user("U0NEW", TEAM, name="nel", channels=[CHANNEL])

    listed = await client.users_conversations(
        user=MEMBER, types="public_channel,private_channel", exclude_archived=True
    )
    ids = {channel["id"] for channel in listed["channels"]}
    only_one = await client.users_conversations(user="U0NEW", types="public_channel")

    # The private channel the bot is not in is not listed, nor the archived one.
    assert ids == {CHANNEL, UNJOINED, PRIVATE}
    assert SECRET not in ids
    assert ARCHIVED not in ids
    assert [c["id"] for c in only_one["channels"]] == [CHANNEL]
    assert all("is_member" not in channel for channel in listed["channels"])


async def test_users_conversations_needs_the_read_scope_of_each_type(
    served: ServedWorkspace, workspace: Workspace
) -> None:
    public_only = client_with(served, workspace, "channels:read")

    listed = await public_only.users_conversations(user=MEMBER, types="public_channel")
    refused = await refusal(
        public_only.users_conversations(user=MEMBER, types="public_channel,private_channel")
    )

    assert listed["channels"]
    assert (refused["error"], refused["needed"]) == ("missing_scope", "groups:read")


async def test_users_conversations_pages_with_a_cursor(client: AsyncWebClient) -> None:
    first = await client.users_conversations(user=MEMBER, types="public_channel", limit=1)
    cursor = first["response_metadata"]["next_cursor"]
    second = await client.users_conversations(
        user=MEMBER, types="public_channel", limit=1, cursor=cursor
    )

    assert cursor
    assert first["channels"][0]["id"] != second["channels"][0]["id"]
    assert (await refusal(client.users_conversations(limit=0)))["error"] == "invalid_limit"
