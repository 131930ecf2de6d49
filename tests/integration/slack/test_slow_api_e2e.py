"""A slow operation API must never make Slack give up on a request.

Slack drops a request not answered within 3 seconds, so each request here is
sent with a 3-second client timeout: getting its 200 is the requirement
itself, not a speed measurement. What follows the ack is awaited with
generous timeouts that only turn a hang into a readable failure.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from opsbot.api.operation import BILL, ERROR
from opsbot.simulator import Simulator
from opsbot.ui import ids
from tests.integration.slack.test_relaunch_modal_e2e import REVIEW_ID
from tests.support.opsbot_app import RunningOpsbot
from tests.support.redis_probe import recent_audit
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import (
    CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    VIEW_ID,
    EventsReply,
    SlackClient,
    plain_text_state,
    slash_command_body,
    view_submission_body,
)

# 3-10 s each: the API is made slower than Slack's 3 s on purpose.
pytestmark = pytest.mark.slow

JSON = dict[str, Any]
SLACK_GIVES_UP_S = 3.0
# The API client must outwait the simulator's latency, or it would time out first.
PATIENT_CLIENT = {"OPSBOT_API_TIMEOUT": "20"}


async def post_within_slacks_limit(slack_client: SlackClient, body: str) -> EventsReply:
    async with asyncio.timeout(SLACK_GIVES_UP_S):
        reply = await slack_client.post(body)
    assert reply.status == 200
    return reply


@pytest.mark.parametrize("env_overrides", [PATIENT_CLIENT])
@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_list_on_a_very_slow_api_is_acked_then_answered_once(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    errors = sum(operation["step"] == ERROR for operation in simulator.operations())
    simulator.set_latency(10)

    reply = await post_within_slacks_limit(
        slack_client,
        slash_command_body("list step=ERROR", response_url=fake_slack.response_url("l")),
    )
    [result] = await fake_slack.wait_for_responses("l", timeout=25)

    # No "Working on it…" first: after a slash command nothing could replace it
    # (Slack posts a replace_original as a new message), so it would stay.
    assert reply.text == ""
    assert result["response_type"] == "ephemeral"
    assert result["text"] == f"Operations 1–20 of {errors} matching step=ERROR"
    await asyncio.sleep(0.5)
    assert len(fake_slack.responses("l")) == 1
    assert fake_slack.warnings() == []


@pytest.mark.parametrize("env_overrides", [PATIENT_CLIENT])
async def test_a_slow_relaunch_submit_acks_with_a_working_view_then_updates_it(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=ERROR, domain="slow.example")
    await post_within_slacks_limit(
        slack_client,
        slash_command_body(f"relaunch {op_id}", response_url=fake_slack.response_url("r")),
    )
    [filled] = await fake_slack.wait_for("views.update")
    view = fake_slack.view(filled.args["view_id"])
    submitted = await post_within_slacks_limit(
        slack_client,
        view_submission_body(
            "relaunch",
            {"x-document_type": {"value": plain_text_state("passport")}},
            private_metadata=view["private_metadata"],
            view_id=view["id"],
        ),
    )
    review = submitted.json()["view"]  # what will change, pushed on the form
    simulator.set_latency(3)

    reply = await post_within_slacks_limit(
        slack_client,
        view_submission_body(
            ids.CALLBACK_RELAUNCH_REVIEW,
            {},
            private_metadata=review["private_metadata"],
            view_id=REVIEW_ID,
        ),
    )
    updates = await fake_slack.wait_for("views.update", count=2, timeout=15)

    ack: JSON = reply.json()
    assert ack["response_action"] == "update"
    assert ack["view"]["title"]["text"] == "Relaunching"
    final = updates[-1].args
    assert final["view_id"] == REVIEW_ID
    assert final["view"]["title"]["text"] == "Relaunched"
    assert simulator.calls["operation.relaunch"] == 1
    assert simulator.operation(op_id)["step"] == BILL
    [posted, thread_note] = fake_slack.calls_to("chat.postMessage")
    # The announcement's thread now follows the relaunched operation.
    [announcement] = [m for m in fake_slack.messages(CHANNEL_ID) if "thread_ts" not in m]
    assert thread_note.args["thread_ts"] == announcement["ts"]
    assert posted.args["channel"] == CHANNEL_ID
    [entry] = await recent_audit(keyed_opsbot.services.redis, TEAM_ID)
    assert (entry.action, entry.target, entry.outcome) == ("relaunch", str(op_id), "ok")


@pytest.mark.parametrize("env_overrides", [{**PATIENT_CLIENT, "OPSBOT_ADMINS": USER_ID}])
async def test_a_slow_key_check_acks_with_a_working_view_then_saves(
    opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    sim_key: str,
) -> None:
    await post_within_slacks_limit(
        slack_client, slash_command_body("key", response_url=fake_slack.response_url("k"))
    )
    await fake_slack.wait_for("views.open")
    simulator.set_latency(3)

    reply = await post_within_slacks_limit(
        slack_client,
        view_submission_body(
            "api_key", {"api_key": {"value": plain_text_state(sim_key)}}, view_id=VIEW_ID
        ),
    )
    [saved] = await fake_slack.wait_for("views.update", timeout=15)

    assert reply.json()["view"]["title"]["text"] == "Checking the key"
    assert saved.args["view_id"] == VIEW_ID
    assert saved.args["view"]["title"]["text"] == "API key saved"
    assert await opsbot.services.team_keys.get(TEAM_ID) == sim_key
    assert sim_key not in json.dumps([call.args for call in fake_slack.calls])
