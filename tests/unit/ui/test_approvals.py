"""The approval card in each state, as Slack takes it, with secrets masked and data escaped."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from slack_sdk.models.blocks import Block

from opsbot.ui import approvals, ids
from opsbot.workspace.blocks import message_problems
from tests.support import every_surface
from tests.support.surfaces import HOSTILE, NOW, all_text, mentions

REQUESTER = "U0MIA"
APPROVER = "U0BOB"


@dataclasses.dataclass(frozen=True)
class Request:
    action: str = "cancel"
    op_id: int = 123
    requester: str = REQUESTER
    op_type: str = "domain_renew"
    label: str = "example.com"
    step: str = "WAIT"
    shown_params: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Approval:
    id: str = "0123456789abcdef"
    state: str = "pending"
    created_at: dt.datetime = NOW
    expires_at: dt.datetime = NOW + dt.timedelta(minutes=30)
    decided_by: str = ""


def test_every_approval_card_passes_the_workspaces_block_rules() -> None:
    for card in every_surface._approvals():
        assert message_problems(card["blocks"]) == []
        assert all(Block.parse(b).to_dict() == b for b in card["blocks"])  # type: ignore[union-attr]
        assert card["text"]


def test_a_pending_card_says_who_wants_what_and_offers_approve_and_deny() -> None:
    card = approvals.approval_card(Approval(), Request(), now=NOW)

    text = all_text(card)
    assert f"<@{REQUESTER}> wants to *cancel* operation *#123* `domain_renew` example.com" in text
    assert "Current step: *WAIT*" in text
    assert "expires in 30 min" in text
    [buttons] = [b for b in card["blocks"] if b["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in buttons["elements"]] == [
        (ids.ACTION_APPROVE, "0123456789abcdef"),
        (ids.ACTION_DENY, "0123456789abcdef"),
    ]
    assert mentions(card) == {f"<@{REQUESTER}>"}


@pytest.mark.parametrize(
    ("state", "says"),
    [
        ("approved", "Approved by <@U0BOB>"),
        ("denied", "Denied by <@U0BOB>"),
        ("expired", "Expired"),
    ],
)
def test_a_decided_card_says_so_and_has_no_buttons(state: str, says: str) -> None:
    approval = Approval(state=state, decided_by=APPROVER if state != "expired" else "")

    card = approvals.approval_card(approval, Request(), now=NOW, result="Done.")

    assert says in all_text(card)
    assert [b for b in card["blocks"] if b["type"] == "actions"] == []


def test_secret_parameters_are_masked_and_api_text_escaped() -> None:
    shown = approvals.shown_params(
        {"authinfo": "hunter2", "x-aero_ens_authkey": "k", "duration": "2"}
    )
    request = Request(action="relaunch", label=HOSTILE, op_type=HOSTILE, shown_params=shown)

    card = approvals.approval_card(Approval(), request, now=NOW)

    assert "hunter2" not in str(card)
    assert shown == {
        "authinfo": approvals.MASK,
        "x-aero_ens_authkey": approvals.MASK,
        "duration": "2",
    }
    assert mentions(card) == {f"<@{REQUESTER}>"}
    assert message_problems(card["blocks"]) == []
