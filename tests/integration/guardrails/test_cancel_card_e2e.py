"""A cancel's report, once it is the watch's card, keeps saying who cancelled.

A cancel the service accepts but has not carried out yet (the simulator's
slow cancel) leaves the operation in its step: the message reporting it (or,
for a cancel that needed approval, the approval card) becomes the watch's
card, and ``opsbot serve``'s own watcher follows the operation to CANCEL.
Each of its edits (chat.update) must still name who cancelled, and who
approved, while the steps go in the card's thread.
"""

from __future__ import annotations

from opsbot.api.operation import CANCEL as CANCELLED
from opsbot.api.operation import WAIT
from opsbot.store.guardrails import CANCEL, Guardrails
from opsbot.ui import ids
from opsbot.workspace import Target
from opsbot.workspace.state import Message
from tests.integration.guardrails.conftest import MIA, OPS, OTTO, Guarded
from tests.support.surfaces import all_text
from tests.support.waiting import eventually


async def cancel_confirmed(guarded: Guarded, user: str) -> int:
    """``/ops cancel N`` answered "Cancel it" by ``user``, the service slow to carry it out."""
    op_id = guarded.simulator.create("domain_renew", step=WAIT, domain="example.com")
    guarded.simulator.slow_next_cancels()
    await guarded.command(user, f"cancel {op_id}")
    [question] = await guarded.answer_to(user)
    outcome = await guarded.served.interactions.click(
        user, Target.message(OPS, question.ts), ids.ACTION_CANCEL_CONFIRM
    )
    assert outcome.ok, outcome.failure
    return op_id


def in_channel(guarded: Guarded, words: str) -> Message | None:
    found = [m for m in guarded.workspace.history(OPS) if words in all_text(m.blocks)]
    return found[-1] if found else None


async def followed_to_the_end(guarded: Guarded, op_id: int, card_ts: str) -> list[Message]:
    """Move the operation to CANCEL; the card's thread once its end is in it."""
    await eventually(lambda: guarded.workspace.thread(OPS, card_ts))  # "Watching: …"
    guarded.simulator.move(op_id, CANCELLED)

    def ended() -> list[Message] | None:
        replies = guarded.workspace.thread(OPS, card_ts)
        return replies if any(f"*{CANCELLED}*" in all_text(r.blocks) for r in replies) else None

    replies = await eventually(ended, timeout_s=20)
    await eventually(lambda: f"*{CANCELLED}*" in all_text(card_of(guarded, card_ts).blocks))
    return replies


def card_of(guarded: Guarded, ts: str) -> Message:
    return guarded.workspace.message(OPS, ts)


def edits_of(guarded: Guarded, ts: str) -> list[str]:
    """The text of every chat.update the card was given, in order."""
    return [
        all_text(call.args.get("blocks") or [])
        for call in guarded.workspace.calls
        if call.method == "chat.update" and call.args.get("ts") == ts
    ]


async def test_each_edit_of_a_cancel_card_keeps_who_cancelled(watching_guarded: Guarded) -> None:
    guarded = watching_guarded
    op_id = await cancel_confirmed(guarded, MIA)
    report = await eventually(lambda: in_channel(guarded, f"cancelled by <@{MIA}>"))
    assert guarded.step_of(op_id) == WAIT

    replies = await followed_to_the_end(guarded, op_id, report.ts)

    said = f"<@{MIA}> cancelled operation *#{op_id}*."
    edits = edits_of(guarded, report.ts)
    assert edits
    assert all(said in edit for edit in edits)
    card = all_text(card_of(guarded, report.ts).blocks)
    assert said in card
    assert f"*{CANCELLED}*" in card
    [note, *steps] = guarded.workspace.thread(OPS, report.ts)
    assert "every step change" in note.text
    assert steps == replies[1:]
    assert any(reply.reply_broadcast for reply in steps)
    # Nothing else in the channel became the operation's card.
    updated = {c.args.get("ts") for c in guarded.workspace.calls if c.method == "chat.update"}
    assert updated == {report.ts}


async def test_each_edit_of_an_approved_cancel_card_names_who_asked_and_who_approved(
    watching_guarded: Guarded,
) -> None:
    guarded = watching_guarded
    await guarded.set_rules(Guardrails(approvals=frozenset({CANCEL})))
    op_id = await cancel_confirmed(guarded, MIA)
    request = await eventually(lambda: in_channel(guarded, f"<@{MIA}> wants to *cancel*"))
    await guarded.click(OTTO, OPS, request.ts, ids.ACTION_APPROVE)
    await eventually(lambda: in_channel(guarded, f"Approved by <@{OTTO}>"))
    assert guarded.step_of(op_id) == WAIT

    await followed_to_the_end(guarded, op_id, request.ts)

    said = f"<@{MIA}> cancelled operation *#{op_id}*, approved by <@{OTTO}>."
    edits = edits_of(guarded, request.ts)
    decided = max(i for i, edit in enumerate(edits) if f"Approved by <@{OTTO}>" in edit)
    watcher_edits = edits[decided + 1 :]
    assert watcher_edits
    assert all(said in edit for edit in watcher_edits)
    card = all_text(card_of(guarded, request.ts).blocks)
    assert said in card
    assert f"*{CANCELLED}*" in card
