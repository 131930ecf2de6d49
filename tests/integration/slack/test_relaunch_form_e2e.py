"""The relaunch form as a person uses it in the local workspace, which keeps Slack's rules.

Commands, typing, the "add a field" suggestions, picks and submits are the
workspace's own (:mod:`opsbot.workspace.interactions`): trigger_ids, view
state kept across views.update, ``block_suggestion`` answered on the ack,
and a view_submission that carries every input, pre-filled ones included.

Once relaunched, ``opsbot serve``'s own watcher follows the operation while
the simulator moves it on: the announcement becomes the watch's card, and
each of the watcher's edits (chat.update) must keep saying who relaunched
and which fields changed (names only: a value can be a secret), while the
step changes go in its thread.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from opsbot.api.operation import BILL, DONE, ERROR, RUN
from opsbot.simulator import Simulator
from opsbot.ui import ids
from opsbot.ui.limits import OPTIONS
from opsbot.workspace import Interactions, Target
from tests.support.opsbot_app import RunningOpsbot
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import CHANNEL_ID, TEAM_ID, USER_ID

JSON = dict[str, Any]
# The field a relaunch below changes, and to what.
CHANGED = "x-ca_owner_name"
NEW_VALUE = "Ann New-Owner"


@pytest.fixture
def people(keyed_opsbot: RunningOpsbot, fake_slack: FakeSlack) -> Interactions:
    return fake_slack.people(f"{keyed_opsbot.base_url}/slack/events")


async def open_form(people: Interactions, fake_slack: FakeSlack, op_id: int) -> JSON:
    """``/ops relaunch op_id`` typed in the channel; the form once opsbot has filled it."""
    outcome = await people.slash_command(USER_ID, CHANNEL_ID, f"relaunch {op_id}")
    assert outcome.ok, outcome.failure
    await fake_slack.wait_for("views.update")
    return fake_slack.front_view()


async def settled(opsbot: RunningOpsbot, op_id: int) -> None:
    """Wait until opsbot is done with the form (it lets go of the operation's lock),
    so that the test never ends with a Redis call of opsbot's still in flight."""
    locks = opsbot.services.locks
    for _ in range(250):  # 5 s at most
        token = await locks.acquire(TEAM_ID, op_id)
        if token is not None:
            await locks.release(TEAM_ID, op_id, token)
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"opsbot still holds operation {op_id}'s lock after 5 s")


def failed_ca_create(simulator: Simulator) -> int:
    """A .ca domain_create in ERROR; its legal type is one the catalog does not list."""
    return simulator.create(
        "domain_create",
        step=ERROR,
        domain="example.ca",
        params={"x-ca_legaltype": "NOT-A-KNOWN-CODE", CHANGED: "Ann Owner"},
    )


def inputs(view: JSON) -> list[str]:
    return [block["block_id"] for block in view["blocks"] if block["type"] == "input"]


def entered(fake_slack: FakeSlack, block_id: str) -> Any:
    """What the input ``block_id`` of the person's modal holds now."""
    [view] = fake_slack.workspace.open_views(USER_ID)
    return view.state_values[block_id][ids.ACTION_VALUE].get("value")


async def test_a_field_is_added_by_typing_part_of_its_name_and_typed_values_stay(
    people: Interactions, fake_slack: FakeSlack, simulator: Simulator, keyed_opsbot: RunningOpsbot
) -> None:
    op_id = simulator.create("domain_create", step=ERROR, domain="ejemplo.es")
    form = await open_form(people, fake_slack, op_id)
    await people.type_in(USER_ID, form["id"], "x-es_legalform", "1")

    suggested = await people.suggest(
        USER_ID, Target.view(form["id"]), ids.ACTION_ADD_FIELD, "country"
    )

    assert suggested.ok, suggested.failure
    names = [option["value"] for option in suggested.options]
    assert names
    assert len(names) <= OPTIONS
    assert all("country" in name for name in names)
    assert not set(names) & set(inputs(form))
    picked = await people.click(
        USER_ID, Target.view(form["id"]), ids.ACTION_ADD_FIELD, suggested.options[0]
    )
    assert picked.ok, picked.failure
    await fake_slack.wait_for("views.update", count=2)
    redrawn = fake_slack.front_view()
    assert inputs(redrawn) == [*inputs(form), names[0]]
    # Slack keeps what was typed across the redraw (same block_id and action_id).
    assert entered(fake_slack, "x-es_legalform") == "1"
    # Nothing typed offers fields too: the menu opens on a click.
    untyped = await people.suggest(USER_ID, Target.view(form["id"]), ids.ACTION_ADD_FIELD, "")
    assert 0 < len(untyped.options) <= OPTIONS
    await settled(keyed_opsbot, op_id)


async def test_the_form_sends_and_announces_only_what_the_person_changed(
    people: Interactions, fake_slack: FakeSlack, simulator: Simulator
) -> None:
    op_id = failed_ca_create(simulator)
    before = dict(simulator.operation(op_id)["params"])
    form = await open_form(people, fake_slack, op_id)
    assert {"x-ca_legaltype", "x-ca_owner_name"} <= set(inputs(form))

    submitted = await people.submit(USER_ID, form["id"], {"x-ca_owner_name": "Ann New-Owner"})
    # The untouched current value the catalog does not list blocks nothing.
    assert submitted.ok, submitted.failure
    assert submitted.errors == {}
    review = fake_slack.front_view()
    assert "x-ca_owner_name" in json.dumps(review)
    assert "x-ca_legaltype" not in json.dumps(review)
    confirmed = await people.submit(USER_ID, review["id"])
    assert confirmed.ok, confirmed.failure
    operation = simulator.operation(op_id)
    assert operation["step"] == BILL
    assert operation["params"] == {**before, "x-ca_owner_name": "Ann New-Owner"}
    [announcement] = [m for m in fake_slack.messages(CHANNEL_ID) if "relaunched" in m["text"]]
    shown = json.dumps(announcement["blocks"])
    assert "`x-ca_owner_name`" in shown
    assert "x-ca_legaltype" not in shown


async def test_a_form_slack_refuses_is_replaced_by_an_error_never_left_loading(
    people: Interactions, fake_slack: FakeSlack, simulator: Simulator, keyed_opsbot: RunningOpsbot
) -> None:
    op_id = simulator.create("domain_create", step=ERROR, domain="ejemplo.es")
    fake_slack.fail("views.update", "invalid_arguments", times=1)

    outcome = await people.slash_command(USER_ID, CHANNEL_ID, f"relaunch {op_id}")

    assert outcome.ok, outcome.failure
    await fake_slack.wait_for("views.update", count=2)
    shown = json.dumps(fake_slack.front_view())
    assert "Fetching operation" not in shown
    assert "Slack would not show this form (invalid_arguments)" in shown
    await settled(keyed_opsbot, op_id)


# --- the relaunch followed in the announcement's thread -------------------------------


async def relaunch(people: Interactions, fake_slack: FakeSlack, op_id: int) -> JSON:
    """``/ops relaunch``, one field changed, the review confirmed: the announcement."""
    form = await open_form(people, fake_slack, op_id)
    submitted = await people.submit(USER_ID, form["id"], {CHANGED: NEW_VALUE})
    assert submitted.ok, submitted.failure
    confirmed = await people.submit(USER_ID, fake_slack.front_view()["id"])
    assert confirmed.ok, confirmed.failure
    [announcement] = [m for m in fake_slack.messages(CHANNEL_ID) if "relaunched" in m["text"]]
    return announcement


def says_who_and_what(message: JSON, op_id: int) -> bool:
    shown = json.dumps(message["blocks"], ensure_ascii=False)
    who = f"<@{USER_ID}> relaunched operation *#{op_id}* with new values for `{CHANGED}`"
    return who in shown and NEW_VALUE not in shown


def thread(fake_slack: FakeSlack, ts: str) -> list[JSON]:
    return [m for m in fake_slack.messages(CHANNEL_ID) if m.get("thread_ts") == ts]


async def edited_to(fake_slack: FakeSlack, ts: str, step: str) -> JSON:
    """The announcement once the watcher's card edit shows ``step``."""

    def shows_step() -> bool:
        blocks = fake_slack.message(CHANNEL_ID, ts).get("blocks") or []
        return f"*{step}*" in json.dumps(blocks)

    await fake_slack.until(shows_step, f"the card edited to {step}", timeout=20)
    return fake_slack.message(CHANNEL_ID, ts)


@pytest.mark.slow
async def test_each_edit_of_a_relaunch_card_keeps_who_relaunched_and_what_changed(
    watching_opsbot: RunningOpsbot, fake_slack: FakeSlack, simulator: Simulator
) -> None:
    op_id = failed_ca_create(simulator)
    people = fake_slack.people(f"{watching_opsbot.base_url}/slack/events")
    announcement = await relaunch(people, fake_slack, op_id)
    ts = announcement["ts"]
    assert says_who_and_what(announcement, op_id)
    assert simulator.operation(op_id)["step"] == BILL

    simulator.move(op_id, RUN)
    card = await edited_to(fake_slack, ts, RUN)
    assert says_who_and_what(card, op_id)
    await fake_slack.until(lambda: len(thread(fake_slack, ts)) >= 2, "the step in the thread")
    note, step = thread(fake_slack, ts)[:2]
    assert "every step change" in note["text"]
    assert "RUN" in step["text"]
    assert "reply_broadcast" not in step

    simulator.move(op_id, DONE)
    card = await edited_to(fake_slack, ts, DONE)
    assert says_who_and_what(card, op_id)
    await fake_slack.until(lambda: len(thread(fake_slack, ts)) >= 3, "the end in the thread")
    final = thread(fake_slack, ts)[2]
    assert "is done" in final["text"]
    assert final.get("reply_broadcast") is True
    # Every edit went to the announcement itself; nothing else became its card.
    edits = fake_slack.calls_to("chat.update")
    assert len(edits) >= 2
    assert {(edit.args["channel"], edit.args["ts"]) for edit in edits} == {(CHANNEL_ID, ts)}
    assert fake_slack.warnings() == []
