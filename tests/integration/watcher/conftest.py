"""The watcher against the simulator, a real Redis and FakeSlack, on a clock of our own.

``watching`` gives a :class:`Watching`: a real :class:`~opsbot.watcher.worker.Worker`
wired to the simulator over HTTP, to FakeSlack and to Redis, whose clock only
moves when a test says so. ``await watching.cycle()`` moves it on by a poll
interval and runs one worker cycle, so a test decides exactly when polls and
posts happen and never sleeps. Watches are started the way ``/ops watch``
starts them: the watch is stored, its card posted, its ``ts`` recorded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.config import Settings, SlackCredentials
from opsbot.simulator import ManualClock, ServedSimulator, Simulator
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.outbox import Outbox
from opsbot.store.pauses import TeamPauses
from opsbot.store.schedule import Schedule
from opsbot.store.subscriptions import SubscriptionStore
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import Vault, load_keyring
from opsbot.store.watches import AddResult, NewWatch, WatchStore
from opsbot.ui.watching import watch_card_message
from opsbot.watcher.worker import CycleReport, Worker, open_worker
from opsbot.watching import Follower
from tests.support.opsbot_app import BOT_TOKEN, new_encryption_key
from tests.support.slack_api import JSON, FakeSlack, SlackCall
from tests.support.slack_requests import CHANNEL_ID, TEAM_ID, USER_ID

POLL_INTERVAL_S = 1.0
# An operation's eta is about 200 s divided by the speed: 4 s here.
SIMULATOR_SPEED = 50.0
# Leases are renewed on the real clock; far longer than any test runs.
TEST_LEASE_S = 600.0
# The one person watching in the one test channel, unless a test says otherwise.
TEST_FOLLOWER = Follower(team_id=TEAM_ID, channel=CHANNEL_ID, user_id=USER_ID)


class HandClock:
    """Epoch seconds that move only when told to (starting at the real now)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now

    @property
    def moment(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.now, dt.UTC)


@dataclass
class Watching:
    worker: Worker
    clock: HandClock
    redis: RedisClient
    watches: WatchStore
    outbox: Outbox
    pauses: TeamPauses
    subscriptions: SubscriptionStore
    schedule: Schedule
    team_keys: TeamKeyStore
    slack: FakeSlack
    simulator: Simulator
    settings: Settings
    vault: Vault
    web: AsyncWebClient

    async def watch(
        self, op_id: int, *, channel: str = CHANNEL_ID, user: str = USER_ID, team: str = TEAM_ID
    ) -> str:
        """Watch ``op_id`` in ``channel`` as ``/ops watch`` does; return the card's ts."""
        operation = self.simulator.operation(op_id)
        return await self.watch_as(
            op_id,
            type=operation["type"],
            label=operation["params"].get("domain") or "",
            step=operation["step"],
            follower=Follower(team_id=team, channel=channel, user_id=user),
        )

    async def watch_as(
        self,
        op_id: int,
        *,
        type: str = "domain_create",
        label: str = "",
        step: str = "BILL",
        follower: Follower = TEST_FOLLOWER,
    ) -> str:
        """Watch ``op_id`` with the facts given (for ids the simulator does not know)."""
        team, channel = follower.team_id, follower.channel
        moment = self.clock.moment
        new = NewWatch(
            op_id=op_id,
            type=type,
            label=label,
            step=step,
            eta=None,
            channel=channel,
            user_id=follower.user_id,
        )
        expires_at = moment + dt.timedelta(days=self.settings.watch_days)
        added = await self.watches.add(team, new, now=moment, expires_at=expires_at)
        assert added is not AddResult.JOINED
        watch = await self.watches.get(team, op_id)
        assert watch is not None
        card = watch_card_message(watch, now=moment, channel=channel)
        posted = await self.web.chat_postMessage(
            channel=channel, text=card["text"], blocks=card["blocks"]
        )
        ts = str(posted["ts"])
        await self.watches.set_card_ts(team, op_id, channel, ts)
        return ts

    async def cycle(self, seconds: float = POLL_INTERVAL_S) -> CycleReport:
        """Move the clock on by ``seconds`` and run one worker cycle."""
        self.clock.advance(seconds)
        return await self.worker.run_once()

    async def cycles(self, count: int, seconds: float = POLL_INTERVAL_S) -> list[CycleReport]:
        return [await self.cycle(seconds) for _ in range(count)]

    async def until(self, condition: Callable[[], bool], limit: int = 60) -> int:
        """Cycle a poll interval at a time until ``condition()``; return how many cycles."""
        for done in range(1, limit + 1):
            await self.cycle()
            if condition():
                return done
        raise AssertionError(f"still waiting after {limit} cycles")

    async def until_replies(self, channel: str, ts: str, count: int) -> list[JSON]:
        """Cycle until the thread of ``ts`` holds ``count`` replies; return them."""
        await self.until(lambda: len(self.replies(channel, ts)) >= count)
        return self.replies(channel, ts)

    async def until_delivered(self, team: str = TEAM_ID, limit: int = 60) -> None:
        """Cycle until the team's outbox is empty."""
        for _ in range(limit):
            await self.cycle()
            if not await self.outbox.pending(team):
                return
        raise AssertionError(f"the outbox of {team} is not empty after {limit} cycles")

    def replies(self, channel: str, ts: str) -> list[JSON]:
        """Messages Slack holds in the thread of ``ts``, oldest first (refused posts are not)."""
        return [
            message for message in self.slack.messages(channel) if message.get("thread_ts") == ts
        ]

    def card_edits(self, channel: str, ts: str) -> list[SlackCall]:
        return [
            call
            for call in self.slack.calls_to("chat.update")
            if call.args.get("channel") == channel and call.args.get("ts") == ts
        ]

    def list_calls(self) -> int:
        return self.simulator.calls["operation.list"]

    def polling_calls(self) -> int:
        """Calls that look at watched operations: reads, and full checks by counting."""
        return self.simulator.calls["operation.list"] + self.simulator.calls["operation.count"]


def watcher_settings(
    *, sim_server: ServedSimulator, fake_slack: FakeSlack, redis_url: str, **overrides: Any
) -> Settings:
    fields: dict[str, Any] = {
        "api_url": sim_server.url,
        "api_timeout_s": 5.0,
        "slack_api_url": fake_slack.api_url,
        "redis_url": redis_url,
        "poll_interval_s": POLL_INTERVAL_S,
        "encryption_keys": (new_encryption_key(),),
        "slack": SlackCredentials(bot_token=BOT_TOKEN),
    }
    fields.update(overrides)
    return Settings(**fields)


@pytest.fixture
def simulator(sim_key: str, sim_clock: ManualClock) -> Simulator:
    """Operations whose eta is a few seconds: polled at every interval, never stretched.

    Time stands still (``sim_clock``), so nothing moves unless a test moves it.
    """
    return Simulator(seed=1, keys=[sim_key], clock=sim_clock, speed=SIMULATOR_SPEED)


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        yield slack


@pytest.fixture
async def watching(
    sim_server: ServedSimulator, fake_slack: FakeSlack, redis_url: str, sim_key: str
) -> AsyncIterator[Watching]:
    async with watching_with(sim_server, fake_slack, redis_url, sim_key) as watching:
        yield watching


@contextlib.asynccontextmanager
async def watching_with(
    sim_server: ServedSimulator,
    fake_slack: FakeSlack,
    redis_url: str,
    sim_key: str,
    **overrides: Any,
) -> AsyncIterator[Watching]:
    """The ``watching`` fixture's worker, with settings of the test's own."""
    settings = watcher_settings(
        sim_server=sim_server, fake_slack=fake_slack, redis_url=redis_url, **overrides
    )
    vault = Vault(load_keyring(settings))
    clock = HandClock()
    async with (
        open_redis(settings) as redis,
        open_worker(settings, redis, vault, lease_s=TEST_LEASE_S, clock=clock) as worker,
    ):
        team_keys = TeamKeyStore(redis, vault)
        await team_keys.set(TEAM_ID, sim_key, "U0ADMIN")
        yield Watching(
            worker=worker,
            clock=clock,
            redis=redis,
            watches=WatchStore(redis),
            outbox=Outbox(redis),
            pauses=TeamPauses(redis),
            subscriptions=SubscriptionStore(redis),
            schedule=Schedule(redis),
            team_keys=team_keys,
            slack=fake_slack,
            simulator=sim_server.simulator,
            settings=settings,
            vault=vault,
            web=AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url),
        )
