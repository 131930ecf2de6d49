"""What a real workspace would refuse or get wrong, shown against the local workspace.

Each test here is one of issue 8's findings: something every test passed
while a real Slack would have refused it, or shown the person a stale or
wrong message. The local workspace keeps Slack's rules, so these fail
without the fix they name.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from opsbot.api.operation import WAIT
from opsbot.simulator import ServedSimulator, Simulator
from opsbot.ui import ids
from opsbot.workspace import WorkspaceSettings
from tests.support.opsbot_app import SIGNING_SECRET, RunningOpsbot, opsbot_env, running_opsbot
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import (
    CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    SlackClient,
    block_actions_body,
    slash_command_body,
)

JSON = dict[str, Any]
# The API client must outwait the simulator's latency, or it would time out first.
PATIENT_CLIENT = {"OPSBOT_API_TIMEOUT": "20"}


async def command(slack_client: SlackClient, fake_slack: FakeSlack, text: str, name: str) -> None:
    reply = await slack_client.post(
        slash_command_body(text, response_url=fake_slack.response_url(name))
    )
    assert reply.status == 200


def private_texts(fake_slack: FakeSlack) -> list[str]:
    """What the person sees privately in the channel, oldest first."""
    return [e.text for e in fake_slack.workspace.ephemerals_for(USER_ID, CHANNEL_ID)]


# --- single-workspace mode asks who it is once ----------------------------------------


@pytest.mark.usefixtures("opsbot")
async def test_many_commands_at_once_ask_slack_who_the_bot_is_only_once(
    slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    """auth.test is Tier 4: 200 commands at once asking it each were answered 429."""
    bodies = [
        slash_command_body("help", response_url=fake_slack.response_url(f"h{n}")) for n in range(20)
    ]

    replies = await asyncio.gather(*(slack_client.post(body) for body in bodies))

    assert [reply.status for reply in replies] == [200] * 20
    assert all("/ops list" in reply.text for reply in replies)
    assert len(fake_slack.calls_to("auth.test")) == 1


# --- a slow answer leaves no stale or wrong message ------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("env_overrides", [PATIENT_CLIENT])
@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_slow_list_leaves_one_private_answer_and_no_working_message(
    slack_client: SlackClient, fake_slack: FakeSlack, simulator: Simulator
) -> None:
    """A slash command has no original message: nothing can replace a placeholder."""
    simulator.set_latency(1.5)

    await command(slack_client, fake_slack, "count", "count")
    [answer] = await fake_slack.wait_for_responses("count", timeout=15)

    assert answer["text"].endswith("operations in all")
    assert private_texts(fake_slack) == [answer["text"]]
    assert fake_slack.warnings() == []


@pytest.mark.slow
@pytest.mark.parametrize("env_overrides", [PATIENT_CLIENT])
@pytest.mark.usefixtures("keyed_opsbot")
async def test_info_on_a_public_watch_card_never_turns_the_card_into_a_private_answer(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create("domain_renew", step=WAIT, domain="card.example")
    await command(slack_client, fake_slack, f"watch {op_id}", "watch")
    await fake_slack.wait_for_responses("watch")
    [card] = [m for m in fake_slack.messages(CHANNEL_ID) if m["text"].startswith("Operation")]
    simulator.set_latency(1.5)

    body = block_actions_body(
        ids.ACTION_INFO,
        str(op_id),
        response_url=fake_slack.response_url("info"),
        message_ts=card["ts"],
        message=card,
    )
    assert (await slack_client.post(body)).status == 200
    [answer] = await fake_slack.wait_for_responses("info", timeout=15)

    assert answer["replace_original"] is False
    assert fake_slack.message(CHANNEL_ID, card["ts"]) == card
    assert private_texts(fake_slack)[-1] == answer["text"]
    assert not any("Working on it" in text for text in private_texts(fake_slack))


# --- cards within Slack's rate ----------------------------------------------------------


@pytest.fixture
async def slack_rated_opsbot(
    sim_server: ServedSimulator, redis_url: str, sim_key: str
) -> AsyncIterator[tuple[FakeSlack, RunningOpsbot]]:
    """opsbot against a workspace with Slack's own rates: one post a second, a burst of 2."""
    async with FakeSlack(settings=WorkspaceSettings()) as slack:
        env = opsbot_env(slack_api_url=slack.api_url, api_url=sim_server.url, redis_url=redis_url)
        async with running_opsbot(env) as running:
            await running.set_team_key(TEAM_ID, sim_key)
            yield slack, running


@pytest.mark.slow
async def test_watching_twenty_operations_posts_every_card_at_slacks_rate(
    slack_rated_opsbot: tuple[FakeSlack, RunningOpsbot], simulator: Simulator
) -> None:
    fake_slack, opsbot = slack_rated_opsbot
    op_ids = [simulator.create("domain_renew", step=WAIT) for _ in range(20)]

    async with SlackClient(opsbot.base_url, SIGNING_SECRET, slack=fake_slack) as client:
        await command(client, fake_slack, "watch " + " ".join(map(str, op_ids)), "watch")
        [answer] = await fake_slack.wait_for_responses("watch", timeout=90)

    shown = json.dumps(answer)
    assert "cannot post" not in shown
    assert shown.count("is watched: its card is posted") == 20
    cards = [m for m in fake_slack.messages(CHANNEL_ID) if m["text"].startswith("Operation")]
    assert len(cards) == 20
    # Each card took its channel's token first (opsbot.store.pacing): Slack never had to refuse.
    refused = [c for c in fake_slack.calls_to("chat.postMessage") if c.error == "ratelimited"]
    assert refused == []


@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_rate_limited_card_is_posted_after_retry_after_not_reported_unpostable(
    slack_client: SlackClient, fake_slack: FakeSlack, simulator: Simulator
) -> None:
    op_id = simulator.create("domain_renew", step=WAIT)
    fake_slack.rate_limit("chat.postMessage", retry_after=1, times=1)

    await command(slack_client, fake_slack, f"watch {op_id}", "watch")
    [answer] = await fake_slack.wait_for_responses("watch", timeout=10)

    assert "is watched: its card is posted" in json.dumps(answer)
    assert [c.error for c in fake_slack.calls_to("chat.postMessage")] == ["ratelimited", None]
