"""One poll cycle of one team: what changed since last time, recorded in Redis.

The caller holds the team's lease (:mod:`opsbot.store.schedule`). A cycle

1. reads the team's API key; without one the team is paused, with one note
   in every thread;
2. ends the watches that expired (a farewell note each, see
   :mod:`opsbot.watcher.notes`);
3. looks at every watched operation, in batches: one ``operation.list``
   with ``id=[…]`` per 100 of them, never one call per operation; an
   operation watched in several channels is one watch, looked at once. A
   batch is read in full when one of its operations is due for it (its eta
   decides, see :mod:`opsbot.watcher.intervals`) or is new to this worker;
   otherwise only its operations changed since the last answer come back
   (``>date_updated``, see :mod:`opsbot.watcher.memory`). A team's batches
   are asked for a few at a time (:data:`~opsbot.watcher.intervals.BATCH_CONCURRENCY`);
   the first that fails stops the team starting more, the ones in flight
   finish (what they learnt is recorded), and the team backs off once;
4. records each step change with the store's compare-and-set, which queues
   its posts in the outbox in the same step; an operation a full read no
   longer returns gets a farewell. An operation the API describes in a way
   that cannot be read is skipped with one log line and a note in its
   thread, and the rest of its batch moves on in the same cycle (see
   :mod:`opsbot.watcher.reading`); it is then read alone, now and then,
   until it can be read again;
5. looks for the subscriptions' new operations with ``>date_created``, one
   query for all the subscriptions whose filters allow it (see
   :mod:`opsbot.watcher.new_operations`), from a little before the last one
   seen (the API compares to the second) and skipping those a subscription
   has matched already.

It posts nothing itself: :mod:`opsbot.watcher.poster` delivers the outbox.
Everything it learns is in Redis before it returns, so a cycle cut short
anywhere is simply run again by whichever worker claims the team next.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import math
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from opsbot.api.client import OperationClient
from opsbot.api.errors import ApiError, AuthorizationError, TemporaryError
from opsbot.api.filters import FilterError
from opsbot.api.glance import Glance
from opsbot.api.operation import Operation, UnreadableOperation, is_final
from opsbot.clock import moment
from opsbot.logs import log_text
from opsbot.store.outbox import Outbox
from opsbot.store.pass_opening import OutboxHead, PassOpener
from opsbot.store.pauses import TeamPauses
from opsbot.store.subscriptions import Subscription, SubscriptionStore
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import VaultError
from opsbot.store.watches import (
    FAILURES,
    AddResult,
    PolledState,
    PollView,
    StepChange,
    Watch,
    WatchLimitReached,
    WatchStore,
)
from opsbot.watcher import notes
from opsbot.watcher.intervals import BATCH_CONCURRENCY, PollPolicy
from opsbot.watcher.memory import WorkerMemory
from opsbot.watcher.new_operations import (
    MAX_PAGES,
    Group,
    groups_of,
    new_for,
    read_page,
    report_unreadable,
)
from opsbot.watcher.reading import BATCH, BatchRead, read_batch, steps_hold
from opsbot.watching import Follower, start_watch

log = logging.getLogger(__name__)

__all__ = ["BATCH", "CycleDeps", "CycleResult", "fetch_operations", "run_team_cycle"]
# A batch read in full is next due after its delay times a random factor
# from this to 1, so that batches added at once do not stay in step.
MIN_SPREAD: Final = 0.75

NO_KEY: Final = "no API key"
KEY_REFUSED: Final = "API key refused"


@dataclass(frozen=True)
class CycleDeps:
    api: OperationClient
    team_keys: TeamKeyStore
    watches: WatchStore
    outbox: Outbox
    pauses: TeamPauses
    subscriptions: SubscriptionStore
    opener: PassOpener
    policy: PollPolicy
    watch_days: int


@dataclass
class CycleResult:
    """What one cycle did, and what the poster needs from it."""

    watched: int = 0
    operations: int = 0  # looked at
    read_in_full: int = 0  # of which read in full (the others: changes only)
    counted: int = 0  # of which checked in full by counting their steps, not read
    api_calls: int = 0
    changes: int = 0
    # When the team is due again; None when it has nothing left to poll.
    next_due: float | None = None
    # Operations as polled now, for the final replies (errortype, last_error).
    polled: dict[int, Operation] = field(default_factory=dict)
    # Watches to end, with the farewell each card's thread gets.
    farewells: dict[int, str] = field(default_factory=dict)
    # The team's API key, for the poster's look-ups; never shown.
    key: str | None = field(default=None, repr=False)
    # The watches whose step change this cycle recorded, as they are now
    # (their watchers' Home tabs, and the poster's posts).
    changed: dict[int, Watch] = field(default_factory=dict)
    # What waited to be delivered when the pass opened (the poster reads it
    # again if anything was queued since: see opsbot.store.queued_here).
    outbox: OutboxHead | None = None


async def run_team_cycle(
    deps: CycleDeps, team_id: str, now: float, memory: WorkerMemory
) -> CycleResult:
    """Look at the team's watches and subscriptions once (see the module doc)."""
    result = CycleResult()
    ahead = memory.expiries.look_ahead(team_id, now)
    opening = await deps.opener.read(team_id, moment(now), expiries_ahead_s=ahead)
    result.outbox = opening.outbox
    key = await _team_key(deps, team_id, opening.key_record, now, memory)
    if key is None:
        result.next_due = now + deps.policy.paused_recheck_delay
        return result
    result.key = key
    team = _Pass(team_id, key, now, memory, result)
    try:
        view = opening.view
        memory.expiries.read(team_id, view.quiet_until)
        _end_expired(deps, view, result)
        await _poll(deps, team, view, result)
        has_subscriptions = await _follow_subscriptions(deps, team, opening.subscriptions, result)
    except AuthorizationError:
        await _pause(deps, team_id, KEY_REFUSED, notes.key_refused(), now)
        result.next_due = now + deps.policy.paused_recheck_delay
        return result
    except ApiError as error:
        # Rate limits, garbage, a busy server: what was not looked at is
        # looked at next time, and the team waits longer after each failure
        # in a row.
        failures = memory.backoff.failed(team_id)
        retry_after = error.retry_after if isinstance(error, TemporaryError) else None
        delay = deps.policy.backoff_delay(failures, retry_after)
        memory.errors.log(
            logging.INFO,
            (team_id, "backs off", error.kind),
            now,
            "team %s backs off %.1f s: %s",
            team_id,
            delay,
            error.kind.value,
        )
        result.next_due = now + delay
        return result
    memory.backoff.succeeded(team_id)
    if opening.paused and await deps.pauses.resume(team_id):
        log.info("team %s: the key works again, watches resumed", team_id)
    result.next_due = _next_due(deps, now, result, has_subscriptions)
    return result


async def fetch_operations(
    api: OperationClient, key: str, op_ids: Iterable[int]
) -> dict[int, Operation]:
    """The operations among ``op_ids`` the key can see and read, one call per 100."""
    found: dict[int, Operation] = {}
    for chunk in _chunks(sorted(set(op_ids)), BATCH):
        reply = await api.list_items(key, {"id": chunk, "items_per_page": BATCH})
        found.update((operation.id, operation) for operation in reply.operations)
    return found


@dataclass(frozen=True)
class _Pass:
    """The team being looked at, with what the worker remembers."""

    team_id: str
    key: str = field(repr=False)
    now: float
    memory: WorkerMemory
    result: CycleResult


async def _team_key(
    deps: CycleDeps, team_id: str, record: str | bytes | None, now: float, memory: WorkerMemory
) -> str | None:
    """The team's key out of its stored record; None when there is none to use (then paused)."""
    try:
        key = deps.team_keys.opened(team_id, record)
    except VaultError as error:
        # The keyring cannot open the stored key: most often an operator's
        # matter (a key dropped from the keyring too early, see `opsbot
        # rotate-keys`), which would be every team's at once, so no note in
        # the threads; `/ops key status` and the commands ask the team to set
        # it again. The log says so once per period, not at every recheck.
        memory.errors.log(
            logging.WARNING,
            (team_id, "key unreadable"),
            now,
            "team %s not polled: %s",
            team_id,
            log_text(error),
        )
        return None
    if key is None:
        await _pause(deps, team_id, NO_KEY, notes.key_removed(), now)
    return key


# --- pausing ---------------------------------------------------------------------------


async def _pause(deps: CycleDeps, team_id: str, reason: str, note: str, now: float) -> None:
    """Pause once: the note goes to every thread only when the team was running."""
    if not await deps.pauses.pause(team_id, reason):
        return
    log.info("team %s paused: %s", team_id, reason)
    at = moment(now)
    for op_id in await deps.watches.due(team_id, math.inf, limit=_ALL):
        await deps.outbox.add_note(team_id, op_id, note, at)


# Redis's LIMIT takes a count; this is "every one of them".
_ALL: Final = 2**31 - 1


# --- expiry and polling ----------------------------------------------------------------


def _end_expired(deps: CycleDeps, view: PollView, result: CycleResult) -> None:
    for op_id in view.expired:
        result.farewells[op_id] = notes.expired(deps.watch_days)


async def _poll(deps: CycleDeps, team: _Pass, view: PollView, result: CycleResult) -> None:
    """Every watched operation, 100 per call: read in full, or changes only.

    Operations that could not be read are kept out of the batches and read
    alone, in full, once their retry time has come.
    """
    team_id, memory, now = team.team_id, team.memory, team.now
    # Everything here runs over each watched operation at every pass: the
    # common case (nothing ended, nothing held) costs no extra walk.
    watched, due = sorted(view.watched), view.due  # due: for a full read
    memory.changes.keep_only(team_id, view.watched)
    memory.unreadable.keep_only(team_id, view.watched)
    memory.seen.keep_only(team_id, view.watched)
    result.watched = len(watched)
    held = memory.unreadable.held(team_id)
    farewells = result.farewells
    looked_at = [op_id for op_id in watched if op_id not in farewells] if farewells else watched
    together = [op_id for op_id in looked_at if op_id not in held] if held else looked_at
    batches = [(chunk, False) for chunk in _chunks(together, BATCH)]
    if held:
        batches += [([op_id], True) for op_id in looked_at if held.get(op_id, math.inf) <= now]
    polls = [
        functools.partial(
            _poll_batch, deps, team, chunk, alone or bool(due.intersection(chunk)), result, alone
        )
        for chunk, alone in batches
    ]
    await _bounded(polls, BATCH_CONCURRENCY)


async def _bounded(calls: Sequence[Callable[[], Awaitable[None]]], limit: int) -> None:
    """Run ``calls``, ``limit`` at a time; after the first failure start no more.

    The calls in flight then finish (none is cut in the middle of a Redis
    write) and the first failure is raised: a rate limit met by one batch
    makes the whole team back off, once.
    """
    if len(calls) == 1:
        # Most teams watch fewer than a hundred operations: one call, awaited
        # as it is rather than in a task of its own.
        await calls[0]()
        return
    pending = iter(calls)
    running: set[asyncio.Task[None]] = set()
    failure: BaseException | None = None
    try:
        while True:
            while failure is None and len(running) < limit:
                call = next(pending, None)
                if call is None:
                    break
                running.add(asyncio.ensure_future(call()))
            if not running:
                break
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            errors = [task.exception() for task in done]  # each one retrieved
            failure = failure or next((error for error in errors if error is not None), None)
    except asyncio.CancelledError:
        # The pass is stopped (the worker stops): so are its batches.
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        raise
    if failure is not None:
        raise failure


async def _poll_batch(
    deps: CycleDeps, team: _Pass, chunk: list[int], full: bool, result: CycleResult, alone: bool
) -> None:
    # One read alone is one that could not be read: only a read tells it can be now.
    if full and not alone and await _counted_in_full(deps, team, chunk, result):
        return
    team_id, changes = team.team_id, team.memory.changes
    since = None if full else changes.since(team_id, chunk)
    options: dict[str, object] = {} if since is None else {">date_updated": since}
    read = await read_batch(deps.api, team.key, chunk, options)
    result.api_calls += read.calls
    result.operations += len(chunk)
    readable = [op_id for op_id in chunk if op_id not in read.unreadable]
    if since is None:
        result.read_in_full += len(chunk)
        await _read_in_full(deps, team, readable, read)
    else:
        await _take_changes(deps, team, read)
    changes.answered(team_id, readable, read.glances)
    # Last: an operation found unreadable only once read whole (a change) is among them.
    await _skip_unreadable(deps, team, read)
    team.memory.unreadable.release(
        team_id, (op_id for op_id in chunk if op_id not in read.unreadable)
    )


async def _counted_in_full(
    deps: CycleDeps, team: _Pass, chunk: list[int], result: CycleResult
) -> bool:
    """A full read's check, by counting (see :func:`~opsbot.watcher.reading.steps_hold`).

    True when every operation of the batch is where this worker last compared
    it: each is then rescheduled on its remembered eta, nothing is read.
    False when that is not known or not so: the batch is read in full.
    """
    team_id, now = team.team_id, team.now
    seen = team.memory.seen.last_compared(team_id, chunk)
    if seen is None:
        return False
    believed = ((op_id, known.step) for op_id, known in seen.items())
    count = await steps_hold(deps.api, team.key, believed)
    result.api_calls += count.calls
    if not count.hold:
        return False
    result.operations += len(chunk)
    result.counted += len(chunk)
    spread = random.uniform(MIN_SPREAD, 1.0)
    delay = deps.policy.operation_delay
    dues = {op_id: now + delay(known.eta(now)) * spread for op_id, known in seen.items()}
    await deps.watches.reschedule_many(team_id, dues)
    return True


async def _skip_unreadable(deps: CycleDeps, team: _Pass, read: BatchRead) -> None:
    """Keep each operation that could not be read apart; say so once, in the log and its thread."""
    if not read.unreadable:
        return
    retry_at = team.now + deps.policy.unreadable_retry_delay
    at = moment(team.now)
    for op_id, reason in sorted(read.unreadable.items()):
        team.memory.unreadable.hold(team.team_id, op_id, retry_at)
        note = notes.unreadable(op_id, reason, deps.policy.unreadable_retry_delay)
        if await deps.watches.mark_unreadable(team.team_id, op_id, note, at):
            log.warning(
                "team %s: operation %s skipped, the API's answer about it cannot be read: %s",
                team.team_id,
                op_id,
                log_text(reason),
            )
    # Its own schedule must not make its old batch due at every interval.
    await deps.watches.reschedule_many(team.team_id, dict.fromkeys(read.unreadable, retry_at))


async def _read_in_full(
    deps: CycleDeps, team: _Pass, chunk: Sequence[int], read: BatchRead
) -> None:
    """Record what a full read says: changes, and the operations it no longer returns.

    An operation returned exactly as this worker last compared it with its
    stored watch (:class:`~opsbot.watcher.memory.SeenSteps`) is not compared
    again: only rescheduled. The others are compared, with one ``HMGET`` each.
    """
    team_id, now, result = team.team_id, team.now, team.result
    returned = {glance.id: glance for glance in read.glances}
    settled = {
        op_id for op_id, glance in returned.items() if team.memory.seen.unchanged(team_id, glance)
    }
    watches = await deps.watches.polled_states(team_id, [op for op in chunk if op not in settled])
    await _readable_again(deps, team_id, watches, returned, read)
    # One spread for the whole batch, so that the batch stays due together
    # and batches added at the same moment drift apart.
    spread = random.uniform(MIN_SPREAD, 1.0)
    unchanged: dict[int, float] = {}
    for op_id in chunk:
        if op_id in settled:
            unchanged[op_id] = now + deps.policy.operation_delay(returned[op_id].eta) * spread
            team.memory.seen.compared(team_id, returned[op_id], now)  # a newer eta
            continue
        watch = watches.get(op_id)
        if watch is None or watch.final or op_id in read.unreadable:
            continue  # unwatched or ended meanwhile, or found unreadable
        glance = returned.get(op_id)
        if glance is None:
            result.farewells[op_id] = notes.no_longer_visible(op_id)
            continue
        next_read = now + deps.policy.operation_delay(glance.eta) * spread
        if not await _record(deps, team, watch, glance, next_read, read):
            unchanged[op_id] = next_read
    await deps.watches.reschedule_many(team_id, unchanged)


async def _readable_again(
    deps: CycleDeps,
    team_id: str,
    watches: Mapping[int, PolledState],
    returned: Mapping[int, Glance],
    read: BatchRead,
) -> None:
    """Clear the flag of those flagged unreadable that read whole now; the others stay apart."""
    for op_id, watch in watches.items():
        glance = returned.get(op_id)
        if not watch.unreadable or glance is None:
            continue
        try:
            glance.operation()
        except UnreadableOperation as error:
            read.unreadable[op_id] = error.reason
            continue
        await deps.watches.clear_unreadable(team_id, op_id)
        log.info("team %s: operation %s can be read again", team_id, op_id)


async def _take_changes(deps: CycleDeps, team: _Pass, read: BatchRead) -> None:
    """Record what a changes-only answer says; what it leaves out did not change.

    What comes back as this worker last compared it is not compared again
    (see :class:`~opsbot.watcher.memory.SeenSteps`).
    """
    team_id, seen = team.team_id, team.memory.seen
    moved = [glance for glance in read.glances if not seen.unchanged(team_id, glance)]
    watches = await deps.watches.polled_states(team_id, [glance.id for glance in moved])
    for glance in moved:
        watch = watches.get(glance.id)
        if watch is not None and not watch.final:
            next_read = team.now + deps.policy.operation_delay(glance.eta)
            await _record(deps, team, watch, glance, next_read, read)


async def _record(
    deps: CycleDeps,
    team: _Pass,
    watch: PolledState,
    glance: Glance,
    next_read: float,
    read: BatchRead,
) -> bool:
    """Record a step change, if there is one; True if the operation moved.

    ``next_read``: when the operation is next due for a full read. A moved
    operation is read whole (its posts show it); one that cannot be is added
    to the batch's unreadable ones, and its change waits until it can be.
    """
    team_id, now, result = team.team_id, team.now, team.result
    if not glance.step or glance.step == watch.step:
        if not watch.unreadable:  # a flagged one is compared until its flag is cleared
            team.memory.seen.compared(team_id, glance, now)
        return False
    try:
        result.polled[glance.id] = glance.operation()
    except UnreadableOperation as error:
        read.unreadable[glance.id] = error.reason
        return True
    change = StepChange(
        op_id=glance.id,
        old=watch.step,
        new=glance.step,
        at=glance.date_updated or moment(now),
        final=is_final(glance.step),
        eta=glance.eta,
    )
    recorded = await deps.watches.record_step(team_id, change, next_due=next_read)
    # Only once Redis holds it: a failed write is compared again next time.
    team.memory.seen.compared(team_id, glance, now)
    # None: another worker recorded this change first; it posts it.
    if recorded is not None:
        result.changes += 1
        if recorded.watch is not None:
            result.changed[glance.id] = recorded.watch
    return True


# --- subscriptions ---------------------------------------------------------------------


async def _follow_subscriptions(
    deps: CycleDeps, team: _Pass, subscriptions: Sequence[Subscription], result: CycleResult
) -> bool:
    """Watch the subscriptions' new operations; True if the team has subscriptions."""
    for group in groups_of(subscriptions):
        try:
            await _follow_group(deps, team, group, result)
        except (AuthorizationError, TemporaryError):
            raise  # the whole team pauses or backs off
        except (ApiError, FilterError) as error:
            # One group's filters no longer accepted: the others carry on.
            numbers = ",".join(str(member.number) for member in group.members)
            team.memory.errors.log(
                logging.WARNING,
                (team.team_id, "subscriptions skipped", numbers),
                team.now,
                "team %s subscriptions %s skipped: %s",
                team.team_id,
                numbers,
                log_text(error),
            )
    return bool(subscriptions)


async def _follow_group(deps: CycleDeps, team: _Pass, group: Group, result: CycleResult) -> None:
    """Read the group's new operations, a page at a time, and give each member its own."""
    since, page_number = group.start, 0
    members = list(group.members)
    for _ in range(MAX_PAGES):
        page = await read_page(deps.api, team.key, group, since, page_number)
        result.api_calls += 1
        report_unreadable(page, team.memory.errors, team.team_id, team.now)
        for member in members:
            found = new_for(member, page.settled)
            await _watch_new(deps, team, member, found)
            await deps.subscriptions.advance(
                team.team_id, member.number, _matched(found), seen_until=page.seen_until
            )
        if page.next_since is None:
            return
        since, page_number = page.next_since, page.next_page
        # The members moved on: what they matched is in their recent_ids now.
        members = await _refreshed(deps, team.team_id, members)


async def _refreshed(
    deps: CycleDeps, team_id: str, members: Sequence[Subscription]
) -> list[Subscription]:
    stored = {
        subscription.number: subscription for subscription in await deps.subscriptions.list(team_id)
    }
    return [stored[member.number] for member in members if member.number in stored]


def _matched(operations: Sequence[Operation]) -> dict[int, dt.datetime]:
    return {
        operation.id: operation.date_created
        for operation in operations
        if operation.date_created is not None
    }


async def _watch_new(
    deps: CycleDeps, team: _Pass, subscription: Subscription, operations: Sequence[Operation]
) -> None:
    team_id, at = team.team_id, moment(team.now)
    follower = Follower(team_id, subscription.channel, subscription.created_by)
    for operation in operations:
        try:
            added = await start_watch(
                deps.watches,
                operation,
                follower,
                now=at,
                days=deps.watch_days,
                broadcast=subscription.broadcast or FAILURES,
                only=subscription.only,
            )
        except WatchLimitReached as limit:
            team.memory.errors.log(
                logging.WARNING,
                (team_id, "watch limit"),
                team.now,
                "team %s: operation %s of subscription %s not watched: %s",
                team_id,
                operation.id,
                subscription.number,
                limit,
            )
            continue
        if added is AddResult.JOINED:
            continue
        # The poster posts the card; an operation that has ended already gets
        # its card and a farewell (unless another channel's watch is following
        # it, which records the final step for every card).
        if is_final(operation.step) and added is AddResult.CREATED:
            farewell = notes.already_ended(operation.step)
            await deps.outbox.add_farewell(team_id, operation.id, farewell, at)
        else:
            await deps.outbox.add_card(team_id, operation.id, at)


# --- small helpers -------------------------------------------------------------------


def _next_due(
    deps: CycleDeps, now: float, result: CycleResult, has_subscriptions: bool
) -> float | None:
    """A team with anything to look at comes back after one interval; else it leaves."""
    if result.watched or has_subscriptions:
        return now + deps.policy.interval_s
    return None


def _chunks(items: Sequence[int], size: int) -> list[list[int]]:
    return [list(items[start : start + size]) for start in range(0, len(items), size)]
