"""Look before you leap, end to end: the cancel confirmation and the relaunch form say what
else is in flight on the same object, found with one operation.list."""

from __future__ import annotations

from opsbot.api.operation import ERROR, RUN, WAIT
from opsbot.ui import ids
from tests.integration.home.conftest import ADA, CHANNEL, HomeWorld, blocks_text, until


async def test_the_cancel_confirmation_shows_the_others_on_the_domain_with_one_list(
    home_world: HomeWorld,
) -> None:
    world, simulator = home_world, home_world.simulator
    target = simulator.create("domain_renew", step=WAIT, domain="busy.example")
    other = simulator.create("domain_ns_set", step=RUN, domain="busy.example")
    simulator.create("domain_renew", step=RUN, domain="elsewhere.example")
    lists = simulator.calls["operation.list"]

    await world.command(ADA, f"cancel {target}")

    [question] = [e for e in world.workspace.ephemerals_for(ADA, CHANNEL) if e.blocks]
    text = blocks_text(question.blocks or [])
    assert "*Also in flight on domain busy.example:*" in text
    assert f"*#{other}* `domain_ns_set` RUN" in text
    assert "elsewhere.example" not in text
    assert simulator.calls["operation.list"] == lists + 1


async def test_the_relaunch_form_warns_of_a_duplicate_under_way(home_world: HomeWorld) -> None:
    world, simulator = home_world, home_world.simulator
    failed = simulator.create("domain_create", step=ERROR, domain="twice.example")
    again = simulator.create("domain_create", step=WAIT, domain="twice.example")

    answer = await world.served.interactions.slash_command(ADA, CHANNEL, f"relaunch {failed}")
    await until(lambda: _filled(world))

    assert answer.ok
    [form] = world.workspace.open_views(ADA)
    text = blocks_text(form.body["blocks"])
    assert f":warning: *Relaunching would duplicate #{again}*" in text
    assert form.body["callback_id"] == ids.CALLBACK_RELAUNCH


def _filled(world: HomeWorld) -> bool:
    views = world.workspace.open_views(ADA)
    return bool(views) and any(b.get("type") == "input" for b in views[-1].body["blocks"])
