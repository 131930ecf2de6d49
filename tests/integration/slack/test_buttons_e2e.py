"""The buttons on operation messages, clicked end to end: Info, Cancel and its
confirmation (a modal for a Cancel button, a question for ``/ops cancel``), Keep,
and what happens when the step forbids it or two confirmations race.

Clicks and submissions are signed requests; the answers are read where Slack
would get them (acks, response_url posts and Web API calls on FakeSlack), and
their effect on the simulator and in the Redis audit stream.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import stamina

from opsbot.api.operation import BILL, CANCEL, ERROR, RUN, WAIT
from opsbot.simulator import Simulator
from tests.support.cancel_confirmation import cancel_confirmed, confirm, open_confirmation
from tests.support.opsbot_app import RunningOpsbot
from tests.support.redis_probe import recent_audit
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import (
    CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    SlackClient,
    block_actions_body,
    slash_command_body,
    view_submission_body,
)
from tests.support.surfaces import action_ids

JSON = dict[str, Any]
AUDIT_CHANNEL = "C0AUDIT"


async def click(
    slack_client: SlackClient, fake_slack: FakeSlack, action_id: str, value: str, name: str
) -> None:
    """Click a button whose answers go to response_url ``name``; Slack wants an empty 200."""
    reply = await slack_client.post(
        block_actions_body(action_id, value, response_url=fake_slack.response_url(name))
    )
    assert reply.status == 200
    assert reply.text == ""


async def command(slack_client: SlackClient, fake_slack: FakeSlack, text: str, name: str) -> JSON:
    reply = await slack_client.post(
        slash_command_body(text, response_url=fake_slack.response_url(name))
    )
    assert reply.status == 200
    [message] = await fake_slack.wait_for_responses(name)
    return message


def shown(message: JSON) -> str:
    return json.dumps(message, ensure_ascii=False)


def buttons(message: JSON, action_id: str) -> list[JSON]:
    return [
        element
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action_id
    ]


@dataclass(frozen=True)
class Row:
    """A row of a list message: its operation, its text, and the buttons under it."""

    op_id: int
    text: str
    buttons: dict[str, JSON]


def rows(message: JSON) -> list[Row]:
    blocks = message["blocks"]
    found = []
    for block, below in itertools.pairwise(blocks):
        text = block.get("text", {}).get("text", "")
        heading = re.match(r"\*#(\d+)\*", text)
        if heading and below["type"] == "actions":
            row_buttons = {element["action_id"]: element for element in below["elements"]}
            found.append(Row(int(heading[1]), text, row_buttons))
    return found


@pytest.fixture
def no_backoff() -> Iterator[None]:
    """stamina's testing switch: retries without their sleeps."""
    with stamina.set_testing(True, attempts=1000, cap=True):
        yield


@pytest.fixture
def waiting_op(simulator: Simulator) -> int:
    """An operation in WAIT: cancellable, and still (the simulator's clock stands still)."""
    return simulator.create("domain_renew", step=WAIT, domain="waiting.example")


@pytest.mark.usefixtures("keyed_opsbot")
async def test_info_button_answers_privately_with_the_card(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    waiting_op: int,
) -> None:
    await click(slack_client, fake_slack, "op_info", str(waiting_op), "info")
    [card] = await fake_slack.wait_for_responses("info")

    assert card["response_type"] == "ephemeral"
    assert card["replace_original"] is False
    assert card["text"] == f"Operation {waiting_op} (domain_renew): {WAIT}"
    assert "waiting.example" in shown(card)


async def test_cancel_asks_then_cancels_once_and_says_who_did_it(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    waiting_op: int,
) -> None:
    confirm = await command(slack_client, fake_slack, f"cancel {waiting_op}", "ask")
    assert confirm["text"] == f"Cancel operation {waiting_op} (domain_renew)?"
    assert action_ids(confirm["blocks"]) == ["op_cancel_confirm", "op_cancel_keep"]
    assert simulator.calls["operation.cancel"] == 0

    await click(slack_client, fake_slack, "op_cancel_confirm", str(waiting_op), "confirmed")
    [result] = await fake_slack.wait_for_responses("confirmed")

    assert simulator.calls["operation.cancel"] == 1
    assert simulator.operation(waiting_op)["step"] == CANCEL
    assert result["replace_original"] is True
    assert result["text"] == f"Operation {waiting_op} is now {CANCEL}"
    assert f"cancelled by <@{USER_ID}>" in shown(result)
    assert action_ids(result["blocks"]) == ["op_info", "op_watch"]
    [posted] = fake_slack.calls_to("chat.postMessage")
    assert posted.args["channel"] == CHANNEL_ID
    assert posted.args["text"] == result["text"]
    [entry] = await recent_audit(keyed_opsbot.services.redis, TEAM_ID)
    assert (entry.user_id, entry.action, entry.target, entry.outcome) == (
        USER_ID,
        "cancel",
        str(waiting_op),
        "ok",
    )


async def test_keep_it_deletes_the_question_and_cancels_nothing(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    waiting_op: int,
) -> None:
    await command(slack_client, fake_slack, f"cancel {waiting_op}", "ask")

    await click(slack_client, fake_slack, "op_cancel_keep", str(waiting_op), "keep")
    [answer] = await fake_slack.wait_for_responses("keep")

    assert answer["delete_original"] is True
    assert simulator.calls["operation.cancel"] == 0
    assert simulator.operation(waiting_op)["step"] == WAIT
    assert await recent_audit(keyed_opsbot.services.redis, TEAM_ID) == []


@pytest.mark.usefixtures("keyed_opsbot")
async def test_cancel_in_a_step_that_forbids_it_is_refused_before_any_call(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    running = simulator.create("domain_renew", step=RUN, domain="running.example")

    answer = await command(slack_client, fake_slack, f"cancel {running}", "ask")

    assert answer["response_type"] == "ephemeral"
    assert f"Operation {running} is in {RUN}" in answer["text"]
    assert "BILL, WAIT or ERROR" in answer["text"]
    assert "op_cancel_confirm" not in action_ids(answer["blocks"])
    assert simulator.calls["operation.cancel"] == 0


async def test_a_stale_cancel_button_reports_the_api_refusal_in_plain_words(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    waiting_op: int,
) -> None:
    # The confirmation showed it in WAIT; it has moved on before "Cancel operation".
    confirmation = await open_confirmation(slack_client, fake_slack, str(waiting_op), "stale")
    simulator.move(waiting_op, RUN)

    answer = await confirm(slack_client, confirmation)

    assert answer["title"]["text"] == "Cancel failed"
    assert f"is in *{RUN}*; cancel is only possible in BILL, WAIT or ERROR" in shown(answer)
    assert simulator.operation(waiting_op)["step"] == RUN
    assert fake_slack.calls_to("chat.postMessage") == []
    [entry] = await recent_audit(keyed_opsbot.services.redis, TEAM_ID)
    assert (entry.action, entry.outcome) == ("cancel", "error: invalid_step")


async def test_two_fast_confirmations_cancel_once(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=BILL, domain="twice.example")
    first = await open_confirmation(slack_client, fake_slack, str(op_id), "first")
    second = await open_confirmation(slack_client, fake_slack, str(op_id), "second")

    answers = await asyncio.gather(confirm(slack_client, first), confirm(slack_client, second))
    [posted] = await fake_slack.wait_for("chat.postMessage")

    assert simulator.calls["operation.cancel"] == 1
    assert simulator.operation(op_id)["step"] == CANCEL
    assert posted.args["text"] == f"Operation {op_id} is now {CANCEL}"
    titles = sorted(answer["title"]["text"] for answer in answers)
    assert titles == ["Already under way", "Cancelled"]
    assert f"Operation {op_id} is already being cancelled." in " ".join(map(shown, answers))
    assert len(await recent_audit(keyed_opsbot.services.redis, TEAM_ID)) == 1


@pytest.mark.usefixtures("keyed_opsbot")
async def test_cancel_result_comes_privately_when_the_bot_cannot_post_in_the_channel(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    waiting_op: int,
) -> None:
    fake_slack.fail("chat.postMessage", "channel_not_found", channel=CHANNEL_ID)

    result = await cancel_confirmed(slack_client, fake_slack, str(waiting_op), "cancel")

    assert result["title"]["text"] == "Cancelled"
    assert f"is now *{CANCEL}*, cancelled by <@{USER_ID}>" in shown(result)
    assert fake_slack.responses("cancel") == []
    assert simulator.calls["operation.cancel"] == 1


@pytest.mark.usefixtures("no_backoff")
async def test_a_rate_limited_cancel_says_so_and_lets_the_next_click_through(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    waiting_op: int,
) -> None:
    confirmation = await open_confirmation(slack_client, fake_slack, str(waiting_op), "busy")
    simulator.rate_limit_every(1)

    answer = await confirm(slack_client, confirmation)

    assert "busy or rate-limiting" in shown(answer)
    assert simulator.operation(waiting_op)["step"] == WAIT

    # The refused attempt released its lock: another try is not "already being cancelled".
    simulator.rate_limit_every(None)
    await confirm(slack_client, confirmation)
    [posted] = await fake_slack.wait_for("chat.postMessage")
    assert posted.args["text"] == f"Operation {waiting_op} is now {CANCEL}"
    outcomes = [entry.outcome for entry in await recent_audit(keyed_opsbot.services.redis, TEAM_ID)]
    assert outcomes == ["ok", "error: temporary"]


@pytest.mark.parametrize("env_overrides", [{"OPSBOT_AUDIT_CHANNEL": AUDIT_CHANNEL}])
@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_cancel_is_posted_to_the_audit_channel(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    waiting_op: int,
) -> None:
    await cancel_confirmed(slack_client, fake_slack, str(waiting_op), "cancel")
    posts = await fake_slack.wait_for("chat.postMessage", count=2)

    [audit] = [call for call in posts if call.args["channel"] == AUDIT_CHANNEL]
    assert audit.args["text"] == f"Audit: cancel {waiting_op}: ok"
    assert f"<@{USER_ID}>" in json.dumps(audit.args["blocks"])


@pytest.mark.parametrize(
    ("action_id", "value"),
    [
        ("op_info", "100100"),
        ("op_cancel", "100100"),
        ("op_cancel_confirm", "100100"),
        ("op_relaunch", "100100"),
        ("list_page_next", '{"filters":{},"page":1}'),
    ],
)
@pytest.mark.usefixtures("opsbot")
async def test_without_a_key_a_button_says_how_to_set_one(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    action_id: str,
    value: str,
) -> None:
    await click(slack_client, fake_slack, action_id, value, "nokey")
    [answer] = await fake_slack.wait_for_responses("nokey")

    assert answer["response_type"] == "ephemeral"
    assert "No operation API key is set" in answer["text"]
    assert simulator.calls == {}
    assert fake_slack.calls_to("views.open") == []


@pytest.mark.parametrize("value", ["abc", "12; DROP", str(10**40), ""])
@pytest.mark.parametrize("action_id", ["op_info", "op_watch", "op_unwatch", "op_relaunch"])
@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_forged_operation_button_is_answered_not_crashed(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    action_id: str,
    value: str,
) -> None:
    await click(slack_client, fake_slack, action_id, value, "forged")
    [answer] = await fake_slack.wait_for_responses("forged")

    assert answer["response_type"] == "ephemeral"
    assert "This button is broken" in answer["text"]
    assert simulator.calls == {}
    assert fake_slack.calls_to("views.open") == []


@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_broken_page_button_is_answered_not_crashed(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    await click(slack_client, fake_slack, "list_page_next", "{not json", "broken")
    [answer] = await fake_slack.wait_for_responses("broken")

    assert "page link is broken" in answer["text"]
    assert simulator.calls == {}


@pytest.mark.usefixtures("keyed_opsbot")
async def test_cancel_of_an_error_operation_from_a_list_row(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    failed = next(op for op in simulator.operations() if op["step"] == ERROR)

    await cancel_confirmed(slack_client, fake_slack, str(failed["id"]), "row")
    [posted] = await fake_slack.wait_for("chat.postMessage")

    assert simulator.operation(failed["id"])["step"] == CANCEL
    assert f"cancelled by <@{USER_ID}>" in json.dumps(posted.args["blocks"])


async def test_cancel_on_a_list_row_redraws_that_list_with_the_new_step(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    listing = await command(slack_client, fake_slack, "list step=WAIT", "list")
    # A row in the middle: the rows around it must stay where they were.
    clicked = rows(listing)[2]
    assert WAIT in clicked.text

    await cancel_confirmed(slack_client, fake_slack, clicked.buttons["op_cancel"]["value"], "row")
    [redrawn] = await fake_slack.wait_for_responses("row")

    assert simulator.calls["operation.cancel"] == 1
    assert simulator.operation(clicked.op_id)["step"] == CANCEL
    assert redrawn["replace_original"] is True
    assert redrawn["response_type"] == "ephemeral"
    assert redrawn["text"] == f"Operation {clicked.op_id} cancelled. {listing['text']}"
    assert f"Operation {clicked.op_id} cancelled by <@{USER_ID}>." in shown(redrawn)
    before, after = rows(listing), rows(redrawn)
    assert [row.op_id for row in after] == [row.op_id for row in before]
    [now_cancelled] = [row for row in after if row.op_id == clicked.op_id]
    assert f":no_entry_sign: {CANCEL}" in now_cancelled.text
    assert set(now_cancelled.buttons) == {"op_info", "op_watch"}
    assert all(WAIT in row.text for row in after if row != now_cancelled)
    assert buttons(redrawn, "list_page_next") == buttons(listing, "list_page_next")
    # The team still sees it in the channel, and the audit has it.
    [posted] = fake_slack.calls_to("chat.postMessage")
    assert posted.args["text"] == f"Operation {clicked.op_id} is now {CANCEL}"
    [entry] = await recent_audit(keyed_opsbot.services.redis, TEAM_ID)
    assert (entry.action, entry.target, entry.outcome) == ("cancel", str(clicked.op_id), "ok")


@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_redrawn_list_can_cancel_again(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    listing = await command(slack_client, fake_slack, "list step=WAIT", "list")
    first, second = rows(listing)[:2]
    await cancel_confirmed(slack_client, fake_slack, first.buttons["op_cancel"]["value"], "one")
    [redrawn] = await fake_slack.wait_for_responses("one")
    [second_now] = [row for row in rows(redrawn) if row.op_id == second.op_id]

    await cancel_confirmed(
        slack_client, fake_slack, second_now.buttons["op_cancel"]["value"], "two"
    )
    [again] = await fake_slack.wait_for_responses("two")

    assert simulator.calls["operation.cancel"] == 2
    cancelled = [row.op_id for row in rows(again) if f":no_entry_sign: {CANCEL}" in row.text]
    assert cancelled == [first.op_id, second.op_id]
    assert f"Operation {second.op_id} cancelled by <@{USER_ID}>." in shown(again)


@pytest.mark.usefixtures("keyed_opsbot")
async def test_two_fast_clicks_on_a_list_row_cancel_once_and_redraw_once(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    listing = await command(slack_client, fake_slack, "list step=WAIT", "list")
    clicked = rows(listing)[0]
    value = clicked.buttons["op_cancel"]["value"]
    first = await open_confirmation(slack_client, fake_slack, value, "first")
    second = await open_confirmation(slack_client, fake_slack, value, "second")

    answers = await asyncio.gather(confirm(slack_client, first), confirm(slack_client, second))
    await fake_slack.wait_for_responses(None, count=2)  # the listing and one redraw

    [redrawn] = fake_slack.responses("first") + fake_slack.responses("second")
    assert redrawn["replace_original"] is True
    assert simulator.calls["operation.cancel"] == 1
    assert f"Operation {clicked.op_id} cancelled by <@{USER_ID}>." in shown(redrawn)
    assert f"Operation {clicked.op_id} is already being cancelled." in " ".join(map(shown, answers))


@pytest.mark.usefixtures("keyed_opsbot")
async def test_cancel_on_an_info_card_replaces_the_card(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    waiting_op: int,
) -> None:
    card = await command(slack_client, fake_slack, f"info {waiting_op}", "info")
    [cancel] = buttons(card, "op_cancel")

    await cancel_confirmed(slack_client, fake_slack, cancel["value"], "card")
    [replaced] = await fake_slack.wait_for_responses("card")

    assert simulator.calls["operation.cancel"] == 1
    assert replaced["replace_original"] is True
    assert replaced["response_type"] == "ephemeral"
    assert replaced["text"] == f"Operation {waiting_op} (domain_renew): {CANCEL}"
    assert f"Cancelled by <@{USER_ID}>" in shown(replaced)
    assert "waiting.example" in shown(replaced)
    assert action_ids(replaced["blocks"]) == ["op_info", "op_watch"]
    [posted] = fake_slack.calls_to("chat.postMessage")
    assert posted.args["text"] == f"Operation {waiting_op} is now {CANCEL}"


@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_list_that_cannot_be_redrawn_is_left_and_the_result_said_privately(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    waiting_op: int,
) -> None:
    # A row of a list whose filter this version no longer knows, in a channel
    # the bot may not post in: the outcome must still reach the person.
    listed = {"filters": {"retired_filter": "x"}, "page": 0, "total": 1, "ids": [waiting_op]}
    value = json.dumps({"id": waiting_op, "on": "list", "list": listed})
    fake_slack.fail("chat.postMessage", "not_in_channel", channel=CHANNEL_ID)

    answer = await cancel_confirmed(slack_client, fake_slack, value, "old")

    assert simulator.operation(waiting_op)["step"] == CANCEL
    assert answer["title"]["text"] == "Cancelled"
    assert f"Operation *#{waiting_op}*" in shown(answer)
    assert fake_slack.responses("old") == []


@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_broken_cancel_button_is_answered_and_cancels_nothing(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    await click(slack_client, fake_slack, "op_cancel", '{"on": "list"}', "broken")
    [answer] = await fake_slack.wait_for_responses("broken")

    assert "Cancel button is broken" in answer["text"]
    assert simulator.calls["operation.cancel"] == 0


@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_confirmation_whose_metadata_is_not_ours_is_answered_and_cancels_nothing(
    slack_client: SlackClient,
    simulator: Simulator,
) -> None:
    reply = await slack_client.post(
        view_submission_body("cancel", {}, private_metadata='{"cancel":"{not json"}')
    )

    answer = reply.json()
    assert answer["response_action"] == "update"
    assert "This confirmation cannot be read any more" in shown(answer["view"])
    assert simulator.calls["operation.cancel"] == 0
