"""A second pair of eyes: requests posted as cards, decided once, expired by the sweep.

People act in the local workspace; concurrent clicks are concurrent signed
requests delivered to opsbot over HTTP, as Slack would deliver them.
"""

from __future__ import annotations

import asyncio
import time

from opsbot.api.operation import CANCEL as CANCELLED
from opsbot.api.operation import ERROR, WAIT
from opsbot.clock import utc_now
from opsbot.store import keyspace
from opsbot.store.approvals import APPROVED, PENDING, ApprovalStore
from opsbot.store.guardrails import CANCEL, RELAUNCH, Guardrails, WhoMay
from opsbot.store.watches import Announced
from opsbot.ui import ids
from opsbot.ui.watching import watch_card_message
from opsbot.watcher.approval_expiry import ApprovalExpiry
from opsbot.watcher.clients import TeamClients
from opsbot.workspace import Target
from opsbot.workspace.state import Message, View
from tests.integration.guardrails.conftest import (
    ADA,
    MIA,
    OPS,
    OTTO,
    TEAM,
    Guarded,
)
from tests.support.opsbot_app import running_opsbot
from tests.support.redis_probe import recent_audit
from tests.support.surfaces import all_text
from tests.support.waiting import eventually

SECRET = "secret-transfer-code-42"


def _form_with(guarded: Guarded, user: str, block_id: str) -> View | None:
    views = guarded.workspace.open_views(user)
    blocks = views[-1].body.get("blocks") or [] if views else []
    return views[-1] if any(b.get("block_id") == block_id for b in blocks) else None


async def all_decided(guarded: Guarded) -> None:
    """The last step of a decision: its request leaves the sweep's set (then the test may end)."""
    for _ in range(250):
        if not await guarded.services.redis.zcard(keyspace.approvals_due()):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("a decided request is still in the sweep's set")


def told_privately(guarded: Guarded, *users: str) -> list[str]:
    return [all_text(e.blocks) for u in users for e in guarded.workspace.ephemerals_for(u)]


def approval_cards(guarded: Guarded) -> list[Message]:
    return [
        m
        for m in guarded.workspace.history(OPS)
        if "Approval needed" in m.text or "asked" in m.text
    ]


async def request_cancel(guarded: Guarded, requester: str = MIA) -> tuple[int, Message]:
    """``requester`` clicks Cancel on a card and confirms: the approval card it posts."""
    op_id = guarded.simulator.create("domain_renew", step=WAIT, domain="example.com")
    card = await guarded.post_card(op_id)
    asked = await guarded.cancel_clicked(requester, OPS, card)
    await guarded.submitted(requester, asked)
    posted = await eventually(lambda: approval_cards(guarded))
    return op_id, posted[-1]


async def test_a_cancel_waits_for_approval_then_runs_once_approved(guarded: Guarded) -> None:
    await guarded.set_rules(Guardrails(approvals=frozenset({CANCEL})))

    op_id, card = await request_cancel(guarded)
    pending = all_text(card.blocks)
    told = all_text(guarded.workspace.open_views(MIA)[-1].body["blocks"])
    step_while_pending = guarded.step_of(op_id)
    await guarded.click(OTTO, OPS, card.ts, ids.ACTION_APPROVE)
    await eventually(lambda: guarded.step_of(op_id) == CANCELLED)
    await eventually(lambda: "Approved" in all_text(guarded.workspace.message(OPS, card.ts).blocks))
    await all_decided(guarded)

    assert f"<@{MIA}> wants to *cancel* operation *#{op_id}*" in pending
    assert "Current step: *WAIT*" in pending
    assert "must approve it within 30 min" in told
    assert step_while_pending == WAIT
    shown = guarded.workspace.message(OPS, card.ts)
    assert f"Approved by <@{OTTO}>" in all_text(shown.blocks)
    assert not [b for b in shown.blocks or [] if b["type"] == "actions"]
    entries = await recent_audit(guarded.services.redis, TEAM)
    done = [e for e in entries if e.outcome == "ok"]
    assert [(e.action, e.user_id, e.target) for e in done] == [(CANCEL, OTTO, str(op_id))]
    assert done[0].detail == f"requested by {MIA}; approved by {OTTO}"


async def test_the_requester_cannot_approve_their_own_request(guarded: Guarded) -> None:
    await guarded.set_rules(Guardrails(approvals=frozenset({CANCEL})))
    op_id, card = await request_cancel(guarded)

    await guarded.click(MIA, OPS, card.ts, ids.ACTION_APPROVE)
    answers = await guarded.answer_to(MIA)

    assert "someone else allowed to cancel must approve" in all_text(answers[-1].blocks)
    assert guarded.step_of(op_id) == WAIT


async def test_an_approver_not_allowed_to_act_is_refused(guarded: Guarded) -> None:
    rules = Guardrails(approvals=frozenset({CANCEL})).with_who_may(
        CANCEL, WhoMay.only(people=[MIA, ADA])
    )
    await guarded.set_rules(rules)
    op_id, card = await request_cancel(guarded)

    await guarded.click(OTTO, OPS, card.ts, ids.ACTION_APPROVE)
    [refused] = await guarded.answer_to(OTTO)

    assert f"<@{ADA}>" in all_text(refused.blocks)
    assert guarded.step_of(op_id) == WAIT
    assert "Approve" in all_text(guarded.workspace.message(OPS, card.ts).blocks)


async def test_two_approvers_at_once_and_a_double_click_cancel_once(guarded: Guarded) -> None:
    await guarded.set_rules(Guardrails(approvals=frozenset({CANCEL})))
    op_id, card = await request_cancel(guarded)
    target = Target.message(OPS, card.ts)
    clicks = [(OTTO, ids.ACTION_APPROVE), (ADA, ids.ACTION_APPROVE), (ADA, ids.ACTION_APPROVE)]

    outcomes = await asyncio.gather(
        *(guarded.served.interactions.click(user, target, action) for user, action in clicks)
    )
    await eventually(lambda: guarded.step_of(op_id) == CANCELLED)
    await all_decided(guarded)
    # The two who lost are told it was already approved.
    await eventually(lambda: len(told_privately(guarded, OTTO, ADA)) >= 2)

    assert all(outcome.ok for outcome in outcomes)
    entries = await recent_audit(guarded.services.redis, TEAM)
    runs = [e for e in entries if e.action == CANCEL and "approved by" in e.detail]
    assert len(runs) == 1
    assert runs[0].outcome == "ok"
    told = told_privately(guarded, OTTO, ADA)
    assert sum("already approved" in text for text in told) == 2


async def test_a_denied_request_does_nothing_and_says_who_denied(guarded: Guarded) -> None:
    await guarded.set_rules(Guardrails(approvals=frozenset({CANCEL})))
    op_id, card = await request_cancel(guarded)

    await guarded.click(ADA, OPS, card.ts, ids.ACTION_DENY)
    await eventually(lambda: "Denied" in all_text(guarded.workspace.message(OPS, card.ts).blocks))
    await all_decided(guarded)

    assert guarded.step_of(op_id) == WAIT
    [denial] = [
        e for e in await recent_audit(guarded.services.redis, TEAM) if e.outcome == "denied"
    ]
    assert (denial.user_id, denial.detail) == (ADA, f"requested by {MIA}; denied by {ADA}")


async def test_a_relaunch_approved_sends_exactly_the_parameters_asked_for(
    guarded: Guarded,
) -> None:
    await guarded.set_rules(Guardrails(approvals=frozenset({RELAUNCH})))
    op_id = guarded.simulator.create(
        "domain_transfer_in", step=ERROR, domain="moving.example", params={"authinfo": "old"}
    )
    await guarded.command(MIA, f"relaunch {op_id}")
    form = await eventually(lambda: _form_with(guarded, MIA, "authinfo"))

    await guarded.served.interactions.submit(MIA, form.id, {"authinfo": SECRET})
    # The review of the change comes first; its Relaunch asks for the approval.
    [_, review] = guarded.served.workspace.open_views(MIA)
    await guarded.served.interactions.submit(MIA, review.id)
    asked = await guarded.modal_of(MIA, "Approval requested")
    [card] = await eventually(lambda: approval_cards(guarded))
    pending = all_text(card.blocks) + card.text
    requests = f"opsbot:{{{TEAM}}}:approval:[0-9a-f]*"
    stored = [
        await guarded.services.redis.hgetall(key)
        async for key in guarded.services.redis.scan_iter(match=requests)
    ]
    step_while_pending = guarded.step_of(op_id)
    card_ts = card.ts
    await guarded.click(ADA, OPS, card.ts, ids.ACTION_APPROVE)
    await eventually(lambda: guarded.simulator.operation(op_id)["params"]["authinfo"] == SECRET)
    await all_decided(guarded)

    assert "must approve it within" in all_text(asked.body["blocks"])
    assert "`authinfo` = ••••••" in pending
    assert SECRET not in pending
    assert len(stored) == 1
    assert SECRET not in str(stored)
    assert step_while_pending == ERROR
    # The approval card is now the watch's card: each redraw keeps who asked,
    # what changed (names only) and who approved.
    watch = await guarded.services.watches.get(TEAM, op_id)
    assert watch is not None
    watch_card = watch.card(OPS)
    assert watch_card is not None
    assert watch_card.ts == card_ts
    assert watch_card.announced == Announced(RELAUNCH, MIA, ("authinfo",), approved_by=ADA)
    redrawn = all_text(watch_card_message(watch, now=utc_now(), channel=OPS)["blocks"])
    said = f"<@{MIA}> relaunched operation *#{op_id}* with new values for `authinfo`"
    assert f"{said}, approved by <@{ADA}>." in redrawn
    assert SECRET not in redrawn


async def test_an_undecided_request_expires_on_its_card_by_the_sweep(guarded: Guarded) -> None:
    await guarded.set_rules(Guardrails(approvals=frozenset({CANCEL}), approval_minutes=1))
    op_id, card = await request_cancel(guarded)
    settings = guarded.opsbot.settings
    store = ApprovalStore(guarded.services.redis, guarded.services.vault)

    async with TeamClients(settings) as clients:
        too_early = await ApprovalExpiry(store, clients).sweep()
        later = ApprovalExpiry(store, clients, clock=lambda: time.time() + 61)
        expired = await later.sweep()
        again = await later.sweep()

    assert (too_early, expired, again) == (0, 1, 0)
    shown = guarded.workspace.message(OPS, card.ts)
    assert "Expired: nobody decided within 1 min" in all_text(shown.blocks)
    assert not [b for b in shown.blocks or [] if b["type"] == "actions"]
    assert guarded.step_of(op_id) == WAIT
    assert await guarded.services.redis.zcard(keyspace.approvals_due()) == 0


async def test_a_click_after_the_expiry_expires_it_rather_than_act(guarded: Guarded) -> None:
    await guarded.set_rules(Guardrails(approvals=frozenset({CANCEL})))
    op_id, card = await request_cancel(guarded)
    [(team, approval_id)] = await guarded.services.approvals.due(time.time() + 3600)
    await guarded.services.redis.hset(keyspace.approval(team, approval_id), "expires_at", "1")

    await guarded.click(OTTO, OPS, card.ts, ids.ACTION_APPROVE)
    await eventually(lambda: "Expired" in all_text(guarded.workspace.message(OPS, card.ts).blocks))
    [told] = await guarded.answer_to(OTTO)

    assert "expired" in told.text
    approval = await guarded.services.approvals.get(team, approval_id)
    assert approval is not None
    assert approval.state not in (PENDING, APPROVED)
    assert guarded.step_of(op_id) == WAIT


async def test_another_process_expires_a_request_it_never_saw(guarded: Guarded) -> None:
    """Requested through one opsbot; a second one, started later, runs the sweep."""
    await guarded.set_rules(Guardrails(approvals=frozenset({CANCEL})))
    op_id, card = await request_cancel(guarded)
    [(team, approval_id)] = await guarded.services.approvals.due(time.time() + 3600)
    await guarded.services.redis.hset(keyspace.approval(team, approval_id), "expires_at", "1")
    await guarded.services.redis.zadd(keyspace.approvals_due(), {f"{team}:{approval_id}": 1})

    async with running_opsbot(guarded.env, watcher=True):
        await eventually(
            lambda: "Expired" in all_text(guarded.workspace.message(OPS, card.ts).blocks),
            timeout_s=15,
        )

    assert guarded.step_of(op_id) == WAIT


async def test_a_double_submit_of_the_confirmation_posts_one_request(guarded: Guarded) -> None:
    await guarded.set_rules(Guardrails(approvals=frozenset({CANCEL})))
    op_id = guarded.simulator.create("domain_renew", step=WAIT, domain="example.com")
    asked = await guarded.cancel_clicked(MIA, OPS, await guarded.post_card(op_id))

    await asyncio.gather(*(guarded.served.interactions.submit(MIA, asked.id) for _ in range(2)))
    told = all_text(guarded.workspace.open_views(MIA)[-1].body["blocks"])

    assert len(approval_cards(guarded)) == 1
    assert "already waiting for approval" in told or "must approve it" in told
    assert guarded.step_of(op_id) == WAIT
