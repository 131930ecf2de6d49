"""``opsbot serve`` polls watched operations in-process unless told not to."""

from __future__ import annotations

from opsbot.api.operation import DONE, RUN
from opsbot.simulator import Simulator
from tests.support.opsbot_app import SIGNING_SECRET, RunningOpsbot
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import SlackClient, slash_command_body


async def test_the_served_app_follows_a_watch_to_its_end(
    watching_opsbot: RunningOpsbot, fake_slack: FakeSlack, simulator: Simulator
) -> None:
    op_id = simulator.create("domain_create", step=RUN, domain="followed.fr")
    async with SlackClient(
        watching_opsbot.base_url, SIGNING_SECRET, slack=fake_slack
    ) as slack_client:
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
