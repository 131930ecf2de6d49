"""Actions happen once, and only when the API says they happened.

- Two submits of one relaunch form call operation.relaunch once, as two
  clicks on Cancel cancel once (the operation's action lock).
- Two clicks on Relaunch open one form; the second is told why.
- When operation.cancel or operation.relaunch answers false, the API did not
  act: the person is told so, the audit entry says so, the channel hears
  nothing. The simulator's ``decline`` switch makes it answer false.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from opsbot.api.operation import BILL, ERROR, WAIT
from opsbot.simulator import ServedSimulator, Simulator
from tests.integration.slack.test_relaunch_modal_e2e import (
    open_modal,
    relaunch_reviewed,
    submit,
)
from tests.support.cancel_confirmation import confirm, open_confirmation
from tests.support.opsbot_app import RunningOpsbot
from tests.support.redis_probe import recent_audit
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import (
    TEAM_ID,
    SlackClient,
    block_actions_body,
    plain_text_state,
)
from tests.support.surfaces import all_text

UNDER_WAY = "is already being acted on"
NOT_DONE = "error: the API answered false"


async def decline(sim_server: ServedSimulator, method: str) -> None:
    """Flip the simulator's switch over its control path, as a test operator would."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(sim_server.control_url + "decline", json={"method": method}) as response,
    ):
        assert response.status == 200, await response.text()


async def click(slack_client: SlackClient, fake_slack: FakeSlack, action: str, op_id: int) -> None:
    body = block_actions_body(action, str(op_id), response_url=fake_slack.response_url(action))
    reply = await slack_client.post(body)
    assert (reply.status, reply.text) == (200, "")


# --- relaunch once ------------------------------------------------------------------------


async def test_two_submits_of_one_relaunch_form_relaunch_once(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=ERROR, domain="twice.es")
    view = await open_modal(slack_client, fake_slack, op_id)
    typed = {"x-es_legalform": plain_text_state("1")}
    review = (await submit(slack_client, view, typed)).json()["view"]

    # Relaunch pressed twice on the review of the change (a double click, a retry).
    replies = await asyncio.gather(
        relaunch_reviewed(slack_client, review), relaunch_reviewed(slack_client, review)
    )

    assert simulator.calls["operation.relaunch"] == 1
    assert simulator.operation(op_id)["step"] == BILL
    answers = sorted((reply.json() for reply in replies), key=json.dumps)
    assert answers[0] == {"response_action": "clear"}
    assert answers[1]["response_action"] == "update"
    assert UNDER_WAY in json.dumps(answers[1]["view"])
    [entry] = await recent_audit(keyed_opsbot.services.redis, TEAM_ID)
    assert (entry.action, entry.outcome) == ("relaunch", "ok")
    [announced, _thread_note] = fake_slack.calls_to("chat.postMessage")
    assert announced.args["text"] == f"Operation {op_id} was relaunched"


@pytest.mark.usefixtures("keyed_opsbot")
async def test_two_clicks_on_relaunch_open_one_form(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=ERROR, domain="clicked.es")

    await asyncio.gather(
        click(slack_client, fake_slack, "op_relaunch", op_id),
        click(slack_client, fake_slack, "op_relaunch", op_id),
    )
    [told] = await fake_slack.wait_for_responses("op_relaunch")
    await fake_slack.wait_for("views.update")

    assert len(fake_slack.calls_to("views.open")) == 1
    assert told["response_type"] == "ephemeral"
    assert UNDER_WAY in told["text"]

    # Once the form is open and filled, the lock is let go: a later click opens one again.
    await click(slack_client, fake_slack, "op_relaunch", op_id)
    await fake_slack.wait_for("views.open", count=2)


# --- the API's answer is read -----------------------------------------------------------


async def test_a_cancel_the_api_answers_false_to_is_reported_as_not_done(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    sim_server: ServedSimulator,
) -> None:
    op_id = simulator.create("domain_renew", step=WAIT, domain="declined.example")
    await decline(sim_server, "operation.cancel")

    confirmation = await open_confirmation(slack_client, fake_slack, str(op_id), "cancel")
    told = await confirm(slack_client, confirmation)

    assert simulator.calls["operation.cancel"] == 1
    assert simulator.operation(op_id)["step"] == WAIT
    assert told["title"]["text"] == "Not cancelled"
    assert f"The API answered that operation {op_id} was not cancelled" in all_text(told)
    assert fake_slack.calls_to("chat.postMessage") == []
    [entry] = await recent_audit(keyed_opsbot.services.redis, TEAM_ID)
    assert (entry.action, entry.target, entry.outcome) == ("cancel", str(op_id), NOT_DONE)

    # Declined is not done: the lock is let go, and the next try cancels.
    await confirm(slack_client, confirmation)
    await fake_slack.wait_for("chat.postMessage")
    assert simulator.calls["operation.cancel"] == 2


async def test_a_relaunch_the_api_answers_false_to_is_reported_as_not_done(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    sim_server: ServedSimulator,
) -> None:
    op_id = simulator.create("domain_create", step=ERROR, domain="declined.es")
    view = await open_modal(slack_client, fake_slack, op_id)
    await decline(sim_server, "operation.relaunch")

    submitted = await submit(slack_client, view, {"x-es_legalform": plain_text_state("1")})
    reply = await relaunch_reviewed(slack_client, submitted.json()["view"])

    answer = reply.json()
    assert answer["response_action"] == "update"
    shown = json.dumps(answer["view"])
    assert f"The API answered that operation {op_id} was not relaunched" in shown
    assert simulator.calls["operation.relaunch"] == 1
    assert simulator.operation(op_id)["step"] == ERROR
    assert fake_slack.calls_to("chat.postMessage") == []
    [entry] = await recent_audit(keyed_opsbot.services.redis, TEAM_ID)
    assert (entry.action, entry.target, entry.outcome) == ("relaunch", str(op_id), NOT_DONE)
