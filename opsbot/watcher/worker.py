"""The watcher's loop: claim due teams, run their cycles, deliver, hand them back.

Any number of workers (``opsbot worker`` processes, and the watcher inside
``opsbot serve`` and ``opsbot socket``; :mod:`opsbot.runtime` starts them)
share one Redis. A team is polled by one worker at a time:
the worker *claims* it with a lease (:mod:`opsbot.store.schedule`), keeps the
lease alive while it works, and *releases* it with the team's next due time.
A worker that dies holding a team holds it only until the lease ends
(:data:`LEASE_S`); then any other worker claims it and carries on from what
Redis holds. Nothing the watcher needs lives only in memory: what a worker
remembers (:mod:`opsbot.watcher.memory`) only saves it work.

A *cycle* of a worker is one round over every team due at that moment,
several teams at once. Each cycle logs one line: teams, operations looked
at (and how many of them were read in full), API calls, step changes, Slack
messages posted, CPU and wall time.

On SIGTERM the worker claims nothing more, lets the team passes under way
finish (for :data:`STOP_GRACE_S` at most), and releases what it holds, so
another worker takes over at once rather than after the lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Final

from redis.exceptions import RedisError

from opsbot.api.client import OperationClient
from opsbot.app_home import FromListeners, HomeRefresher, HomeSources
from opsbot.config import Settings
from opsbot.logs import log_text
from opsbot.slack_installations import RedisInstallationStore
from opsbot.store.bursts import Bursts
from opsbot.store.card_edits import CardEdits
from opsbot.store.connection import RedisClient
from opsbot.store.guardrail_store import GuardrailStore
from opsbot.store.home_refreshes import HomeRefreshes
from opsbot.store.mutes import Mutes
from opsbot.store.outbox import Outbox
from opsbot.store.pacing import ChannelPacing
from opsbot.store.pass_opening import DeliveryOpener, PassOpener
from opsbot.store.pauses import TeamPauses
from opsbot.store.schedule import Lease, Schedule
from opsbot.store.subscriptions import SubscriptionStore
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import Vault
from opsbot.store.watches import WatchStore
from opsbot.watcher.burst_mode import BurstMode
from opsbot.watcher.clients import TeamClients
from opsbot.watcher.cycle import CycleDeps, CycleResult, fetch_operations, run_team_cycle
from opsbot.watcher.intervals import PollPolicy
from opsbot.watcher.memory import WorkerMemory
from opsbot.watcher.poster import PAGE, DeliveryResult, FromCycle, Poster

log = logging.getLogger("opsbot.watcher")

# A worker started without the listeners' side (tests, benchmarks): Home tabs
# without the grammar, Relaunch buttons for everyone (a click is checked anyway).
NOTHING_FROM_LISTENERS: Final = FromListeners()

# A team's lease: renewed every third of it while the worker works on the team.
LEASE_S: Final = 10.0
# Teams worked on at once by one worker.
CONCURRENCY: Final = 32
# Between cycles the worker looks at the schedule at least this often, so a
# watch just added is polled soon even with a long poll interval.
MAX_IDLE_S: Final = 1.0
MIN_IDLE_S: Final = 0.05
# After an unexpected failure (Redis gone, a bug) a team is tried again this much later.
FAILED_PASS_RETRY_S: Final = 5.0
STOP_GRACE_S: Final = 10.0


@dataclass
class TeamReport:
    """What one team's pass did."""

    operations: int = 0
    read_in_full: int = 0
    api_calls: int = 0
    changes: int = 0
    posts: int = 0
    counted: int = 0  # checked in full by counting, not read (see watcher.reading)


@dataclass
class CycleReport(TeamReport):
    """The sums of a cycle's team passes, and what the cycle cost."""

    teams: int = 0
    cpu_s: float = 0.0
    duration_s: float = 0.0

    def add(self, team: TeamReport) -> None:
        self.teams += 1
        self.operations += team.operations
        self.read_in_full += team.read_in_full
        self.counted += team.counted
        self.api_calls += team.api_calls
        self.changes += team.changes
        self.posts += team.posts

    def line(self) -> str:
        return (
            f"cycle: teams={self.teams} operations={self.operations} "
            f"read_in_full={self.read_in_full} counted={self.counted} "
            f"api_calls={self.api_calls} "
            f"changes={self.changes} posts={self.posts} "
            f"cpu={self.cpu_s:.3f}s duration={self.duration_s:.3f}s"
        )


class HeldLease:
    """A team's lease during its pass, and when Redis last said it was ours.

    The poster asks before each Slack message whether the lease is still
    held. Redis is asked only when its last answer (the claim, or a renewal)
    is a third of a lease old, when the keeper renews it anyway: a worker
    frozen longer than that finds its clock moved on, and asks. Asking Redis
    before every message cost three commands a post.
    """

    def __init__(self, schedule: Schedule, lease: Lease, clock: Callable[[], float]) -> None:
        self.lease = lease
        self._schedule = schedule
        self._clock = clock
        self._confirmed_at = lease.expires_at - schedule.lease_s
        self._lost = False
        # Renewals start from a timer, not a task: most passes end before the first.
        self._timer: asyncio.TimerHandle | None = None
        self._renewing: asyncio.Task[None] | None = None

    def keep(self) -> None:
        """Renew the lease every third of it, from a third of it on, until :meth:`let_go`."""
        period = self._schedule.lease_s / 3
        self._timer = asyncio.get_running_loop().call_later(period, self._start_renewing)

    def let_go(self) -> None:
        """The pass is over: no more renewals."""
        if self._timer is not None:
            self._timer.cancel()
        if self._renewing is not None:
            self._renewing.cancel()

    def _start_renewing(self) -> None:
        self._renewing = asyncio.create_task(self._keep_renewing())

    async def _keep_renewing(self) -> None:
        """Renew now and every third of the lease while the pass runs.

        A lost lease (this worker was frozen longer than the lease) is not
        renewed again; the pass goes on recording what it saw, which the
        store's compare-and-set makes harmless, and posts nothing more: the
        poster checks the lease before every message.
        """
        while True:
            try:
                if not await self.renew():
                    log.warning("team %s: lease lost mid-pass", self.lease.team_id)
                    return
            except RedisError:
                pass  # the pass meets the same outage and fails on its own
            await asyncio.sleep(self._schedule.lease_s / 3)

    async def confirm(self) -> bool:
        """Still ours? Renewed on the way when Redis is asked."""
        if self._lost:
            return False
        if self._clock() - self._confirmed_at < self._schedule.lease_s / 3:
            return True
        return await self.renew()

    async def renew(self) -> bool:
        """Push the lease's end on; False (for good) once it was taken over."""
        now = self._clock()
        if self._lost or not await self._schedule.extend(self.lease, now):
            self._lost = True
            return False
        self._confirmed_at = max(self._confirmed_at, now)
        return True


class Worker:
    """Polls watched operations and delivers their posts; see the module doc."""

    def __init__(
        self,
        deps: CycleDeps,
        schedule: Schedule,
        poster: Poster,
        *,
        concurrency: int = CONCURRENCY,
        clock: Callable[[], float] = time.time,
        homes: HomeRefresher | None = None,
    ) -> None:
        self._deps = deps
        self._homes = homes
        self._schedule = schedule
        self._poster = poster
        self._concurrency = concurrency
        self._clock = clock
        self._memory = WorkerMemory()
        self._stopping = False
        # When the schedule's next team is due, as the cycle's last claim saw it.
        self._next_due: float | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Cycle until ``stop`` is set; then finish or release what is held."""
        while not stop.is_set():
            cycle = asyncio.create_task(self._logged_cycle())
            stopped = asyncio.create_task(stop.wait())
            await asyncio.wait({cycle, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if not cycle.done():
                await self._stop_cycle(cycle)
                return
            await self._idle(stop, failed=cycle.result() is None)

    async def run_once(self, now: float | None = None) -> CycleReport:
        """One cycle over every team due at ``now`` (the clock's time by default)."""
        now = self._clock() if now is None else now
        started, started_cpu = time.perf_counter(), time.process_time()
        report = CycleReport()
        running: set[asyncio.Task[TeamReport]] = set()
        try:
            await self._claim_and_work(now, running, report)
        except asyncio.CancelledError:
            # Stopping: the passes under way release their teams as they end.
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            raise
        report.duration_s = time.perf_counter() - started
        report.cpu_s = time.process_time() - started_cpu
        return report

    async def _claim_and_work(
        self, now: float, running: set[asyncio.Task[TeamReport]], report: CycleReport
    ) -> None:
        exhausted = False
        while True:
            if not exhausted and not self._stopping and len(running) < self._concurrency:
                wanted = self._concurrency - len(running)
                claimed = await self._schedule.claim_many(now, wanted)
                self._next_due = claimed.next_due
                leases = claimed.leases
                running.update(asyncio.create_task(self._team_pass(lease, now)) for lease in leases)
                # Fewer due than asked: none is left, since a team goes back due later than now.
                exhausted = len(leases) < wanted
            if not running:
                return
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            running.difference_update(done)
            for task in done:
                report.add(task.result())

    # --- one team ------------------------------------------------------------------------

    async def _team_pass(self, lease: Lease, now: float) -> TeamReport:
        """Cycle and deliver for one claimed team, then release it with its next due time."""
        held = HeldLease(self._schedule, lease, self._clock)
        held.keep()
        next_due: float | None = now + FAILED_PASS_RETRY_S
        report = TeamReport()
        try:
            cycle, delivery = await self._cycle_and_deliver(held, now)
            next_due = _earliest(cycle.next_due, delivery.retry_at)
            report = TeamReport(
                cycle.operations,
                cycle.read_in_full,
                cycle.api_calls,
                cycle.changes,
                delivery.posts,
                cycle.counted,
            )
        except asyncio.CancelledError:
            next_due = now  # stopping: another worker takes the team at once
            raise
        except RedisError as error:
            self._memory.errors.log(
                logging.WARNING,
                (lease.team_id, "redis"),
                now,
                "team %s: pass cut short, Redis unreachable (%s)",
                lease.team_id,
                log_text(error),
            )
        except Exception as error:
            # A bug met at every pass would otherwise write a traceback every
            # few seconds: one per team and kind of error per period.
            self._memory.errors.log(
                logging.ERROR,
                (lease.team_id, "pass failed", type(error).__name__),
                now,
                "team %s: pass failed, trying again later",
                lease.team_id,
                exc_info=True,
            )
        finally:
            held.let_go()
            await asyncio.shield(self._release(lease, next_due))
        return report

    async def _cycle_and_deliver(
        self, held: HeldLease, now: float
    ) -> tuple[CycleResult, DeliveryResult]:
        lease = held.lease
        cycle = await run_team_cycle(self._deps, lease.team_id, now, self._memory)
        # As recording their changes read them: for the Home tabs and the poster alike.
        changed = cycle.changed
        if self._homes is not None:
            # Before delivery: a final post ends its watch, and with it who watched.
            await self._homes.mark_safely(lease.team_id, changed.values(), now)
        lookup = (
            None
            if cycle.key is None
            else functools.partial(fetch_operations, self._deps.api, cycle.key)
        )
        delivery = await self._poster.deliver(
            lease.team_id,
            now,
            FromCycle(cycle.polled, cycle.farewells, changed, cycle.outbox),
            lookup=lookup,
            holding=held.confirm,
        )
        if self._homes is not None:
            await self._homes.refresh_safely(lease.team_id, now)
        return cycle, delivery

    async def _release(self, lease: Lease, next_due: float | None) -> None:
        try:
            if not await self._schedule.release(lease, next_due):
                log.warning("team %s: lease was taken over before release", lease.team_id)
        except RedisError as error:
            # The lease ends by itself; another worker then takes the team.
            log.warning("team %s: release failed (%s)", lease.team_id, type(error).__name__)

    # --- the loop --------------------------------------------------------------------------

    async def _logged_cycle(self) -> CycleReport | None:
        # Redis down means a failed cycle every second: one line per period says it.
        errors, now = self._memory.errors, self._clock()
        try:
            report = await self.run_once()
        except RedisError as error:
            kind = type(error).__name__
            errors.log(
                logging.WARNING, ("cycle", kind), now, "cycle failed, Redis unreachable (%s)", kind
            )
            return None
        except Exception as error:
            key = ("cycle", type(error).__name__)
            errors.log(logging.ERROR, key, now, "cycle failed", exc_info=True)
            return None
        if report.teams:
            log.info("%s", report.line())
        return report

    async def _stop_cycle(self, cycle: asyncio.Task[CycleReport | None]) -> None:
        """Let the passes under way finish for a while, then cancel (they release)."""
        self._stopping = True
        done, _ = await asyncio.wait({cycle}, timeout=STOP_GRACE_S)
        if not done:
            cycle.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await cycle

    async def _idle(self, stop: asyncio.Event, *, failed: bool) -> None:
        """Wait for the next team due, as the cycle's last claim saw it (no round trip).

        A team made due sooner during the cycle (a watch added, a pass that
        failed and retries soon) is seen at the next look, :data:`MAX_IDLE_S`
        later at most.
        """
        delay = MAX_IDLE_S
        if not failed and self._next_due is not None:
            delay = self._next_due - self._clock()
        delay = min(max(delay, MIN_IDLE_S), MAX_IDLE_S, self._deps.policy.interval_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)


def _earliest(*moments: float | None) -> float | None:
    return min((moment for moment in moments if moment is not None), default=None)


# --- wiring ------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def open_worker(
    settings: Settings,
    redis: RedisClient,
    vault: Vault,
    *,
    lease_s: float = LEASE_S,
    clock: Callable[[], float] = time.time,
    home: FromListeners = NOTHING_FROM_LISTENERS,
) -> AsyncIterator[Worker]:
    """A worker with its own API client and Slack clients, on the given Redis.

    ``home``: what the Home tabs it refreshes take from the listeners' side.
    """
    # No retries inside the client: a refused call waits for the team's next
    # turn, backing off there, rather than holding the team's lease.
    api = OperationClient.from_settings(settings, retry_attempts=1)
    installations = RedisInstallationStore(redis, vault) if settings.slack.oauth else None
    async with api, TeamClients(settings, installations) as clients:
        watches, outbox = WatchStore(redis, max_watches=settings.max_watches), Outbox(redis)
        subscriptions = SubscriptionStore(
            redis, max_subscriptions=settings.max_subscriptions, api_zone=settings.api_zone
        )
        deps = CycleDeps(
            api=api,
            team_keys=TeamKeyStore(redis, vault),
            watches=watches,
            outbox=outbox,
            pauses=TeamPauses(redis),
            subscriptions=subscriptions,
            opener=PassOpener(redis, subscriptions, PAGE),
            policy=PollPolicy(settings.poll_interval_s),
            watch_days=settings.watch_days,
        )
        schedule = Schedule(redis, lease_s=lease_s)
        pacing = ChannelPacing.from_settings(redis, settings)
        burst_mode = BurstMode(Bursts(redis), settings.burst_threshold_s, settings.posts_per_s)
        poster = Poster(
            watches,
            outbox,
            pacing,
            clients,
            CardEdits(redis),
            opener=DeliveryOpener(redis, outbox),
            clock=clock,
            burst_mode=burst_mode,
            mutes=Mutes(redis),
            guardrails=GuardrailStore(redis),
        )
        sources = HomeSources(
            watches,
            deps.subscriptions,
            deps.team_keys,
            deps.pauses,
            api,
            home.grammar,
            home.may_relaunch,
        )
        homes = HomeRefresher(sources, HomeRefreshes(redis), clients.for_team)
        yield Worker(deps, schedule, poster, clock=clock, homes=homes)
