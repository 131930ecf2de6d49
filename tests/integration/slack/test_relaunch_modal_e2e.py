"""The relaunch modal end to end: opened from ``/ops relaunch`` or the button,
filled from the operation, a field added from the menu, checked on submit,
and only the filled fields sent to operation.relaunch.

Slack's side of the modal is FakeSlack: it keeps each view with its hash, so
the "add a field" click and the submission carry the view exactly as Slack
would send it back.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from opsbot.api.catalog import RELAUNCH_PARAMETERS
from opsbot.api.operation import BILL, ERROR, RUN
from opsbot.simulator import Simulator
from tests.support.opsbot_app import RunningOpsbot
from tests.support.redis_probe import recent_audit
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import (
    CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    EventsReply,
    SlackClient,
    block_actions_body,
    datepicker_state,
    option,
    plain_text_state,
    slash_command_body,
    static_select_state,
    view_select_body,
    view_submission_body,
)

JSON = dict[str, Any]
REVIEW_ID = "V0REVIEW"
OLD_AUTHINFO = "Old-Transfer-Code-1x2y"
NEW_AUTHINFO = "New-Transfer-Code-9z8w"


# --- helpers ------------------------------------------------------------------------


async def open_modal(slack_client: SlackClient, fake_slack: FakeSlack, op_id: int) -> JSON:
    """``/ops relaunch op_id``; the view as Slack holds it once opsbot has filled it."""
    reply = await slack_client.post(
        slash_command_body(f"relaunch {op_id}", response_url=fake_slack.response_url("cmd"))
    )
    assert reply.status == 200
    assert reply.text == ""
    [update] = await fake_slack.wait_for("views.update")
    return fake_slack.view(update.args["view_id"])


def announcement_ts(fake_slack: FakeSlack, text: str) -> str:
    [ts] = [m["ts"] for m in fake_slack.messages(CHANNEL_ID) if m["text"] == text]
    return str(ts)


def inputs(view: JSON) -> dict[str, str]:
    """{block_id: element type} of the view's inputs, in order."""
    return {
        block["block_id"]: block["element"]["type"]
        for block in view["blocks"]
        if block["type"] == "input"
    }


def input_block(view: JSON, block_id: str) -> JSON:
    [block] = [block for block in view["blocks"] if block.get("block_id") == block_id]
    return dict(block)


async def submit(slack_client: SlackClient, view: JSON, values: dict[str, JSON]) -> EventsReply:
    """Submit ``view`` with ``values`` ({block_id: element state}) as Slack would."""
    reply = await slack_client.post(
        view_submission_body(
            "relaunch",
            {block_id: {"value": state} for block_id, state in values.items()},
            private_metadata=view["private_metadata"],
            view_id=view["id"],
            view_hash=view["hash"],
        )
    )
    assert reply.status == 200
    return reply


async def confirm_review(slack_client: SlackClient, reply: EventsReply) -> EventsReply:
    """Press Relaunch on the review the form's submit pushed, as Slack would send it."""
    body = reply.json()
    assert body["response_action"] == "push"
    return await relaunch_reviewed(slack_client, body["view"])


async def relaunch_reviewed(slack_client: SlackClient, review: JSON) -> EventsReply:
    """The review's submission (its Relaunch button)."""
    assert review["callback_id"] == "relaunch_review"
    answer = await slack_client.post(
        view_submission_body(
            "relaunch_review", {}, private_metadata=review["private_metadata"], view_id=REVIEW_ID
        )
    )
    assert answer.status == 200
    return answer


def everything_slack_got(fake_slack: FakeSlack) -> str:
    calls = [call.args for call in fake_slack.calls]
    return json.dumps([calls, fake_slack.responses()], ensure_ascii=False)


# --- opening ---------------------------------------------------------------------------


@pytest.mark.usefixtures("keyed_opsbot")
async def test_relaunch_opens_a_loading_modal_then_fills_it_for_the_tld(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create(
        "domain_create",
        step=ERROR,
        domain="ejemplo.es",
        last_error="registry refused the request",
        params={"x-es_identification": "X1234567Z"},
    )

    view = await open_modal(slack_client, fake_slack, op_id)

    [opened] = fake_slack.calls_to("views.open")
    loading = opened.args["view"]
    assert loading["callback_id"] == "relaunch"
    assert json.loads(loading["private_metadata"])["operation_id"] == op_id
    assert "Fetching operation" in json.dumps(loading)
    [update] = fake_slack.calls_to("views.update")
    # Sent with the hash views.open returned: Slack took it (no hash_conflict).
    assert update.args["hash"]
    assert update.error is None

    assert view["callback_id"] == "relaunch"
    metadata = json.loads(view["private_metadata"])
    assert (metadata["operation_id"], metadata["channel_id"]) == (op_id, CHANNEL_ID)
    fields = inputs(view)
    es_fields = {name for name in RELAUNCH_PARAMETERS if name.startswith("x-es_")}
    assert {name for name in fields if name.startswith("x-es_")} == es_fields
    assert "x-document_type" in fields
    assert all(kind == "plain_text_input" for kind in fields.values())
    prefilled = input_block(view, "x-es_identification")["element"]
    assert prefilled["initial_value"] == "X1234567Z"
    assert simulator.calls["operation.relaunch"] == 0


@pytest.mark.usefixtures("keyed_opsbot")
async def test_the_relaunch_button_opens_the_same_modal(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=ERROR, domain="button.fi")

    reply = await slack_client.post(
        block_actions_body("op_relaunch", str(op_id), response_url=fake_slack.response_url("b"))
    )
    assert reply.status == 200
    [update] = await fake_slack.wait_for("views.update")

    view = fake_slack.view(update.args["view_id"])
    assert json.loads(view["private_metadata"])["operation_id"] == op_id
    assert inputs(view)["x-fi_birthdate"] == "datepicker"


@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_type_that_cannot_be_relaunched_is_explained_in_the_modal(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("vm_create", step=ERROR)

    view = await open_modal(slack_client, fake_slack, op_id)

    assert view["title"]["text"] == "Cannot relaunch"
    assert f"Operation {op_id} is a vm_create; only domain_change_owner" in json.dumps(view)
    assert view.get("submit") is None
    assert simulator.calls["operation.relaunch"] == 0


@pytest.mark.usefixtures("keyed_opsbot")
async def test_an_operation_not_in_error_is_explained_in_the_modal(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=RUN, domain="busy.example")

    view = await open_modal(slack_client, fake_slack, op_id)

    assert f"Operation {op_id} is in RUN; only operations in ERROR" in json.dumps(view)
    assert simulator.calls["operation.relaunch"] == 0


@pytest.mark.usefixtures("keyed_opsbot")
async def test_relaunch_of_an_unknown_id_names_it_in_the_modal(
    slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    view = await open_modal(slack_client, fake_slack, 4242)

    assert view["title"]["text"] == "Cannot relaunch"
    assert "Operation *#4242* was not found" in json.dumps(view)


async def test_an_api_fault_is_shown_in_the_modal_escaped_once(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    # A stored key the API finds malformed: its fault quotes the key as "<redacted>".
    await keyed_opsbot.set_team_key(TEAM_ID, "Not-A-Well-Formed-Key")

    view = await open_modal(slack_client, fake_slack, simulator.operations()[0]["id"])

    shown = json.dumps(view)
    assert "&lt;redacted&gt;" in shown
    assert "&amp;lt;" not in shown
    assert "Not-A-Well-Formed-Key" not in everything_slack_got(fake_slack)


# --- adding a field ----------------------------------------------------------------------


@pytest.mark.usefixtures("keyed_opsbot")
async def test_adding_a_field_redraws_the_modal_with_it_using_the_views_hash(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=ERROR, domain="ejemplo.es")
    view = await open_modal(slack_client, fake_slack, op_id)
    before = list(inputs(view))
    assert "x-fi_birthdate" not in before

    reply = await slack_client.post(
        view_select_body(
            view, "relaunch_add_field", option("x-fi_birthdate"), block_id="relaunch_add_field"
        )
    )
    assert reply.status == 200
    updates = await fake_slack.wait_for("views.update", count=2)

    assert updates[-1].args["view_id"] == view["id"]
    assert updates[-1].args["hash"] == view["hash"]
    redrawn = fake_slack.view(view["id"])
    assert list(inputs(redrawn)) == [*before, "x-fi_birthdate"]
    assert inputs(redrawn)["x-fi_birthdate"] == "datepicker"
    assert redrawn["private_metadata"] == view["private_metadata"]


# --- submitting --------------------------------------------------------------------------


@pytest.mark.usefixtures("keyed_opsbot")
async def test_an_unknown_enumeration_value_is_refused_on_its_input(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=ERROR, domain="sydney.au")
    view = await open_modal(slack_client, fake_slack, op_id)
    select = input_block(view, "x-au_registrant_id_type")["element"]
    assert select["type"] == "static_select"
    assert {choice["value"] for choice in select["options"]} >= {"ABN", "ACN"}

    reply = await submit(
        slack_client, view, {"x-au_registrant_id_type": static_select_state("PASSPORT")}
    )

    assert reply.json() == {
        "response_action": "errors",
        "errors": {"x-au_registrant_id_type": "Choose one of the listed values."},
    }
    assert simulator.calls["operation.relaunch"] == 0


@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_bad_date_is_refused_on_its_input(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=ERROR, domain="helsinki.fi")
    view = await open_modal(slack_client, fake_slack, op_id)

    reply = await submit(
        slack_client,
        view,
        {
            "x-fi_birthdate": datepicker_state("1980-02-31"),
            "x-fi_ident_number": plain_text_state("1"),
        },
    )

    body = reply.json()
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == ["x-fi_birthdate"]
    assert "YYYY-MM-DD" in body["errors"]["x-fi_birthdate"]
    assert simulator.calls["operation.relaunch"] == 0


async def test_a_valid_submit_relaunches_with_only_the_filled_fields(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=ERROR, domain="ejemplo.es")
    params_before = dict(simulator.operation(op_id)["params"])
    view = await open_modal(slack_client, fake_slack, op_id)

    submitted = await submit(
        slack_client,
        view,
        {
            "x-es_legalform": plain_text_state(" 1 "),
            "x-es_identification": plain_text_state(None),
            "x-document_type": plain_text_state(""),
        },
    )
    assert simulator.calls["operation.relaunch"] == 0  # the review comes first
    reply = await confirm_review(slack_client, submitted)

    assert reply.json() == {"response_action": "clear"}
    assert simulator.calls["operation.relaunch"] == 1
    operation = simulator.operation(op_id)
    assert operation["step"] == BILL
    assert operation["params"] == {**params_before, "x-es_legalform": "1"}
    [posted, thread_note] = fake_slack.calls_to("chat.postMessage")
    # The announcement's thread now follows the relaunched operation.
    assert thread_note.args["thread_ts"] == announcement_ts(fake_slack, posted.args["text"])
    assert posted.args["channel"] == CHANNEL_ID
    assert posted.args["text"] == f"Operation {op_id} was relaunched"
    assert f"<@{USER_ID}> relaunched operation *#{op_id}*" in json.dumps(posted.args["blocks"])
    assert "`x-es_legalform`" in json.dumps(posted.args["blocks"])
    [entry] = await recent_audit(keyed_opsbot.services.redis, TEAM_ID)
    assert (entry.action, entry.target, entry.user_id, entry.outcome) == (
        "relaunch",
        str(op_id),
        USER_ID,
        "ok",
    )


@pytest.mark.usefixtures("keyed_opsbot")
async def test_an_authinfo_value_never_reaches_slack(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create(
        "domain_transfer_in",
        step=ERROR,
        domain="moving.example",
        params={"authinfo": OLD_AUTHINFO},
    )
    view = await open_modal(slack_client, fake_slack, op_id)
    assert next(iter(inputs(view))) == "authinfo"
    assert "not shown" in input_block(view, "authinfo")["hint"]["text"]

    # Someone types a new code, then adds a field: the redraw must not echo it.
    typed = copy.deepcopy(view)
    typed["state"] = {"values": {"authinfo": {"value": plain_text_state(NEW_AUTHINFO)}}}
    await slack_client.post(
        view_select_body(
            typed, "relaunch_add_field", option("x-document_country"), block_id="relaunch_add_field"
        )
    )
    await fake_slack.wait_for("views.update", count=2)
    reviewed = await submit(
        slack_client, fake_slack.view(view["id"]), {"authinfo": plain_text_state(NEW_AUTHINFO)}
    )
    reply = await confirm_review(slack_client, reviewed)

    assert reply.json() == {"response_action": "clear"}
    assert simulator.operation(op_id)["params"]["authinfo"] == NEW_AUTHINFO
    [posted, thread_note] = fake_slack.calls_to("chat.postMessage")
    # The announcement's thread now follows the relaunched operation.
    assert thread_note.args["thread_ts"] == announcement_ts(fake_slack, posted.args["text"])
    assert "`authinfo`" in json.dumps(posted.args["blocks"])
    for secret in (OLD_AUTHINFO, NEW_AUTHINFO):
        assert secret not in everything_slack_got(fake_slack)
        assert secret not in reply.text
        # The review masks it, and its metadata carries it encrypted.
        assert secret not in reviewed.text


async def test_a_refusal_by_the_api_is_shown_in_the_modal(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=ERROR, domain="late.example")
    view = await open_modal(slack_client, fake_slack, op_id)
    # Between opening and submitting, someone else relaunched it.
    simulator.move(op_id, RUN)

    reviewed = await submit(slack_client, view, {"x-document_type": plain_text_state("passport")})
    reply = await confirm_review(slack_client, reviewed)

    body = reply.json()
    assert body["response_action"] == "update"
    assert body["view"]["title"]["text"] == "Relaunch failed"
    refusal = json.dumps(body["view"])
    assert f"Operation {op_id} is in *{RUN}*; relaunch is only possible in ERROR" in refusal
    assert "The API said:" in refusal
    assert fake_slack.calls_to("chat.postMessage") == []
    [entry] = await recent_audit(keyed_opsbot.services.redis, TEAM_ID)
    assert (entry.action, entry.outcome) == ("relaunch", "error: invalid_step")


@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_modal_slack_would_not_open_is_explained_privately(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=ERROR, domain="expired.example")
    fake_slack.fail("views.open", "expired_trigger_id")

    reply = await slack_client.post(
        slash_command_body(f"relaunch {op_id}", response_url=fake_slack.response_url("cmd"))
    )
    assert reply.status == 200
    [answer] = await fake_slack.wait_for_responses("cmd")

    assert answer["response_type"] == "ephemeral"
    assert "expired_trigger_id" in answer["text"]
    assert f"/ops relaunch {op_id}" in answer["text"]
    assert simulator.calls["operation.relaunch"] == 0


@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_relaunch_nobody_can_be_told_about_still_closes_the_modal(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=ERROR, domain="quiet.example")
    view = await open_modal(slack_client, fake_slack, op_id)
    # Neither the channel nor a direct message takes the announcement.
    fake_slack.fail("chat.postMessage", "channel_not_found", times=2)

    reviewed = await submit(slack_client, view, {"x-document_type": plain_text_state("passport")})
    reply = await confirm_review(slack_client, reviewed)

    assert reply.json() == {"response_action": "clear"}
    assert simulator.operation(op_id)["step"] == BILL
    posts = fake_slack.calls_to("chat.postMessage")
    assert [call.args["channel"] for call in posts] == [CHANNEL_ID, USER_ID]
