"""The guardrails' surfaces: the /ops config modal both ways, and refusals, as Slack takes them."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from opsbot.store.guardrails import CANCEL, RELAUNCH, Guardrails, WhoMay
from opsbot.ui import ids
from opsbot.ui.guardrails import (
    MAX_GROUP_OPTIONS,
    Refusal,
    UserGroup,
    config_modal,
    describe_changes,
    not_allowed_message,
    not_allowed_modal,
    read_config,
)
from opsbot.workspace.blocks import message_problems, view_problems
from tests.support import every_surface
from tests.support.limits import check_limits
from tests.support.surfaces import HOSTILE, all_text, mentions

GROUP = "S0ONCALL"
PERSON = "U0ADA"


def test_every_guardrail_surface_passes_the_workspaces_block_rules() -> None:
    for surface in every_surface._guardrails():
        if surface.get("type") == "modal":
            assert view_problems(surface) == [], surface
            assert View(**surface).to_dict() == surface
            assert check_limits(surface, "modal") == []
        else:
            assert message_problems(surface["blocks"]) == [], surface
            assert all(Block.parse(block).to_dict() == block for block in surface["blocks"])  # type: ignore[union-attr]


def test_a_refusal_names_the_groups_and_people_who_may() -> None:
    who = WhoMay.only(groups=[GROUP, "S0LEADS"], people=[PERSON])

    message = not_allowed_message(Refusal.not_listed(CANCEL, who))

    assert mentions(message) == {f"<!subteam^{GROUP}>", "<!subteam^S0LEADS>", f"<@{PERSON}>"}
    assert "<!subteam^S0LEADS> or <@U0ADA> may cancel" in all_text(message)
    assert "<" not in message["text"]


@pytest.mark.parametrize("kind", ["read_only", "unknown", "requester"])
def test_other_refusals_mention_nobody(kind: Any) -> None:
    refusal = Refusal(kind, RELAUNCH)

    for surface in (not_allowed_message(refusal), not_allowed_modal(refusal)):
        assert mentions(surface) == set()
        assert "relaunch" in all_text(surface)


def test_hostile_group_handles_are_escaped_and_the_list_kept_to_slacks_limit() -> None:
    groups = [UserGroup(f"S{n:04d}", HOSTILE) for n in range(MAX_GROUP_OPTIONS + 20)]

    view = config_modal(Guardrails(), groups)

    assert view_problems(view) == []
    assert mentions(view) == set()
    selects = [b for b in view["blocks"] if b.get("block_id") == ids.config_block(CANCEL, "groups")]
    assert len(selects[0]["element"]["options"]) == MAX_GROUP_OPTIONS


def _state(values: dict[str, Any]) -> dict[str, Any]:
    return {"state": {"values": {block: {ids.ACTION_VALUE: v} for block, v in values.items()}}}


def _radio(value: str) -> dict[str, Any]:
    return {"type": "radio_buttons", "selected_option": {"value": value}}


def test_read_config_reads_back_what_was_chosen() -> None:
    view = _state(
        {
            ids.config_block(CANCEL, "who"): _radio(ids.CONFIG_CHOSEN),
            ids.config_block(CANCEL, "groups"): {"selected_options": [{"value": GROUP}]},
            ids.config_block(CANCEL, "people"): {"selected_users": [PERSON]},
            ids.config_block(RELAUNCH, "who"): _radio(ids.CONFIG_EVERYONE),
            ids.config_block(RELAUNCH, "people"): {"selected_users": [PERSON]},
            ids.BLOCK_READ_ONLY: {"selected_conversations": ["C0READ"]},
            ids.BLOCK_APPROVALS: {"selected_options": [{"value": CANCEL}, {"value": "drop"}]},
            ids.BLOCK_APPROVAL_MINUTES: {"value": "45"},
        }
    )

    rules, errors = read_config(view, Guardrails())

    assert errors == {}
    assert rules.who_may_do(CANCEL) == WhoMay.only(groups=[GROUP], people=[PERSON])
    assert rules.who_may_do(RELAUNCH) == WhoMay()
    assert rules.read_only_channels == frozenset({"C0READ"})
    assert rules.approvals == frozenset({CANCEL})
    assert rules.approval_minutes == 45


@pytest.mark.parametrize("minutes", ["0", "-3", "2.5", "many", "100000"])
def test_read_config_refuses_minutes_out_of_range(minutes: str) -> None:
    view = _state({ids.BLOCK_APPROVAL_MINUTES: {"value": minutes}})

    _, errors = read_config(view, Guardrails())

    assert list(errors) == [ids.BLOCK_APPROVAL_MINUTES]


def test_a_modal_drawn_without_groups_keeps_the_groups_already_chosen() -> None:
    previous = Guardrails().with_who_may(CANCEL, WhoMay.only(groups=[GROUP]))
    view = _state(
        {
            ids.config_block(CANCEL, "who"): _radio(ids.CONFIG_CHOSEN),
            ids.BLOCK_APPROVAL_MINUTES: {"value": "30"},
        }
    )

    rules, errors = read_config(view, previous)

    assert errors == {}
    assert rules.who_may_do(CANCEL).groups == (GROUP,)


def test_describe_changes_names_each_setting_that_changed() -> None:
    new = Guardrails(approvals=frozenset({CANCEL})).with_who_may(
        RELAUNCH, WhoMay.only(people=[PERSON])
    )

    assert describe_changes(Guardrails(), new) == [
        f"who may relaunch: {PERSON}",
        "approval needed for: cancel (30 min)",
    ]
    assert describe_changes(new, new) == []
