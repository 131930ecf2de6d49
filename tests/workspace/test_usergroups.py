"""User groups: usergroups.list and usergroups.users.list, through slack_sdk's AsyncWebClient."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.workspace import ManualClock, ServedWorkspace, Workspace
from opsbot.workspace.settings import TIER_2
from tests.workspace.conftest import ADMIN, MEMBER, OTHER_TEAM, OWNER, TEAM, refusal

ONCALL = "S0ONCALL"
LEADS = "S0LEADS"


@pytest.fixture(autouse=True)
def groups(workspace: Workspace) -> None:
    workspace.add_usergroup(ONCALL, TEAM, handle="oncall", users=[MEMBER, ADMIN])
    workspace.add_usergroup(LEADS, TEAM, handle="leads", users=[OWNER])
    workspace.add_usergroup("S0PARTNER", OTHER_TEAM, handle="partner", users=["U0GUEST"])


async def test_the_members_of_a_group(client: AsyncWebClient) -> None:
    answer = await client.usergroups_users_list(usergroup=ONCALL)

    assert answer["users"] == [MEMBER, ADMIN]


async def test_a_change_of_members_is_seen_at_once(
    workspace: Workspace, client: AsyncWebClient
) -> None:
    workspace.set_group_members(ONCALL, [ADMIN])

    assert (await client.usergroups_users_list(usergroup=ONCALL))["users"] == [ADMIN]


@pytest.mark.parametrize("group", ["S0NOSUCH", "S0PARTNER"])
async def test_a_group_of_no_one_or_of_another_workspace_is_no_such_subteam(
    client: AsyncWebClient, group: str
) -> None:
    answer = await refusal(client.usergroups_users_list(usergroup=group))

    assert answer["error"] == "no_such_subteam"


async def test_the_group_argument_is_required(client: AsyncWebClient) -> None:
    answer = await refusal(client.api_call("usergroups.users.list", params={}))

    assert answer["error"] == "invalid_arguments"


async def test_the_list_names_the_teams_groups_with_their_members_when_asked(
    client: AsyncWebClient,
) -> None:
    bare = await client.usergroups_list()
    full = await client.usergroups_list(include_users=True)

    assert [(g["id"], g["handle"]) for g in bare["usergroups"]] == [
        (ONCALL, "oncall"),
        (LEADS, "leads"),
    ]
    assert "users" not in bare["usergroups"][0]
    assert full["usergroups"][0]["users"] == [MEMBER, ADMIN]


async def test_a_disabled_group_is_hidden_unless_asked_for(
    workspace: Workspace, client: AsyncWebClient
) -> None:
    workspace.usergroups[LEADS].disabled = True

    listed = await client.usergroups_list()
    with_disabled = await client.usergroups_list(include_disabled=True)
    members = await refusal(client.usergroups_users_list(usergroup=LEADS))

    assert [g["id"] for g in listed["usergroups"]] == [ONCALL]
    assert [g["id"] for g in with_disabled["usergroups"]] == [ONCALL, LEADS]
    assert members["error"] == "no_such_subteam"


@pytest.mark.parametrize("method", ["usergroups.list", "usergroups.users.list"])
async def test_both_need_usergroups_read(
    workspace: Workspace, served: ServedWorkspace, method: str
) -> None:
    bot = workspace.install(TEAM, scopes=["commands", "chat:write", "users:read"])
    client = AsyncWebClient(token=bot.bot_token, base_url=served.api_url)

    answer = await refusal(client.api_call(method, params={"usergroup": ONCALL}))

    assert (answer["error"], answer["needed"]) == ("missing_scope", "usergroups:read")


async def test_members_are_asked_at_tier_2(client: AsyncWebClient, clock: ManualClock) -> None:
    for _ in range(TIER_2.calls):
        await client.usergroups_users_list(usergroup=ONCALL)

    refused = await refusal(client.usergroups_users_list(usergroup=ONCALL))
    clock.advance(TIER_2.seconds)

    assert refused.status_code == 429
    assert (await client.usergroups_users_list(usergroup=ONCALL))["ok"]
