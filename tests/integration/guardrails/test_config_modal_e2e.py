"""``/ops config``: an admin sets the guardrails in a modal; each change is audited."""

from __future__ import annotations

from opsbot.store.guardrails import CANCEL, RELAUNCH, Guardrails, WhoMay
from opsbot.ui import ids
from tests.integration.guardrails.conftest import (
    ADA,
    MIA,
    ONCALL,
    OTTO,
    READ_ONLY,
    TEAM,
    Guarded,
)
from tests.support.redis_probe import recent_audit

TITLE = "opsbot settings"


async def test_an_admin_sets_who_may_cancel_and_the_change_is_audited(guarded: Guarded) -> None:
    await guarded.command(ADA, "config")
    form = await guarded.modal_of(ADA, TITLE)
    groups = form.body["blocks"]
    offered = [
        option["value"]
        for block in groups
        if block.get("block_id") == ids.config_block(CANCEL, "groups")
        for option in block["element"]["options"]
    ]

    outcome = await guarded.served.interactions.submit(
        ADA,
        form.id,
        {
            ids.config_block(CANCEL, "who"): ids.CONFIG_CHOSEN,
            ids.config_block(CANCEL, "groups"): [ONCALL],
            ids.config_block(CANCEL, "people"): [ADA],
            ids.BLOCK_READ_ONLY: [READ_ONLY],
            ids.BLOCK_APPROVALS: [RELAUNCH],
            ids.BLOCK_APPROVAL_MINUTES: "15",
        },
    )
    saved = await guarded.modal_of(ADA, "Settings saved")

    assert outcome.ok, outcome.failure
    assert offered == [ONCALL]
    rules = await guarded.services.guardrails.get(TEAM)
    assert rules.who_may_do(CANCEL) == WhoMay.only(groups=[ONCALL], people=[ADA])
    assert rules.who_may_do(RELAUNCH) == WhoMay()
    assert rules.read_only_channels == {READ_ONLY}
    assert rules.approvals == frozenset({RELAUNCH})
    assert rules.approval_minutes == 15
    [entry] = await recent_audit(guarded.services.redis, TEAM)
    assert (entry.action, entry.user_id) == ("config", ADA)
    assert f"who may cancel: group {ONCALL}, {ADA}" in entry.detail
    assert "read-only channels" in saved.body["blocks"][0]["text"]["text"]


async def test_the_modal_shows_the_rules_as_they_are(guarded: Guarded) -> None:
    await guarded.set_rules(
        Guardrails(read_only_channels=frozenset({READ_ONLY})).with_who_may(
            RELAUNCH, WhoMay.only(groups=[ONCALL], people=[OTTO])
        )
    )

    await guarded.command(ADA, "config")
    form = await guarded.modal_of(ADA, TITLE)

    blocks = {block.get("block_id"): block for block in form.body["blocks"]}
    relaunch_who = blocks[ids.config_block(RELAUNCH, "who")]["element"]["initial_option"]
    assert relaunch_who["value"] == ids.CONFIG_CHOSEN
    groups = blocks[ids.config_block(RELAUNCH, "groups")]["element"]["initial_options"]
    assert [option["value"] for option in groups] == [ONCALL]
    assert blocks[ids.config_block(RELAUNCH, "people")]["element"]["initial_users"] == [OTTO]
    assert blocks[ids.BLOCK_READ_ONLY]["element"]["initial_conversations"] == [READ_ONLY]


async def test_only_chosen_with_nobody_chosen_is_shown_under_the_input(guarded: Guarded) -> None:
    await guarded.command(ADA, "config")
    form = await guarded.modal_of(ADA, TITLE)

    outcome = await guarded.served.interactions.submit(
        ADA, form.id, {ids.config_block(RELAUNCH, "who"): ids.CONFIG_CHOSEN}
    )

    assert list(outcome.errors) == [ids.config_block(RELAUNCH, "who")]
    assert await guarded.services.guardrails.get(TEAM) == Guardrails()


async def test_a_member_is_told_only_admins_may(guarded: Guarded) -> None:
    await guarded.command(MIA, "config")
    shown = await guarded.modal_of(MIA, "Not allowed")

    assert "Only workspace admins" in shown.body["blocks"][0]["text"]["text"]


async def test_a_submit_by_someone_no_longer_admin_is_refused(guarded: Guarded) -> None:
    await guarded.command(ADA, "config")
    form = await guarded.modal_of(ADA, TITLE)
    guarded.workspace.users[ADA].is_admin = False

    await guarded.served.interactions.submit(
        ADA, form.id, {ids.config_block(CANCEL, "who"): ids.CONFIG_CHOSEN}
    )
    await guarded.modal_of(ADA, "Not allowed")

    assert await guarded.services.guardrails.get(TEAM) == Guardrails()
    assert await recent_audit(guarded.services.redis, TEAM) == []


async def test_without_usergroups_read_people_can_still_be_chosen(guarded: Guarded) -> None:
    for installation in guarded.workspace.installations.values():
        installation.scopes = installation.scopes - {"usergroups:read"}

    await guarded.command(ADA, "config")
    form = await guarded.modal_of(ADA, TITLE)

    block_ids = [block.get("block_id") for block in form.body["blocks"]]
    assert ids.config_block(CANCEL, "groups") not in block_ids
    assert ids.config_block(CANCEL, "people") in block_ids
    assert "usergroups:read" in str(form.body["blocks"][1])
