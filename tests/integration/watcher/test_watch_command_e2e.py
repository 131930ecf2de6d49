"""From ``/ops watch`` to the final broadcast: opsbot served for real, the watcher by hand.

opsbot answers signed requests on a free port (the simulator behind it, a
real Redis, FakeSlack in front); the card is the one ``/ops watch`` posts.
The watcher is a :class:`~opsbot.watcher.worker.Worker` on the app's own
Redis and keys, run one cycle at a time on a clock of the test's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from opsbot.api.operation import BILL, DONE, RUN, WAIT
from opsbot.simulator import ServedSimulator, Simulator
from opsbot.watcher.worker import Worker, open_worker
from tests.integration.watcher.conftest import TEST_LEASE_S, HandClock
from tests.support.opsbot_app import SIGNING_SECRET, opsbot_env, running_opsbot
from tests.support.slack_api import JSON, FakeSlack
from tests.support.slack_requests import (
    CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    SlackClient,
    slash_command_body,
)


@dataclass
class Served:
    slack: FakeSlack
    slack_client: SlackClient
    worker: Worker
    clock: HandClock
    simulator: Simulator

    async def command(self, text: str, name: str) -> JSON:
        """``/ops text`` as Slack sends it; its one private answer."""
        body = slash_command_body(text, response_url=self.slack.response_url(name))
        reply = await self.slack_client.post(body)
        assert reply.status == 200
        [answer] = await self.slack.wait_for_responses(name)
        return answer

    async def cycle(self) -> None:
        self.clock.advance(1.0)
        await self.worker.run_once()

    def thread(self, ts: str) -> list[JSON]:
        return [m for m in self.slack.messages(CHANNEL_ID) if m.get("thread_ts") == ts]

    async def until_thread_has(self, ts: str, count: int) -> list[JSON]:
        for _ in range(30):
            await self.cycle()
            if len(self.thread(ts)) >= count:
                return self.thread(ts)
        raise AssertionError(f"the thread of {ts} has {self.thread(ts)}")


@pytest.fixture
async def served(
    fake_slack: FakeSlack, sim_server: ServedSimulator, redis_url: str, sim_key: str
) -> AsyncIterator[Served]:
    env = opsbot_env(
        slack_api_url=fake_slack.api_url,
        api_url=sim_server.url,
        redis_url=redis_url,
        OPSBOT_POLL_INTERVAL="1",
    )
    clock = HandClock()
    async with running_opsbot(env) as opsbot:
        await opsbot.set_team_key(TEAM_ID, sim_key)
        services = opsbot.services
        async with (
            open_worker(
                opsbot.settings, services.redis, services.vault, lease_s=TEST_LEASE_S, clock=clock
            ) as worker,
            SlackClient(opsbot.base_url, SIGNING_SECRET, slack=fake_slack) as slack_client,
        ):
            yield Served(fake_slack, slack_client, worker, clock, sim_server.simulator)


async def test_ops_watch_then_every_step_in_the_cards_thread_and_the_end_broadcast(
    served: Served,
) -> None:
    simulator = served.simulator
    op_id = simulator.create("domain_create", step=BILL, domain="watched.es")

    answer = await served.command(f"watch {op_id}", "watch")
    [card] = served.slack.messages(CHANNEL_ID)
    for count, step in enumerate((WAIT, RUN, DONE), start=1):
        simulator.move(op_id, step)
        await served.until_thread_has(card["ts"], count)
    polls = simulator.calls["operation.list"]
    for _ in range(5):
        await served.cycle()

    assert answer["text"].startswith("Watching 1 of 1")
    assert card["text"].startswith(f"Operation {op_id} (domain_create watched.es)")
    replies = served.thread(card["ts"])
    assert [reply["text"] for reply in replies[:2]] == [
        f"Operation {op_id}: BILL → WAIT",
        f"Operation {op_id}: WAIT → RUN",
    ]
    [final] = replies[2:]
    assert final["reply_broadcast"] is True
    assert f"<@{USER_ID}>" in final["text"]
    # The card, edited at each change, ends on the final step.
    assert served.slack.message(CHANNEL_ID, card["ts"])["text"].endswith(DONE)
    # No more polling of an operation that ended, and never one call per operation.
    assert simulator.calls["operation.list"] == polls
    assert simulator.calls["operation.info"] == 0
