"""The App Home tab, end to end: published on app_home_opened, its buttons, its refresh.

Every view opsbot publishes goes through the local workspace, which refuses
what Slack would (blocks, scopes, a disabled Home tab): an assertion on the
stored Home tab is an assertion on a view Slack accepted.
"""

from __future__ import annotations

from opsbot.api.operation import BILL, DONE, ERROR, RUN, WAIT
from opsbot.store import keyspace
from opsbot.store.guardrails import RELAUNCH, Guardrails, WhoMay
from opsbot.store.home_refreshes import HomeRefreshes
from opsbot.ui import ids
from opsbot.workspace import Target
from tests.integration.home.conftest import ADA, CHANNEL, MIA, TEAM, HomeWorld, blocks_text, until


async def test_opening_the_home_tab_shows_watches_failures_subscriptions_key_and_grammar(
    home_world: HomeWorld,
) -> None:
    world, simulator = home_world, home_world.simulator
    watched = simulator.create("domain_renew", step=WAIT, domain="mine.example")
    failed = simulator.create("domain_create", step=ERROR, domain="failed.example")
    await world.command(MIA, f"watch {watched}")
    await world.command(ADA, "subscribe type=domain_transfer_in")
    errors = sum(1 for op in simulator.operations() if op["step"] == ERROR)

    opened = await world.served.interactions.open_home(MIA)
    await until(lambda: world.workspace.home(TEAM, MIA) is not None)

    assert opened.ok
    text = world.home_text(MIA)
    assert f"*#{watched}* `domain_renew` mine.example\n*WAIT*" in text
    assert f"in <#{CHANNEL}>" in text
    assert f"*:x: Operations in ERROR*: {errors}" in text
    assert f"*#{failed}* `domain_create` failed.example" in text
    assert f"<#{CHANNEL}> · `type=domain_transfer_in`" in text
    assert ":key: The API key is set, by <@U0ADMIN>" in text
    # The grammar is /ops help's, from the table of sub-commands.
    assert "`/ops watch ID [ID…] dm`  the same in your direct messages with the app" in text
    assert world.workspace.warnings == []


async def test_the_newest_ten_failures_each_have_info_and_relaunch_where_it_can_be(
    home_world: HomeWorld,
) -> None:
    world = home_world
    await world.served.interactions.open_home(ADA)
    await until(lambda: world.workspace.home(TEAM, ADA) is not None)

    blocks = world.home(ADA).body["blocks"]
    rows = [b for b in blocks if b["type"] == "actions"]
    buttons = [[e["action_id"] for e in row["elements"]] for row in rows]
    assert len(rows) == 10
    assert all(row[0] == ids.ACTION_HOME_INFO for row in buttons)
    assert any(ids.ACTION_HOME_RELAUNCH in row for row in buttons)
    assert len(blocks) <= 100


async def test_the_messages_tab_publishes_nothing(home_world: HomeWorld) -> None:
    world = home_world
    event = {"type": "app_home_opened", "user": MIA, "channel": f"D{MIA}", "tab": "messages"}

    outcome = await world.served.interactions.event(TEAM, event)
    await world.served.interactions.open_home(ADA)
    await until(lambda: world.workspace.home(TEAM, ADA) is not None)

    assert outcome.ok
    assert world.workspace.home(TEAM, MIA) is None


async def test_info_from_the_home_tab_answers_in_the_persons_direct_messages(
    home_world: HomeWorld,
) -> None:
    world = home_world
    failed = world.simulator.create("domain_create", step=ERROR, domain="why.example")
    await world.served.interactions.open_home(MIA)
    await until(lambda: world.workspace.home(TEAM, MIA) is not None)

    clicked = await world.served.interactions.click(
        MIA, Target.view(world.home(MIA).id), ids.ACTION_HOME_INFO, block_id=_row_of(world, failed)
    )
    dm = f"D{MIA}"
    await until(lambda: dm in world.workspace.channels and bool(world.workspace.history(dm)))

    assert clicked.ok
    [card] = world.workspace.history(dm)
    assert card.text.startswith(f"Operation {failed} (domain_create)")
    assert world.workspace.channels[dm].im_user == MIA


async def test_relaunch_from_the_home_tab_opens_the_relaunch_form(home_world: HomeWorld) -> None:
    world = home_world
    failed = world.simulator.create("domain_create", step=ERROR, domain="again.example")
    await world.served.interactions.open_home(ADA)
    await until(lambda: world.workspace.home(TEAM, ADA) is not None)

    clicked = await world.served.interactions.click(
        ADA,
        Target.view(world.home(ADA).id),
        ids.ACTION_HOME_RELAUNCH,
        block_id=_row_of(world, failed, ADA),
    )
    await until(lambda: _form_filled(world, ADA))

    assert clicked.ok
    [form] = world.workspace.open_views(ADA)
    assert form.body["callback_id"] == ids.CALLBACK_RELAUNCH
    assert str(failed) in blocks_text([form.body["title"], *form.body["blocks"]])


async def test_a_step_change_refreshes_the_home_tab_of_its_watchers_only(
    home_world: HomeWorld,
) -> None:
    world, simulator = home_world, home_world.simulator
    op_id = simulator.create("domain_renew", step=BILL, domain="moving.example")
    await world.command(MIA, f"watch {op_id}")
    for person in (MIA, ADA):
        await world.served.interactions.open_home(person)
        await until(lambda: world.workspace.home(TEAM, person) is not None)  # noqa: B023
    ada_publishes = world.publishes_for(ADA)

    simulator.move(op_id, RUN)
    for _ in range(5):
        await world.cycle()
        if "*RUN*" in world.home_text(MIA):
            break

    assert f"*#{op_id}* `domain_renew` moving.example\n*RUN*" in world.home_text(MIA)
    assert world.publishes_for(ADA) == ada_publishes


async def test_watch_dm_sends_the_card_its_steps_and_outcome_to_the_person(
    home_world: HomeWorld,
) -> None:
    world, simulator = home_world, home_world.simulator
    op_id = simulator.create("domain_renew", step=WAIT, domain="private.example")

    answer = await world.command(MIA, f"watch {op_id} dm")
    dm = f"D{MIA}"
    [card] = world.workspace.history(dm)
    simulator.move(op_id, DONE)
    for _ in range(10):
        await world.cycle()
        if world.workspace.thread(dm, card.ts):
            break

    assert answer.startswith("Watching 1 of 1")
    assert card.text.startswith(f"Operation {op_id} (domain_renew private.example)")
    [final] = world.workspace.thread(dm, card.ts)
    assert final.reply_broadcast
    assert f"<@{MIA}>" in final.text
    # Nothing of it reached the channel the command was typed in.
    assert world.workspace.history(CHANNEL) == []


def _row_of(world: HomeWorld, op_id: int, user: str = MIA) -> str:
    """The block_id of the buttons under ``op_id`` on ``user``'s Home tab."""
    blocks = world.home(user).body["blocks"]
    for block in blocks:
        if block["type"] == "actions" and block["elements"][0]["value"] == str(op_id):
            return str(block["block_id"])
    raise AssertionError(f"operation {op_id} is not on the Home tab")


def _form_filled(world: HomeWorld, user: str) -> bool:
    views = world.workspace.open_views(user)
    return (
        bool(views)
        and views[-1].body.get("callback_id") == ids.CALLBACK_RELAUNCH
        and any(b.get("type") == "input" for b in views[-1].body.get("blocks") or [])
    )


async def test_a_watcher_who_never_opened_the_home_tab_gets_none_published(
    home_world: HomeWorld,
) -> None:
    world, simulator = home_world, home_world.simulator
    op_id = simulator.create("domain_renew", step=BILL, domain="unseen.example")
    await world.command(MIA, f"watch {op_id}")

    simulator.move(op_id, RUN)
    for _ in range(3):
        await world.cycle()

    assert world.publishes_for(MIA) == 0
    assert world.workspace.home(TEAM, MIA) is None


async def test_changes_in_a_burst_publish_once_then_the_latest_on_a_later_pass(
    home_world: HomeWorld,
) -> None:
    world, simulator = home_world, home_world.simulator
    op_id = simulator.create("domain_renew", step=BILL, domain="busy.example")
    await world.command(MIA, f"watch {op_id}")
    await world.served.interactions.open_home(MIA)
    await until(lambda: world.workspace.home(TEAM, MIA) is not None)
    opened = world.publishes_for(MIA)

    simulator.move(op_id, WAIT)
    await world.cycle()
    simulator.move(op_id, RUN)
    await world.cycle()

    # One publish for the burst: the second change waits for MIA's next turn.
    assert world.publishes_for(MIA) == opened + 1
    assert "*WAIT*" in world.home_text(MIA)
    refreshes = HomeRefreshes(world.opsbot.services.redis)
    assert [user for user, _ in await refreshes.marked(TEAM, world.clock.now, 10)] == [MIA]
    await world.opsbot.services.redis.delete(keyspace.home_published(TEAM, MIA))  # turn over
    await world.cycle()
    assert "*RUN*" in world.home_text(MIA)
    assert world.publishes_for(MIA) == opened + 2


async def test_relaunch_is_offered_and_done_from_home_only_for_who_may_relaunch(
    home_world: HomeWorld,
) -> None:
    world = home_world
    failed = world.simulator.create("domain_create", step=ERROR, domain="guarded.example")
    services = world.opsbot.services
    rules = Guardrails().with_who_may(RELAUNCH, WhoMay.only(people=[ADA]))
    await services.guardrails.set(TEAM, rules)
    await world.served.interactions.open_home(MIA)
    await until(lambda: world.workspace.home(TEAM, MIA) is not None)

    buttons = {
        element["action_id"]
        for block in world.home(MIA).body["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }
    # A stale tab (drawn before the rule) still has the button: its click is refused.
    await services.guardrails.set(TEAM, Guardrails())
    await world.served.interactions.open_home(MIA)
    await until(lambda: ids.ACTION_HOME_RELAUNCH in blocks_text_ids(world, MIA))
    await services.guardrails.set(TEAM, rules)
    clicked = await world.served.interactions.click(
        MIA,
        Target.view(world.home(MIA).id),
        ids.ACTION_HOME_RELAUNCH,
        block_id=_row_of(world, failed),
    )
    dm = f"D{MIA}"
    await until(lambda: dm in world.workspace.channels and bool(world.workspace.history(dm)))

    assert buttons == {ids.ACTION_HOME_INFO}
    assert clicked.ok
    assert world.workspace.open_views(MIA) == []
    [refusal] = world.workspace.history(dm)
    assert refusal.text == "You may not relaunch operations."
    assert f"<@{ADA}>" in blocks_text(refusal.blocks or [])


def blocks_text_ids(world: HomeWorld, user: str) -> set[str]:
    return {
        element["action_id"]
        for block in world.home(user).body["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }
