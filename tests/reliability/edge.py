"""What the edge probes share: the simulator, FakeSlack, a team key, and ``opsbot serve``.

Each probe runs a real ``opsbot serve`` process (:mod:`tests.support.serve_process`)
against the simulator and FakeSlack served by the test process and a real
Redis, with the simulator's key already set for the test team.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping

from opsbot.config import Settings
from opsbot.simulator import ManualClock, ServedSimulator, Simulator, serve_simulator
from opsbot.store.connection import open_redis
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import Vault, load_keyring
from tests.support.opsbot_app import opsbot_env
from tests.support.serve_process import ServeProcess, serving
from tests.support.slack_api import JSON, FakeSlack
from tests.support.slack_requests import TEAM_ID

SIM_KEY = "edgeprobekey0123456789ab"


@contextlib.asynccontextmanager
async def simulated_api(operations: int = 60) -> AsyncIterator[ServedSimulator]:
    simulator = Simulator(seed=2, keys=[SIM_KEY], clock=ManualClock(), operations=operations)
    async with serve_simulator(simulator) as served:
        yield served


async def set_team_key(env: Mapping[str, str], team_id: str = TEAM_ID) -> None:
    """Store the simulator's key for ``team_id`` the way ``/ops key`` does."""
    settings = Settings.from_env(env)
    async with open_redis(settings) as redis:
        await TeamKeyStore(redis, Vault(load_keyring(settings))).set(team_id, SIM_KEY, "U0ADMIN")


@contextlib.asynccontextmanager
async def keyed_serve(
    fake_slack: FakeSlack, api: ServedSimulator, redis_url: str, **overrides: str
) -> AsyncIterator[ServeProcess]:
    """``opsbot serve`` on ``redis_url``, the test team's key set."""
    env = opsbot_env(slack_api_url=fake_slack.api_url, api_url=api.url, redis_url=redis_url)
    env.update(overrides)
    await set_team_key(env)
    async with serving(env) as served:
        yield served


def answered(fake_slack: FakeSlack, name: str) -> list[JSON]:
    """What response_url ``name`` got (a command's answer has no placeholder before it)."""
    return fake_slack.responses(name)


async def until(condition: Callable[[], bool], what: str, within: float = 30.0) -> None:
    """Wait for ``condition``; ``within`` is a safety net that names what never came."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within:g} s")
        await asyncio.sleep(0.05)
