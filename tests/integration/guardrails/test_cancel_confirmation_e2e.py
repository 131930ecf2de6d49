"""Look before you leap on every Cancel button: a confirmation modal with what else is in flight.

A Cancel on a list row or a card in the channel opens a modal at once
("Looking…"), filled with the operation and the other operations in flight
on its domain (one operation.list). "Cancel operation" cancels once, under
the guardrails checked again at that moment; "Keep it" closes it. In a
read-only channel, what opsbot shows has no Cancel or Relaunch at all.
"""

from __future__ import annotations

import asyncio

import stamina

from opsbot.api.operation import BILL, CANCEL, DONE, ERROR, RUN, WAIT
from opsbot.store.guardrails import CANCEL as CANCEL_ACTION
from opsbot.store.guardrails import Guardrails
from opsbot.ui import ids
from opsbot.workspace.faults import Fault
from opsbot.workspace.state import Ephemeral
from tests.integration.guardrails.conftest import (
    ADA,
    MIA,
    ONCALL,
    ONLY_ONCALL_AND_ADA,
    OPS,
    OTTO,
    READ_ONLY,
    TEAM,
    Guarded,
)
from tests.support.redis_probe import recent_audit
from tests.support.surfaces import action_ids, all_text
from tests.support.waiting import eventually


async def listed(guarded: Guarded, user: str, text: str, channel: str = OPS) -> Ephemeral:
    """``/ops list …``'s answer, as ``user`` sees it."""
    before = len(guarded.workspace.ephemerals_for(user, channel))
    await guarded.command(user, text, channel=channel)
    answers = await eventually(
        lambda: [
            e
            for e in guarded.workspace.ephemerals_for(user, channel)[before:]
            if "Operations" in e.text or "No operations" in e.text
        ]
    )
    return answers[0]


async def test_cancel_on_a_list_row_shows_what_else_is_in_flight_then_cancels_once(
    guarded: Guarded,
) -> None:
    sim = guarded.simulator
    op_id = sim.create("domain_renew", step=WAIT, domain="example.com")
    running = sim.create("domain_transfer_in", step=RUN, domain="example.com")
    billing = sim.create("domain_update", step=BILL, domain="example.com")
    done = sim.create("domain_renew", step=DONE, domain="example.com")
    elsewhere = sim.create("domain_renew", step=WAIT, domain="other.example")
    row = await listed(guarded, MIA, f"list id={op_id}")
    lists_before = sim.calls["operation.list"]

    asked = await guarded.cancel_clicked(MIA, OPS, row.ts)
    shown = all_text(asked.body["blocks"])

    assert asked.body["title"]["text"] == f"Cancel #{op_id}"
    assert asked.body["submit"]["text"] == "Cancel operation"
    assert asked.body["close"]["text"] == "Keep it"
    assert "Also in flight on domain example.com" in shown
    assert f"#{running}" in shown
    assert f"#{billing}" in shown
    assert f"#{done}" not in shown
    assert f"#{elsewhere}" not in shown
    assert sim.calls["operation.list"] == lists_before + 1
    assert sim.calls["operation.cancel"] == 0

    result = await guarded.submitted(MIA, asked)

    assert result.body["title"]["text"] == "Cancelled"
    assert f"is now *{CANCEL}*, cancelled by <@{MIA}>" in all_text(result.body["blocks"])
    assert guarded.step_of(op_id) == CANCEL
    assert sim.calls["operation.cancel"] == 1
    # The row it was clicked in now reads as it is, with who cancelled it.
    redrawn = guarded.workspace.ephemerals[(OPS, row.ts)]
    assert f"Operation {op_id} cancelled by <@{MIA}>" in all_text(redrawn.blocks)
    assert ids.ACTION_CANCEL not in action_ids(redrawn.blocks)
    reports = [m for m in guarded.workspace.history(OPS) if f"Operation {op_id} is now" in m.text]
    assert len(reports) == 1
    entries = await recent_audit(guarded.services.redis, TEAM)
    assert [(e.action, e.user_id, e.target) for e in entries] == [(CANCEL_ACTION, MIA, str(op_id))]


async def test_cancel_on_a_card_says_when_nothing_else_is_in_flight_and_keep_it_keeps_it(
    guarded: Guarded,
) -> None:
    op_id = guarded.simulator.create("domain_renew", step=WAIT, domain="lonely.example")
    card = await guarded.post_card(op_id)

    asked = await guarded.cancel_clicked(MIA, OPS, card)
    closed = await guarded.served.interactions.close(MIA, asked.id)

    assert "Nothing else is in flight on domain lonely.example" in all_text(asked.body["blocks"])
    assert closed.ok
    assert guarded.workspace.open_views(MIA) == []
    assert guarded.step_of(op_id) == WAIT
    assert guarded.simulator.calls["operation.cancel"] == 0


async def test_two_submits_of_one_confirmation_cancel_once(guarded: Guarded) -> None:
    op_id = guarded.simulator.create("domain_renew", step=WAIT, domain="twice.example")
    card = await guarded.post_card(op_id)
    asked = await guarded.cancel_clicked(MIA, OPS, card)

    outcomes = await asyncio.gather(
        *(guarded.served.interactions.submit(MIA, asked.id) for _ in range(2))
    )

    assert all(outcome.ok for outcome in outcomes)
    assert guarded.simulator.calls["operation.cancel"] == 1
    assert guarded.step_of(op_id) == CANCEL
    entries = await recent_audit(guarded.services.redis, TEAM)
    assert [(e.action, e.outcome) for e in entries] == [(CANCEL_ACTION, "ok")]


async def test_a_refused_person_is_told_who_may_and_no_confirmation_opens(
    guarded: Guarded,
) -> None:
    op_id = guarded.simulator.create("domain_renew", step=WAIT, domain="example.com")
    await guarded.set_rules(ONLY_ONCALL_AND_ADA)
    card = await guarded.post_card(op_id)

    await guarded.click(MIA, OPS, card, ids.ACTION_CANCEL)
    [answer] = await guarded.answer_to(MIA)

    assert answer.text == "You may not cancel operations."
    assert f"<!subteam^{ONCALL}>" in all_text(answer.blocks)
    assert f"<@{ADA}>" in all_text(answer.blocks)
    assert guarded.workspace.open_views(MIA) == []
    assert guarded.step_of(op_id) == WAIT


async def test_the_submit_asks_slack_afresh_whether_one_is_still_in_the_group(
    guarded: Guarded,
) -> None:
    op_id = guarded.simulator.create("domain_renew", step=WAIT, domain="example.com")
    await guarded.set_rules(ONLY_ONCALL_AND_ADA)
    card = await guarded.post_card(op_id)
    asked = await guarded.cancel_clicked(OTTO, OPS, card)  # @oncall's members remembered
    guarded.workspace.set_group_members(ONCALL, [])

    refused = await guarded.submitted(OTTO, asked)

    assert refused.body["title"]["text"] == "Not allowed"
    assert f"<@{ADA}>" in all_text(refused.body["blocks"])
    assert guarded.step_of(op_id) == WAIT
    assert await recent_audit(guarded.services.redis, TEAM) == []


async def test_a_channel_made_read_only_while_the_confirmation_was_open_refuses_it(
    guarded: Guarded,
) -> None:
    op_id = guarded.simulator.create("domain_renew", step=WAIT, domain="example.com")
    card = await guarded.post_card(op_id)
    asked = await guarded.cancel_clicked(MIA, OPS, card)
    await guarded.set_rules(Guardrails(read_only_channels=frozenset({OPS})))

    refused = await guarded.submitted(MIA, asked)

    assert "read-only" in all_text(refused.body["blocks"])
    assert guarded.step_of(op_id) == WAIT


async def test_with_approvals_on_the_submit_posts_the_approval_card(guarded: Guarded) -> None:
    await guarded.set_rules(Guardrails(approvals=frozenset({CANCEL_ACTION})))
    op_id = guarded.simulator.create("domain_renew", step=WAIT, domain="example.com")
    card = await guarded.post_card(op_id)
    asked = await guarded.cancel_clicked(MIA, OPS, card)

    told = await guarded.submitted(MIA, asked)

    assert told.body["title"]["text"] == "Approval requested"
    assert "must approve it within 30 min" in all_text(told.body["blocks"])
    [request] = [m for m in guarded.workspace.history(OPS) if "wants to" in all_text(m.blocks)]
    assert f"<@{MIA}> wants to *cancel* operation *#{op_id}*" in all_text(request.blocks)
    assert action_ids(request.blocks) == [ids.ACTION_APPROVE, ids.ACTION_DENY]
    assert guarded.step_of(op_id) == WAIT
    assert guarded.simulator.calls["operation.cancel"] == 0


async def test_when_the_api_does_not_answer_the_confirmation_says_so(guarded: Guarded) -> None:
    op_id = guarded.simulator.create("domain_renew", step=WAIT, domain="example.com")
    card = await guarded.post_card(op_id)

    # One attempt per call: the API's refusal is final. Every 2nd call refused:
    # operation.info answers, the look at what else is in flight does not.
    with stamina.set_testing(True, attempts=1):
        guarded.simulator.rate_limit_every(2)
        unchecked = await guarded.cancel_clicked(MIA, OPS, card)
        await guarded.served.interactions.close(MIA, unchecked.id)
        guarded.simulator.rate_limit_every(1)
        unreadable = await guarded.cancel_clicked(MIA, OPS, card)

    assert "Could not check what else is in flight on domain example.com" in all_text(
        unchecked.body["blocks"]
    )
    assert unchecked.body["submit"]["text"] == "Cancel operation"
    assert unreadable.body["title"]["text"] == "Cannot cancel"
    assert "busy or rate-limiting" in all_text(unreadable.body["blocks"])
    assert "submit" not in unreadable.body
    assert guarded.simulator.calls["operation.cancel"] == 0


async def test_a_trigger_slack_no_longer_takes_is_told_privately(guarded: Guarded) -> None:
    op_id = guarded.simulator.create("domain_renew", step=WAIT, domain="example.com")
    card = await guarded.post_card(op_id)
    guarded.workspace.faults.add(Fault("views.open", "expired_trigger_id", 1))

    await guarded.click(MIA, OPS, card, ids.ACTION_CANCEL)
    [answer] = await guarded.answer_to(MIA)

    assert "expired_trigger_id" in answer.text
    assert f"`/ops cancel {op_id}`" in answer.text
    assert guarded.step_of(op_id) == WAIT


async def test_in_a_read_only_channel_rows_and_cards_have_no_cancel_or_relaunch(
    guarded: Guarded,
) -> None:
    waiting = guarded.simulator.create("domain_renew", step=WAIT, domain="example.com")
    failed = guarded.simulator.create("domain_create", step=ERROR, domain="example.es")
    await guarded.set_rules(Guardrails(read_only_channels=frozenset({READ_ONLY})))

    here = await listed(guarded, ADA, f"list id={waiting},{failed}", channel=READ_ONLY)
    there = await listed(guarded, ADA, f"list id={waiting},{failed}", channel=OPS)
    await guarded.command(ADA, f"info {failed}", channel=READ_ONLY)
    [card] = await eventually(
        lambda: [
            e
            for e in guarded.workspace.ephemerals_for(ADA, READ_ONLY)
            if e.text.startswith(f"Operation {failed}")
        ]
    )

    assert action_ids(here.blocks) == [ids.ACTION_INFO, ids.ACTION_WATCH] * 2
    assert action_ids(card.blocks) == [ids.ACTION_INFO, ids.ACTION_WATCH]
    # Elsewhere the same rows keep them.
    assert {ids.ACTION_CANCEL, ids.ACTION_RELAUNCH} <= set(action_ids(there.blocks))
