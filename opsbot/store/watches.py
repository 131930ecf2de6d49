"""Watched operations, their Slack cards, the outbox of posts, and subscriptions.

A *watch* is one operation of one team being followed; it has one *card* per
channel (a message whose ``ts`` is the thread every reply goes under) and,
per card, the *watchers* to mention at the final step. Per watch, Redis holds
(key names in :mod:`opsbot.store.keyspace`):

- ``watch:<op>``: a small hash: ``type``, ``label``, ``step`` (last seen),
  ``step_at``, ``created_at``, ``expires_at``, ``eta``, and ``final`` once
  the final step is recorded;
- ``cards:<op>``: a hash, channel id → JSON ``{"ts", "watchers"}`` (``ts``
  is "" until the card is posted). The first watcher is the one who started
  the card: watchers are only ever appended, so it needs no field of its
  own, and a one-watcher card stays under the 64 bytes that keep the hash in
  Redis's compact encoding;
- a member in ``watches`` (scored by next poll due) while it is polled, and
  in ``expiries`` (scored by expiry) until it is finished.

Each step change is recorded by :meth:`WatchStore.record_step`, a
compare-and-set that appends, in the same Lua script, one post per card to the
team's ``outbox`` stream: of two workers that saw the same change, one
records it, and a crash after recording cannot lose its posts. The poster
delivers them and deletes each after Slack answered ok.

Times: values that a script or a sorted set compares are epoch seconds
(scores, ``expires_at``, a channel's next post time); every other time is an
ISO 8601 string in UTC (``step_at``, ``created_at``, a post's ``at``, a
subscription's dates). Every time read back is an aware UTC datetime, and
every datetime passed in must be aware.

A stored value that does not parse (a corrupt card, post or subscription) is
skipped with a log line; it never stops the other watches.
"""

from __future__ import annotations

import builtins
import datetime as dt
import enum
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from redis.asyncio import Redis

from opsbot.clock import moment
from opsbot.store import keyspace
from opsbot.store.codec import decoded, decoded_map
from opsbot.store.compare_and_set import CompareAndSet
from opsbot.store.schedule import Schedule

STEP: Final = "step"
FINAL: Final = "final"
NOTE: Final = "note"
POST_KINDS: Final = frozenset({STEP, FINAL, NOTE})

# A channel's next post time matters for seconds (spacing) to minutes
# (Retry-After); it expires after a day so that a channel gone for good
# leaves nothing behind.
_CHANNEL_ENTRY_TTL_S: Final = 86_400

# A subscription's last_seen moves by compare-and-set: a rare concurrent
# writer is retried a few times rather than locked out.
_CAS_ATTEMPTS: Final = 10

# The API compares ``>date_created`` to the second, and an operation may become
# visible a moment after another one of the same second was seen: a
# subscription asks again from this long before its last_seen, and skips the
# operations it has matched already (its ``recent_ids``).
SUBSCRIPTION_OVERLAP: Final = dt.timedelta(seconds=2)
# recent_ids only holds what the overlap can bring back, a handful; this bounds
# it should a burst of operations share those seconds.
_RECENT_IDS_MAX: Final = 1000
_RECENT_IDS: Final = "recent_ids"  # id → date_created (ISO) in the subscription's JSON

_logger = logging.getLogger(__name__)

# KEYS: watch, cards, watches, expiries, outbox.
# ARGV: op, channel, user, type, label, step, eta ('' = none), created_at
# (iso), expires_at (epoch), due (epoch), the JSON of a new card.
# Returns 'created', 'new_channel' or 'joined'. On an existing watch the
# stored step stays (changing it here would skip the other cards' post) and
# the expiry only grows. A corrupt card is replaced by a new one. A new card
# on a watch whose final step is already recorded gets that final post at
# once, as its siblings did.
_ADD: Final = """
local op, channel, user = ARGV[1], ARGV[2], ARGV[3]
local expires_at, due, new_card = ARGV[9], ARGV[10], ARGV[11]

-- What Python reads as a card: a string ts and a non-empty list of strings.
local function is_card(card)
    if type(card) ~= 'table' or type(card.ts) ~= 'string' or type(card.watchers) ~= 'table' then
        return false
    end
    local count = 0
    for index, watcher in pairs(card.watchers) do
        if type(index) ~= 'number' or type(watcher) ~= 'string' then
            return false
        end
        count = count + 1
    end
    return count > 0 and count == #card.watchers
end

-- The card with `user` among its watchers, or nil when it does not parse.
local function joined(raw)
    local ok, card = pcall(cjson.decode, raw)
    if not ok or not is_card(card) then
        return nil
    end
    for _, watcher in ipairs(card.watchers) do
        if watcher == user then
            return raw
        end
    end
    table.insert(card.watchers, user)
    local encoded, document = pcall(cjson.encode, card)
    if encoded then
        return document
    end
    return nil
end

if redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('HSET', KEYS[1], 'type', ARGV[4], 'label', ARGV[5], 'step', ARGV[6],
        'created_at', ARGV[8], 'expires_at', expires_at)
    if ARGV[7] ~= '' then
        redis.call('HSET', KEYS[1], 'eta', ARGV[7])
    end
    redis.call('DEL', KEYS[2])
    redis.call('HSET', KEYS[2], channel, new_card)
    redis.call('ZADD', KEYS[3], due, op)
    redis.call('ZADD', KEYS[4], expires_at, op)
    return 'created'
end

local stored_expiry = tonumber(redis.call('HGET', KEYS[1], 'expires_at'))
if not stored_expiry or tonumber(expires_at) > stored_expiry then
    redis.call('HSET', KEYS[1], 'expires_at', expires_at)
end
redis.call('ZADD', KEYS[4], 'GT', expires_at, op)

local raw = redis.call('HGET', KEYS[2], channel)
local card = raw and joined(raw)
if card then
    redis.call('HSET', KEYS[2], channel, card)
    return 'joined'
end
redis.call('HSET', KEYS[2], channel, new_card)
if redis.call('HEXISTS', KEYS[1], 'final') == 1 then
    local step = redis.call('HGET', KEYS[1], 'step')
    redis.call('XADD', KEYS[5], '*', 'op', op, 'channel', channel, 'kind', 'final',
        'old', step, 'new', step, 'at', redis.call('HGET', KEYS[1], 'step_at') or ARGV[8],
        'text', '')
else
    redis.call('ZADD', KEYS[3], 'LT', due, op)
end
return 'new_channel'
"""

# KEYS: cards. ARGV: channel, ts. 1 when set, 0 without such a card, -1 when
# the card does not parse (left as it is).
_SET_CARD_TS: Final = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then
    return 0
end
local ok, card = pcall(cjson.decode, raw)
if not ok or type(card) ~= 'table' then
    return -1
end
card.ts = ARGV[2]
local encoded, document = pcall(cjson.encode, card)
if not encoded then
    return -1
end
redis.call('HSET', KEYS[1], ARGV[1], document)
return 1
"""

# KEYS: watch, cards, watches, outbox.
# ARGV: op, old, new, at (iso), final ('1' or ''), eta ('' = none), next due.
# The compare-and-set: unless the stored step is `old` (and no final step is
# recorded yet) nothing changes and -1 is returned. Otherwise the step is
# recorded, one post per card is appended to the outbox, the watch is due
# at `next due` (or no longer polled after a final step), and the number of
# posts is returned.
_RECORD_STEP: Final = """
local op, old, new, at = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('HGET', KEYS[1], 'step') ~= old or redis.call('HEXISTS', KEYS[1], 'final') == 1 then
    return -1
end
redis.call('HSET', KEYS[1], 'step', new, 'step_at', at)
if ARGV[6] == '' then
    redis.call('HDEL', KEYS[1], 'eta')
else
    redis.call('HSET', KEYS[1], 'eta', ARGV[6])
end
local kind = 'step'
if ARGV[5] == '1' then
    kind = 'final'
    redis.call('HSET', KEYS[1], 'final', '1')
    redis.call('ZREM', KEYS[3], op)
else
    redis.call('ZADD', KEYS[3], ARGV[7], op)
end
local channels = redis.call('HKEYS', KEYS[2])
table.sort(channels)
for _, channel in ipairs(channels) do
    redis.call('XADD', KEYS[4], '*', 'op', op, 'channel', channel, 'kind', kind,
        'old', old, 'new', new, 'at', at, 'text', '')
end
return #channels
"""

# KEYS: watch, cards, outbox. ARGV: op, text, at (iso). One note per card of
# a stored watch; returns how many.
_ADD_NOTE: Final = """
local step = redis.call('HGET', KEYS[1], 'step')
if not step then
    return 0
end
local channels = redis.call('HKEYS', KEYS[2])
table.sort(channels)
for _, channel in ipairs(channels) do
    redis.call('XADD', KEYS[3], '*', 'op', ARGV[1], 'channel', channel, 'kind', 'note',
        'old', step, 'new', step, 'at', ARGV[3], 'text', ARGV[2])
end
return #channels
"""

# KEYS: watch, cards, watches, expiries. ARGV: op, channel. 1 when the card
# was there; its watch goes with its last card.
_REMOVE_CARD: Final = """
if redis.call('HDEL', KEYS[2], ARGV[2]) == 0 then
    return 0
end
if redis.call('HLEN', KEYS[2]) == 0 then
    redis.call('DEL', KEYS[1])
    redis.call('ZREM', KEYS[3], ARGV[1])
    redis.call('ZREM', KEYS[4], ARGV[1])
end
return 1
"""

# KEYS: watch, cards, watches, expiries. ARGV: op.
_FINISH: Final = """
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return 1
"""

# KEYS: subscriptions, counter. ARGV: JSON. Returns the new number.
_ADD_SUBSCRIPTION: Final = """
local number = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], number, ARGV[1])
return number
"""


@dataclass(frozen=True)
class Card:
    channel: str
    ts: str
    watchers: tuple[str, ...]
    started_by: str


@dataclass(frozen=True)
class Watch:
    team_id: str
    op_id: int
    type: str
    label: str
    step: str
    step_at: dt.datetime | None
    created_at: dt.datetime
    expires_at: dt.datetime
    eta: int | None
    cards: tuple[Card, ...]
    # True once the final step is recorded: no longer polled, its final posts
    # are on their way, and finish() follows.
    final: bool = False

    def card(self, channel: str) -> Card | None:
        return next((card for card in self.cards if card.channel == channel), None)


@dataclass(frozen=True)
class Post:
    entry_id: str
    op_id: int
    channel: str
    kind: str
    old: str
    new: str
    at: dt.datetime
    text: str


@dataclass(frozen=True)
class Subscription:
    number: int
    channel: str
    filters: dict[str, Any]
    created_by: str
    created_at: dt.datetime
    last_seen: dt.datetime
    # Operations already matched that the next query may return again (the
    # overlap before last_seen): never matched twice.
    recent_ids: frozenset[int] = frozenset()


class AddResult(enum.Enum):
    CREATED = "created"  # a new watch: post its card
    NEW_CHANNEL = "new_channel"  # watched elsewhere already: post a card here
    JOINED = "joined"  # a card is here already: the user is added to its mentions


class WatchStore:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._schedule = Schedule(redis)
        self._add = redis.register_script(_ADD)
        self._set_card_ts = redis.register_script(_SET_CARD_TS)
        self._record_step = redis.register_script(_RECORD_STEP)
        self._add_note = redis.register_script(_ADD_NOTE)
        self._remove_card = redis.register_script(_REMOVE_CARD)
        self._finish = redis.register_script(_FINISH)

    async def add(
        self,
        team_id: str,
        op_id: int,
        *,
        channel: str,
        user_id: str,
        type: str,
        label: str,
        step: str,
        eta: int | None,
        now: dt.datetime,
        expires_at: dt.datetime,
        card_ts: str = "",
    ) -> AddResult:
        """Watch ``op_id`` in ``channel`` for ``user_id`` (one atomic script).

        The operation is due for a poll at ``now``, and so is the team: the
        schedule is woken before and after the watch is written, so that a
        cycle of the team running meanwhile cannot leave it unscheduled.
        """
        keyspace.check_slack_id(channel, "channel id")
        due = _aware(now).timestamp()
        card = json.dumps({"ts": card_ts, "watchers": [user_id]}, separators=(",", ":"))
        await self._schedule.wake(team_id, due)
        result = await self._add(
            keys=[
                *self._watch_keys(team_id, op_id),
                keyspace.watches(team_id),
                keyspace.watch_expiries(team_id),
                keyspace.outbox(team_id),
            ],
            args=[
                op_id,
                channel,
                user_id,
                type,
                label,
                step,
                _optional(eta),
                _iso(now),
                _aware(expires_at).timestamp(),
                due,
                card,
            ],
        )
        await self._schedule.wake(team_id, due)
        return AddResult(decoded(result))

    async def set_card_ts(self, team_id: str, op_id: int, channel: str, ts: str) -> None:
        """Record the ``ts`` of the card posted in ``channel`` (its thread)."""
        outcome = await self._set_card_ts(keys=[keyspace.cards(team_id, op_id)], args=[channel, ts])
        if outcome == -1:
            _logger.warning(
                "card of operation %s in %s does not parse; its ts is not recorded", op_id, channel
            )

    async def get(self, team_id: str, op_id: int) -> Watch | None:
        return (await self.get_many(team_id, [op_id])).get(op_id)

    async def get_many(self, team_id: str, op_ids: Iterable[int]) -> dict[int, Watch]:
        """The stored watches among ``op_ids`` (one round trip), by operation id."""
        wanted = list(dict.fromkeys(op_ids))
        async with self._redis.pipeline(transaction=False) as pipe:
            for op_id in wanted:
                watch_key, cards_key = self._watch_keys(team_id, op_id)
                pipe.hgetall(watch_key)
                pipe.hgetall(cards_key)
            replies = await pipe.execute()
        found = {}
        for op_id, fields, cards in zip(wanted, replies[::2], replies[1::2], strict=True):
            watch = _watch(team_id, op_id, decoded_map(fields), decoded_map(cards))
            if watch is not None:
                found[op_id] = watch
        return found

    async def remove_card(self, team_id: str, op_id: int, channel: str) -> bool:
        """Stop watching in ``channel``; the watch ends with its last card.

        Posts already in the outbox for that card stay there: the poster
        drops (``done_post``) a post whose card is gone.
        """
        removed = await self._remove_card(
            keys=self._all_watch_keys(team_id, op_id), args=[op_id, channel]
        )
        return bool(removed)

    async def drop_channel(self, team_id: str, channel: str) -> int:
        """The channel is gone: remove every card in it; return how many."""
        op_ids = await self._ops_with_card_in(team_id, channel)
        async with self._redis.pipeline(transaction=False) as pipe:
            for op_id in op_ids:
                await self._remove_card(
                    keys=self._all_watch_keys(team_id, op_id), args=[op_id, channel], client=pipe
                )
            removed = await pipe.execute()
        return sum(1 for outcome in removed if outcome)

    async def in_channel(self, team_id: str, channel: str) -> list[Watch]:
        """The watches with a card in ``channel``, by operation id."""
        op_ids = await self._ops_with_card_in(team_id, channel)
        watches = await self.get_many(team_id, op_ids)
        return [
            watches[op_id]
            for op_id in op_ids
            if op_id in watches and watches[op_id].card(channel) is not None
        ]

    async def due(self, team_id: str, now: float, limit: int = 1000) -> list[int]:
        """Operation ids due for a poll at ``now``, earliest first."""
        members = await self._redis.zrangebyscore(
            keyspace.watches(team_id), "-inf", now, start=0, num=limit
        )
        return _op_ids(members, keyspace.watches(team_id))

    async def reschedule_many(self, team_id: str, dues: Mapping[int, float]) -> None:
        """Poll each operation next at its due time, those still polled: one ZADD."""
        if dues:
            mapping = {str(op_id): due for op_id, due in dues.items()}
            await self._redis.zadd(keyspace.watches(team_id), mapping, xx=True)

    async def record_step(
        self,
        team_id: str,
        op_id: int,
        *,
        old: str,
        new: str,
        at: dt.datetime,
        final: bool,
        eta: int | None,
        next_due: float,
    ) -> bool:
        """Record the change ``old`` → ``new`` with its posts; False if not the one to.

        False means the stored step is not ``old`` (another worker, or an
        earlier run of this one, recorded a change already) and nothing
        changed. A final step stops the polling; ``next_due`` is then unused.
        """
        if old == new:
            raise ValueError("a step change needs two different steps")
        posted = await self._record_step(
            keys=[
                *self._watch_keys(team_id, op_id),
                keyspace.watches(team_id),
                keyspace.outbox(team_id),
            ],
            args=[op_id, old, new, _iso(at), "1" if final else "", _optional(eta), next_due],
        )
        return int(posted) >= 0

    async def add_note(self, team_id: str, op_id: int, text: str, at: dt.datetime) -> None:
        """Queue one note per card of the watch (nothing if it is gone)."""
        await self._add_note(
            keys=[*self._watch_keys(team_id, op_id), keyspace.outbox(team_id)],
            args=[op_id, text, _iso(at)],
        )

    async def pending_posts(self, team_id: str, count: int = 100) -> list[Post]:
        """Posts not yet delivered, oldest first.

        A post that does not parse can never be delivered: it is logged and
        deleted (all such in one XDEL), so that it does not hold a place in
        every later batch.
        """
        entries = await self._redis.xrange(keyspace.outbox(team_id), count=count)
        posts, unreadable = [], []
        for entry_id, fields in entries or []:
            if entry_id is None:
                continue
            post = _post(decoded(entry_id), decoded_map(fields))
            if post is None:
                unreadable.append(decoded(entry_id))
            else:
                posts.append(post)
        if unreadable:
            await self._redis.xdel(keyspace.outbox(team_id), *unreadable)
        return posts

    async def done_post(self, team_id: str, entry_id: str) -> None:
        """The post was delivered (or can never be): take it off the outbox."""
        await self._redis.xdel(keyspace.outbox(team_id), entry_id)

    async def finish(self, team_id: str, op_id: int) -> None:
        """Delete the watch, its cards and its schedule entries."""
        await self._finish(keys=self._all_watch_keys(team_id, op_id), args=[op_id])

    async def expired(self, team_id: str, now: dt.datetime) -> list[int]:
        """Polled watches whose expiry is at or before ``now``."""
        members = await self._redis.zrangebyscore(
            keyspace.watch_expiries(team_id), "-inf", _aware(now).timestamp()
        )
        op_ids = _op_ids(members, keyspace.watch_expiries(team_id))
        if not op_ids:
            return []
        # One whose final step is recorded is no longer polled: it ends with
        # its final posts, not with an expiry note.
        scores = await self._redis.zmscore(
            keyspace.watches(team_id), [str(op_id) for op_id in op_ids]
        )
        return [op_id for op_id, score in zip(op_ids, scores, strict=True) if score is not None]

    async def pause(self, team_id: str, reason: str) -> bool:
        """Pause the team's watches; True if they were running."""
        return bool(await self._redis.set(keyspace.paused(team_id), reason, nx=True))

    async def resume(self, team_id: str) -> bool:
        """Resume the team's watches; True if they were paused."""
        return bool(await self._redis.delete(keyspace.paused(team_id)))

    async def paused(self, team_id: str) -> str | None:
        """Why the team's watches are paused, or None while they run."""
        reason = await self._redis.get(keyspace.paused(team_id))
        return None if reason is None else decoded(reason)

    async def channel_ready_at(self, team_id: str, channel: str) -> float:
        """Epoch seconds before which nothing is posted to ``channel`` (0.0: now)."""
        value = await self._redis.get(keyspace.channel_next_post(team_id, channel))
        if value is None:
            return 0.0
        try:
            return float(decoded(value))
        except ValueError:
            _logger.warning("ignoring a malformed next post time for channel %s", channel)
            return 0.0

    async def set_channel_ready_at(self, team_id: str, channel: str, at: float) -> None:
        """Post nothing to ``channel`` before ``at`` (epoch seconds)."""
        await self._redis.set(
            keyspace.channel_next_post(team_id, channel), at, ex=_CHANNEL_ENTRY_TTL_S
        )

    async def _ops_with_card_in(self, team_id: str, channel: str) -> list[int]:
        keyspace.check_slack_id(channel, "channel id")
        members = await self._redis.zrange(keyspace.watch_expiries(team_id), 0, -1)
        op_ids = sorted(_op_ids(members, keyspace.watch_expiries(team_id)))
        async with self._redis.pipeline(transaction=False) as pipe:
            for op_id in op_ids:
                pipe.hexists(keyspace.cards(team_id, op_id), channel)
            has_card = await pipe.execute()
        return [op_id for op_id, present in zip(op_ids, has_card, strict=True) if present]

    @staticmethod
    def _watch_keys(team_id: str, op_id: int) -> list[str]:
        return [keyspace.watch(team_id, op_id), keyspace.cards(team_id, op_id)]

    @staticmethod
    def _all_watch_keys(team_id: str, op_id: int) -> list[str]:
        return [
            keyspace.watch(team_id, op_id),
            keyspace.cards(team_id, op_id),
            keyspace.watches(team_id),
            keyspace.watch_expiries(team_id),
        ]


class SubscriptionStore:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._add = redis.register_script(_ADD_SUBSCRIPTION)
        self._compare_and_set = CompareAndSet(redis)

    async def add(
        self,
        team_id: str,
        *,
        channel: str,
        filters: Mapping[str, Any],
        created_by: str,
        now: dt.datetime,
    ) -> Subscription:
        """Follow new operations matching ``filters`` from ``now`` on; numbered from 1."""
        keyspace.check_slack_id(channel, "channel id")
        document = {
            "channel": channel,
            "filters": dict(filters),
            "created_by": created_by,
            "created_at": _iso(now),
            "last_seen": _iso(now),
        }
        stored = json.dumps(document)
        number = await self._add(
            keys=[keyspace.subscriptions(team_id), keyspace.subscriptions_counter(team_id)],
            args=[stored],
        )
        subscription = _subscription(int(number), stored)
        assert subscription is not None  # we just wrote it
        return subscription

    async def list(self, team_id: str, channel: str | None = None) -> builtins.list[Subscription]:
        """The team's subscriptions (or one channel's), by number."""
        stored = decoded_map(await self._redis.hgetall(keyspace.subscriptions(team_id)))
        found = []
        for number, document in stored.items():
            subscription = _subscription(_int_or_none(number), document)
            if subscription is not None and channel in (None, subscription.channel):
                found.append(subscription)
        return sorted(found, key=lambda subscription: subscription.number)

    async def remove(self, team_id: str, number: int) -> bool:
        return bool(await self._redis.hdel(keyspace.subscriptions(team_id), str(number)))

    async def advance(self, team_id: str, number: int, matched: Mapping[int, dt.datetime]) -> None:
        """Record the operations ``matched`` (id → date_created).

        ``last_seen`` moves forward to the newest of them (never back), and
        they join ``recent_ids`` until they fall out of the overlap before it.
        """
        if not matched:
            return
        key = keyspace.subscriptions(team_id)
        for _ in range(_CAS_ATTEMPTS):
            current = await self._redis.hget(key, str(number))
            if current is None:
                return  # removed meanwhile: not brought back
            document = _json_object(decoded(current))
            stored = _subscription(number, decoded(current))
            if document is None or stored is None:
                return
            last_seen = max(stored.last_seen, *(_aware(date) for date in matched.values()))
            document["last_seen"] = _iso(last_seen)
            document[_RECENT_IDS] = _recent_after(
                {**_recent_ids(document), **matched}, last_seen - SUBSCRIPTION_OVERLAP
            )
            if await self._compare_and_set.hash_fields(
                key,
                field=str(number),
                expected=decoded(current),
                new={str(number): json.dumps(document)},
            ):
                return
        _logger.warning("subscription %s kept changing; last_seen not advanced", number)


def _recent_ids(document: Mapping[str, Any]) -> dict[int, dt.datetime]:
    """A subscription's ``recent_ids`` (id → date_created); a stored one without has none."""
    stored = document.get(_RECENT_IDS)
    recent: dict[int, dt.datetime] = {}
    for op_id, date in (stored if isinstance(stored, dict) else {}).items():
        try:
            recent[int(op_id)] = _parse_iso(date)
        except (TypeError, ValueError):
            continue  # one bad entry costs at most a second card
    return recent


def _recent_after(recent: Mapping[int, dt.datetime], start: dt.datetime) -> dict[str, str]:
    """The entries a query from ``start`` can bring back (to the second), newest kept."""
    start = _aware(start).replace(microsecond=0)
    kept = sorted(
        ((_aware(date), op_id) for op_id, date in recent.items() if _aware(date) >= start),
        reverse=True,
    )[:_RECENT_IDS_MAX]
    return {str(op_id): _iso(date) for date, op_id in kept}


# Parsing what Redis holds. Each returns None (with a log line) for garbage.


def _watch(
    team_id: str, op_id: int, fields: Mapping[str, str], cards: Mapping[str, str]
) -> Watch | None:
    if not fields:
        return None
    try:
        return Watch(
            team_id=team_id,
            op_id=op_id,
            type=fields.get("type", ""),
            label=fields.get("label", ""),
            step=fields["step"],
            step_at=_parse_iso(fields["step_at"]) if fields.get("step_at") else None,
            created_at=_parse_iso(fields["created_at"]),
            expires_at=moment(float(fields["expires_at"])),
            eta=int(fields["eta"]) if fields.get("eta") else None,
            cards=tuple(_cards(op_id, cards)),
            final="final" in fields,
        )
    except (KeyError, ValueError, OverflowError) as error:
        _logger.warning("skipping watch of operation %s: unreadable (%s)", op_id, error)
        return None


def _cards(op_id: int, cards: Mapping[str, str]) -> Iterable[Card]:
    for channel in sorted(cards):
        card = _card(channel, cards[channel])
        if card is None:
            _logger.warning("skipping a corrupt card of operation %s in %s", op_id, channel)
        else:
            yield card


def _card(channel: str, document: str) -> Card | None:
    parsed = _json_object(document)
    if parsed is None:
        return None
    ts, watchers = parsed.get("ts"), parsed.get("watchers")
    if not (isinstance(ts, str) and isinstance(watchers, list) and watchers):
        return None
    if not all(isinstance(watcher, str) for watcher in watchers):
        return None
    return Card(channel=channel, ts=ts, watchers=tuple(watchers), started_by=watchers[0])


def _post(entry_id: str, fields: Mapping[str, str]) -> Post | None:
    try:
        post = Post(
            entry_id=entry_id,
            op_id=int(fields["op"]),
            channel=fields["channel"],
            kind=fields["kind"],
            old=fields["old"],
            new=fields["new"],
            at=_parse_iso(fields["at"]),
            text=fields.get("text", ""),
        )
    except (KeyError, ValueError) as error:
        _logger.warning("dropping unreadable outbox entry %s (%s)", entry_id, error)
        return None
    if post.kind not in POST_KINDS:
        _logger.warning("dropping outbox entry %s of unknown kind %r", entry_id, post.kind)
        return None
    return post


def _subscription(number: int | None, document: str) -> Subscription | None:
    parsed = _json_object(document)
    try:
        if number is None or parsed is None:
            raise ValueError("not a number and a JSON object")
        channel, filters, created_by = parsed["channel"], parsed["filters"], parsed["created_by"]
        if not (
            isinstance(channel, str) and isinstance(filters, dict) and isinstance(created_by, str)
        ):
            raise ValueError("channel, filters or created_by of the wrong type")
        return Subscription(
            number=number,
            channel=channel,
            filters=filters,
            created_by=created_by,
            created_at=_parse_iso(parsed["created_at"]),
            last_seen=_parse_iso(parsed["last_seen"]),
            recent_ids=frozenset(_recent_ids(parsed)),
        )
    except (KeyError, TypeError, ValueError) as error:
        _logger.warning("skipping unreadable subscription %s (%s)", number, error)
        return None


def _json_object(document: str) -> dict[str, Any] | None:
    try:
        parsed = json.loads(document)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _op_ids(members: Iterable[Any], where: str) -> list[int]:
    """Operation ids from a sorted set reply, skipping (and logging) what is not one."""
    op_ids = []
    for member in members:
        op_id = _int_or_none(decoded(member))
        if op_id is None:
            _logger.warning("ignoring a malformed member %r of %s", member, where)
        else:
            op_ids.append(op_id)
    return op_ids


def _int_or_none(text: str) -> int | None:
    try:
        value = int(text)
    except ValueError:
        return None
    return value if value >= 0 else None


def _optional(value: int | None) -> str:
    return "" if value is None else str(int(value))


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetimes given to the watch store must be timezone-aware")
    return moment.astimezone(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return _aware(moment).isoformat()


def _parse_iso(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)
