"""The approval card: a request for a second person's approval, as the channel sees it.

Pending, it says who wants what on which operation, the operation's step,
when the request expires, and carries Approve and Deny (their value is the
request's id). Decided or expired, it says so and loses its buttons. A
relaunch's parameters are listed with secret values masked: the card is in
the channel, the values stay encrypted in Redis.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from opsbot.api.secret_params import is_secret_parameter
from opsbot.ui import humanize
from opsbot.ui.guardrails import PAST, VERBS
from opsbot.ui.render import Message, render_message

MASK: Final = "••••••"
# Enough to see what a relaunch changes; a card is not the place for all of them.
MAX_PARAMS_SHOWN: Final = 10


class ApprovalFacts(Protocol):
    """What the store keeps of a request (:class:`opsbot.store.approvals.Approval`)."""

    @property
    def id(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def expires_at(self) -> dt.datetime: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def decided_by(self) -> str: ...


class RequestFacts(Protocol):
    @property
    def action(self) -> str: ...
    @property
    def op_id(self) -> int: ...
    @property
    def requester(self) -> str: ...
    @property
    def op_type(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def step(self) -> str: ...
    @property
    def shown_params(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class ParamLine:
    name: str
    value: str


@dataclass(frozen=True)
class CardView:
    approval_id: str
    state: str
    requester: str | None
    decided_by: str | None
    verb: str
    op_id: int
    op_type: str
    label: str
    step: str
    expires: str
    minutes: int
    result: str
    params: tuple[ParamLine, ...]
    summary: str


def shown_params(params: Mapping[str, str]) -> dict[str, str]:
    """The parameters as the card may show them: secret values masked."""
    return {name: MASK if is_secret_parameter(name) else value for name, value in params.items()}


def approval_card(
    approval: ApprovalFacts, request: RequestFacts, *, now: dt.datetime, result: str = ""
) -> Message:
    """The card for ``approval`` in its current state; ``result``: how an approved one went."""
    verb = VERBS.get(request.action, request.action)
    minutes = max(1, round((approval.expires_at - approval.created_at).total_seconds() / 60))
    left = humanize.duration(max(0.0, (approval.expires_at - now).total_seconds()))
    card = CardView(
        approval_id=approval.id,
        state=approval.state,
        requester=humanize.slack_user_id(request.requester),
        decided_by=humanize.slack_user_id(approval.decided_by),
        verb=verb,
        op_id=request.op_id,
        op_type=request.op_type,
        label=request.label,
        step=request.step,
        expires=f"in {left} ({humanize.timestamp(approval.expires_at)})",
        minutes=minutes,
        result=result,
        params=tuple(
            ParamLine(name, value)
            for name, value in list(request.shown_params.items())[:MAX_PARAMS_SHOWN]
        ),
        summary=_summary(approval.state, verb, request.op_id),
    )
    return render_message("approval_card.j2", card=card)


def _summary(state: str, verb: str, op_id: int) -> str:
    """The notification text: no mention, nothing to escape."""
    if state == "pending":
        return f"Approval needed: {verb} operation {op_id}"
    return f"Request to {verb} operation {op_id}: {state}"


def past(action: str) -> str:
    return PAST.get(action, action)
