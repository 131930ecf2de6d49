"""Tokens, scopes, people and installations, through slack_sdk's AsyncWebClient."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.workspace import Manifest, ManualClock, ServedWorkspace, Workspace
from opsbot.workspace.state import Installation
from tests.workspace.conftest import (
    ADMIN,
    CHANNEL,
    GUEST,
    MEMBER,
    OTHER_TEAM,
    OWNER,
    PRIVATE,
    SECRET,
    TEAM,
    refusal,
)


def client_for(served: ServedWorkspace, token: str | None) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=served.api_url)


async def test_auth_test_names_the_bot_and_its_team(
    client: AsyncWebClient, bot: Installation
) -> None:
    answer = await client.auth_test()

    assert (answer["team_id"], answer["user_id"], answer["bot_id"]) == (
        TEAM,
        bot.bot_user_id,
        bot.bot_id,
    )
    assert answer["enterprise_id"] is None


async def test_an_enterprise_grid_workspace(workspace: Workspace, served: ServedWorkspace) -> None:
    workspace.add_team("T0GRID", enterprise_id="E0ORG", enterprise_name="Org")
    grid_bot = workspace.install("T0GRID")

    answer = await client_for(served, grid_bot.bot_token).auth_test()

    assert (answer["team_id"], answer["enterprise_id"]) == ("T0GRID", "E0ORG")


@pytest.mark.parametrize(
    ("token", "error"),
    [(None, "not_authed"), ("xoxb-nobody", "invalid_auth")],
)
async def test_unknown_tokens(served: ServedWorkspace, token: str | None, error: str) -> None:
    answer = await refusal(client_for(served, token).auth_test())

    assert answer["error"] == error


async def test_a_revoked_token(
    client: AsyncWebClient, workspace: Workspace, bot: Installation
) -> None:
    workspace.revoke(bot.bot_token)

    answer = await refusal(client.chat_postMessage(channel=CHANNEL, text="x"))

    assert answer["error"] == "token_revoked"


async def test_a_deleted_workspace(client: AsyncWebClient, workspace: Workspace) -> None:
    workspace.deactivate(TEAM)

    answer = await refusal(client.auth_test())

    assert answer["error"] == "account_inactive"


async def test_each_method_needs_its_scope(workspace: Workspace, served: ServedWorkspace) -> None:
    narrow = workspace.install(TEAM, scopes=["commands", "chat:write"])

    answer = await refusal(client_for(served, narrow.bot_token).users_info(user=MEMBER))

    assert answer["error"] == "missing_scope"
    assert (answer["needed"], answer["provided"]) == ("users:read", "chat:write,commands")


async def test_posting_needs_chat_write(workspace: Workspace, served: ServedWorkspace) -> None:
    narrow = workspace.install(TEAM, scopes=["users:read"])

    answer = await refusal(
        client_for(served, narrow.bot_token).chat_postMessage(channel=CHANNEL, text="x")
    )

    assert (answer["error"], answer["needed"]) == ("missing_scope", "chat:write")


async def test_the_manifests_scopes_are_granted_by_default(
    client: AsyncWebClient, bot: Installation
) -> None:
    answer = await client.auth_test()

    assert bot.scopes == Manifest.read().bot_scopes
    assert set(answer.headers["X-OAuth-Scopes"].split(",")) == set(bot.scopes)


async def test_conversations_info_needs_the_read_scope_of_the_channels_kind(
    workspace: Workspace, served: ServedWorkspace
) -> None:
    reader = client_for(served, workspace.install(TEAM, scopes=["channels:read"]).bot_token)

    public = await reader.conversations_info(channel=CHANNEL)
    private = await refusal(reader.conversations_info(channel=PRIVATE))
    invisible = await refusal(reader.conversations_info(channel=SECRET))

    assert (public["channel"]["is_member"], public["channel"]["is_private"]) == (True, False)
    assert (private["error"], private["needed"]) == ("missing_scope", "groups:read")
    assert invisible["error"] == "channel_not_found"


async def test_conversations_info_needs_channels_read(
    served: ServedWorkspace, workspace: Workspace
) -> None:
    """An installation without channels:read is refused conversations.info."""
    narrow = client_for(served, workspace.install(TEAM, scopes=["chat:write"]).bot_token)

    answer = await refusal(narrow.conversations_info(channel=CHANNEL))

    assert (answer["error"], answer["needed"]) == ("missing_scope", "channels:read")


@pytest.mark.parametrize(
    ("user", "admin", "owner"),
    [(MEMBER, False, False), (ADMIN, True, False), (OWNER, True, True)],
)
async def test_users_info_roles(
    client: AsyncWebClient, user: str, admin: bool, owner: bool
) -> None:
    answer = await client.users_info(user=user)

    assert (answer["user"]["is_admin"], answer["user"]["is_owner"]) == (admin, owner)
    assert answer["user"]["team_id"] == TEAM


async def test_a_guest_from_another_workspace_carries_their_own_team(
    client: AsyncWebClient,
) -> None:
    answer = await client.users_info(user=GUEST)

    # An admin of the partner workspace: is_admin says nothing about this one.
    assert (answer["user"]["team_id"], answer["user"]["is_admin"]) == (OTHER_TEAM, True)


async def test_someone_nobody_here_can_see(client: AsyncWebClient, workspace: Workspace) -> None:
    workspace.add_user("U0STRANGER", OTHER_TEAM)

    answer = await refusal(client.users_info(user="U0STRANGER"))

    assert answer["error"] == "user_not_found"


async def test_an_unknown_method(client: AsyncWebClient) -> None:
    answer = await refusal(client.api_call("chat.scheduleMessage"))

    assert answer["error"] == "unknown_method"


async def test_every_call_is_recorded(client: AsyncWebClient, workspace: Workspace) -> None:
    await client.chat_postMessage(channel=CHANNEL, text="x")
    await refusal(client.chat_postMessage(channel="C0NOPE", text="x"))

    assert [(c.method, c.error) for c in workspace.calls] == [
        ("chat.postMessage", None),
        ("chat.postMessage", "channel_not_found"),
    ]
    assert workspace.calls[0].args["text"] == "x"


# --- OAuth --------------------------------------------------------------------------------


async def test_oauth_exchange_with_basic_client_auth(
    workspace: Workspace, served: ServedWorkspace
) -> None:
    workspace.add_team("T0GRID", enterprise_id="E0ORG", enterprise_name="Org")
    code = workspace.grant_code("T0GRID", installer="U0INSTALLER")

    answer = await AsyncWebClient(base_url=served.api_url).oauth_v2_access(
        client_id=workspace.app.client_id, client_secret=workspace.app.client_secret, code=code
    )

    assert answer["team"]["id"] == "T0GRID"
    assert answer["enterprise"] == {"id": "E0ORG", "name": "Org"}
    assert answer["is_enterprise_install"] is False
    assert answer["authed_user"]["id"] == "U0INSTALLER"
    posted = await client_for(served, answer["access_token"]).auth_test()
    assert posted["enterprise_id"] == "E0ORG"


async def test_a_code_works_once(workspace: Workspace, served: ServedWorkspace) -> None:
    code = workspace.grant_code(TEAM, installer=ADMIN)
    oauth = AsyncWebClient(base_url=served.api_url)
    app = workspace.app
    await oauth.oauth_v2_access(client_id=app.client_id, client_secret=app.client_secret, code=code)

    again = await refusal(
        oauth.oauth_v2_access(client_id=app.client_id, client_secret=app.client_secret, code=code)
    )

    assert again["error"] == "invalid_code"


async def test_wrong_client_credentials(workspace: Workspace, served: ServedWorkspace) -> None:
    code = workspace.grant_code(TEAM, installer=ADMIN)
    oauth = AsyncWebClient(base_url=served.api_url)

    wrong_id = await refusal(oauth.oauth_v2_access(client_id="x", client_secret="y", code=code))
    wrong_secret = await refusal(
        oauth.oauth_v2_access(client_id=workspace.app.client_id, client_secret="y", code=code)
    )

    assert (wrong_id["error"], wrong_secret["error"]) == ("invalid_client_id", "bad_client_secret")


async def test_uninstalling_revokes_the_workspaces_tokens(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    await client.apps_uninstall(
        client_id=workspace.app.client_id, client_secret=workspace.app.client_secret
    )

    answer = await refusal(client.auth_test())

    assert answer["error"] == "token_revoked"


async def test_rotated_tokens_expire_and_are_refreshed(
    workspace: Workspace, served: ServedWorkspace, clock: ManualClock
) -> None:
    workspace.app.manifest = Manifest(frozenset({"chat:write"}), token_rotation=True)
    oauth = AsyncWebClient(base_url=served.api_url)
    app = workspace.app
    code = workspace.grant_code(TEAM, installer=ADMIN)
    first = await oauth.oauth_v2_access(
        client_id=app.client_id, client_secret=app.client_secret, code=code
    )
    assert first["expires_in"] == 12 * 60 * 60

    clock.advance(12 * 60 * 60)
    expired = await refusal(client_for(served, first["access_token"]).auth_test())
    renewed = await oauth.oauth_v2_access(
        client_id=app.client_id,
        client_secret=app.client_secret,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
    )

    assert expired["error"] == "token_expired"
    assert (await client_for(served, renewed["access_token"]).auth_test())["team_id"] == TEAM


async def test_a_plain_http_client_gets_slacks_json(
    served: ServedWorkspace, bot: Installation
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            served.api_url + "chat.postMessage",
            data={"token": bot.bot_token, "channel": "C0NOPE", "text": "x"},
        ) as response,
    ):
        body = await response.json()

    assert (response.status, body) == (200, {"ok": False, "error": "channel_not_found"})
