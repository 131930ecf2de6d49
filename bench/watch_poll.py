"""The watcher at scale: 10,000 watched operations across 100 teams, looked at every second.

Set-up: the simulator (one account per team), a private Redis, FakeSlack, and
one ``opsbot worker`` process with ``OPSBOT_POLL_INTERVAL=1``. Each team has
100 watched operations spread over 10 channels; they are days from their end,
so they move only when this script moves them (``simulator.move``): one
operation per team every second, never two in a channel within a second.

It prints:

- API calls per worker cycle (a cycle looks at every watched operation once),
  against one call per operation per cycle, the way gandi.cli and libcloud
  wait on operations (``operation.info`` for each);
- how many operations a cycle reads in full (the others are asked for
  changes only), the worker's CPU seconds per cycle (its own
  ``time.process_time``, from its log line) and a cycle's duration;
- Redis memory per watch (``used_memory`` before and after the watches);
- the delay from a step change in the simulator to its reply reaching Slack,
  median and p99, over the moves made after a warm-up.

``--profile DIR`` runs the worker under cProfile (CPU time) over the
measured window and writes ``DIR/watch_poll-worker.prof``.

Last line: ``watch_poll: api_calls_per_cycle=N naive=M redis_bytes_per_watch=B p99_delay_s=D``
(goals: N = 100 here, B under 1024, D under 2).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import re
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from opsbot.api.operation import RUN, WAIT  # noqa: E402
from opsbot.config import Settings, SlackCredentials  # noqa: E402
from opsbot.simulator import Simulator, serve_simulator  # noqa: E402
from opsbot.store.connection import RedisClient, open_redis  # noqa: E402
from opsbot.store.server import RedisServer  # noqa: E402
from opsbot.store.team_keys import TeamKeyStore  # noqa: E402
from opsbot.store.vault import Vault, load_keyring  # noqa: E402
from opsbot.store.watches import WatchStore  # noqa: E402
from opsbot.workspace.settings import Rates, WorkspaceSettings  # noqa: E402
from tests.support.opsbot_app import BOT_TOKEN, new_encryption_key  # noqa: E402
from tests.support.slack_api import FakeSlack  # noqa: E402
from tests.support.stored_watches import bench_watch, carded_watch, seat_cards  # noqa: E402
from tests.support.worker_process import profiler_args, worker_env  # noqa: E402

TEAMS = 100
OPERATIONS_PER_TEAM = 100
CHANNELS_PER_TEAM = 10
POLL_INTERVAL_S = 1.0
# At this speed an operation's own next step, and its eta, are days away.
SIMULATOR_SPEED = 0.001
# Operations move from the start; figures are taken after this warm-up, once
# the first full reads of every operation have spread out over time.
WARM_UP_S = 30.0
MEASURED_S = 45.0
# The last moves get this long to reach Slack before the figures are taken.
DRAIN_S = 10.0
WATCHER = "U0BENCH"
# Each team of the benchmark is a Slack workspace of its own, with its own
# rate limits; the local workspace holds them all in one, whose limits would
# be all the teams' at once: its limits are off.
ONE_WORKSPACE_A_TEAM = WorkspaceSettings(rates=Rates(enabled=False))

CYCLE_LINE = re.compile(
    r"cycle: teams=(?P<teams>\d+) operations=(?P<operations>\d+) "
    r"read_in_full=(?P<read_in_full>\d+) counted=(?P<counted>\d+) "
    r"api_calls=(?P<api_calls>\d+) "
    r"changes=(?P<changes>\d+) posts=(?P<posts>\d+) "
    r"cpu=(?P<cpu>[0-9.]+)s duration=(?P<duration>[0-9.]+)s"
)


@dataclass(frozen=True)
class Watched:
    op_id: int
    channel: str
    card_ts: str


@dataclass(frozen=True)
class Move:
    watched: Watched
    reply: str  # the text of the reply it should bring
    at: float  # time.monotonic()


@dataclass(frozen=True)
class Cycle:
    at: float
    operations: int
    read_in_full: int
    api_calls: int
    cpu_s: float
    duration_s: float


def team_id(number: int) -> str:
    return f"TB{number:03d}"


def team_key(number: int) -> str:
    return f"benchkey{number:016d}"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Operations:
    """The watched operations, and every move made to them."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator
        self.teams: list[list[Watched]] = []
        self.steps: dict[int, str] = {}
        self.moves: list[Move] = []

    def create(self) -> None:
        for team in range(TEAMS):
            key = team_key(team)
            if team:
                self.simulator.add_account(key, operations=0)
            watched = []
            for index in range(OPERATIONS_PER_TEAM):
                op_id = self.simulator.create("domain_renew", key=key, step=RUN)
                channel = f"CB{team:03d}{index % CHANNELS_PER_TEAM:02d}"
                watched.append(Watched(op_id, channel, f"1700000000.{team:03d}{index:03d}"))
                self.steps[op_id] = RUN
            self.teams.append(watched)

    async def watch_all(self, watches: WatchStore) -> None:
        """Store every watch with its card, as ``/ops watch`` leaves it."""
        now = dt.datetime.now(dt.UTC)
        for team, watched in enumerate(self.teams):
            for one in watched:
                new = bench_watch(
                    one.op_id,
                    channel=one.channel,
                    user_id=WATCHER,
                    card_ts=one.card_ts,
                    label=f"bench{one.op_id}.com",
                )
                await carded_watch(watches, team_id(team), new, now=now)

    def move_one_per_team(self, second: int) -> None:
        """The second's move in each team, in a channel no other move of that second uses."""
        for watched in self.teams:
            one = watched[second % OPERATIONS_PER_TEAM]
            old = self.steps[one.op_id]
            new = WAIT if old == RUN else RUN
            self.simulator.move(one.op_id, new)
            self.steps[one.op_id] = new
            reply = f"Operation {one.op_id}: {old} → {new}"
            self.moves.append(Move(one, reply, time.monotonic()))

    def delays(self, slack: FakeSlack, since: float) -> tuple[list[float], int]:
        """Seconds from each move after ``since`` to its reply in Slack; how many never came."""
        arrived: dict[tuple[str, str, str], float] = {}
        for call in slack.calls_to("chat.postMessage"):
            where = (
                str(call.args.get("channel")),
                str(call.args.get("thread_ts")),
                str(call.args.get("text")),
            )
            arrived.setdefault(where, call.at)
        delays, missing = [], 0
        for move in (move for move in self.moves if move.at >= since):
            at = arrived.get((move.watched.channel, move.watched.card_ts, move.reply))
            if at is None:
                missing += 1
            else:
                delays.append(at - move.at)
        return delays, missing


async def redis_used_memory(redis: RedisClient) -> int:
    info = await redis.info("memory")
    return int(info["used_memory"])


async def read_cycles(process: asyncio.subprocess.Process, cycles: list[Cycle]) -> None:
    """Collect the worker's cycle lines; show anything that went wrong."""
    assert process.stderr is not None
    async for raw in process.stderr:
        line = raw.decode(errors="replace").rstrip()
        match = CYCLE_LINE.search(line)
        if match is None:
            if "ERROR" in line or "WARNING" in line:
                print(f"worker: {line}", file=sys.stderr)
            continue
        cycles.append(
            Cycle(
                at=time.monotonic(),
                operations=int(match["operations"]),
                read_in_full=int(match["read_in_full"]),
                api_calls=int(match["api_calls"]),
                cpu_s=float(match["cpu"]),
                duration_s=float(match["duration"]),
            )
        )


async def measure(data_dir: Path, redis_url: str, profile_dir: Path | None) -> None:
    simulator = Simulator(seed=1, keys=[team_key(0)], operations=0, speed=SIMULATOR_SPEED)
    operations = Operations(simulator)
    operations.create()
    async with (
        serve_simulator(simulator) as served,
        FakeSlack(settings=ONE_WORKSPACE_A_TEAM) as slack,
    ):
        seat_cards(slack, ((one.channel, one.card_ts) for team in operations.teams for one in team))
        settings = Settings(
            api_url=served.url,
            slack_api_url=slack.api_url,
            redis_url=redis_url,
            poll_interval_s=POLL_INTERVAL_S,
            encryption_keys=(new_encryption_key(),),
            slack=SlackCredentials(bot_token=BOT_TOKEN),
        )
        async with open_redis(settings) as redis:
            team_keys = TeamKeyStore(redis, Vault(load_keyring(settings)))
            for team in range(TEAMS):
                await team_keys.set(team_id(team), team_key(team), "U0ADMIN")
            before = await redis_used_memory(redis)
            await operations.watch_all(WatchStore(redis))
            watches = TEAMS * OPERATIONS_PER_TEAM
            bytes_per_watch = (await redis_used_memory(redis) - before) / watches

        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *profiler_args(profile_dir, "watch_poll-worker"),
            "-m",
            "opsbot.cli",
            "worker",
            env=worker_env(settings, OPSBOT_DATA_DIR=str(data_dir)),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        cycles: list[Cycle] = []
        reader = asyncio.create_task(read_cycles(process, cycles))
        try:
            started = time.monotonic()
            measured_from = started + WARM_UP_S
            for second in range(int(WARM_UP_S + MEASURED_S)):
                if second == int(WARM_UP_S) and profile_dir is not None:
                    process.send_signal(signal.SIGUSR1)  # the profile covers the window
                operations.move_one_per_team(second)
                await asyncio.sleep(max(0.0, started + second + 1 - time.monotonic()))
            measured_until = time.monotonic()
            if profile_dir is not None:
                process.send_signal(signal.SIGUSR2)
            await asyncio.sleep(DRAIN_S)
        finally:
            process.send_signal(signal.SIGTERM)
            await process.wait()
            await reader
        delays, missing = operations.delays(slack, measured_from)

    measured = [c for c in cycles if measured_from <= c.at <= measured_until]
    report(measured, delays, missing, bytes_per_watch, watches)


def report(
    cycles: list[Cycle], delays: list[float], missing: int, bytes_per_watch: float, watches: int
) -> None:
    if not cycles or not delays:
        raise SystemExit("the worker logged no cycle, or posted nothing, while operations moved")
    calls = statistics.median(cycle.api_calls for cycle in cycles)
    naive = statistics.median(cycle.operations for cycle in cycles)
    read = statistics.median(cycle.read_in_full for cycle in cycles)
    cpu = statistics.median(cycle.cpu_s for cycle in cycles)
    duration = statistics.median(cycle.duration_s for cycle in cycles)
    p99 = percentile(delays, 0.99)
    print(f"watched operations      {watches} in {TEAMS} teams, interval {POLL_INTERVAL_S:g} s")
    print(f"worker cycles measured  {len(cycles)}, median duration {duration:.2f} s")
    print(f"API calls per cycle     {calls:g} (one call per operation: {naive:g})")
    print(f"read in full per cycle  {read:g} operations (the others: changes only)")
    print(f"worker CPU per cycle    {cpu:.3f} s (median), max {max(c.cpu_s for c in cycles):.3f} s")
    # Cycles cover more or fewer operations as the worker keeps up or not: per operation.
    per_10k = sum(c.cpu_s for c in cycles) / max(sum(c.operations for c in cycles), 1) * 10_000
    print(f"worker CPU per 10,000   {per_10k:.3f} s (operations looked at, all measured cycles)")
    print(f"Redis memory per watch  {bytes_per_watch:.0f} bytes")
    print(f"step changes measured   {len(delays) + missing}, replies missing {missing}")
    print(
        f"change → Slack delay    median {statistics.median(delays):.2f} s, "
        f"p99 {p99:.2f} s, max {max(delays):.2f} s"
    )
    print(
        f"watch_poll: api_calls_per_cycle={calls:g} naive={naive:g} "
        f"redis_bytes_per_watch={bytes_per_watch:.0f} p99_delay_s={p99:.2f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="run the worker under cProfile, writing DIR/watch_poll-worker.prof "
        "(CPU figures then include the profiler's cost)",
    )
    profile_dir = parser.parse_args().profile
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        redis = RedisServer(data_dir=data_dir / "redis").start()
        try:
            await measure(data_dir, redis.url, profile_dir)
        finally:
            redis.stop()


if __name__ == "__main__":
    asyncio.run(main())
