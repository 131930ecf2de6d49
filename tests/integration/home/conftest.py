"""opsbot served for real against the local workspace (Slack's rules), the simulator and Redis.

The workspace is the demo one (team ``T0DEMO``, ``#ops``, ada the admin and
mia a member); it delivers signed requests and events to opsbot, and holds
every Web API call opsbot makes to Slack's rules (scopes, blocks, views).
The watcher is a :class:`~opsbot.watcher.worker.Worker` run by hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Final

import pytest

from opsbot.app_home import FromListeners
from opsbot.simulator import ServedSimulator, Simulator
from opsbot.slack.commands import help_sections
from opsbot.slack.home import relaunch_checker
from opsbot.watcher.worker import Worker, open_worker
from opsbot.workspace import ServedWorkspace, Workspace, serve_workspace
from opsbot.workspace import demo as demo_workspace
from opsbot.workspace.state import View
from tests.integration.watcher.conftest import TEST_LEASE_S, HandClock
from tests.support.opsbot_app import RunningOpsbot, opsbot_env, running_opsbot

TEAM: Final = demo_workspace.TEAM
CHANNEL: Final = demo_workspace.CHANNEL
ADA: Final = "U0ADMIN"
# Generous: a shared machine may be slow; a condition usually holds in milliseconds.
UNTIL_S: Final = 10.0
MIA: Final = "U0MEMBER"


@dataclass
class HomeWorld:
    served: ServedWorkspace
    opsbot: RunningOpsbot
    worker: Worker
    clock: HandClock
    simulator: Simulator

    @property
    def workspace(self) -> Workspace:
        return self.served.workspace

    async def command(self, user: str, text: str, channel: str = CHANNEL) -> str:
        """``/ops text`` typed by ``user``; the text of the private answer it ends with."""
        before = len(self.workspace.ephemerals_for(user, channel))
        outcome = await self.served.interactions.slash_command(user, channel, text)
        assert outcome.ok, outcome.failure
        await until(lambda: self._answered(user, channel, before))
        return self.workspace.ephemerals_for(user, channel)[-1].text

    def _answered(self, user: str, channel: str, before: int) -> bool:
        shown = self.workspace.ephemerals_for(user, channel)
        return len(shown) > before and not shown[-1].text.endswith("…")

    def home(self, user: str) -> View:
        home = self.workspace.home(TEAM, user)
        assert home is not None, f"{user} has no Home tab published"
        return home

    def home_text(self, user: str) -> str:
        return blocks_text(self.home(user).body.get("blocks") or [])

    def publishes_for(self, user: str) -> int:
        return len(
            [
                c
                for c in self.workspace.calls
                if c.method == "views.publish" and c.args.get("user_id") == user and c.error is None
            ]
        )

    async def cycle(self, seconds: float = 1.0) -> None:
        self.clock.advance(seconds)
        await self.worker.run_once()


async def until(condition: Callable[[], bool]) -> None:
    """opsbot acts after its ack: wait until ``condition`` holds (or fail, saying so)."""
    deadline = asyncio.get_running_loop().time() + UNTIL_S
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still not so after {UNTIL_S:g} s")
        await asyncio.sleep(0.02)


def blocks_text(blocks: list[Any]) -> str:
    """Every text a person reads in ``blocks``, one line per text object."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(found)


@pytest.fixture
async def home_world(
    sim_server: ServedSimulator, redis_url: str, sim_key: str
) -> AsyncIterator[HomeWorld]:
    workspace = Workspace()
    bot = demo_workspace.populate(workspace)
    async with serve_workspace(workspace) as served:
        env = opsbot_env(
            slack_api_url=served.api_url,
            api_url=sim_server.url,
            redis_url=redis_url,
            SLACK_SIGNING_SECRET=workspace.app.signing_secret,
            SLACK_BOT_TOKEN=bot.bot_token,
            OPSBOT_POLL_INTERVAL="1",
        )
        clock = HandClock()
        async with running_opsbot(env) as opsbot:
            workspace.app.request_url = f"{opsbot.base_url}/slack/events"
            await opsbot.set_team_key(TEAM, sim_key)
            services = opsbot.services
            async with open_worker(
                opsbot.settings,
                services.redis,
                services.vault,
                lease_s=TEST_LEASE_S,
                clock=clock,
                home=FromListeners(help_sections(), relaunch_checker(services)),
            ) as worker:
                yield HomeWorld(served, opsbot, worker, clock, sim_server.simulator)
