"""``opsbot serve`` polls watched operations in-process unless told not to."""

from __future__ import annotations

from opsbot.api.operation import DONE, RUN
from opsbot.simulator import ServedSimulator, Simulator
from tests.support.opsbot_app import SIGNING_SECRET, opsbot_env, running_opsbot
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import TEAM_ID, SlackClient, slash_command_body


async def test_the_served_app_follows_a_watch_to_its_end(
    fake_slack: FakeSlack,
    sim_server: ServedSimulator,
    simulator: Simulator,
    sim_key: str,
    redis_url: str,
) -> None:
    op_id = simulator.create("domain_create", step=RUN, domain="followed.fr")
    env = opsbot_env(
        slack_api_url=fake_slack.api_url,
        api_url=sim_server.url,
        redis_url=redis_url,
        OPSBOT_POLL_INTERVAL="0.2",
    )
    async with (
        running_opsbot(env, watcher=True) as opsbot,
        SlackClient(opsbot.base_url, SIGNING_SECRET, slack=fake_slack) as slack_client,
    ):
        await opsbot.set_team_key(TEAM_ID, sim_key)
        body = slash_command_body(f"watch {op_id}", response_url=fake_slack.response_url("w"))
        assert (await slack_client.post(body)).status == 200
        [card] = await fake_slack.wait_for("chat.postMessage")
        card_ts = fake_slack.messages()[0]["ts"]

        simulator.move(op_id, DONE)
        posts = await fake_slack.wait_for("chat.postMessage", count=2, timeout=20)

    final = posts[1].args
    assert card.args["channel"] == final["channel"]
    assert final["thread_ts"] == card_ts
    assert final["reply_broadcast"] in (True, "true", "1")
    assert f"Operation {op_id}" in final["text"]
    assert "is done" in final["text"]
