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
   (``>date_updated``, see :mod:`opsbot.watcher.memory`);
4. records each step change with the store's compare-and-set, which queues
   its posts in the outbox in the same step; an operation a full read no
   longer returns gets a farewell;
5. looks for each subscription's new operations with ``>date_created``,
   from a little before the last one seen (the API compares to the second)
   and skipping those the subscription has matched already.

It posts nothing itself: :mod:`opsbot.watcher.poster` delivers the outbox.
Everything it learns is in Redis before it returns, so a cycle cut short
anywhere is simply run again by whichever worker claims the team next.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from opsbot.api.client import OperationClient
from opsbot.api.errors import ApiError, AuthorizationError, TemporaryError
from opsbot.api.filters import FilterError
from opsbot.api.operation import Operation, is_final
from opsbot.clock import moment
from opsbot.store.outbox import Outbox
from opsbot.store.pauses import TeamPauses
from opsbot.store.subscriptions import SUBSCRIPTION_OVERLAP, Subscription, SubscriptionStore
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import VaultError
from opsbot.store.watches import AddResult, StepChange, Watch, WatchStore
from opsbot.watcher import notes
from opsbot.watcher.intervals import PollPolicy
from opsbot.watcher.memory import ChangesSince, WorkerMemory
from opsbot.watching import Follower, start_watch

log = logging.getLogger(__name__)

# The API's page: one operation.list answers for at most this many ids.
BATCH: Final = 100
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
    policy: PollPolicy
    watch_days: int


@dataclass
class CycleResult:
    """What one cycle did, and what the poster needs from it."""

    watched: int = 0
    operations: int = 0  # looked at
    read_in_full: int = 0  # of which read in full (the others: changes only)
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


async def run_team_cycle(
    deps: CycleDeps, team_id: str, now: float, memory: WorkerMemory
) -> CycleResult:
    """Look at the team's watches and subscriptions once (see the module doc)."""
    result = CycleResult()
    try:
        key = await deps.team_keys.get(team_id)
    except VaultError as error:
        # The keyring cannot open the stored key: an operator's matter (see
        # `opsbot rotate-keys`), not the team's, so no note in the threads.
        log.warning("team %s not polled: %s", team_id, error)
        result.next_due = now + deps.policy.paused_recheck_delay
        return result
    if key is None:
        await _pause(deps, team_id, NO_KEY, notes.key_removed(), now)
        result.next_due = now + deps.policy.paused_recheck_delay
        return result
    result.key = key
    try:
        await _end_expired(deps, team_id, now, result)
        await _poll(deps, team_id, key, now, result, memory.changes)
        has_subscriptions = await _follow_subscriptions(deps, team_id, key, now, result)
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
        log.info("team %s backs off %.1f s: %s", team_id, delay, error.kind.value)
        result.next_due = now + delay
        return result
    memory.backoff.succeeded(team_id)
    if await deps.pauses.resume(team_id):
        log.info("team %s: the key works again, watches resumed", team_id)
    result.next_due = _next_due(deps, now, result, has_subscriptions)
    return result


async def fetch_operations(
    api: OperationClient, key: str, op_ids: Iterable[int]
) -> dict[int, Operation]:
    """The operations among ``op_ids`` the key can see, one call per 100."""
    found: dict[int, Operation] = {}
    for chunk in _chunks(sorted(set(op_ids)), BATCH):
        for operation in await api.list(key, {"id": chunk, "items_per_page": BATCH}):
            found[operation.id] = operation
    return found


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


async def _end_expired(deps: CycleDeps, team_id: str, now: float, result: CycleResult) -> None:
    for op_id in await deps.watches.expired(team_id, moment(now)):
        result.farewells[op_id] = notes.expired(deps.watch_days)


async def _poll(
    deps: CycleDeps,
    team_id: str,
    key: str,
    now: float,
    result: CycleResult,
    changes: ChangesSince,
) -> None:
    """Every watched operation, 100 per call: read in full, or changes only."""
    watched = await deps.watches.due(team_id, math.inf, limit=_ALL)
    due = set(await deps.watches.due(team_id, now, limit=_ALL))  # for a full read
    changes.keep_only(team_id, watched)
    result.watched = len(watched)
    looked_at = sorted(op_id for op_id in watched if op_id not in result.farewells)
    for chunk in _chunks(looked_at, BATCH):
        since = None if due.intersection(chunk) else changes.since(team_id, chunk)
        options: dict[str, object] = {"id": chunk, "items_per_page": BATCH}
        if since is not None:
            options[">date_updated"] = since
        operations = await deps.api.list(key, options)
        result.api_calls += 1
        result.operations += len(chunk)
        if since is None:
            result.read_in_full += len(chunk)
            await _read_in_full(deps, team_id, chunk, operations, now, result)
        else:
            await _take_changes(deps, team_id, operations, now, result)
        changes.answered(team_id, chunk, operations)


async def _read_in_full(
    deps: CycleDeps,
    team_id: str,
    chunk: Sequence[int],
    operations: Sequence[Operation],
    now: float,
    result: CycleResult,
) -> None:
    """Record what a full read says: changes, and the operations it no longer returns."""
    returned = {operation.id: operation for operation in operations}
    watches = await deps.watches.get_many(team_id, chunk)
    # One spread for the whole batch, so that the batch stays due together
    # and batches added at the same moment drift apart.
    spread = random.uniform(MIN_SPREAD, 1.0)
    unchanged: dict[int, float] = {}
    for op_id in chunk:
        watch = watches.get(op_id)
        if watch is None or watch.final:
            continue  # unwatched or ended meanwhile
        operation = returned.get(op_id)
        if operation is None:
            result.farewells[op_id] = notes.no_longer_visible(op_id)
            continue
        next_read = now + deps.policy.operation_delay(operation.eta) * spread
        if not await _record(deps, watch, operation, now, next_read, result):
            unchanged[op_id] = next_read
    await deps.watches.reschedule_many(team_id, unchanged)


async def _take_changes(
    deps: CycleDeps,
    team_id: str,
    operations: Sequence[Operation],
    now: float,
    result: CycleResult,
) -> None:
    """Record what a changes-only answer says; what it leaves out did not change."""
    watches = await deps.watches.get_many(team_id, [operation.id for operation in operations])
    for operation in operations:
        watch = watches.get(operation.id)
        if watch is not None and not watch.final:
            next_read = now + deps.policy.operation_delay(operation.eta)
            await _record(deps, watch, operation, now, next_read, result)


async def _record(
    deps: CycleDeps,
    watch: Watch,
    operation: Operation,
    now: float,
    next_read: float,
    result: CycleResult,
) -> bool:
    """Record a step change, if there is one; True if the operation moved."""
    result.polled[operation.id] = operation
    if not operation.step or operation.step == watch.step:
        return False
    change = StepChange(
        op_id=operation.id,
        old=watch.step,
        new=operation.step,
        at=operation.date_updated or moment(now),
        final=is_final(operation.step),
        eta=operation.eta,
    )
    recorded = await deps.watches.record_step(watch.team_id, change, next_due=next_read)
    # False: another worker recorded this change first; it posts it.
    result.changes += int(recorded)
    return True


# --- subscriptions ---------------------------------------------------------------------


async def _follow_subscriptions(
    deps: CycleDeps, team_id: str, key: str, now: float, result: CycleResult
) -> bool:
    """Watch each subscription's new operations; True if the team has subscriptions."""
    subscriptions = await deps.subscriptions.list(team_id)
    for subscription in subscriptions:
        try:
            found = await _new_operations(deps.api, key, subscription, result)
        except (AuthorizationError, TemporaryError):
            raise  # the whole team pauses or backs off
        except (ApiError, FilterError) as error:
            # One subscription's filters no longer accepted: the others carry on.
            log.warning("team %s subscription %s skipped: %s", team_id, subscription.number, error)
            continue
        await _watch_new(deps, team_id, subscription, found, now)
    return bool(subscriptions)


async def _new_operations(
    api: OperationClient, key: str, subscription: Subscription, result: CycleResult
) -> list[Operation]:
    """The subscription's operations not matched yet, oldest first.

    The query starts :data:`SUBSCRIPTION_OVERLAP` before last_seen, so that
    an operation of last_seen's second that the API showed only later is
    still found; those matched already are skipped.
    """
    since = subscription.last_seen - SUBSCRIPTION_OVERLAP
    found = await api.list(key, _new_operations_query(subscription, since))
    result.api_calls += 1
    new = _not_matched_yet(subscription, _settled(found))
    if len(found) == BATCH and not new:
        # A page filled with operations matched already would hide the new
        # ones behind them at every cycle: ask from last_seen itself.
        found = await api.list(key, _new_operations_query(subscription, subscription.last_seen))
        result.api_calls += 1
        new = _not_matched_yet(subscription, _settled(found))
    return new


def _new_operations_query(subscription: Subscription, since: dt.datetime) -> dict[str, object]:
    return {
        **subscription.filters,
        ">date_created": since,
        "sort_by": "date_created",
        "items_per_page": BATCH,
    }


def _not_matched_yet(subscription: Subscription, found: Sequence[Operation]) -> list[Operation]:
    """Leave out what the subscription matched, or what came before it (the overlap)."""
    # The API's dates are whole seconds: one of the subscription's own second is new.
    start = subscription.created_at.replace(microsecond=0)
    return [
        operation
        for operation in found
        if operation.id not in subscription.recent_ids
        and (operation.date_created is None or operation.date_created >= start)
    ]


def _settled(found: Sequence[Operation]) -> list[Operation]:
    """The operations whose creation second is complete in this answer.

    A full page may stop in the middle of a second; the operations of that
    last second are left for the next query, which starts from the newest
    one kept. (A page whose operations all share one second is taken whole.)
    """
    if len(found) < BATCH:
        return list(found)
    last = found[-1].date_created
    earlier = [operation for operation in found if operation.date_created != last]
    return earlier or list(found)


async def _watch_new(
    deps: CycleDeps,
    team_id: str,
    subscription: Subscription,
    operations: Sequence[Operation],
    now: float,
) -> None:
    at = moment(now)
    follower = Follower(team_id, subscription.channel, subscription.created_by)
    for operation in operations:
        added = await start_watch(deps.watches, operation, follower, now=at, days=deps.watch_days)
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
    matched = {
        operation.id: operation.date_created
        for operation in operations
        if operation.date_created is not None
    }
    await deps.subscriptions.advance(team_id, subscription.number, matched)


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
