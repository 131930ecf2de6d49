"""``/ops key`` end to end: the modal, who may use it, checking a key against
the API before storing it, status and remove.

A key typed into the modal must never come back: not in an error, not in a
message, not in any call Slack receives.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from opsbot.simulator import Simulator
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import Keyring, Vault
from tests.support.opsbot_app import RunningOpsbot
from tests.support.redis_probe import recent_audit
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import (
    TEAM_ID,
    USER_ID,
    EventsReply,
    SlackClient,
    plain_text_state,
    slash_command_body,
    view_submission_body,
)

JSON = dict[str, Any]
UNKNOWN_KEY = "zzzzzzzzzzzzzzzzzzzzzzzz"


async def key_command(
    slack_client: SlackClient, fake_slack: FakeSlack, text: str = "key", name: str = "key"
) -> None:
    reply = await slack_client.post(
        slash_command_body(text, response_url=fake_slack.response_url(name))
    )
    assert reply.status == 200
    assert reply.text == ""


async def open_key_modal(slack_client: SlackClient, fake_slack: FakeSlack) -> JSON:
    await key_command(slack_client, fake_slack)
    [opened] = await fake_slack.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == "api_key"
    return fake_slack.front_view()


async def submit_key(slack_client: SlackClient, view: JSON, typed: str) -> EventsReply:
    reply = await slack_client.post(
        view_submission_body(
            "api_key", {"api_key": {"value": plain_text_state(typed)}}, view_id=view["id"]
        )
    )
    assert reply.status == 200
    return reply


def everything_slack_got(fake_slack: FakeSlack) -> str:
    calls = [call.args for call in fake_slack.calls]
    return json.dumps([calls, fake_slack.responses()], ensure_ascii=False)


async def test_a_non_admin_sees_not_allowed_and_nothing_is_stored(
    opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    sim_key: str,
) -> None:
    view = await open_key_modal(slack_client, fake_slack)
    [update] = await fake_slack.wait_for("views.update")

    assert update.args["view_id"] == view["id"]
    assert update.args["view"]["title"]["text"] == "Not allowed"
    assert "Only workspace admins and owners" in json.dumps(update.args["view"])
    [lookup] = fake_slack.calls_to("users.info")
    assert lookup.args["user"] == USER_ID

    # A submission forged past the closed modal is refused as well.
    reply = await submit_key(slack_client, view, sim_key)
    assert "Only workspace admins and owners" in reply.json()["errors"]["api_key"]
    assert await opsbot.services.team_keys.get(TEAM_ID) is None
    assert simulator.calls == {}


async def test_an_admin_sets_a_key_after_the_api_accepts_it(
    opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    sim_key: str,
) -> None:
    fake_slack.set_user(USER_ID, is_admin=True)
    view = await open_key_modal(slack_client, fake_slack)

    malformed = await submit_key(slack_client, view, "Not-A-Key!")
    assert malformed.json() == {
        "response_action": "errors",
        "errors": {"api_key": "An API key has 24 characters; this has 10."},
    }
    shouting = "ABCDEFGHIJKLMNOPQRSTUVWX"
    uppercase = await submit_key(slack_client, view, shouting)
    assert "only lowercase letters and digits" in uppercase.json()["errors"]["api_key"]
    assert shouting not in uppercase.text
    assert simulator.calls == {}

    refused = await submit_key(slack_client, view, UNKNOWN_KEY)
    error = refused.json()["errors"]["api_key"]
    assert error.startswith("The API refused this key:")
    assert "Invalid API key" in error
    assert UNKNOWN_KEY not in refused.text
    assert await opsbot.services.team_keys.get(TEAM_ID) is None

    accepted = await submit_key(slack_client, view, sim_key)
    body = accepted.json()
    status = await opsbot.services.team_keys.status(TEAM_ID)
    assert status is not None
    assert body["response_action"] == "update"
    assert body["view"]["title"]["text"] == "API key saved"
    assert f"`{status.fingerprint}`" in json.dumps(body["view"])
    assert await opsbot.services.team_keys.get(TEAM_ID) == sim_key
    assert status.set_by == USER_ID
    [entry] = await recent_audit(opsbot.services.redis, TEAM_ID)
    assert (entry.action, entry.user_id, entry.target) == ("key_set", USER_ID, status.fingerprint)

    # The admin's modal stayed open: no "Not allowed" replaced it.
    assert fake_slack.calls_to("views.update") == []
    for typed in (sim_key, UNKNOWN_KEY, shouting, "Not-A-Key!"):
        assert typed not in everything_slack_got(fake_slack)
        assert typed not in accepted.text


@pytest.mark.parametrize("env_overrides", [{"OPSBOT_ADMINS": f"U0OTHER,{USER_ID}"}])
@pytest.mark.usefixtures("opsbot")
async def test_opsbot_admins_may_use_the_modal_without_asking_slack(
    slack_client: SlackClient, fake_slack: FakeSlack, sim_key: str
) -> None:
    view = await open_key_modal(slack_client, fake_slack)

    reply = await submit_key(slack_client, view, sim_key)

    assert reply.json()["view"]["title"]["text"] == "API key saved"
    assert fake_slack.calls_to("users.info") == []
    assert fake_slack.calls_to("views.update") == []


async def test_key_status_tells_who_when_and_the_fingerprint_never_the_key(
    keyed_opsbot: RunningOpsbot, slack_client: SlackClient, fake_slack: FakeSlack, sim_key: str
) -> None:
    status = await keyed_opsbot.services.team_keys.status(TEAM_ID)
    assert status is not None

    await key_command(slack_client, fake_slack, "key status", "status")
    [message] = await fake_slack.wait_for_responses("status")

    assert message["response_type"] == "ephemeral"
    text = json.dumps(message)
    assert f"Set by <@{status.set_by}> on {status.set_at:%Y-%m-%d}" in text
    assert f"Fingerprint `{status.fingerprint}`" in text
    assert sim_key not in everything_slack_got(fake_slack)


async def store_a_key_the_keyring_cannot_open(opsbot: RunningOpsbot, sim_key: str) -> None:
    """The team's key, encrypted under a key that is not (or no longer) in the keyring."""
    dropped = Vault(Keyring.generate())
    await TeamKeyStore(opsbot.services.redis, dropped).set(TEAM_ID, sim_key, "U0ADMIN")


async def test_key_status_of_a_key_that_does_not_decrypt_says_it_needs_setting_again(
    opsbot: RunningOpsbot, slack_client: SlackClient, fake_slack: FakeSlack, sim_key: str
) -> None:
    await store_a_key_the_keyring_cannot_open(opsbot, sim_key)

    await key_command(slack_client, fake_slack, "key status", "status")
    [message] = await fake_slack.wait_for_responses("status")

    assert message["response_type"] == "ephemeral"
    assert "is set" not in message["text"]
    assert "needs setting again" in message["text"]
    text = json.dumps(message)
    assert "workspace admin or owner" in text
    assert "OPSBOT_ADMINS" in text
    assert "<@U0ADMIN>" in text
    assert sim_key not in everything_slack_got(fake_slack)


async def test_a_command_that_needs_a_key_that_does_not_decrypt_asks_to_set_it_again(
    opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    sim_key: str,
) -> None:
    await store_a_key_the_keyring_cannot_open(opsbot, sim_key)

    await key_command(slack_client, fake_slack, "list step=ERROR", "list")
    [message] = await fake_slack.wait_for_responses("list")

    assert message["response_type"] == "ephemeral"
    assert "cannot be read any more" in message["text"]
    assert "set it again with /ops key" in message["text"]
    assert simulator.calls["operation.list"] == 0
    assert sim_key not in everything_slack_got(fake_slack)


@pytest.mark.usefixtures("opsbot")
async def test_key_status_without_a_key(slack_client: SlackClient, fake_slack: FakeSlack) -> None:
    await key_command(slack_client, fake_slack, "key status", "status")
    [message] = await fake_slack.wait_for_responses("status")

    assert message["text"] == "No operation API key is set for this workspace."


async def test_an_admin_removes_the_key(
    keyed_opsbot: RunningOpsbot, slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    fake_slack.set_user(USER_ID, is_owner=True)

    await key_command(slack_client, fake_slack, "key remove", "remove")
    [message] = await fake_slack.wait_for_responses("remove")

    assert message["text"] == "The team's API key is removed."
    assert await keyed_opsbot.services.team_keys.get(TEAM_ID) is None
    [entry] = await recent_audit(keyed_opsbot.services.redis, TEAM_ID)
    assert (entry.action, entry.user_id, entry.outcome) == ("key_remove", USER_ID, "ok")


async def test_a_non_admin_cannot_remove_the_key(
    keyed_opsbot: RunningOpsbot, slack_client: SlackClient, fake_slack: FakeSlack, sim_key: str
) -> None:
    await key_command(slack_client, fake_slack, "key remove", "remove")
    [message] = await fake_slack.wait_for_responses("remove")

    assert "Only workspace admins and owners" in message["text"]
    assert await keyed_opsbot.services.team_keys.get(TEAM_ID) == sim_key
    assert await recent_audit(keyed_opsbot.services.redis, TEAM_ID) == []


async def test_a_key_typed_after_the_command_is_refused_without_echo(
    opsbot: RunningOpsbot, slack_client: SlackClient, fake_slack: FakeSlack, sim_key: str
) -> None:
    reply = await slack_client.post(
        slash_command_body(f"key {sim_key}", response_url=fake_slack.response_url("typed"))
    )

    assert reply.status == 200
    assert "never type the key in a channel" in reply.text
    assert sim_key not in reply.text
    assert await opsbot.services.team_keys.get(TEAM_ID) is None


@pytest.mark.usefixtures("opsbot")
async def test_a_modal_slack_would_not_open_is_explained_privately(
    slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    fake_slack.fail("views.open", "expired_trigger_id")

    await key_command(slack_client, fake_slack, "key", "key")
    [answer] = await fake_slack.wait_for_responses("key")

    assert answer["response_type"] == "ephemeral"
    assert "expired_trigger_id" in answer["text"]
    assert "/ops key" in answer["text"]
