"""Relaunch that starts from the error, end to end through the local workspace.

The form puts first what the registry asked for; a change is reviewed (field,
old value, new value, secrets masked) on a view pushed over the form, with
Relaunch and Back; an error that says nothing about parameters relaunches as
is in one click.
"""

from __future__ import annotations

from typing import Any

from opsbot.api.operation import BILL, ERROR
from opsbot.ui import ids
from opsbot.ui.relaunch_review import ASKED_MARK
from opsbot.workspace.state import View
from tests.integration.home.conftest import ADA, CHANNEL, HomeWorld, blocks_text, until

ASKED = "x-es_owner_tipo_identification"


async def open_form(world: HomeWorld, op_id: int) -> View:
    outcome = await world.served.interactions.slash_command(ADA, CHANNEL, f"relaunch {op_id}")
    assert outcome.ok, outcome.failure
    await until(lambda: _filled(world))
    [form] = world.workspace.open_views(ADA)
    return form


def _filled(world: HomeWorld) -> bool:
    views = world.workspace.open_views(ADA)
    return bool(views) and any(b.get("type") == "input" for b in views[-1].body["blocks"])


def inputs(view: View) -> dict[str, str]:
    return {
        str(block["block_id"]): block["label"]["text"]
        for block in view.body["blocks"]
        if block["type"] == "input"
    }


def add_field_options(view: View) -> set[str]:
    [menu] = [b for b in view.body["blocks"] if b.get("block_id") == ids.BLOCK_ADD_FIELD]
    element: dict[str, Any] = menu["elements"][0]
    groups = element.get("option_groups") or [{"options": element.get("options") or []}]
    return {option["value"] for group in groups for option in group["options"]}


async def test_the_form_starts_with_what_the_registry_asked_for(home_world: HomeWorld) -> None:
    world = home_world
    op_id = world.simulator.create(
        "domain_create",
        step=ERROR,
        domain="pedido.es",
        errortype="missing_parameter",
        last_error=f"{ASKED} is missing",
    )

    form = await open_form(world, op_id)

    assert inputs(form) == {ASKED: f"{ASKED} · {ASKED_MARK}"}
    # The others wait behind "add a field".
    assert {"x-es_owner_identification", "x-es_legalform"} <= add_field_options(form)


async def test_a_change_is_reviewed_then_back_then_relaunched_with_only_it(
    home_world: HomeWorld,
) -> None:
    world, simulator = home_world, home_world.simulator
    op_id = simulator.create(
        "domain_create",
        step=ERROR,
        domain="revisar.es",
        errortype="missing_parameter",
        last_error=f"{ASKED} is missing",
    )
    form = await open_form(world, op_id)
    params_before = dict(simulator.operation(op_id)["params"])

    submitted = await world.served.interactions.submit(ADA, form.id, {ASKED: "1"})
    [_, review] = world.workspace.open_views(ADA)
    text = blocks_text(review.body["blocks"])
    back = await world.served.interactions.close(ADA, review.id)
    [still] = world.workspace.open_views(ADA)
    again = await world.served.interactions.submit(ADA, still.id)
    [_, review_again] = world.workspace.open_views(ADA)
    relaunched = await world.served.interactions.submit(ADA, review_again.id)

    assert submitted.ok
    assert (review.body["submit"]["text"], review.body["close"]["text"]) == ("Relaunch", "Back")
    assert f"*{ASKED}*\n_not set_ → `1`" in text
    assert back.ok
    assert still.id == form.id  # Back is the form, as the person left it
    assert again.ok
    assert relaunched.ok
    assert world.workspace.open_views(ADA) == []  # Relaunch closes form and review
    assert simulator.calls["operation.relaunch"] == 1
    operation = simulator.operation(op_id)
    assert operation["step"] == BILL
    assert operation["params"] == {**params_before, ASKED: "1"}


async def test_a_secret_is_masked_in_the_review(home_world: HomeWorld) -> None:
    world, simulator = home_world, home_world.simulator
    op_id = simulator.create(
        "domain_transfer_in",
        step=ERROR,
        domain="moving.example",
        errortype="authorization_error",
        last_error="Invalid authinfo code for domain moving.example",
        params={"authinfo": "Old-Code-123"},
    )
    form = await open_form(world, op_id)

    await world.served.interactions.submit(ADA, form.id, {"authinfo": "New-Code-456"})
    [_, review] = world.workspace.open_views(ADA)

    text = blocks_text(review.body["blocks"])
    assert "*authinfo*\n`hidden` → `hidden (12 characters)`" in text
    for secret in ("Old-Code-123", "New-Code-456"):
        assert secret not in str(review.body)


async def test_a_registry_timeout_relaunches_as_is_in_one_click(home_world: HomeWorld) -> None:
    world, simulator = home_world, home_world.simulator
    op_id = simulator.create(
        "domain_create",
        step=ERROR,
        domain="lento.es",
        errortype="timeout",
        last_error="Timeout while waiting for the registry",
    )
    form = await open_form(world, op_id)

    relaunched = await world.served.interactions.submit(ADA, form.id)

    assert relaunched.ok
    assert world.workspace.open_views(ADA) == []
    assert simulator.calls["operation.relaunch"] == 1
    assert simulator.operation(op_id)["step"] == BILL
