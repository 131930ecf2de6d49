"""An admin check Slack cannot answer is said to be one, not a "you are not an admin".

``users.info`` decides who may change the team's API key. When Slack
rate-limits it or refuses the bot's token, the person is told the check
could not be made and to try again; nothing is changed, nothing granted.
FakeSlack's failure switches play Slack's answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.integration.slack.test_key_modal_e2e import key_command, open_key_modal, submit_key
from tests.support.opsbot_app import RunningOpsbot
from tests.support.redis_probe import recent_audit
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import TEAM_ID, SlackClient

NOT_CHECKED = "Slack could not tell us just now whether you may change the team's API key"
NOT_ADMIN = "Only workspace admins and owners"

Failure = Callable[[FakeSlack], None]
FAILURES: dict[str, Failure] = {
    # Longer than opsbot's clients wait out by themselves (slack_web.LONGEST_RETRY_AFTER_S).
    "rate limited": lambda slack: slack.rate_limit("users.info", retry_after=30, times=None),
    "bad token": lambda slack: slack.fail("users.info", "invalid_auth", times=None),
    "revoked token": lambda slack: slack.fail("users.info", "token_revoked", times=None),
}


@pytest.fixture(params=sorted(FAILURES))
def users_info_fails(request: pytest.FixtureRequest, fake_slack: FakeSlack) -> str:
    FAILURES[request.param](fake_slack)
    return str(request.param)


@pytest.mark.usefixtures("opsbot", "users_info_fails")
async def test_the_key_modal_says_the_check_could_not_be_made(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
) -> None:
    await open_key_modal(slack_client, fake_slack)
    [update] = await fake_slack.wait_for("views.update")

    shown = json.dumps(update.args["view"])
    assert NOT_CHECKED in shown
    assert NOT_ADMIN not in shown


@pytest.mark.usefixtures("users_info_fails")
async def test_a_submitted_key_is_not_stored_when_the_check_could_not_be_made(
    opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    sim_key: str,
) -> None:
    view = await open_key_modal(slack_client, fake_slack)

    reply = await submit_key(slack_client, view, sim_key)

    assert NOT_CHECKED in reply.json()["errors"]["api_key"]
    assert await opsbot.services.team_keys.get(TEAM_ID) is None


@pytest.mark.usefixtures("users_info_fails")
async def test_remove_says_the_check_could_not_be_made_and_keeps_the_key(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    sim_key: str,
) -> None:
    await key_command(slack_client, fake_slack, "key remove", "remove")
    [message] = await fake_slack.wait_for_responses("remove")

    assert message["text"].startswith(NOT_CHECKED)
    assert await keyed_opsbot.services.team_keys.get(TEAM_ID) == sim_key
    assert await recent_audit(keyed_opsbot.services.redis, TEAM_ID) == []


@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_user_slack_does_not_know_is_not_an_admin(
    slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    fake_slack.fail("users.info", "user_not_found")

    await key_command(slack_client, fake_slack, "key remove", "remove")
    [message] = await fake_slack.wait_for_responses("remove")

    assert NOT_ADMIN in message["text"]
