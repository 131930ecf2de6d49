"""A fleet of ``opsbot worker`` processes over many teams, and what they posted.

The test process serves the simulator (one account per team key) and
FakeSlack. Redis is the engine of the run (``fleet``: standalone, Cluster or
Sentinel, see tests/conftest.py), a private persistent server on a fixed port
that a test stops and starts again on the same data (``restartable_fleet``),
or a Sentinel set of the test's own that it fails over (``sentinel_fleet``).
The workers are real
``opsbot worker`` subprocesses in multi-workspace (OAuth) mode: each team has
its own bot token, found in the installation store. Cards are posted the way
a cancel or relaunch report becomes a card (the message first, then the watch
with its ``ts``), so every message in a thread is the watcher's own.

Nothing here sleeps and hopes: every wait is for a condition, with a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp
import pytest
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.api.operation import BILL, CANCEL, DONE, ERROR, SUPPORT
from opsbot.config import Settings, SlackCredentials
from opsbot.simulator import ManualClock, ServedSimulator, Simulator, serve_simulator
from opsbot.slack_installations import RedisInstallationStore
from opsbot.store import keyspace
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.server import RedisServer
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import Vault, load_keyring
from opsbot.store.watches import NewWatch, WatchStore
from opsbot.workspace import Window, WorkspaceSettings
from tests.support.opsbot_app import CLIENT_ID, CLIENT_SECRET, new_encryption_key
from tests.support.ports import free_port
from tests.support.redis_engines import SentinelEngine
from tests.support.slack_api import FAST_RATES, JSON, FakeSlack
from tests.support.worker_process import WorkerProcess, worker_env

TEAMS = ("TREL1", "TREL2", "TREL3", "TREL4", "TREL5")
ENTERPRISE = "E0RELIABILITY"
# Workers in one-workspace mode get tokens of their own, installed beforehand.
MAX_WORKERS = 8
# The tests' fast per-channel rate; the org-wide tokens' posts all count
# against one workspace, so its minute allows the whole fleet's rounds, and
# so does chat.update's (Tier 3, 50 a minute: 300 cards edited at once would
# take 6 minutes a round in Slack; these tests are about workers, not rates).
FLEET_SLACK = WorkspaceSettings(
    rates=replace(
        FAST_RATES,
        post_per_team=Window(calls=5000),
        tiers={**FAST_RATES.tiers, "chat.update": Window(calls=5000)},
    )
)
OPERATIONS_PER_TEAM = 60
# These operations are also watched in a second channel: two cards, one poll.
TWICE_WATCHED_PER_TEAM = 2
WATCHER = "U0WATCHER"
POLL_INTERVAL_S = 0.2
SIMULATOR_SPEED = 50.0
ROUND_DEADLINE_S = 60.0


def team_key(team: str) -> str:
    """A well-formed API key per team: 24 characters of [a-z0-9]."""
    return f"reliabilitykey{team.lower()}00000"


def bot_token(team: str) -> str:
    return f"xoxb-{team}-reliability"


def worker_token(number: int) -> str:
    return f"xoxb-worker-{number}-reliability"


@dataclass(frozen=True)
class Card:
    team: str
    op_id: int
    channel: str
    ts: str


@dataclass
class Fleet:
    simulator: Simulator
    served: ServedSimulator
    slack: FakeSlack
    redis: RedisClient
    settings: Settings
    tmp_path: Path
    http: aiohttp.ClientSession
    operations: dict[str, list[int]] = field(default_factory=dict)
    cards: list[Card] = field(default_factory=list)
    workers: list[WorkerProcess] = field(default_factory=list)

    @property
    def all_operations(self) -> list[int]:
        return [op_id for team in TEAMS for op_id in self.operations[team]]

    async def start_workers(self, count: int, *, oauth: bool = True) -> list[WorkerProcess]:
        """Start ``count`` workers; wait until each has started.

        ``oauth``: each team's bot token comes from the installation store.
        Otherwise each worker runs in one-workspace mode with a token of its
        own (an org-wide install), which tells in Slack's log who posted what.
        """
        started = []
        for _ in range(count):
            number = len(self.workers)
            workspace = (
                {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET}
                if oauth
                else {"SLACK_BOT_TOKEN": worker_token(number)}
            )
            env = worker_env(
                self.settings, OPSBOT_DATA_DIR=str(self.tmp_path / "worker"), **workspace
            )
            worker = await WorkerProcess(env, name=f"worker {number}").start()
            self.workers.append(worker)
            started.append(worker)
        for worker in started:
            await worker.wait_for_line(lambda line: "worker started" in line)
        return started

    def last_poster(self) -> WorkerProcess:
        """The worker (one-workspace mode) whose message Slack received last."""
        [last] = self.slack.calls_to("chat.postMessage")[-1:]
        return next(w for n, w in enumerate(self.workers) if worker_token(n) == last.token)

    async def move(self, op_ids: Iterable[int], step_of: Callable[[int], str]) -> None:
        """Move operations through the simulator's control path, as an operator would."""
        for op_id in op_ids:
            async with self.http.post(
                self.served.control_url + "move", json={"id": op_id, "step": step_of(op_id)}
            ) as response:
                assert response.status == 200, await response.text()

    def thread(self, card: Card) -> list[JSON]:
        """The replies Slack holds in a card's thread, oldest first."""
        return [
            message
            for message in self.slack.messages(card.channel)
            if message.get("thread_ts") == card.ts
        ]

    def distinct_replies(self, card: Card) -> int:
        return len({str(message["text"]) for message in self.thread(card)})

    async def until(self, condition: Callable[[], bool], what: str, within: float) -> None:
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {within:g} s\n{self.worker_logs()}")
            await asyncio.sleep(0.1)

    async def until_every_thread_has(self, replies: int, within: float = ROUND_DEADLINE_S) -> None:
        await self.until(
            lambda: self.threads_with(replies) == len(self.cards),
            f"every thread with {replies} distinct replies",
            within,
        )

    def threads_with(self, replies: int) -> int:
        return sum(1 for card in self.cards if self.distinct_replies(card) >= replies)

    async def until_all_ended(self, within: float = ROUND_DEADLINE_S) -> None:
        """Wait until no watch and no undelivered post is left in Redis."""
        deadline = time.monotonic() + within
        while await self._watches_left() or await self._posts_left():
            if time.monotonic() > deadline:
                raise AssertionError(f"watches still stored\n{self.worker_logs()}")
            await asyncio.sleep(0.1)

    async def polls_after_a_while(self) -> int:
        """operation.list calls counted after a few poll intervals more.

        The one wait that is not for a condition: polls that should not
        happen can only be shown not to happen over some time.
        """
        await asyncio.sleep(5 * POLL_INTERVAL_S)
        return self.simulator.calls["operation.list"]

    async def _watches_left(self) -> int:
        return sum([await self.redis.zcard(keyspace.watch_expiries(team)) for team in TEAMS])

    async def _posts_left(self) -> int:
        return sum([await self.redis.xlen(keyspace.outbox(team)) for team in TEAMS])

    def worker_logs(self, lines: int = 15) -> str:
        return "\n".join(
            f"--- {worker.name}\n" + "\n".join(worker.lines[-lines:]) for worker in self.workers
        )


@dataclass(frozen=True)
class Tally:
    """What the threads hold against the step changes that happened."""

    transitions: int
    missing: list[str]
    duplicates: int
    beyond_twice: list[str]


def tally(fleet: Fleet, steps: Callable[[Card], list[str]]) -> Tally:
    """Count each card's replies: the step changes ``steps`` lists, then one final broadcast.

    A transition is missing when its reply is not in the thread; a duplicate is
    one more copy of a reply already there.
    """
    missing: list[str] = []
    beyond_twice: list[str] = []
    duplicates = transitions = 0
    for card in fleet.cards:
        replies = fleet.thread(card)
        counts = Counter(str(reply["text"]) for reply in replies)
        finals = {str(reply["text"]) for reply in replies if reply.get("reply_broadcast")}
        wanted = [*steps(card), *sorted(finals)]
        transitions += len(steps(card)) + 1
        if len(finals) != 1 or f"<@{WATCHER}>" not in next(iter(finals), ""):
            missing.append(f"{card}: final replies {sorted(finals)}")
        missing += [f"{card}: {text}" for text in wanted if not counts[text]]
        missing += [f"{card}: unexpected {text}" for text in counts if text not in wanted]
        duplicates += sum(count - 1 for count in counts.values())
        beyond_twice += [f"{card}: {text} x{count}" for text, count in counts.items() if count > 2]
    return Tally(transitions, missing, duplicates, beyond_twice)


def step_replies(card: Card) -> list[str]:
    """The replies of the two step changes every operation goes through before its end."""
    return [f"Operation {card.op_id}: BILL → WAIT", f"Operation {card.op_id}: WAIT → RUN"]


def final_step(op_id: int) -> str:
    """How each operation ends: mostly DONE, and some of every other final step."""
    for every, step in ((7, ERROR), (11, CANCEL), (13, SUPPORT)):
        if op_id % every == 0:
            return step
    return DONE


@pytest.fixture
async def fleet(redis_url: str, tmp_path: Path) -> AsyncIterator[Fleet]:
    """Five teams installed and watched on the run's Redis engine."""
    async with open_fleet(redis_url, tmp_path) as opened:
        yield opened


@pytest.fixture
async def private_redis(tmp_path: Path) -> AsyncIterator[RedisServer]:
    """A persistent redis-server of this test's own, to stop and start again."""
    server = await asyncio.to_thread(
        RedisServer(data_dir=tmp_path / "redis", port=free_port(), persistent=True).start
    )
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


@pytest.fixture
async def restartable_fleet(private_redis: RedisServer, tmp_path: Path) -> AsyncIterator[Fleet]:
    async with open_fleet(private_redis.url, tmp_path) as opened:
        yield opened


@pytest.fixture
async def sentinel_fleet(redis_sentinel: SentinelEngine, tmp_path: Path) -> AsyncIterator[Fleet]:
    """The fleet on a Sentinel set of this test's own (``redis_sentinel``), to fail over."""
    async with open_fleet(redis_sentinel.url, tmp_path) as opened:
        yield opened


@contextlib.asynccontextmanager
async def open_fleet(redis_url: str, tmp_path: Path) -> AsyncIterator[Fleet]:
    simulator = Simulator(
        seed=3,
        keys=[team_key(TEAMS[0])],
        clock=ManualClock(),
        operations=0,
        speed=SIMULATOR_SPEED,
    )
    for team in TEAMS[1:]:
        simulator.add_account(team_key(team), operations=0)
    async with (
        serve_simulator(simulator) as served,
        FakeSlack(tokens=(), settings=FLEET_SLACK) as slack,
        aiohttp.ClientSession() as http,
    ):
        _open_teams(slack)
        settings = Settings(
            api_url=served.url,
            api_timeout_s=5.0,
            slack_api_url=slack.api_url,
            redis_url=redis_url,
            poll_interval_s=POLL_INTERVAL_S,
            encryption_keys=(new_encryption_key(),),
            slack=SlackCredentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET),
        )
        async with open_redis(settings) as redis:
            fleet = Fleet(simulator, served, slack, redis, settings, tmp_path, http)
            await _install(fleet)
            try:
                yield fleet
            finally:
                await asyncio.gather(*(worker.stop() for worker in fleet.workers))


def _open_teams(slack: FakeSlack) -> None:
    """The teams, in one Enterprise Grid org, each with the app and its channels.

    Workers in one-workspace mode post with tokens of their own: org-wide
    installs, which Slack lets act in every workspace of the org.
    """
    for number, team in enumerate(TEAMS, start=1):
        slack.add_team(team, enterprise_id=ENTERPRISE)
        slack.install(team, bot_token(team))
        for index in range(OPERATIONS_PER_TEAM):
            slack.add_channel(f"C{number}{index:03d}", team_id=team)
        for index in range(TWICE_WATCHED_PER_TEAM):
            slack.add_channel(f"C{number}9{index:02d}", team_id=team)
    for number in range(MAX_WORKERS):
        slack.install(TEAMS[0], worker_token(number), org_wide=True)


async def _install(fleet: Fleet) -> None:
    """Each team: installed, its key set, its operations watched with posted cards."""
    vault = Vault(load_keyring(fleet.settings))
    installations = RedisInstallationStore(fleet.redis, vault)
    team_keys = TeamKeyStore(fleet.redis, vault)
    watches = WatchStore(fleet.redis)
    now = dt.datetime.now(dt.UTC)
    for number, team in enumerate(TEAMS, start=1):
        await installations.async_save_bot(
            Bot(
                team_id=team,
                bot_token=bot_token(team),
                bot_id=f"B0{number}",
                bot_user_id=f"U0BOT{number}",
                installed_at=time.time(),
            )
        )
        await team_keys.set(team, team_key(team), "U0ADMIN")
        client = AsyncWebClient(token=bot_token(team), base_url=fleet.slack.api_url)
        op_ids = [
            fleet.simulator.create("domain_renew", key=team_key(team), step=BILL)
            for _ in range(OPERATIONS_PER_TEAM)
        ]
        fleet.operations[team] = op_ids
        for index, op_id in enumerate(op_ids):
            channels = [f"C{number}{index:03d}"]
            if index < TWICE_WATCHED_PER_TEAM:
                channels.append(f"C{number}9{index:02d}")
            for channel in channels:
                posted = await client.chat_postMessage(channel=channel, text=f"card of {op_id}")
                ts = str(posted["ts"])
                new = NewWatch(
                    op_id=op_id,
                    type="domain_renew",
                    label="",
                    step=BILL,
                    eta=None,
                    channel=channel,
                    user_id=WATCHER,
                    card_ts=ts,
                )
                expires_at = now + dt.timedelta(days=7)
                await watches.add(team, new, now=now, expires_at=expires_at)
                fleet.cards.append(Card(team, op_id, channel, ts))
