"""A second pair of eyes: a cancel or relaunch that waits for another person's approval.

When the team's guardrails ask for it (``/ops config``), a cancel confirmed
(a Cancel button's modal, ``/ops cancel``'s question) or a relaunch form
submitted does not act: :func:`request`
posts an approval card in the channel instead, naming who asks for what on
which operation, its current step and when the request expires. Anyone the
guardrails let take that action, other than the requester, may Approve or
Deny; the store's script lets exactly one decision through, so two approvers
at once, or a double click, run the action once. The audit entry of the
action names the approver (its user) and the requester (its detail).
Requests nobody decides expire; the watcher's sweep updates their cards.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping
from typing import Final

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from opsbot.api.errors import ApiError
from opsbot.api.operation import Operation
from opsbot.clock import utc_now
from opsbot.services import Services
from opsbot.slack import audit_trail
from opsbot.slack.follow import watch_in_thread
from opsbot.slack.interaction import Action, Interaction, on_button
from opsbot.slack.posting import post_paced
from opsbot.store import audit, keyspace
from opsbot.store.approvals import APPROVED, DENIED, EXPIRED, Approval, Request
from opsbot.store.guardrails import RELAUNCH
from opsbot.store.vault import VaultError
from opsbot.store.watches import Announced
from opsbot.ui import ids
from opsbot.ui.approvals import approval_card, shown_params
from opsbot.ui.common import error_message, notice_message
from opsbot.ui.guardrails import Refusal, not_allowed_message
from opsbot.ui.relaunch import changed_names

log = logging.getLogger(__name__)

BROKEN: Final = "This approval button is broken; ask for the action again."
GONE: Final = "This request is no longer known: it was decided or expired more than a day ago."
_DECIDED: Final = {
    APPROVED: "This request was already approved.",
    DENIED: "This request was already denied.",
    EXPIRED: "This request has expired: nothing was done. Ask again if it is still needed.",
}


def register(app: AsyncApp, services: Services) -> None:
    on_button(app, services, ids.ACTION_APPROVE, _approve)
    on_button(app, services, ids.ACTION_DENY, _deny)


# --- asking --------------------------------------------------------------------------------


async def needed(asked: Interaction, action: str) -> bool:
    rules = await asked.services.guardrails.get(asked.team_id)
    return rules.needs_approval(action)


async def request(
    asked: Interaction, action: str, operation: Operation, params: Mapping[str, str] | None = None
) -> str:
    """Post the approval card for ``action`` on ``operation``; what to tell the requester."""
    channel = asked.requester.channel_id
    if not channel:
        return "An approval request is posted in a channel: ask from a channel."
    rules = await asked.services.guardrails.get(asked.team_id)
    wanted = Request(
        action=action,
        op_id=operation.id,
        requester=asked.user_id,
        channel=channel,
        op_type=operation.type,
        label=operation.domain or "",
        step=operation.step,
        params=dict(params or {}),
        shown_params=shown_params(params or {}),
    )
    now = time.time()
    expires_at = now + rules.approval_minutes * 60
    approval = await asked.services.approvals.create(
        asked.team_id, wanted, now=now, expires_at=expires_at
    )
    if approval is None:
        return (
            f"A request to {action} operation {operation.id} is already waiting for approval "
            "in the channel: nothing more was asked."
        )
    card = approval_card(approval, wanted, now=utc_now())
    try:
        posted = await post_paced(
            asked.client,
            asked.services.pacing,
            asked.team_id,
            channel,
            text=card["text"],
            blocks=card["blocks"],
        )
    except SlackApiError as error:
        reason = error.response.get("error") or "no reason given"
        await _withdraw(asked, approval)
        return f"opsbot could not post the approval request here ({reason}): nothing was done."
    await asked.services.approvals.set_card(asked.team_id, approval.id, str(posted["ts"]))
    detail = f"approval {approval.id} requested, {rules.approval_minutes} min"
    await asked.record(action, target=str(operation.id), outcome="awaiting approval", detail=detail)
    return (
        f"Your request to {action} operation {operation.id} is posted in the channel: someone "
        f"else allowed to {action} must approve it within {rules.approval_minutes} min."
    )


async def _withdraw(asked: Interaction, approval: Approval) -> None:
    await asked.services.approvals.decide(
        asked.team_id, approval.id, state=DENIED, by="", now=time.time()
    )
    await asked.services.approvals.forget_due(asked.team_id, approval.id)


# --- deciding ------------------------------------------------------------------------------


async def _approve(asked: Interaction, action: Action) -> None:
    await _decide(asked, action, APPROVED)


async def _deny(asked: Interaction, action: Action) -> None:
    await _decide(asked, action, DENIED)


async def _decide(asked: Interaction, action: Action, wanted: str) -> None:
    approval = await _approval_clicked(asked, action)
    if approval is None:
        return
    if not approval.pending:
        await asked.tell(notice_message(_DECIDED.get(approval.state, GONE)))
        return
    if not await _may_decide(asked, approval):
        return
    store = asked.services.approvals
    decision = await store.decide(
        asked.team_id, approval.id, state=wanted, by=asked.user_id, now=time.time()
    )
    if not decision.changed:
        await _told_why_not(asked, approval, decision.state)
        return
    decided = dataclasses.replace(approval, state=decision.state, decided_by=asked.user_id)
    result = await _carry_out(asked, decided) if decision.state == APPROVED else ""
    if decision.state == DENIED:
        await _record_denial(asked, decided)
    await redraw(asked, decided, result=result)
    await store.forget_due(asked.team_id, approval.id)
    if decision.state == EXPIRED:
        await asked.tell(notice_message(_DECIDED[EXPIRED]))


async def _approval_clicked(asked: Interaction, action: Action) -> Approval | None:
    value = action.get("value")
    try:
        approval_id = keyspace.check_approval_id(str(value))
    except ValueError:
        await asked.tell(error_message(BROKEN))
        return None
    approval = await asked.services.approvals.get(asked.team_id, approval_id)
    if approval is None:
        await asked.tell(notice_message(GONE))
    return approval


async def _may_decide(asked: Interaction, approval: Approval) -> bool:
    """Anyone allowed to take the action, but the requester; checked afresh, it runs now."""
    action = approval.request.action
    if asked.user_id == approval.request.requester:
        await asked.tell(not_allowed_message(Refusal("requester", action)))
        return False
    return await asked.may(action, fresh=True)


async def _told_why_not(asked: Interaction, approval: Approval, state: str) -> None:
    if state == "requester":
        action = approval.request.action
        await asked.tell(not_allowed_message(Refusal("requester", action)))
    else:
        await asked.tell(notice_message(_DECIDED.get(state, GONE)))


def _both(approval: Approval, verb: str) -> str:
    return f"requested by {approval.request.requester}; {verb} by {approval.decided_by}"


async def _record_denial(asked: Interaction, approval: Approval) -> None:
    target = str(approval.request.op_id)
    detail = _both(approval, "denied")
    await asked.record(approval.request.action, target=target, outcome="denied", detail=detail)


async def redraw(asked: Interaction, approval: Approval, *, result: str = "") -> None:
    card = approval_card(approval, approval.request, now=utc_now(), result=result)
    try:
        await asked.client.chat_update(
            channel=approval.request.channel,
            ts=approval.ts,
            text=card["text"],
            blocks=card["blocks"],
        )
    except SlackApiError as error:
        log.info("approval card not updated: %s", error.response.get("error"))


# --- running the approved action -------------------------------------------------------------


async def _carry_out(asked: Interaction, approval: Approval) -> str:
    """Run the approved action as its requester asked; how it went, for the card."""
    key = await asked.team_key_or_ask()
    if key is None:
        return "The team has no usable API key: nothing was done."
    keyed = asked.with_key(key)
    op_id = approval.request.op_id
    locks = asked.services.locks
    token = await locks.acquire(asked.team_id, op_id)
    if token is None:
        return f"Operation {op_id} was already being acted on: nothing more was done."
    done = False
    try:
        done, words = await _call_api(keyed, approval)
    finally:
        # Kept after a success, as a cancel or relaunch keeps it: a late click is refused.
        if not done:
            await locks.release(asked.team_id, op_id, token)
    if done:
        await watch_in_thread(
            keyed,
            op_id,
            channel=approval.request.channel,
            ts=approval.ts,
            announced=_announced(approval),
        )
    return words


def _announced(approval: Approval) -> Announced:
    """The approval card, now the watch's card, keeps saying who asked for what
    (the fields a relaunch changes, by name) and who approved."""
    request = approval.request
    changed = tuple(changed_names(request.shown_params)) if request.action == RELAUNCH else ()
    return Announced(request.action, request.requester, changed, approval.decided_by)


async def _call_api(asked: Interaction, approval: Approval) -> tuple[bool, str]:
    """(done, how it went in words); the audit entry names both people."""
    request = approval.request
    try:
        done = await _api_call(asked, approval)
    except VaultError:
        done, outcome = False, "error: the parameters do not decrypt"
        words = "The request's parameters could not be read: nothing was done."
    except ApiError as error:
        done, outcome = False, f"error: {error.kind.value}"
        words = f"The API refused: {error.message}"
    else:
        outcome = audit.OK if done else audit_trail.NOT_DONE
        words = _done_words(request) if done else "The API answered that nothing changed."
    detail = _both(approval, "approved")
    await asked.record(request.action, target=str(request.op_id), outcome=outcome, detail=detail)
    return done, words


async def _api_call(asked: Interaction, approval: Approval) -> bool:
    op_id = approval.request.op_id
    if approval.request.action == RELAUNCH:
        params = await asked.services.approvals.params(asked.team_id, approval.id)
        return await asked.services.api.relaunch(asked.key, op_id, params)
    return await asked.services.api.cancel(asked.key, op_id)


def _done_words(request: Request) -> str:
    if request.action == RELAUNCH:
        return f"Operation {request.op_id} was relaunched; this thread follows it."
    return f"Operation {request.op_id} was cancelled."


# --- the entry points' branches ----------------------------------------------------------


async def ask_to_relaunch(asked: Interaction, op_id: int, params: Mapping[str, str]) -> str:
    """A relaunch form submitted when the team wants approval: what the modal then says."""
    try:
        operation = await asked.services.api.info(asked.key, op_id)
    except ApiError as error:
        return f"Could not read operation {op_id}: {error.message}"
    return await request(asked, RELAUNCH, operation, params)
