"""Watching from Slack end to end: cards, mentions, unwatch, the lists, subscriptions.

opsbot runs for real (aiohttp on a free port) against the simulator, a real
Redis and FakeSlack. Commands and buttons go in as signed requests; what Slack
received (cards, edits, private answers) and what Redis holds (read through
the stores) come out. The watcher itself is not needed here: these tests stop
where it would take over, at a card posted and a watch stored.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.api.operation import BILL, CANCEL, DONE, ERROR, RUN, SUPPORT, WAIT, Operation
from opsbot.services import Services
from opsbot.simulator import Simulator
from opsbot.slack.follow import watch_in_thread
from opsbot.slack.interaction import Interaction
from opsbot.slack.requests import Requester
from opsbot.store import keyspace
from opsbot.store.watches import Watch
from opsbot.ui import ids
from opsbot.watching import resume_watching
from tests.support.opsbot_app import BOT_TOKEN, RunningOpsbot
from tests.support.slack_api import FakeSlack, SlackCall
from tests.support.slack_requests import (
    CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    Sender,
    SlackClient,
    block_actions_body,
    slash_command_body,
)

JSON = dict[str, Any]
OTHER_USER = "U0456"
OTHER_CHANNEL = "C0456"

_names = (f"w{n}" for n in itertools.count(1))


# --- helpers ------------------------------------------------------------------------


async def answered(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    text: str,
    *,
    user_id: str = USER_ID,
    channel_id: str = CHANNEL_ID,
) -> JSON:
    """Send ``/ops text``; check it is acked empty and return its one private answer."""
    name = next(_names)
    reply = await slack_client.post(
        slash_command_body(
            text,
            response_url=fake_slack.response_url(name),
            sender=Sender(user_id=user_id, channel_id=channel_id),
        )
    )
    assert reply.status == 200
    assert reply.text == ""
    [message] = await fake_slack.wait_for_responses(name)
    assert message["response_type"] == "ephemeral"
    assert message["text"].strip()
    return message


async def acked(slack_client: SlackClient, fake_slack: FakeSlack, text: str) -> JSON:
    """Send ``/ops text``; return the ack's own body (parse errors ride on it)."""
    reply = await slack_client.post(
        slash_command_body(text, response_url=fake_slack.response_url(next(_names)))
    )
    assert reply.status == 200
    body: JSON = reply.json()
    return body


async def click(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    action_id: str,
    op_id: int,
    *,
    message_ts: str = "1700000000.999900",
    user_id: str = USER_ID,
) -> str:
    """Press a button on a message in CHANNEL_ID; return the name of its response_url."""
    name = next(_names)
    reply = await slack_client.post(
        block_actions_body(
            action_id,
            str(op_id),
            response_url=fake_slack.response_url(name),
            message_ts=message_ts,
            sender=Sender(user_id=user_id),
        )
    )
    assert reply.status == 200
    return name


def shown(message: JSON) -> str:
    """Everything a person can read in a message, for substring checks."""
    return json.dumps(message, ensure_ascii=False)


def buttons(message: JSON) -> dict[str, str]:
    return {
        element["action_id"]: element["value"]
        for block in message.get("blocks", [])
        if block["type"] == "actions"
        for element in block["elements"]
    }


def cards_posted(fake_slack: FakeSlack, channel: str = CHANNEL_ID) -> list[SlackCall]:
    return [
        call
        for call in fake_slack.calls_to("chat.postMessage")
        if call.args["channel"] == channel and "thread_ts" not in call.args
    ]


async def stored(opsbot: RunningOpsbot, op_id: int) -> Watch:
    watch = await opsbot.services.watches.get(TEAM_ID, op_id)
    assert watch is not None, f"operation {op_id} is not watched"
    return watch


async def team_is_scheduled(services: Services) -> bool:
    return await services.redis.zscore(keyspace.schedule(), TEAM_ID) is not None


# --- /ops watch and the Watch button -------------------------------------------------------


async def test_watch_posts_one_card_per_operation_and_stores_its_thread(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    billing = simulator.create("domain_create", step=BILL, domain="first.example")
    running = simulator.create("vm_create", step=RUN)

    answer = await answered(slack_client, fake_slack, f"watch {billing} {running}")

    assert answer["text"] == "Watching 2 of 2 operations"
    posts = cards_posted(fake_slack)
    assert len(posts) == 2
    first, second = fake_slack.messages(CHANNEL_ID)
    assert first["text"] == f"Operation {billing} (domain_create first.example): BILL"
    vm_name = Operation.from_api(simulator.operation(running)).domain
    assert second["text"] == f"Operation {running} (vm_create {vm_name}): RUN"
    assert f"<@{USER_ID}>" in shown(first)
    assert buttons(first) == {
        ids.ACTION_INFO: str(billing),
        ids.ACTION_UNWATCH: str(billing),
        ids.ACTION_BROADCAST: str(billing),
    }
    for op_id, card in ((billing, first), (running, second)):
        watch = await stored(keyed_opsbot, op_id)
        [stored_card] = watch.cards
        assert stored_card.channel == CHANNEL_ID
        assert stored_card.ts == card["ts"]
        assert stored_card.watchers == (USER_ID,)
        assert stored_card.started_by == USER_ID
    assert (await stored(keyed_opsbot, billing)).step == BILL
    assert (await stored(keyed_opsbot, running)).type == "vm_create"
    assert await team_is_scheduled(keyed_opsbot.services)


async def test_a_watch_expires_after_the_configured_days(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_renew", step=WAIT, domain="renew.example")
    before = dt.datetime.now(dt.UTC)

    await answered(slack_client, fake_slack, f"watch {op_id}")

    watch = await stored(keyed_opsbot, op_id)
    days = dt.timedelta(days=keyed_opsbot.settings.watch_days)
    assert before + days <= watch.expires_at <= dt.datetime.now(dt.UTC) + days


async def test_the_watch_button_posts_the_card_in_the_channel(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_renew", step=WAIT, domain="button.example")

    name = await click(slack_client, fake_slack, ids.ACTION_WATCH, op_id)

    [answer] = await fake_slack.wait_for_responses(name)
    assert answer["response_type"] == "ephemeral"
    assert answer["replace_original"] is False  # the list it was pressed on stays
    [post] = cards_posted(fake_slack)
    assert post.args["text"] == f"Operation {op_id} (domain_renew button.example): WAIT"
    [card] = (await stored(keyed_opsbot, op_id)).cards
    [shown] = [m for m in fake_slack.messages(CHANNEL_ID) if m["text"] == post.args["text"]]
    assert card.ts == shown["ts"]


async def test_watching_again_in_the_same_channel_adds_to_the_mentions_without_a_second_card(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=BILL, domain="twice.example")
    await answered(slack_client, fake_slack, f"watch {op_id}")

    again = await answered(slack_client, fake_slack, f"watch {op_id}", user_id=OTHER_USER)
    name = await click(slack_client, fake_slack, ids.ACTION_WATCH, op_id, user_id=OTHER_USER)
    [by_button] = await fake_slack.wait_for_responses(name)

    expected = (
        f"Operation {op_id} is already watched in this channel: you will be mentioned when it ends."
    )
    assert again["text"] == by_button["text"] == expected
    assert len(cards_posted(fake_slack)) == 1
    [card] = (await stored(keyed_opsbot, op_id)).cards
    assert card.watchers == (USER_ID, OTHER_USER)
    assert card.started_by == USER_ID


async def test_watching_in_another_channel_gives_the_same_watch_a_second_card(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=BILL, domain="both.example")
    await answered(slack_client, fake_slack, f"watch {op_id}")

    await answered(
        slack_client, fake_slack, f"watch {op_id}", user_id=OTHER_USER, channel_id=OTHER_CHANNEL
    )

    assert len(cards_posted(fake_slack, CHANNEL_ID)) == 1
    [there] = cards_posted(fake_slack, OTHER_CHANNEL)
    assert f"<@{OTHER_USER}>" in shown(there.args)
    assert f"<@{USER_ID}>" not in shown(there.args)  # each card names its own channel's people
    watch = await stored(keyed_opsbot, op_id)
    assert {(card.channel, card.watchers) for card in watch.cards} == {
        (CHANNEL_ID, (USER_ID,)),
        (OTHER_CHANNEL, (OTHER_USER,)),
    }


@pytest.mark.parametrize("step", [DONE, ERROR, CANCEL, SUPPORT])
async def test_watching_an_operation_already_final_says_so_and_watches_nothing(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    step: str,
) -> None:
    op_id = simulator.create("domain_create", step=step, domain="over.example")

    answer = await answered(slack_client, fake_slack, f"watch {op_id}")

    assert answer["text"] == f"Operation {op_id} is already {step}: there is nothing to watch."
    assert cards_posted(fake_slack) == []
    assert await keyed_opsbot.services.watches.get(TEAM_ID, op_id) is None


async def test_an_unknown_id_is_named_and_the_others_are_still_watched(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    running = simulator.create("domain_create", step=RUN, domain="ok.example")
    done = simulator.create("domain_create", step=DONE, domain="done.example")
    unknown = max(operation["id"] for operation in simulator.operations()) + 1000

    answer = await answered(slack_client, fake_slack, f"watch {unknown} {running} {done}")

    assert answer["text"] == "Watching 1 of 3 operations"
    text = shown(answer)
    assert f"*#{unknown}* was not found" in text
    assert f"*#{running}* is watched" in text
    assert f"*#{done}* is already *DONE*" in text
    assert len(cards_posted(fake_slack)) == 1
    assert await keyed_opsbot.services.watches.get(TEAM_ID, unknown) is None


async def test_a_card_slack_refuses_undoes_the_watch_and_says_why(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=BILL, domain="private.example")
    fake_slack.fail("chat.postMessage", "not_in_channel")

    answer = await answered(slack_client, fake_slack, f"watch {op_id}")

    assert answer["text"] == f"Operation {op_id} is not watched: I cannot post in this channel."
    assert "not_in_channel" in shown(answer)
    assert await keyed_opsbot.services.watches.get(TEAM_ID, op_id) is None


async def test_watch_without_a_key_says_how_to_set_one(
    opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    answer = await answered(slack_client, fake_slack, "watch 100100")

    assert "No operation API key is set" in answer["text"]
    assert simulator.calls == {}
    assert await opsbot.services.watches.in_channel(TEAM_ID, CHANNEL_ID) == []


@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_card_escapes_what_the_api_says(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=BILL, domain="<!channel>&co.example")

    await answered(slack_client, fake_slack, f"watch {op_id}")

    [post] = cards_posted(fake_slack)
    assert "&lt;!channel&gt;&amp;co.example" in shown(post.args)
    assert "<!channel>" not in shown(post.args)


# --- unwatch ----------------------------------------------------------------------------


async def test_unwatch_ends_the_watch_and_edits_the_card_to_say_so(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=BILL, domain="stop.example")
    await answered(slack_client, fake_slack, f"watch {op_id}")
    [card_ts] = [message["ts"] for message in fake_slack.messages(CHANNEL_ID)]

    answer = await answered(slack_client, fake_slack, f"unwatch {op_id}", user_id=OTHER_USER)

    assert f"Operation {op_id} is no longer watched in this channel." in answer["text"]
    [update] = fake_slack.calls_to("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (CHANNEL_ID, card_ts)
    card = fake_slack.message(CHANNEL_ID, card_ts)
    assert card["text"] == f"Operation {op_id} is no longer watched here"
    assert f"unwatched by <@{OTHER_USER}>" in shown(card)
    assert ids.ACTION_UNWATCH not in buttons(card)
    assert buttons(card)[ids.ACTION_WATCH] == str(op_id)
    assert await keyed_opsbot.services.watches.get(TEAM_ID, op_id) is None


async def test_the_unwatch_button_on_the_card_ends_the_watch_and_edits_the_card(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_renew", step=WAIT, domain="button-stop.example")
    await answered(slack_client, fake_slack, f"watch {op_id}")
    card_ts = fake_slack.messages(CHANNEL_ID)[0]["ts"]
    assert buttons(fake_slack.message(CHANNEL_ID, card_ts))[ids.ACTION_UNWATCH] == str(op_id)

    await click(slack_client, fake_slack, ids.ACTION_UNWATCH, op_id, message_ts=card_ts)

    [update] = await fake_slack.wait_for("chat.update")
    assert update.args["ts"] == card_ts
    assert "No longer watched here" in shown(fake_slack.message(CHANNEL_ID, card_ts))
    assert await keyed_opsbot.services.watches.get(TEAM_ID, op_id) is None


async def test_unwatch_in_one_channel_keeps_the_card_in_the_other(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=BILL, domain="keep.example")
    await answered(slack_client, fake_slack, f"watch {op_id}")
    await answered(slack_client, fake_slack, f"watch {op_id}", channel_id=OTHER_CHANNEL)

    await answered(slack_client, fake_slack, f"unwatch {op_id}", channel_id=OTHER_CHANNEL)

    [card] = (await stored(keyed_opsbot, op_id)).cards
    assert card.channel == CHANNEL_ID
    [update] = fake_slack.calls_to("chat.update")
    assert update.args["channel"] == OTHER_CHANNEL


async def test_unwatch_of_an_operation_not_watched_here_says_so(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=BILL, domain="elsewhere.example")
    await answered(slack_client, fake_slack, f"watch {op_id}", channel_id=OTHER_CHANNEL)

    answer = await answered(slack_client, fake_slack, f"unwatch {op_id}")
    name = await click(slack_client, fake_slack, ids.ACTION_UNWATCH, op_id)
    [by_button] = await fake_slack.wait_for_responses(name)

    expected = f"Operation {op_id} is not watched in this channel."
    assert answer["text"] == by_button["text"] == expected
    assert fake_slack.calls_to("chat.update") == []
    assert len((await stored(keyed_opsbot, op_id)).cards) == 1


# --- /ops watches --------------------------------------------------------------------------


@pytest.mark.usefixtures("keyed_opsbot")
async def test_watches_lists_this_channels_watches_with_their_steps(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    billing = simulator.create("domain_create", step=BILL, domain="listed.example")
    waiting = simulator.create("domain_renew", step=WAIT, domain="also.example")
    elsewhere = simulator.create("vm_create", step=RUN)
    await answered(slack_client, fake_slack, f"watch {billing} {waiting}")
    await answered(slack_client, fake_slack, f"watch {elsewhere}", channel_id=OTHER_CHANNEL)

    answer = await answered(slack_client, fake_slack, "watches")

    assert answer["text"] == "2 operations watched in this channel"
    text = shown(answer)
    assert f"*#{billing}*  `domain_create`  listed.example · :receipt: *BILL*" in text
    assert f"*#{waiting}*  `domain_renew`  also.example · :hourglass_flowing_sand: *WAIT*" in text
    assert f"#{elsewhere}" not in text
    assert f"<@{USER_ID}>" in text


@pytest.mark.usefixtures("opsbot")
async def test_watches_in_a_quiet_channel_says_how_to_start(
    slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    answer = await answered(slack_client, fake_slack, "watches")

    assert answer["text"] == "Nothing is watched in this channel."


async def test_watches_says_when_the_teams_watches_are_paused(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_create", step=BILL, domain="paused.example")
    await answered(slack_client, fake_slack, f"watch {op_id}")
    await keyed_opsbot.services.pauses.pause(TEAM_ID, "the API refused the key")

    answer = await answered(slack_client, fake_slack, "watches")

    assert "Paused: the API refused the key" in shown(answer)
    assert f"*#{op_id}*" in shown(answer)


# --- subscriptions -----------------------------------------------------------------------------


async def test_subscribe_answers_with_the_number_and_stores_the_filters(
    keyed_opsbot: RunningOpsbot, slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    before = dt.datetime.now(dt.UTC)

    first = await answered(slack_client, fake_slack, "subscribe type=domain_create step=BILL")
    second = await answered(slack_client, fake_slack, "subscribe")

    assert first["text"] == (
        "Subscription 1: this channel gets a card for every new operation "
        "matching type=domain_create step=BILL"
    )
    assert second["text"] == "Subscription 2: this channel gets a card for every new operation"
    one, two = await keyed_opsbot.services.subscriptions.list(TEAM_ID)
    assert (one.number, one.channel, one.created_by) == (1, CHANNEL_ID, USER_ID)
    assert one.filters == {"type": "domain_create", "step": "BILL"}
    assert two.filters == {}
    # New operations are those created from now on.
    assert before <= one.last_seen <= dt.datetime.now(dt.UTC)
    assert await team_is_scheduled(keyed_opsbot.services)


@pytest.mark.parametrize(
    ("filters", "reason"),
    [
        ("sort_by=date_created", "`sort_by` cannot be used in a subscription"),
        # Escaped as all text is: "&gt;" is how Slack shows ">".
        ('">date_created=7d"', "`&gt;date_created` cannot be used in a subscription"),
        ("id=1,2", "`id` cannot be used in a subscription"),
        ("page=2", "`page` cannot be used in a subscription"),
    ],
)
async def test_subscribe_refuses_what_the_watcher_sets_itself(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    filters: str,
    reason: str,
) -> None:
    answer = await answered(slack_client, fake_slack, f"subscribe step=BILL {filters}")

    assert reason in answer["text"]
    assert await keyed_opsbot.services.subscriptions.list(TEAM_ID) == []


async def test_subscribe_with_a_misspelled_filter_is_answered_on_the_ack(
    keyed_opsbot: RunningOpsbot, slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    body = await acked(slack_client, fake_slack, "subscribe stpe=ERROR")

    assert body["response_type"] == "ephemeral"
    assert "Did you mean `step`" in shown(body)
    assert await keyed_opsbot.services.subscriptions.list(TEAM_ID) == []


async def test_subscribe_without_a_key_says_how_to_set_one(
    opsbot: RunningOpsbot, slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    answer = await answered(slack_client, fake_slack, "subscribe step=ERROR")

    assert "No operation API key is set" in answer["text"]
    assert await opsbot.services.subscriptions.list(TEAM_ID) == []


async def test_subscriptions_lists_this_channels_and_unsubscribe_ends_one(
    keyed_opsbot: RunningOpsbot, slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    await answered(slack_client, fake_slack, "subscribe type=domain_create")
    await answered(slack_client, fake_slack, "subscribe step=ERROR", channel_id=OTHER_CHANNEL)
    await answered(slack_client, fake_slack, "subscribe type=vm_create step=ERROR")

    listed = await answered(slack_client, fake_slack, "subscriptions")

    assert listed["text"] == "2 subscriptions in this channel"
    text = shown(listed)
    assert f"*1.* `type=domain_create` · by <@{USER_ID}>" in text
    assert "*3.* `type=vm_create step=ERROR`" in text
    assert "*2.*" not in text

    ended = await answered(slack_client, fake_slack, "unsubscribe 1")

    assert ended["text"].startswith("Subscription 1 is ended")
    remaining = await keyed_opsbot.services.subscriptions.list(TEAM_ID)
    assert [subscription.number for subscription in remaining] == [2, 3]
    listed_again = await answered(slack_client, fake_slack, "subscriptions")
    assert listed_again["text"] == "1 subscription in this channel"


async def test_unsubscribe_refuses_another_channels_number_and_an_unknown_one(
    keyed_opsbot: RunningOpsbot, slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    await answered(slack_client, fake_slack, "subscribe step=ERROR", channel_id=OTHER_CHANNEL)

    theirs = await answered(slack_client, fake_slack, "unsubscribe 1")
    unknown = await answered(slack_client, fake_slack, "unsubscribe 7")

    assert theirs["text"] == "This channel has no subscription number 1."
    assert unknown["text"] == "This channel has no subscription number 7."
    assert len(await keyed_opsbot.services.subscriptions.list(TEAM_ID)) == 1


@pytest.mark.usefixtures("opsbot")
async def test_no_subscriptions_says_how_to_make_one(
    slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    answer = await answered(slack_client, fake_slack, "subscriptions")

    assert answer["text"] == "This channel has no subscriptions."


# --- watching after a relaunch or a cancel, and resuming -----------------------------------------


@pytest.fixture
def web_client(fake_slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)


def _asked(opsbot: RunningOpsbot, client: AsyncWebClient) -> Interaction:
    requester = Requester(TEAM_ID, USER_ID, CHANNEL_ID, trigger_id=None, response_url=None)
    return Interaction(opsbot.services, client, requester)


async def test_watch_in_thread_makes_the_report_the_card_and_says_so_in_its_thread(
    keyed_opsbot: RunningOpsbot,
    fake_slack: FakeSlack,
    simulator: Simulator,
    sim_key: str,
    web_client: AsyncWebClient,
) -> None:
    op_id = simulator.create("domain_create", step=ERROR, domain="again.example")
    await keyed_opsbot.services.api.relaunch(sim_key, op_id)
    report_ts = "1700000000.555500"

    await watch_in_thread(_asked(keyed_opsbot, web_client), op_id, channel=CHANNEL_ID, ts=report_ts)

    watch = await stored(keyed_opsbot, op_id)
    [card] = watch.cards
    assert (card.channel, card.ts, card.watchers) == (CHANNEL_ID, report_ts, (USER_ID,))
    assert watch.step == simulator.operation(op_id)["step"]
    [note] = fake_slack.calls_to("chat.postMessage")
    assert (note.args["channel"], note.args["thread_ts"]) == (CHANNEL_ID, report_ts)
    assert "every step change" in note.args["text"]


async def test_watch_in_thread_leaves_an_operation_that_has_ended(
    keyed_opsbot: RunningOpsbot,
    fake_slack: FakeSlack,
    simulator: Simulator,
    sim_key: str,
    web_client: AsyncWebClient,
) -> None:
    op_id = simulator.create("domain_renew", step=WAIT, domain="cancelled.example")
    await keyed_opsbot.services.api.cancel(sim_key, op_id)

    await watch_in_thread(_asked(keyed_opsbot, web_client), op_id, channel=CHANNEL_ID, ts="1.2")

    assert await keyed_opsbot.services.watches.get(TEAM_ID, op_id) is None
    assert fake_slack.calls_to("chat.postMessage") == []


async def test_watch_in_thread_of_an_operation_watched_here_adds_to_its_cards_mentions(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    web_client: AsyncWebClient,
) -> None:
    op_id = simulator.create("domain_renew", step=WAIT, domain="known.example")
    await answered(slack_client, fake_slack, f"watch {op_id}", user_id=OTHER_USER)
    [card_ts] = [message["ts"] for message in fake_slack.messages(CHANNEL_ID)]
    operation = Operation.from_api(simulator.operation(op_id))
    calls_before = simulator.calls["operation.info"]

    await watch_in_thread(
        _asked(keyed_opsbot, web_client),
        op_id,
        channel=CHANNEL_ID,
        ts="1700000000.777700",
        operation=operation,
    )

    [card] = (await stored(keyed_opsbot, op_id)).cards
    assert (card.ts, card.watchers) == (card_ts, (OTHER_USER, USER_ID))
    note = fake_slack.calls_to("chat.postMessage")[-1]
    assert note.args["thread_ts"] == "1700000000.777700"
    assert "already watched in this channel" in note.args["text"]
    assert simulator.calls["operation.info"] == calls_before  # the operation given was used


async def test_resume_watching_lifts_the_pause_and_wakes_the_team(
    keyed_opsbot: RunningOpsbot,
) -> None:
    services = keyed_opsbot.services
    await services.pauses.pause(TEAM_ID, "the key was removed")
    await services.schedule.forget(TEAM_ID)

    await resume_watching(services, TEAM_ID)

    assert await services.pauses.reason(TEAM_ID) is None
    assert await team_is_scheduled(services)


# --- fair use ----------------------------------------------------------------------------------


# Four cards in a channel within a second: more than the default bucket's burst,
# which would make the last answer wait for its token (and say "Working on it").
@pytest.mark.parametrize("env_overrides", [{"OPSBOT_MAX_WATCHES": "2", "OPSBOT_POST_BURST": "5"}])
async def test_watch_at_the_teams_limit_says_how_many_the_limit_and_how_to_free_some(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    first, second, third = (simulator.create("domain_renew", step=WAIT) for _ in range(3))
    await answered(slack_client, fake_slack, f"watch {first}", channel_id=OTHER_CHANNEL)

    answer = await answered(slack_client, fake_slack, f"watch {second} {third}")

    assert answer["text"] == "Watching 1 of 2 operations"
    text = shown(answer)
    assert f"*#{third}* is not watched: this team already watches 2 operations" in text
    assert "2 is its limit" in text
    assert "`/ops unwatch ID`" in text
    assert await keyed_opsbot.services.watches.get(TEAM_ID, third) is None
    assert len(cards_posted(fake_slack)) == 1  # the second's card only

    # An operation watched already still takes another channel's card.
    again = await answered(slack_client, fake_slack, f"watch {first}")
    assert "is watched: its card is posted" in shown(again)

    await answered(slack_client, fake_slack, f"unwatch {second}")
    freed = await answered(slack_client, fake_slack, f"watch {third}")
    assert freed["text"] == "Watching 1 of 1 operation"


@pytest.mark.parametrize("env_overrides", [{"OPSBOT_MAX_SUBSCRIPTIONS": "2"}])
async def test_subscribe_at_the_teams_limit_says_how_many_the_limit_and_how_to_free_some(
    keyed_opsbot: RunningOpsbot, slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    await answered(slack_client, fake_slack, "subscribe type=domain_create")
    await answered(slack_client, fake_slack, "subscribe step=ERROR", channel_id=OTHER_CHANNEL)

    answer = await answered(slack_client, fake_slack, "subscribe type=vm_create")

    text = shown(answer)
    assert "No subscription added: this team has 2 subscriptions" in text
    assert "2 is its limit" in text
    assert "`/ops unsubscribe NUMBER`" in text
    assert len(await keyed_opsbot.services.subscriptions.list(TEAM_ID)) == 2
