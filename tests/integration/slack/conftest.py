"""opsbot served over real HTTP against the simulator, the local Slack workspace and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from opsbot.simulator import ServedSimulator
from tests.support.opsbot_app import SIGNING_SECRET, RunningOpsbot, opsbot_env, running_opsbot
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import TEAM_ID, SlackClient


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        yield slack


@pytest.fixture
def env_overrides() -> dict[str, str]:
    """Tests override settings by overriding this fixture."""
    return {}


@pytest.fixture
async def opsbot(
    fake_slack: FakeSlack,
    sim_server: ServedSimulator,
    redis_url: str,
    env_overrides: dict[str, str],
) -> AsyncIterator[RunningOpsbot]:
    env = opsbot_env(slack_api_url=fake_slack.api_url, api_url=sim_server.url, redis_url=redis_url)
    env.update(env_overrides)
    async with running_opsbot(env) as running:
        yield running


@pytest.fixture
async def keyed_opsbot(opsbot: RunningOpsbot, sim_key: str) -> RunningOpsbot:
    """opsbot with the simulator's key already set for the test team."""
    await opsbot.set_team_key(TEAM_ID, sim_key)
    return opsbot


@pytest.fixture
async def slack_client(opsbot: RunningOpsbot, fake_slack: FakeSlack) -> AsyncIterator[SlackClient]:
    async with SlackClient(opsbot.base_url, SIGNING_SECRET, slack=fake_slack) as client:
        yield client


@pytest.fixture
async def watching_opsbot(
    fake_slack: FakeSlack, sim_server: ServedSimulator, redis_url: str, sim_key: str
) -> AsyncIterator[RunningOpsbot]:
    """``opsbot serve`` with its watcher, polling every 0.2 s, the team's key set."""
    env = opsbot_env(
        slack_api_url=fake_slack.api_url,
        api_url=sim_server.url,
        redis_url=redis_url,
        OPSBOT_POLL_INTERVAL="0.2",
    )
    async with running_opsbot(env, watcher=True) as opsbot:
        await opsbot.set_team_key(TEAM_ID, sim_key)
        yield opsbot
