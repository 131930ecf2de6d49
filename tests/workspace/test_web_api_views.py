"""views.* through slack_sdk: trigger_ids, hashes, stacks, Home tabs, view validation."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.workspace import Manifest, ManualClock, Workspace
from tests.workspace.conftest import MEMBER, TEAM, refusal

JSON = dict[str, Any]


def modal(title: str = "Relaunch", **fields: Any) -> JSON:
    return {
        "type": "modal",
        "callback_id": "relaunch",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Relaunch"},
        "blocks": [
            {
                "type": "input",
                "block_id": "authinfo",
                "label": {"type": "plain_text", "text": "authinfo"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "initial_value": "abc",
                },
            }
        ],
        **fields,
    }


def trigger(workspace: Workspace) -> str:
    return workspace.issue_trigger(TEAM, MEMBER)


async def test_a_trigger_opens_a_modal_for_the_person_who_acted(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    answer = await client.views_open(trigger_id=trigger(workspace), view=modal())

    [view] = workspace.open_views(MEMBER)
    assert answer["view"]["id"] == view.id
    assert answer["view"]["hash"] == view.hash
    # Pre-filled values are in the state from the start.
    assert answer["view"]["state"]["values"] == {
        "authinfo": {"value": {"type": "plain_text_input", "value": "abc"}}
    }


async def test_a_trigger_opens_one_view(client: AsyncWebClient, workspace: Workspace) -> None:
    trigger_id = trigger(workspace)
    await client.views_open(trigger_id=trigger_id, view=modal())

    again = await refusal(client.views_open(trigger_id=trigger_id, view=modal()))

    assert again["error"] == "exchanged_trigger_id"


async def test_a_trigger_expires_after_three_seconds(
    client: AsyncWebClient, workspace: Workspace, clock: ManualClock
) -> None:
    trigger_id = trigger(workspace)
    clock.advance(3.01)

    late = await refusal(client.views_open(trigger_id=trigger_id, view=modal()))

    assert late["error"] == "expired_trigger_id"
    assert workspace.open_views(MEMBER) == []


async def test_a_trigger_used_just_in_time(
    client: AsyncWebClient, workspace: Workspace, clock: ManualClock
) -> None:
    trigger_id = trigger(workspace)
    clock.advance(3.0)

    await client.views_open(trigger_id=trigger_id, view=modal())


async def test_an_unknown_trigger(client: AsyncWebClient) -> None:
    answer = await refusal(client.views_open(trigger_id="1.2.abc", view=modal()))

    assert answer["error"] == "invalid_trigger_id"


async def test_a_refused_view_still_spends_its_trigger(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    trigger_id = trigger(workspace)
    await refusal(client.views_open(trigger_id=trigger_id, view=modal(title="x" * 25)))

    again = await refusal(client.views_open(trigger_id=trigger_id, view=modal()))

    assert again["error"] == "exchanged_trigger_id"


async def test_an_invalid_view_is_invalid_arguments_with_pointers(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    answer = await refusal(
        client.views_open(
            trigger_id=trigger(workspace), view=modal(title="x" * 25, private_metadata="m" * 3001)
        )
    )

    assert answer["error"] == "invalid_arguments"
    assert answer["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]",
        "[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]",
    ]


async def test_an_update_with_a_stale_hash_is_a_hash_conflict(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    opened = await client.views_open(trigger_id=trigger(workspace), view=modal())
    view_id, first_hash = opened["view"]["id"], opened["view"]["hash"]
    updated = await client.views_update(view_id=view_id, hash=first_hash, view=modal("Step 2"))

    stale = await refusal(
        client.views_update(view_id=view_id, hash=first_hash, view=modal("Step 3"))
    )

    assert updated["view"]["hash"] != first_hash
    assert stale["error"] == "hash_conflict"
    await client.views_update(view_id=view_id, hash=updated["view"]["hash"], view=modal("Step 3"))


async def test_an_update_without_a_hash_always_applies(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    opened = await client.views_open(trigger_id=trigger(workspace), view=modal())

    await client.views_update(view_id=opened["view"]["id"], view=modal("Again"))

    assert workspace.views[opened["view"]["id"]].body["title"]["text"] == "Again"


async def test_an_update_keeps_what_the_person_typed(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    opened = await client.views_open(trigger_id=trigger(workspace), view=modal())
    view = workspace.views[opened["view"]["id"]]
    view.state_values["authinfo"]["value"]["value"] = "typed"

    answer = await client.views_update(view_id=view.id, view=modal("Step 2"))

    assert answer["view"]["state"]["values"]["authinfo"]["value"]["value"] == "typed"


async def test_a_closed_modal_cannot_be_updated(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    opened = await client.views_open(trigger_id=trigger(workspace), view=modal())
    workspace.views.clear()

    answer = await refusal(client.views_update(view_id=opened["view"]["id"], view=modal()))

    assert answer["error"] == "not_found"


async def test_a_stack_holds_three_views(client: AsyncWebClient, workspace: Workspace) -> None:
    await client.views_open(trigger_id=trigger(workspace), view=modal())
    for _ in range(2):
        await client.views_push(trigger_id=trigger(workspace), view=modal())

    answer = await refusal(client.views_push(trigger_id=trigger(workspace), view=modal()))

    assert answer["error"] == "push_limit_reached"
    root, *pushed = workspace.open_views(MEMBER)
    assert [v.root_view_id for v in pushed] == [root.id, root.id]


async def test_a_modal_holds_100_blocks(client: AsyncWebClient, workspace: Workspace) -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}

    answer = await refusal(
        client.views_open(trigger_id=trigger(workspace), view=modal(blocks=[section] * 101))
    )

    assert answer["response_metadata"]["messages"] == [
        "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"
    ]


def home() -> JSON:
    return {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}],
    }


async def test_a_home_tab_needs_the_manifest_to_enable_it(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    manifest = workspace.app.manifest
    workspace.app.manifest = Manifest(manifest.bot_scopes, home_tab_enabled=False)

    answer = await refusal(client.views_publish(user_id=MEMBER, view=home()))

    assert answer["error"] == "not_enabled"


@pytest.fixture
def with_home_tab(workspace: Workspace) -> None:
    manifest = workspace.app.manifest
    workspace.app.manifest = Manifest(manifest.bot_scopes, home_tab_enabled=True)


@pytest.mark.usefixtures("with_home_tab")
async def test_a_home_tab_is_published_and_hash_checked(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    first = await client.views_publish(user_id=MEMBER, view=home())

    second = await client.views_publish(user_id=MEMBER, view=home(), hash=first["view"]["hash"])
    stale = await refusal(
        client.views_publish(user_id=MEMBER, view=home(), hash=first["view"]["hash"])
    )

    assert second["view"]["id"] == first["view"]["id"]
    assert stale["error"] == "hash_conflict"
    home_view = workspace.home(TEAM, MEMBER)
    assert home_view is not None
    assert home_view.hash == second["view"]["hash"]


@pytest.mark.usefixtures("with_home_tab")
async def test_a_modal_is_not_a_home_tab(client: AsyncWebClient) -> None:
    answer = await refusal(client.views_publish(user_id=MEMBER, view=modal()))

    assert answer["error"] == "invalid_arguments"
