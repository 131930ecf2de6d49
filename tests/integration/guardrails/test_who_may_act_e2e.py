"""Who may act: refused through every entry point, with a private answer naming who may.

The team's rules are set in Redis as ``/ops config`` sets them; people act
in the local workspace (commands, buttons, the relaunch modal), which
delivers signed requests to opsbot and keeps Slack's rules.
"""

from __future__ import annotations

from opsbot.api.operation import ERROR, WAIT
from opsbot.store.guardrails import CANCEL, RELAUNCH, Guardrails, WhoMay
from opsbot.ui import ids
from tests.integration.guardrails.conftest import (
    ADA,
    MIA,
    ONCALL,
    ONLY_ONCALL_AND_ADA,
    OPS,
    OTTO,
    READ_ONLY,
    Guarded,
)
from tests.support.redis_probe import recent_audit
from tests.support.surfaces import all_text
from tests.support.waiting import eventually


async def test_a_refused_command_says_who_may_and_cancels_nothing(guarded: Guarded) -> None:
    op_id = guarded.simulator.create("domain_renew", step=WAIT, domain="example.com")
    await guarded.set_rules(ONLY_ONCALL_AND_ADA)

    await guarded.command(MIA, f"cancel {op_id}")
    [answer] = await guarded.answer_to(MIA)

    assert f"<!subteam^{ONCALL}>" in all_text(answer.blocks)
    assert f"<@{ADA}>" in all_text(answer.blocks)
    assert answer.text == "You may not cancel operations."
    assert guarded.step_of(op_id) == WAIT


async def test_a_member_of_the_group_is_asked_to_confirm(guarded: Guarded) -> None:
    op_id = guarded.simulator.create("domain_renew", step=WAIT, domain="example.com")
    await guarded.set_rules(ONLY_ONCALL_AND_ADA)

    await guarded.command(OTTO, f"cancel {op_id}")
    answers = await guarded.answer_to(OTTO)

    buttons = [
        element["action_id"]
        for block in answers[-1].blocks or []
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert ids.ACTION_CANCEL_CONFIRM in buttons


async def test_a_refused_click_on_cancel_cancels_nothing(guarded: Guarded) -> None:
    op_id = guarded.simulator.create("domain_renew", step=WAIT, domain="example.com")
    await guarded.set_rules(ONLY_ONCALL_AND_ADA)
    card = await guarded.post_card(op_id)

    await guarded.click(MIA, OPS, card, ids.ACTION_CANCEL)
    [answer] = await guarded.answer_to(MIA)

    assert "may cancel operations" in all_text(answer.blocks)
    assert guarded.step_of(op_id) == WAIT
    assert [e.action for e in await recent_audit(guarded.services.redis, "T0GUARD")] == []


async def test_an_allowed_click_cancels_once_confirmed(guarded: Guarded) -> None:
    op_id = guarded.simulator.create("domain_renew", step=WAIT, domain="example.com")
    await guarded.set_rules(ONLY_ONCALL_AND_ADA)
    card = await guarded.post_card(op_id)

    await guarded.submitted(OTTO, await guarded.cancel_clicked(OTTO, OPS, card))
    # The report in the channel is the click's last word.
    await eventually(
        lambda: [m for m in guarded.workspace.history(OPS) if "cancelled by" in all_text(m.blocks)]
    )

    assert guarded.step_of(op_id) == "CANCEL"
    entries = await recent_audit(guarded.services.redis, "T0GUARD")
    assert [(e.action, e.user_id, e.target) for e in entries] == [(CANCEL, OTTO, str(op_id))]


async def test_a_read_only_channel_refuses_actions_but_lets_people_look(
    guarded: Guarded,
) -> None:
    op_id = guarded.simulator.create("domain_renew", step=WAIT, domain="example.com")
    await guarded.set_rules(Guardrails(read_only_channels=frozenset({READ_ONLY})))

    await guarded.command(ADA, f"cancel {op_id}", channel=READ_ONLY)
    [refused] = await guarded.answer_to(ADA)
    await guarded.command(ADA, f"info {op_id}", channel=READ_ONLY)
    info = await eventually(
        lambda: [a for a in guarded.workspace.ephemerals_for(ADA) if f"#{op_id}" in str(a.blocks)]
    )

    assert "read-only" in all_text(refused.blocks)
    assert info
    assert guarded.step_of(op_id) == WAIT


async def test_the_relaunch_button_and_command_are_refused_too(guarded: Guarded) -> None:
    op_id = guarded.simulator.create("domain_create", step=ERROR, domain="example.es")
    await guarded.set_rules(Guardrails().with_who_may(RELAUNCH, WhoMay.only(people=[ADA])))
    card = await guarded.post_card(op_id)

    await guarded.click(MIA, OPS, card, ids.ACTION_RELAUNCH)
    await guarded.command(MIA, f"relaunch {op_id}")
    answers = await guarded.answer_to(MIA, 2)

    assert all("may relaunch operations" in all_text(a.blocks) for a in answers)
    assert guarded.workspace.open_views(MIA) == []


async def test_a_relaunch_submitted_after_the_rules_changed_is_refused(guarded: Guarded) -> None:
    op_id = guarded.simulator.create("domain_create", step=ERROR, domain="example.es")
    await guarded.command(MIA, f"relaunch {op_id}")
    form = await guarded.modal_of(MIA, f"Relaunch #{op_id}")
    await guarded.set_rules(Guardrails().with_who_may(RELAUNCH, WhoMay.only(people=[ADA])))

    outcome = await guarded.served.interactions.submit(MIA, form.id)
    shown = await guarded.modal_of(MIA, "Not allowed")

    assert outcome.ok, outcome.failure
    assert f"<@{ADA}>" in shown.body["blocks"][0]["text"]["text"]
    assert guarded.step_of(op_id) == ERROR


async def test_when_slack_cannot_say_who_is_in_a_group_nothing_is_done(guarded: Guarded) -> None:
    op_id = guarded.simulator.create("domain_renew", step=WAIT, domain="example.com")
    await guarded.set_rules(ONLY_ONCALL_AND_ADA)
    card = await guarded.post_card(op_id)
    for installation in guarded.workspace.installations.values():
        installation.scopes -= {"usergroups:read"}  # usergroups.users.list: missing_scope

    await guarded.click(OTTO, OPS, card, ids.ACTION_CANCEL)
    [answer] = await guarded.answer_to(OTTO)

    assert "Slack could not tell us" in all_text(answer.blocks)
    assert guarded.step_of(op_id) == WAIT


async def test_commands_ask_slack_for_a_groups_members_once_a_minute(guarded: Guarded) -> None:
    op_id = guarded.simulator.create("domain_renew", step=WAIT, domain="example.com")
    await guarded.set_rules(ONLY_ONCALL_AND_ADA)

    def questions() -> list[object]:
        shown = guarded.workspace.ephemerals_for(OTTO)
        return [e for e in shown if ids.ACTION_CANCEL_CONFIRM in str(e.blocks)]

    for asked in range(1, 4):
        await guarded.command(OTTO, f"cancel {op_id}")
        await eventually(lambda n=asked: len(questions()) >= n)  # type: ignore[misc]

    calls = [c for c in guarded.workspace.calls if c.method == "usergroups.users.list"]
    assert len(calls) == 1
