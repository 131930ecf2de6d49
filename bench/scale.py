"""The watcher scaled out: many watches, several worker processes, standalone Redis and Cluster.

Set-up (as bench/watch_poll.py): the simulator (one account per team),
FakeSlack, and ``--workers`` ``opsbot worker`` processes at
``--interval`` seconds, first on a standalone Redis, then on a 3-master
Redis Cluster (tests/support/redis_engines.ClusterEngine). By default
100,000 watched operations over 1,000 teams, one of which holds 50,000 (the
others share the rest); each watch has a card in one of its team's 10
channels. Operations are days from their end, so they move only when this
script moves them (``--moves`` a second, spread over the teams); a team's
operations were last updated a minute apart (``--apart``), as operations
started over days are, rather than all in one second.

The simulator here answers ``operation.list`` with ``id=[…]`` from its
index by id, as the live API's database does: the stock simulator scans a
whole account per call, which for a team of 50,000 would measure the
simulator, not opsbot.

It prints, per engine:

- checks per second per worker core: operations the workers asked the
  simulator about over the measured window (counted by the simulator, so a
  cycle still under way at the window's end counts too), divided by the CPU
  the worker processes used in it (all of it, from /proc, not only their
  cycles), by ``operation.list`` or, for a full check, ``operation.count`` over
  their ids; with how many were read in full, how many counted, and how many
  the API's answers held;
- Redis commands per check: ``INFO commandstats`` (every primary's) before
  and after the window, over the checks in it, with the most used commands;
- Redis memory per watch: ``used_memory`` (summed over primaries) before
  and after the watches are stored;
- the delay of each step change's reply: from the move to the post (which
  includes the wait for the team's next poll, up to one interval), and
  from the moment the simulator first answered with the new step to the
  post (what opsbot adds once a poll has seen the change), median and p99.

``--profile DIR`` runs the workers under cProfile (CPU time) over the
measured window and writes ``DIR/<engine>-worker<N>.prof``.

Last line: ``scale: checks_per_core_s=C redis_cmds_per_check=R bytes_per_watch=B
p99_delay_s=D cluster_p99_delay_s=E``, where D and E are the seen-to-post
p99 (goals: C ≥ 40,000, R ≤ 0.2, B < 512, D and E < 2 at a 10 s interval).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


from opsbot.api.operation import RUN, WAIT  # noqa: E402
from opsbot.config import Settings, SlackCredentials  # noqa: E402
from opsbot.simulator import Simulator, serve_simulator  # noqa: E402
from opsbot.simulator import methods as simulator_methods  # noqa: E402
from opsbot.simulator.account import Account  # noqa: E402
from opsbot.simulator.query import parse_options  # noqa: E402
from opsbot.simulator.record import SimulatedOperation  # noqa: E402
from opsbot.store.connection import RedisClient, open_redis  # noqa: E402
from opsbot.store.server import RedisServer  # noqa: E402
from opsbot.store.team_keys import TeamKeyStore  # noqa: E402
from opsbot.store.vault import Vault, load_keyring  # noqa: E402
from opsbot.store.watches import WatchStore  # noqa: E402
from opsbot.workspace.settings import Rates, WorkspaceSettings  # noqa: E402
from tests.support.opsbot_app import BOT_TOKEN, new_encryption_key  # noqa: E402
from tests.support.redis_engines import ClusterEngine  # noqa: E402
from tests.support.redis_probe import commands_run, primaries_info  # noqa: E402
from tests.support.slack_api import FakeSlack  # noqa: E402
from tests.support.stored_watches import bench_watch, carded_watch, seat_cards  # noqa: E402
from tests.support.worker_process import WorkerProcess, profiler_args, worker_env  # noqa: E402

CHANNELS_PER_TEAM = 10
SIMULATOR_SPEED = 0.001  # an operation's own next step is days away
WATCHER = "U0BENCH"
# Each team of the benchmark is a Slack workspace of its own, with its own
# rate limits; the local workspace holds them all in one, whose limits would
# be all the teams' at once: its limits are off.
ONE_WORKSPACE_A_TEAM = WorkspaceSettings(rates=Rates(enabled=False))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Options:
    watches: int
    teams: int
    big_team: int
    workers: int
    interval_s: float
    warm_up_s: float
    measured_s: float
    moves_per_s: int
    engines: tuple[str, ...]
    # Seconds between the last updates of a team's operations before the run.
    apart_s: float
    # Where each worker writes its cProfile statistics (one file per engine and worker).
    profile_dir: Path | None = None


@dataclass(frozen=True)
class Watched:
    team: int
    op_id: int
    channel: str
    card_ts: str


@dataclass
class Move:
    watched: Watched
    reply: str
    at: float
    new_step: str
    seen_at: float | None = None


@dataclass
class Figures:
    checks: int = 0
    read_in_full: int = 0  # of the checks
    counted: int = 0  # of the checks: checked in full by counting their steps
    api_calls: int = 0
    returned: int = 0  # operations in the API's answers
    worker_cpu_s: float = 0.0
    redis_commands: int = 0
    # The window's commands by name (EVALSHA, HMGET, …), to see where they go.
    commands_by_name: Counter[str] = field(default_factory=Counter)
    bytes_per_watch: float = 0.0
    delays: list[float] = field(default_factory=list)  # move → post
    seen_delays: list[float] = field(default_factory=list)  # first answer → post
    missing: int = 0

    @property
    def checks_per_core_s(self) -> float:
        return self.checks / self.worker_cpu_s if self.worker_cpu_s else 0.0

    @property
    def commands_per_check(self) -> float:
        return self.redis_commands / self.checks if self.checks else float("inf")


def team_id(number: int) -> str:
    return f"TS{number:04d}"


def team_key(number: int) -> str:
    return f"scalekey{number:016d}"


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --- the simulator, indexed by id ---------------------------------------------------------


def list_by_id(account: Account, call: Any, opts: object = None) -> list[dict[str, Any]]:
    """operation.list, looking ``id=[…]`` up in the account's index rather than scanning it."""
    query = parse_options(opts, call.zone)
    return [operation.to_struct(call.now) for operation in query.select(by_id(account, opts))]


def count_by_id(account: Account, call: Any, opts: object = None) -> int:
    """operation.count, looking ``id=[…]`` up in the account's index rather than scanning it."""
    return parse_options(opts, call.zone).count(by_id(account, opts))


def by_id(account: Account, opts: object) -> list[SimulatedOperation]:
    wanted = opts.get("id") if isinstance(opts, dict) else None
    if isinstance(wanted, list):
        return [op for op in (account.find(i) for i in wanted if isinstance(i, int)) if op]
    return account.operations()


class IndexedSimulator(Simulator):
    """The simulator with ``list_by_id``, noting when a moved operation is first seen moved.

    It also counts what the workers ask of it (``asked``): ``checks``, the
    operations asked for by id; ``read_in_full``, those of them asked for
    without ``>date_updated``; ``returned``, the operations answered; and
    ``calls``. Counted here, a check is counted whether or not the cycle that
    made it ends (and logs its line) within the measured window.
    """

    moves: dict[int, Move]
    asked: Counter[str]

    def call(self, method: str, params: tuple[Any, ...]) -> Any:
        answer = super().call(method, params)
        if method == "operation.list":
            self.count_asked(params, answer)
        elif method == "operation.count":
            self.count_counted(params)
        if method == "operation.list" and self.moves:
            now = time.monotonic()
            for item in answer:
                move = self.moves.get(item.get("id"))
                if move is not None and move.seen_at is None and item.get("step") == move.new_step:
                    move.seen_at = now
        return answer

    def count_asked(self, params: tuple[Any, ...], answer: list[dict[str, Any]]) -> None:
        options = params[1] if len(params) > 1 and isinstance(params[1], dict) else {}
        ids = options.get("id")
        if isinstance(ids, list):
            self.asked["checks"] += len(ids)
            if ">date_updated" not in options:
                self.asked["read_in_full"] += len(ids)
        self.asked["calls"] += 1
        self.asked["returned"] += len(answer)

    def count_counted(self, params: tuple[Any, ...]) -> None:
        """A full check by counting (see opsbot.watcher.reading.steps_hold): checks too."""
        options = params[1] if len(params) > 1 and isinstance(params[1], dict) else {}
        ids = options.get("id")
        if isinstance(ids, list):
            self.asked["checks"] += len(ids)
            self.asked["counted"] += len(ids)
        self.asked["calls"] += 1


def standing_still(account: Account, now: dt.datetime) -> None:
    """Nothing moves by itself at this speed: no walk over every operation at each call."""
    del account, now


def index_the_simulator() -> None:
    """The bench's simulator only: ``list_by_id`` and no walk over every operation per call."""
    methods = simulator_methods.METHODS
    assert isinstance(methods, dict)
    for name, indexed in (("operation.list", list_by_id), ("operation.count", count_by_id)):
        spec = methods[name]
        methods[name] = simulator_methods.Method(
            indexed, required=spec.required, optional=spec.optional
        )
    Account.advance = standing_still  # type: ignore[method-assign,assignment]


# --- the watched operations ---------------------------------------------------------------


def team_sizes(options: Options) -> list[int]:
    """The big team first, then the rest spread evenly."""
    others = max(options.teams - 1, 0)
    rest = options.watches - options.big_team
    if others == 0:
        return [options.watches]
    return [options.big_team] + [
        rest // others + (1 if index < rest % others else 0) for index in range(others)
    ]


class Operations:
    def __init__(self, simulator: IndexedSimulator, sizes: list[int], apart_s: float) -> None:
        self.simulator = simulator
        self.apart = dt.timedelta(seconds=apart_s)
        self.simulator.moves = {}
        self.simulator.asked = Counter()
        self.teams: list[list[Watched]] = []
        self.steps: dict[int, str] = {}
        self.moves: list[Move] = []
        for team, size in enumerate(sizes):
            key = team_key(team)
            if team:
                simulator.add_account(key, operations=0)
            self.teams.append([self._create(team, key, index) for index in range(size)])

    def _create(self, team: int, key: str, index: int) -> Watched:
        op_id = self.simulator.create("domain_renew", key=key, step=RUN)
        self.steps[op_id] = RUN
        # A team's operations were started one after the other, not all in
        # the second the benchmark creates them: a changes-only answer then
        # brings back the operations updated in its margin only
        # (opsbot.watcher.memory.MARGIN), not whole batches.
        operation = self.simulator._account_holding(op_id).get(op_id)
        operation.date_created = operation.date_updated = operation.date_updated - self.apart * (
            index + 1
        )
        channel = f"CS{team:04d}{index % CHANNELS_PER_TEAM:02d}"
        return Watched(team, op_id, channel, f"1700000000.{team:04d}{index:06d}")

    async def watch_all(self, redis: RedisClient, *, largest: int) -> None:
        store = WatchStore(redis, max_watches=largest)
        now = dt.datetime.now(dt.UTC)
        for watched in self.teams:
            for one in watched:
                new = bench_watch(
                    one.op_id,
                    channel=one.channel,
                    user_id=WATCHER,
                    card_ts=one.card_ts,
                    label=f"scale{one.op_id}.com",
                )
                await carded_watch(store, team_id(one.team), new, now=now)

    def move_some(self, second: int, count: int) -> None:
        """``count`` moves, one per team in turn, never one operation twice a second."""
        teams = len(self.teams)
        for index in range(count):
            watched = self.teams[(second * count + index) % teams]
            one = watched[(second * count + index) // teams % len(watched)]
            old = self.steps[one.op_id]
            new = WAIT if old == RUN else RUN
            self.simulator.move(one.op_id, new)
            self.steps[one.op_id] = new
            move = Move(one, f"Operation {one.op_id}: {old} → {new}", time.monotonic(), new)
            self.simulator.moves[one.op_id] = move
            self.moves.append(move)

    def delays(self, slack: FakeSlack, since: float, figures: Figures) -> None:
        arrived: dict[tuple[str, str, str], float] = {}
        for call in slack.calls_to("chat.postMessage"):
            args = call.args
            where = (str(args.get("channel")), str(args.get("thread_ts")), str(args.get("text")))
            arrived.setdefault(where, call.at)
        for move in (move for move in self.moves if move.at >= since):
            at = arrived.get((move.watched.channel, move.watched.card_ts, move.reply))
            if at is None:
                figures.missing += 1
                continue
            figures.delays.append(at - move.at)
            if move.seen_at is not None:
                figures.seen_delays.append(at - move.seen_at)


# --- Redis and the workers ----------------------------------------------------------------


async def used_memory(redis: RedisClient) -> int:
    return sum(int(info["used_memory"]) for info in await primaries_info(redis, "memory"))


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def workers_cpu_s(workers: Iterable[WorkerProcess]) -> float:
    return sum(process_cpu_s(worker.process.pid) for worker in workers)


@contextlib.asynccontextmanager
async def running_workers(
    settings: Settings, count: int, data_dir: Path, profile_dir: Path | None = None
) -> AsyncIterator[list[WorkerProcess]]:
    env = worker_env(settings, OPSBOT_DATA_DIR=str(data_dir))
    names = [f"{data_dir.name}-worker{index}" for index in range(count)]
    workers = [WorkerProcess(env, name, profiler_args(profile_dir, name)) for name in names]
    try:
        for worker in workers:
            await worker.start()
        yield workers
    finally:
        for worker in workers:
            await worker.stop()
        for worker in workers:
            for line in worker.lines:
                if "ERROR" in line or "Traceback" in line:
                    print(f"{worker.name}: {line}", file=sys.stderr)


# --- one run -------------------------------------------------------------------------------


async def measure(options: Options, redis_url: str, data_dir: Path) -> Figures:
    sizes = team_sizes(options)
    simulator = IndexedSimulator(seed=1, keys=[team_key(0)], operations=0, speed=SIMULATOR_SPEED)
    operations = Operations(simulator, sizes, options.apart_s)
    figures = Figures()
    async with (
        serve_simulator(simulator) as served,
        FakeSlack(settings=ONE_WORKSPACE_A_TEAM) as slack,
    ):
        seat_cards(slack, ((one.channel, one.card_ts) for team in operations.teams for one in team))
        settings = Settings(
            api_url=served.url,
            slack_api_url=slack.api_url,
            redis_url=redis_url,
            poll_interval_s=options.interval_s,
            encryption_keys=(new_encryption_key(),),
            slack=SlackCredentials(bot_token=BOT_TOKEN),
        )
        async with open_redis(settings) as redis:
            await store_everything(operations, redis, settings, figures)
            async with running_workers(
                settings, options.workers, data_dir, options.profile_dir
            ) as workers:
                since = await run_moves(options, operations, redis, workers, figures)
        operations.delays(slack, since, figures)
    return figures


async def store_everything(
    operations: Operations, redis: RedisClient, settings: Settings, figures: Figures
) -> None:
    team_keys = TeamKeyStore(redis, Vault(load_keyring(settings)))
    for team in range(len(operations.teams)):
        await team_keys.set(team_id(team), team_key(team), "U0ADMIN")
    before = await used_memory(redis)
    started = time.monotonic()
    await operations.watch_all(redis, largest=max(len(team) for team in operations.teams))
    watches = sum(len(team) for team in operations.teams)
    figures.bytes_per_watch = (await used_memory(redis) - before) / watches
    print(f"  stored {watches} watches in {time.monotonic() - started:.0f} s", flush=True)


async def run_moves(
    options: Options,
    operations: Operations,
    redis: RedisClient,
    workers: list[WorkerProcess],
    figures: Figures,
) -> float:
    """Move operations every second; measure over the window after the warm-up."""
    started = time.monotonic()
    measured_from = started + options.warm_up_s
    total_s = int(options.warm_up_s + options.measured_s)
    marks: tuple[Counter[str], float, Counter[str]] | None = None
    for second in range(total_s):
        if marks is None and time.monotonic() >= measured_from:
            asked = Counter(operations.simulator.asked)
            marks = (await commands_run(redis), workers_cpu_s(workers), asked)
            signal_all(workers, signal.SIGUSR1, options.profile_dir)
        operations.move_some(second, options.moves_per_s)
        await asyncio.sleep(max(0.0, started + second + 1 - time.monotonic()))
    assert marks is not None, "the warm-up took the whole run"
    figures.commands_by_name = await commands_run(redis) - marks[0]
    figures.redis_commands = figures.commands_by_name.total()
    figures.worker_cpu_s = workers_cpu_s(workers) - marks[1]
    asked = operations.simulator.asked - marks[2]
    figures.checks, figures.read_in_full = asked["checks"], asked["read_in_full"]
    figures.counted = asked["counted"]
    figures.api_calls, figures.returned = asked["calls"], asked["returned"]
    signal_all(workers, signal.SIGUSR2, options.profile_dir)
    # The last moves get an interval and a bit to reach Slack.
    await asyncio.sleep(options.interval_s + 3)
    return measured_from


def signal_all(workers: Iterable[WorkerProcess], sent: int, profile_dir: Path | None) -> None:
    """Start (SIGUSR1) or stop (SIGUSR2) the workers' profilers, when they run one."""
    if profile_dir is not None:
        for worker in workers:
            worker.process.send_signal(sent)


# --- engines and report --------------------------------------------------------------------


async def on_engine(options: Options, engine: str, tmp: Path) -> Figures:
    data_dir = tmp / engine
    data_dir.mkdir()
    if engine == "cluster":
        async with ClusterEngine(data_dir / "cluster") as cluster:
            return await measure(options, cluster.url, data_dir)
    server = RedisServer(data_dir=data_dir / "redis").start()
    try:
        return await measure(options, server.url, data_dir)
    finally:
        server.stop()


def report(engine: str, figures: Figures) -> None:
    delays, seen = figures.delays, figures.seen_delays
    print(f"{engine}:")
    print(
        f"  checks in the window     {figures.checks} ({figures.read_in_full} read in full, "
        f"{figures.counted} counted, "
        f"{figures.api_calls} API calls answering {figures.returned} operations), "
        f"worker CPU {figures.worker_cpu_s:.1f} s"
    )
    print(f"  checks per worker core   {figures.checks_per_core_s:.0f} per CPU second")
    print(f"  Redis commands per check {figures.commands_per_check:.3f}")
    if figures.checks:
        top = figures.commands_by_name.most_common(8)
        print("    " + ", ".join(f"{name} {count / figures.checks:.3f}" for name, count in top))
    print(f"  Redis memory per watch   {figures.bytes_per_watch:.0f} bytes")
    print(f"  step changes measured    {len(delays) + figures.missing}, missing {figures.missing}")
    if delays:
        print(
            f"  move → post              median {statistics.median(delays):.2f} s, "
            f"p99 {percentile(delays, 0.99):.2f} s (includes waiting for the next poll)"
        )
    if seen:
        print(
            f"  seen → post              median {statistics.median(seen):.2f} s, "
            f"p99 {percentile(seen, 0.99):.2f} s"
        )


def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watches", type=int, default=100_000)
    parser.add_argument("--teams", type=int, default=1_000)
    parser.add_argument("--big-team", type=int, default=50_000, help="watches of the largest team")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--warm-up", type=float, default=60.0)
    parser.add_argument("--measured", type=float, default=60.0)
    parser.add_argument("--moves", type=int, default=20, help="step changes a second")
    parser.add_argument("--engines", default="standalone,cluster")
    parser.add_argument(
        "--apart",
        type=float,
        default=60.0,
        metavar="S",
        help="seconds between the last updates of a team's operations before the run; "
        "0 puts them all in one second, where every changes-only answer brings back "
        "whole batches (the worst case)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="run the workers under cProfile, writing DIR/<engine>-worker<N>.prof "
        "(CPU figures then include the profiler's cost)",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.big_team <= args.watches or args.teams < 1:
        parser.error("--big-team must be between 0 and --watches, --teams at least 1")
    return Options(
        watches=args.watches,
        teams=args.teams,
        big_team=args.big_team,
        workers=args.workers,
        interval_s=args.interval,
        warm_up_s=args.warm_up,
        measured_s=args.measured,
        moves_per_s=args.moves,
        engines=tuple(args.engines.split(",")),
        apart_s=args.apart,
        profile_dir=args.profile,
    )


async def main() -> None:
    options = parse()
    index_the_simulator()
    print(
        f"{options.watches} watches over {options.teams} teams (largest {options.big_team}), "
        f"{options.workers} workers, interval {options.interval_s:g} s",
        flush=True,
    )
    results: dict[str, Figures] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine in options.engines:
            results[engine] = await on_engine(options, engine, Path(tmp))
            report(engine, results[engine])
    first = results[options.engines[0]]
    cluster = results.get("cluster")
    cluster_p99 = percentile(cluster.seen_delays, 0.99) if cluster else float("nan")
    print(
        f"scale: checks_per_core_s={first.checks_per_core_s:.0f} "
        f"redis_cmds_per_check={first.commands_per_check:.3f} "
        f"bytes_per_watch={first.bytes_per_watch:.0f} "
        f"p99_delay_s={percentile(first.seen_delays, 0.99):.2f} "
        f"cluster_p99_delay_s={cluster_p99:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
