"""From Slack: `/ops mute` and `unmute`, the card's Broadcast button, `broadcast=`, `only=`."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest

from opsbot.api.operation import WAIT
from opsbot.simulator import Simulator
from opsbot.ui import ids
from tests.integration.slack.test_watch_commands_e2e import answered, click, shown
from tests.support.opsbot_app import RunningOpsbot
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import (
    CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    SlackClient,
    slash_command_body,
)


async def test_mute_for_two_hours_then_unmute(
    opsbot: RunningOpsbot, slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    before = time.time()
    answer = await answered(slack_client, fake_slack, "mute 2h")

    assert "This channel is muted until" in shown(answer)
    mute = await opsbot.services.mutes.get(TEAM_ID, CHANNEL_ID)
    assert mute is not None
    assert before + 7200 <= mute.until <= time.time() + 7200
    assert mute.by == USER_ID
    watches = await answered(slack_client, fake_slack, "watches")
    assert ":mute: Muted until" in shown(watches)
    assert f"by <@{USER_ID}>" in shown(watches)

    unmuted = await answered(slack_client, fake_slack, "unmute")

    assert "no longer muted" in shown(unmuted)
    again = await answered(slack_client, fake_slack, "watches")
    assert "Muted until" not in shown(again)
    not_muted = await answered(slack_client, fake_slack, "unmute")
    assert "This channel is not muted." in shown(not_muted)


async def test_a_mute_without_a_length_is_refused_privately(
    opsbot: RunningOpsbot, slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    reply = await slack_client.post(
        slash_command_body("mute soon", response_url=fake_slack.response_url("m"))
    )
    assert reply.status == 200
    assert "from 1m to 7d" in reply.text
    assert await opsbot.services.mutes.get(TEAM_ID, CHANNEL_ID) is None


async def test_the_cards_broadcast_button_moves_to_the_next_preference(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_renew", step=WAIT, domain="loud.example")
    await answered(slack_client, fake_slack, f"watch {op_id}")
    card_ts = fake_slack.messages(CHANNEL_ID)[0]["ts"]
    assert "Broadcast: always" in shown(fake_slack.message(CHANNEL_ID, card_ts))

    await click(slack_client, fake_slack, ids.ACTION_BROADCAST, op_id, message_ts=card_ts)

    [update] = await fake_slack.wait_for("chat.update")
    assert update.args["ts"] == card_ts
    assert "Broadcast: failures" in shown(fake_slack.message(CHANNEL_ID, card_ts))
    watch = await keyed_opsbot.services.watches.get(TEAM_ID, op_id)
    assert watch is not None
    assert [card.broadcast for card in watch.cards] == ["failures"]


async def test_watch_with_broadcast_never_stores_it_on_the_card(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_renew", step=WAIT, domain="quiet.example")

    await answered(slack_client, fake_slack, f"watch {op_id} broadcast=never")

    watch = await keyed_opsbot.services.watches.get(TEAM_ID, op_id)
    assert watch is not None
    assert [card.broadcast for card in watch.cards] == ["never"]


async def test_subscribe_with_only_stores_the_steps_and_the_preference(
    keyed_opsbot: RunningOpsbot, slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    await answered(
        slack_client, fake_slack, "subscribe type=domain_renew only=ERROR,SUPPORT broadcast=never"
    )

    [subscription] = await keyed_opsbot.services.subscriptions.list(TEAM_ID, CHANNEL_ID)
    assert subscription.filters == {"type": "domain_renew"}
    assert subscription.only == ("ERROR", "SUPPORT")
    assert subscription.broadcast == "never"


@pytest.mark.usefixtures("keyed_opsbot")
async def test_the_answer_to_an_outcome_subscription_says_what_it_will_post(
    slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    answer = await answered(slack_client, fake_slack, "subscribe type=domain_renew only=ERROR")
    plain = await answered(slack_client, fake_slack, "subscribe type=domain_create")

    assert "until it ends in *ERROR*" in shown(answer)
    assert "a card and a thread" not in shown(answer)
    assert "broadcast to the channel: *failures*" in shown(plain)


async def test_mute_until_a_time_reads_it_in_the_persons_time_zone(
    opsbot: RunningOpsbot, slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    fake_slack.workspace.users[USER_ID].tz = "America/New_York"
    new_york = ZoneInfo("America/New_York")
    before = dt.datetime.now(new_york)

    answer = await answered(slack_client, fake_slack, "mute until 06:15")

    mute = await opsbot.services.mutes.get(TEAM_ID, CHANNEL_ID)
    assert mute is not None
    end = dt.datetime.fromtimestamp(mute.until, new_york)
    assert (end.hour, end.minute, end.second) == (6, 15, 0)
    assert before < end <= before + dt.timedelta(days=1)
    assert f"06:15 your time ({end.tzname()})" in shown(answer)
    assert end.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") in shown(answer)
