"""Requests delivered to the app over HTTP: signed, acked within 3 s, the ack applied."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.workspace import Limits, ServedWorkspace, Target, Workspace, WorkspaceSettings
from tests.workspace.conftest import (
    CHANNEL,
    GUEST,
    JSON,
    MEMBER,
    OTHER_TEAM,
    TEAM,
    AppStub,
    answer_with,
)

pytestmark = pytest.mark.usefixtures("bot")

BUTTONS = [
    {
        "type": "actions",
        "block_id": "row",
        "elements": [
            {
                "type": "button",
                "action_id": "info",
                "text": {"type": "plain_text", "text": "Info"},
                "value": "123",
            },
            {
                "type": "static_select",
                "action_id": "page",
                "placeholder": {"type": "plain_text", "text": "Page"},
                "options": [{"text": {"type": "plain_text", "text": "2"}, "value": "2"}],
            },
        ],
    }
]


def form(**fields: Any) -> JSON:
    return {
        "type": "modal",
        "callback_id": "relaunch",
        "title": {"type": "plain_text", "text": "Relaunch"},
        "submit": {"type": "plain_text", "text": "Relaunch"},
        "private_metadata": "123",
        "blocks": [
            {
                "type": "input",
                "block_id": "authinfo",
                "label": {"type": "plain_text", "text": "authinfo"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "initial_value": "old",
                },
            },
            {
                "type": "input",
                "block_id": "comment",
                "optional": True,
                "label": {"type": "plain_text", "text": "Comment"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            },
            {
                "type": "input",
                "block_id": "field",
                "optional": True,
                "label": {"type": "plain_text", "text": "Add a field"},
                "element": {"type": "external_select", "action_id": "pick", "min_query_length": 1},
            },
        ],
        **fields,
    }


async def opened_form(client: AsyncWebClient, workspace: Workspace, **fields: Any) -> str:
    answer = await client.views_open(
        trigger_id=workspace.issue_trigger(TEAM, MEMBER), view=form(**fields)
    )
    return str(answer["view"]["id"])


# --- slash commands --------------------------------------------------------------------


async def test_a_slash_command_is_signed_form_encoded_and_carries_a_trigger_and_response_url(
    served: ServedWorkspace, app: AppStub
) -> None:
    outcome = await served.interactions.slash_command(MEMBER, CHANNEL, "list step=ERROR")

    [(kind, fields, headers)] = app.received
    assert kind == "slash_command"  # the stub answers 401 to a bad signature: this one passed
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert {k: fields[k] for k in ("command", "text", "team_id", "channel_id", "user_id")} == {
        "command": "/ops",
        "text": "list step=ERROR",
        "team_id": TEAM,
        "channel_id": CHANNEL,
        "user_id": MEMBER,
    }
    assert (fields["trigger_id"], fields["response_url"]) == (
        outcome.issued.trigger_id,
        outcome.issued.response_url,
    )
    assert outcome.ok


async def test_a_text_ack_is_a_private_answer(
    served: ServedWorkspace, app: AppStub, workspace: Workspace
) -> None:
    app.answer = answer_with("Here is the help")

    await served.interactions.slash_command(MEMBER, CHANNEL, "help")

    assert [e.text for e in workspace.ephemerals_for(MEMBER, CHANNEL)] == ["Here is the help"]


async def test_an_in_channel_ack_is_posted_for_everyone(
    served: ServedWorkspace, app: AppStub, workspace: Workspace
) -> None:
    app.answer = answer_with({"response_type": "in_channel", "text": "Cancelled 123"})

    await served.interactions.slash_command(MEMBER, CHANNEL, "cancel 123")

    assert [m.text for m in workspace.history(CHANNEL)] == ["Cancelled 123"]


async def test_an_ack_with_invalid_blocks_fails_in_front_of_the_person(
    served: ServedWorkspace, app: AppStub, workspace: Workspace
) -> None:
    app.answer = answer_with({"text": "x", "blocks": [{"type": "section"}]})

    outcome = await served.interactions.slash_command(MEMBER, CHANNEL, "help")

    assert outcome.failure == "invalid_ack: invalid_blocks"
    assert workspace.ephemerals_for(MEMBER) == []


async def test_a_late_ack_is_operation_timeout(
    served: ServedWorkspace, app: AppStub, workspace: Workspace
) -> None:
    workspace.settings = WorkspaceSettings(limits=Limits(ack_seconds=0.2))
    app.answer = answer_with("too late", delay=1.0)

    outcome = await served.interactions.slash_command(MEMBER, CHANNEL, "help")

    assert outcome.failure == "operation_timeout"
    assert workspace.ephemerals_for(MEMBER) == []


async def test_an_error_status_fails(served: ServedWorkspace, app: AppStub) -> None:
    app.answer = answer_with(None, status=500)

    outcome = await served.interactions.slash_command(MEMBER, CHANNEL, "help")

    assert outcome.failure == "http_500"


async def test_a_wrong_signing_secret_is_refused_by_the_app(
    served: ServedWorkspace, app: AppStub, workspace: Workspace
) -> None:
    workspace.app.signing_secret = "not-the-apps-secret"

    outcome = await served.interactions.slash_command(MEMBER, CHANNEL, "help")

    assert (outcome.failure, app.received) == ("http_401", [])


async def test_an_enterprise_grid_command_names_the_org(
    served: ServedWorkspace, app: AppStub, workspace: Workspace
) -> None:
    workspace.add_team("T0GRID", enterprise_id="E0ORG", enterprise_name="Org")
    workspace.add_channel("C0GRID", "T0GRID")
    workspace.add_user("U0GRID", "T0GRID", channels=["C0GRID"])
    workspace.install("T0GRID")

    await served.interactions.slash_command("U0GRID", "C0GRID", "help")

    [fields] = app.payloads("slash_command")
    assert (fields["team_id"], fields["enterprise_id"]) == ("T0GRID", "E0ORG")


async def test_a_guest_from_another_workspace_acts_in_the_channels_workspace(
    served: ServedWorkspace, app: AppStub, workspace: Workspace
) -> None:
    await served.interactions.slash_command(GUEST, CHANNEL, "help")

    [fields] = app.payloads("slash_command")
    assert (fields["team_id"], fields["user_id"]) == (TEAM, GUEST)
    assert workspace.users[GUEST].team_id == OTHER_TEAM


# --- clicks -------------------------------------------------------------------------------


async def test_a_click_carries_the_message_a_trigger_and_a_response_url(
    served: ServedWorkspace, app: AppStub, client: AsyncWebClient
) -> None:
    card = await client.chat_postMessage(channel=CHANNEL, text="card", blocks=BUTTONS)

    outcome = await served.interactions.click(MEMBER, Target.message(CHANNEL, card["ts"]), "info")

    [payload] = app.payloads("block_actions")
    assert payload["container"] == {
        "type": "message",
        "message_ts": card["ts"],
        "channel_id": CHANNEL,
        "is_ephemeral": False,
    }
    assert payload["message"]["blocks"] == BUTTONS
    assert payload["actions"][0] | {"action_ts": "-"} == {
        "type": "button",
        "action_id": "info",
        "block_id": "row",
        "text": {"type": "plain_text", "text": "Info"},
        "value": "123",
        "action_ts": "-",
    }
    assert (payload["trigger_id"], payload["response_url"]) == (
        outcome.issued.trigger_id,
        outcome.issued.response_url,
    )


async def test_a_choice_in_a_select(
    served: ServedWorkspace, app: AppStub, client: AsyncWebClient
) -> None:
    card = await client.chat_postMessage(channel=CHANNEL, text="list", blocks=BUTTONS)

    await served.interactions.click(MEMBER, Target.message(CHANNEL, card["ts"]), "page", choice="2")

    [payload] = app.payloads("block_actions")
    assert payload["actions"][0]["selected_option"]["value"] == "2"


async def test_a_click_on_an_ephemeral_message(
    served: ServedWorkspace, app: AppStub, client: AsyncWebClient
) -> None:
    posted = await client.chat_postEphemeral(
        channel=CHANNEL, user=MEMBER, text="list", blocks=BUTTONS
    )

    await served.interactions.click(MEMBER, Target.message(CHANNEL, posted["message_ts"]), "info")

    [payload] = app.payloads("block_actions")
    assert payload["container"]["is_ephemeral"] is True
    assert "message" not in payload


@pytest.mark.usefixtures("app")
async def test_the_trigger_of_a_click_opens_a_modal(
    served: ServedWorkspace, client: AsyncWebClient, workspace: Workspace
) -> None:
    card = await client.chat_postMessage(channel=CHANNEL, text="card", blocks=BUTTONS)
    outcome = await served.interactions.click(MEMBER, Target.message(CHANNEL, card["ts"]), "info")

    await client.views_open(trigger_id=outcome.issued.trigger_id, view=form())

    assert [v.body["callback_id"] for v in workspace.open_views(MEMBER)] == ["relaunch"]


# --- modals ------------------------------------------------------------------------------


async def test_a_submission_carries_every_value_including_untouched_prefilled_ones(
    served: ServedWorkspace, app: AppStub, client: AsyncWebClient, workspace: Workspace
) -> None:
    view_id = await opened_form(client, workspace)

    outcome = await served.interactions.submit(MEMBER, view_id, {"comment": "retry"})

    [payload] = app.payloads("view_submission")
    assert payload["view"]["state"]["values"] == {
        "authinfo": {"value": {"type": "plain_text_input", "value": "old"}},
        "comment": {"value": {"type": "plain_text_input", "value": "retry"}},
        "field": {"pick": {"type": "external_select", "selected_option": None}},
    }
    assert payload["view"]["private_metadata"] == "123"
    assert outcome.ok
    assert workspace.open_views(MEMBER) == []  # an empty ack closes it


async def test_a_required_input_left_empty_is_never_sent(
    served: ServedWorkspace, app: AppStub, client: AsyncWebClient, workspace: Workspace
) -> None:
    view_id = await opened_form(client, workspace)

    outcome = await served.interactions.submit(MEMBER, view_id, {"authinfo": ""})

    assert (outcome.failure, app.received) == ("required: authinfo", [])


async def test_errors_keep_the_modal_open(
    served: ServedWorkspace, app: AppStub, client: AsyncWebClient, workspace: Workspace
) -> None:
    view_id = await opened_form(client, workspace)
    app.answer = answer_with({"response_action": "errors", "errors": {"authinfo": "Too short"}})

    outcome = await served.interactions.submit(MEMBER, view_id)

    assert outcome.errors == {"authinfo": "Too short"}
    assert [v.id for v in workspace.open_views(MEMBER)] == [view_id]


async def test_errors_must_name_input_blocks(
    served: ServedWorkspace, app: AppStub, client: AsyncWebClient, workspace: Workspace
) -> None:
    view_id = await opened_form(client, workspace)
    app.answer = answer_with({"response_action": "errors", "errors": {"nope": "x"}})

    outcome = await served.interactions.submit(MEMBER, view_id)

    assert outcome.failure == "invalid_ack: errors must name input blocks"


async def test_update_push_and_clear(
    served: ServedWorkspace, app: AppStub, client: AsyncWebClient, workspace: Workspace
) -> None:
    view_id = await opened_form(client, workspace)
    app.answer = answer_with({"response_action": "update", "view": form(private_metadata="456")})
    await served.interactions.submit(MEMBER, view_id)
    assert workspace.views[view_id].body["private_metadata"] == "456"

    app.answer = answer_with({"response_action": "push", "view": form()})
    await served.interactions.submit(MEMBER, view_id)
    root, pushed = workspace.open_views(MEMBER)
    assert pushed.previous_view_id == root.id

    app.answer = answer_with({"response_action": "clear"})
    await served.interactions.submit(MEMBER, pushed.id)
    assert workspace.open_views(MEMBER) == []


async def test_an_update_slack_cannot_accept(
    served: ServedWorkspace, app: AppStub, client: AsyncWebClient, workspace: Workspace
) -> None:
    view_id = await opened_form(client, workspace)
    app.answer = answer_with(
        {"response_action": "update", "view": form(title={"type": "plain_text", "text": "x" * 25})}
    )

    outcome = await served.interactions.submit(MEMBER, view_id)

    assert outcome.failure == "invalid_ack: invalid_arguments"
    assert [v.id for v in workspace.open_views(MEMBER)] == [view_id]


async def test_closing_tells_the_app_only_if_it_asked(
    served: ServedWorkspace, app: AppStub, client: AsyncWebClient, workspace: Workspace
) -> None:
    quiet = await opened_form(client, workspace)
    await served.interactions.close(MEMBER, quiet)
    noisy = await opened_form(client, workspace, notify_on_close=True)
    await served.interactions.close(MEMBER, noisy)

    assert [p["view"]["id"] for p in app.payloads("view_closed")] == [noisy]
    assert workspace.open_views(MEMBER) == []


async def test_typing_in_an_external_select_asks_the_app_for_options(
    served: ServedWorkspace, app: AppStub, client: AsyncWebClient, workspace: Workspace
) -> None:
    view_id = await opened_form(client, workspace)
    options = [
        {"text": {"type": "plain_text", "text": n}, "value": n} for n in ("authinfo", "auto")
    ]
    app.answer = answer_with({"options": options})

    outcome = await served.interactions.suggest(MEMBER, Target.view(view_id), "pick", "au")

    [payload] = app.payloads("block_suggestion")
    assert (payload["action_id"], payload["block_id"], payload["value"]) == ("pick", "field", "au")
    assert payload["view"]["id"] == view_id
    assert outcome.options == options


async def test_more_than_100_suggested_options_show_nothing(
    served: ServedWorkspace, app: AppStub, client: AsyncWebClient, workspace: Workspace
) -> None:
    view_id = await opened_form(client, workspace)
    options = [
        {"text": {"type": "plain_text", "text": str(n)}, "value": str(n)} for n in range(101)
    ]
    app.answer = answer_with({"options": options})

    outcome = await served.interactions.suggest(MEMBER, Target.view(view_id), "pick", "1")

    assert (outcome.failure, outcome.options) == ("invalid_ack: no more than 100 items allowed", [])


async def test_a_click_inside_a_modal_has_no_response_url(
    served: ServedWorkspace, app: AppStub, client: AsyncWebClient, workspace: Workspace
) -> None:
    view = form()
    view["blocks"].append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "more",
                    "text": {"type": "plain_text", "text": "More"},
                }
            ],
        }
    )
    opened = await client.views_open(trigger_id=workspace.issue_trigger(TEAM, MEMBER), view=view)

    await served.interactions.click(MEMBER, Target.view(opened["view"]["id"]), "more")

    [payload] = app.payloads("block_actions")
    assert payload["container"] == {"type": "view", "view_id": opened["view"]["id"]}
    assert "response_url" not in payload


# --- events -------------------------------------------------------------------------------


async def test_opening_the_home_tab_is_an_event(
    served: ServedWorkspace, app: AppStub, workspace: Workspace
) -> None:
    await served.interactions.open_home(MEMBER)

    [payload] = app.payloads("event_callback")
    bot = workspace.installation_of(TEAM)
    assert payload["event"]["type"] == "app_home_opened"
    assert payload["authorizations"][0]["user_id"] == bot.bot_user_id
    assert app.received[0][2]["Content-Type"] == "application/json"


async def test_url_verification_needs_the_challenge_echoed(
    served: ServedWorkspace, app: AppStub
) -> None:
    async def echo(kind: str, payload: JSON) -> web.StreamResponse:
        return web.json_response(
            {"challenge": payload["challenge"]} if kind == "url_verification" else {}
        )

    app.answer = echo
    assert await served.interactions.verify_url()

    app.answer = answer_with({"challenge": "wrong"})
    assert not await served.interactions.verify_url()
