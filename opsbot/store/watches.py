"""Watched operations and their Slack cards.

A *watch* is one operation of one team being followed; it has one *card* per
channel (a message whose ``ts`` is the thread every reply goes under) and,
per card, the *watchers* to mention at the final step. Per watch, Redis holds
(key names in :mod:`opsbot.store.keyspace`):

- ``watch:<op>``: a small hash: ``type``, ``label``, ``step`` (last seen),
  ``step_at``, ``eta``, ``final`` once the final step is recorded, and
  ``unreadable`` (when) while the API's answers describe the operation in a
  way that cannot be read;
- ``cards:<op>``: a hash, channel id → JSON ``{"t": ts, "w": [watchers]}``
  (``ts`` is "" until the card is posted). The first watcher is the one who
  started the card: watchers are only ever appended, so it needs no field of
  its own. A card that is the message announcing an action done through
  opsbot (the report of a relaunch or a cancel, or its approval request)
  also has its kind, under the action's letter: ``"r"`` (relaunch) or
  ``"c"`` (cancel) → ``{"u": who did it, "f": [the fields changed], "a": who
  approved}`` (``f`` and ``a`` only when set; ``f`` only for a relaunch).
  Every redraw keeps saying so; a card with neither letter is a plain watch
  card;
- a member in ``watches`` (scored by next poll due) while it is polled, and
  in ``expiries`` (scored by expiry, the watch's only record of it) until it
  is finished.

Records are kept small (a hundred thousand watches are a few hundred bytes
each, see bench/scale.py): the expiry is not repeated in the hash, no
``created_at`` is kept (nothing read it), and a card's keys are one letter.
Records written before (a ``created_at`` and an ``expires_at`` field, cards
with ``"ts"`` and ``"watchers"``) are read as they are, by Python and by the
scripts alike.

A team watches at most ``max_watches`` operations (``OPSBOT_MAX_WATCHES``):
:meth:`WatchStore.add` checks it in the same script that adds the watch, so
concurrent adds cannot pass it, and raises :class:`WatchLimitReached`.

Each step change is recorded by :meth:`WatchStore.record_step`, a
compare-and-set that appends, in the same Lua script, one post per card to the
team's outbox (:mod:`opsbot.store.outbox`): of two workers that saw the same
change, one records it, and a crash after recording cannot lose its posts.

Times follow :mod:`opsbot.store.codec`: ``expires_at`` and the scores are
epoch seconds, ``step_at`` an ISO string. A watch or card
that does not parse is skipped with a log line; it never stops the others.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from opsbot.clock import moment
from opsbot.config import DEFAULT_MAX_WATCHES
from opsbot.logs import log_text
from opsbot.store import keyspace, scripts
from opsbot.store.codec import (
    aware,
    decoded,
    decoded_map,
    int_or_none,
    iso,
    json_object,
    op_ids,
    optional_int,
    parse_iso,
)
from opsbot.store.connection import RedisClient, RedisPipeline
from opsbot.store.guardrails import CANCEL, RELAUNCH
from opsbot.store.queued_here import QUEUED_HERE
from opsbot.store.schedule import Schedule

_logger = logging.getLogger(__name__)

# What the add script answers when the team is at its limit.
_LIMIT = "limit"


# Which final steps a card broadcasts to the channel: every one, failures
# (ERROR, SUPPORT, CANCEL) or none. "" on a card: the default, "always".
ALWAYS: Final = "always"
FAILURES: Final = "failures"
NEVER: Final = "never"
BROADCASTS: Final = (ALWAYS, FAILURES, NEVER)


@dataclass(frozen=True)
class Announced:
    """A card that is the message announcing an action: which, who did it, who approved.

    ``action``: RELAUNCH or CANCEL. ``changed``: the fields a relaunch
    changed, by name only (a value can be a secret, and the announcement
    never shows one); () for a cancel.
    """

    action: str
    by: str
    changed: tuple[str, ...] = ()
    # Who approved it, when the team asks for a second pair of eyes ("" if none).
    approved_by: str = ""


# The letter a card's kind is stored under, one per action: a relaunch's
# card written before cancels had one reads as it was written.
_KIND_KEYS: Final = {RELAUNCH: "r", CANCEL: "c"}


@dataclass(frozen=True)
class Card:
    channel: str
    ts: str
    watchers: tuple[str, ...]
    started_by: str
    # Optional, stored only when set (records stay small): the broadcast
    # preference, and for an outcome subscription's card the final steps
    # worth one message (nothing else is posted for it).
    broadcast: str = ""
    only: tuple[str, ...] = ()
    # The card's kind: the announcement of a relaunch or a cancel (None: a plain watch card).
    announced: Announced | None = None


@dataclass(frozen=True)
class PolledState:
    """What a poll needs of a stored watch."""

    step: str
    final: bool
    unreadable: bool


@dataclass(frozen=True)
class PollView:
    """A team's polled watches, those due for a full read, and those expired.

    ``quiet_until``: no watch of the team expires before then (as far as the
    view looked ahead; None when it did not look at expiries).
    """

    watched: frozenset[int]
    due: frozenset[int]
    expired: list[int]
    quiet_until: float | None = None


@dataclass(frozen=True)
class Watch:
    team_id: str
    op_id: int
    type: str
    label: str
    step: str
    step_at: dt.datetime | None
    # When it was first watched, in records written before they were compacted (None since).
    created_at: dt.datetime | None
    expires_at: dt.datetime
    eta: int | None
    cards: tuple[Card, ...]
    # True once the final step is recorded: no longer polled, its final posts
    # are on their way, and finish() follows.
    final: bool = False
    # True while the API's answers about it cannot be read (its thread was told).
    unreadable: bool = False

    def card(self, channel: str) -> Card | None:
        return next((card for card in self.cards if card.channel == channel), None)


@dataclass(frozen=True)
class NewWatch:
    """Someone asks to follow an operation in a channel: the operation as seen now."""

    op_id: int
    type: str
    label: str
    step: str
    eta: int | None
    channel: str
    user_id: str
    # The card's ts when it is posted already (a cancel or relaunch report); "" otherwise.
    card_ts: str = ""
    # The card's preferences (see Card): "" and () for the defaults.
    broadcast: str = ""
    only: tuple[str, ...] = ()
    # The card is the message announcing this action (``card_ts`` is its ts).
    announced: Announced | None = None


@dataclass(frozen=True)
class StepChange:
    """An operation seen at ``new`` where its watch last saw ``old``."""

    op_id: int
    old: str
    new: str
    at: dt.datetime
    final: bool
    eta: int | None

    def __post_init__(self) -> None:
        if self.old == self.new:
            raise ValueError("a step change needs two different steps")


@dataclass(frozen=True)
class Recorded:
    """A step change recorded, with its watch as it is now (None if its record is unreadable)."""

    watch: Watch | None


class AddResult(enum.Enum):
    CREATED = "created"  # a new watch: post its card
    NEW_CHANNEL = "new_channel"  # watched elsewhere already: post a card here
    JOINED = "joined"  # a card is here already: the user is added to its mentions


class WatchLimitReached(Exception):
    """The team watches ``limit`` operations already (``count`` of them now)."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"the team watches {count} operations; its limit is {limit}")
        self.count = count
        self.limit = limit


class WatchStore:
    def __init__(self, redis: RedisClient, *, max_watches: int = DEFAULT_MAX_WATCHES) -> None:
        self._redis = redis
        self.max_watches = max_watches
        self._schedule = Schedule(redis)
        self._add = redis.register_script(scripts.ADD_WATCH)
        self._mark_unreadable = redis.register_script(scripts.MARK_UNREADABLE)
        self._set_card_field = redis.register_script(scripts.SET_CARD_FIELD)
        self._record_step = redis.register_script(scripts.RECORD_STEP)
        self._remove_card = redis.register_script(scripts.REMOVE_CARD)
        self._finish = redis.register_script(scripts.FINISH_WATCH)

    async def add(
        self, team_id: str, new: NewWatch, *, now: dt.datetime, expires_at: dt.datetime
    ) -> AddResult:
        """Watch ``new.op_id`` in ``new.channel`` for ``new.user_id`` (one atomic script).

        The operation is due for a poll at ``now``, and so is the team: the
        schedule is woken before and after the watch is written, so that a
        cycle of the team running meanwhile cannot leave it unscheduled.
        Raises :class:`WatchLimitReached` when the watch would be new and the
        team has ``max_watches`` already.
        """
        keyspace.check_slack_id(new.channel, "channel id")
        due = aware(now).timestamp()
        await self._schedule.wake(team_id, due)
        QUEUED_HERE.add(team_id)  # a watch of a final operation queues its final reply
        result = await self._add(
            keys=[
                *_watch_keys(team_id, new.op_id),
                keyspace.watches(team_id),
                keyspace.watch_expiries(team_id),
                keyspace.outbox(team_id),
            ],
            args=[
                new.op_id,
                new.channel,
                new.user_id,
                new.type,
                new.label,
                new.step,
                optional_int(new.eta),
                iso(now),
                aware(expires_at).timestamp(),
                due,
                encode_new_card(
                    new.card_ts, new.user_id, new.broadcast, new.only, announced=new.announced
                ),
                self.max_watches,
            ],
        )
        if decoded(result) == _LIMIT:
            count = await self._redis.zcard(keyspace.watch_expiries(team_id))
            raise WatchLimitReached(count, self.max_watches)
        await self._schedule.wake(team_id, due)
        return AddResult(decoded(result))

    async def count(self, team_id: str) -> int:
        """How many operations the team watches (every watch until it is finished)."""
        return int(await self._redis.zcard(keyspace.watch_expiries(team_id)))

    async def mark_unreadable(self, team_id: str, op_id: int, note: str, at: dt.datetime) -> bool:
        """Flag the watch unreadable and queue ``note`` in its threads; True the first time.

        False when it is flagged already (its threads were told) or gone.
        """
        QUEUED_HERE.add(team_id)
        notes = await self._mark_unreadable(
            keys=[*_watch_keys(team_id, op_id), keyspace.outbox(team_id)],
            args=[op_id, note, iso(at)],
        )
        return int(notes) >= 0

    async def clear_unreadable(self, team_id: str, op_id: int) -> None:
        """The operation can be read again."""
        await self._redis.hdel(keyspace.watch(team_id, op_id), "unreadable")

    async def set_broadcast(self, team_id: str, op_id: int, channel: str, broadcast: str) -> bool:
        """Change the card's broadcast preference; False without such a card."""
        if broadcast not in BROADCASTS:
            raise ValueError(f"broadcast must be one of {', '.join(BROADCASTS)}")
        changed = await self._set_card_field(
            keys=[keyspace.cards(team_id, op_id)], args=[channel, "b", broadcast]
        )
        return int(changed) == 1

    async def set_card_ts(self, team_id: str, op_id: int, channel: str, ts: str) -> None:
        """Record the ``ts`` of the card posted in ``channel`` (its thread)."""
        outcome = await self._set_card_field(
            keys=[keyspace.cards(team_id, op_id)], args=[channel, "t", ts, "ts"]
        )
        if outcome == -1:
            _logger.warning(
                "card of operation %s in %s does not parse; its ts is not recorded", op_id, channel
            )

    async def get(self, team_id: str, op_id: int) -> Watch | None:
        return (await self.get_many(team_id, [op_id])).get(op_id)

    async def get_many(self, team_id: str, op_ids: Iterable[int]) -> dict[int, Watch]:
        """The stored watches among ``op_ids`` (one round trip, none for none), by operation id."""
        wanted = list(dict.fromkeys(op_ids))
        if not wanted:
            return {}
        expiries = keyspace.watch_expiries(team_id)
        async with self._redis.pipeline(transaction=False) as pipe:
            for op_id in wanted:
                watch_key, cards_key = _watch_keys(team_id, op_id)
                pipe.hgetall(watch_key)
                pipe.hgetall(cards_key)
                pipe.zscore(expiries, str(op_id))
            replies = await pipe.execute()
        found = {}
        for index, op_id in enumerate(wanted):
            fields, cards, expiry = replies[3 * index : 3 * index + 3]
            watch = decode_watch(
                team_id, op_id, decoded_map(fields), decoded_map(cards), expires_at=expiry
            )
            if watch is not None:
                found[op_id] = watch
        return found

    async def polled_states(self, team_id: str, op_ids: Iterable[int]) -> dict[int, PolledState]:
        """What a poll compares the API's answer with, for the stored watches among ``op_ids``.

        One ``HMGET`` of three fields per watch, all in one round trip: a
        full read of a hundred operations needs neither their cards nor
        their other fields, and decoding those cost more than the compare.
        """
        wanted = list(dict.fromkeys(op_ids))
        if not wanted:
            return {}
        async with self._redis.pipeline(transaction=False) as pipe:
            for op_id in wanted:
                pipe.hmget(keyspace.watch(team_id, op_id), ["step", "final", "unreadable"])
            replies = await pipe.execute()
        return {
            op_id: PolledState(decoded(step), final is not None, unreadable is not None)
            for op_id, (step, final, unreadable) in zip(wanted, replies, strict=True)
            if step is not None
        }

    async def poll_view(
        self, team_id: str, now: dt.datetime, *, expiries_ahead_s: float | None = 0.0
    ) -> PollView:
        """The team's polled watches with their due times, and those expired: one round trip.

        Two plain commands on the team's slot, pipelined (a cluster pipeline
        takes them, the keys sharing the team's hash tag). The expiries are
        read ``expiries_ahead_s`` ahead of ``now``, to learn until when none
        expires (``quiet_until``); with None they are not read at all (the
        caller knows none is due), and the view is one command.
        """
        async with self._redis.pipeline(transaction=False) as pipe:
            queue_poll_view(pipe, team_id, now, expiries_ahead_s)
            replies = await pipe.execute()
        return poll_view_from(replies, team_id, now, expiries_ahead_s)

    async def remove_card(self, team_id: str, op_id: int, channel: str) -> bool:
        """Stop watching in ``channel``; the watch ends with its last card.

        Posts already in the outbox for that card stay there: the poster
        drops a post whose card is gone.
        """
        removed = await self._remove_card(
            keys=_all_watch_keys(team_id, op_id), args=[op_id, channel]
        )
        return bool(removed)

    async def drop_channel(self, team_id: str, channel: str) -> int:
        """The channel is gone: remove every card in it; return how many.

        One script per card, each on the client itself: a cluster pipeline
        takes no script, and a channel is dropped once, so the round trips
        do not matter.
        """
        removed = 0
        for op_id in await self._ops_with_card_in(team_id, channel):
            removed += bool(
                await self._remove_card(keys=_all_watch_keys(team_id, op_id), args=[op_id, channel])
            )
        return removed

    async def in_channel(self, team_id: str, channel: str) -> list[Watch]:
        """The watches with a card in ``channel``, by operation id."""
        with_card = await self._ops_with_card_in(team_id, channel)
        watches = await self.get_many(team_id, with_card)
        return [
            watches[op_id]
            for op_id in with_card
            if op_id in watches and watches[op_id].card(channel) is not None
        ]

    async def followed_by(self, team_id: str, user_id: str) -> list[Watch]:
        """The watches ``user_id`` is a watcher of, on any card, by operation id.

        Reads every watch of the team (at most ``max_watches``, one round
        trip): a person's Home tab asks, never the polling.
        """
        members = await self._redis.zrange(keyspace.watch_expiries(team_id), 0, -1)
        watched = sorted(op_ids(members, keyspace.watch_expiries(team_id)))
        watches = await self.get_many(team_id, watched)
        return [
            watch
            for op_id, watch in sorted(watches.items())
            if any(user_id in card.watchers for card in watch.cards)
        ]

    async def due(self, team_id: str, now: float, limit: int = 1000) -> list[int]:
        """Operation ids due for a poll at ``now``, earliest first."""
        members = await self._redis.zrangebyscore(
            keyspace.watches(team_id), "-inf", now, start=0, num=limit
        )
        return op_ids(members, keyspace.watches(team_id))

    async def reschedule_many(self, team_id: str, dues: Mapping[int, float]) -> None:
        """Poll each operation next at its due time, those still polled: one ZADD."""
        if dues:
            mapping = {str(op_id): due for op_id, due in dues.items()}
            await self._redis.zadd(keyspace.watches(team_id), mapping, xx=True)

    async def record_step(
        self, team_id: str, change: StepChange, *, next_due: float
    ) -> Recorded | None:
        """Record ``change`` with its posts; None if not the one to.

        None means the stored step is not ``change.old`` (another worker, or
        an earlier run of this one, recorded a change already) and nothing
        changed. A final step stops the polling; ``next_due`` is then unused.
        Recorded, it gives the watch as it is now, read by the same script.
        """
        QUEUED_HERE.add(team_id)
        reply = await self._record_step(
            keys=[
                *_watch_keys(team_id, change.op_id),
                keyspace.watches(team_id),
                keyspace.outbox(team_id),
                keyspace.watch_expiries(team_id),
            ],
            args=[
                change.op_id,
                change.old,
                change.new,
                iso(change.at),
                "1" if change.final else "",
                optional_int(change.eta),
                next_due,
            ],
        )
        if not isinstance(reply, list):
            return None
        _, fields, cards, expiry = reply
        now = _pairs(fields)
        now.update(step=change.new, step_at=iso(change.at))
        now.pop("eta", None)
        if change.eta is not None:
            now["eta"] = str(change.eta)
        if change.final:
            now["final"] = "1"
        watch = decode_watch(team_id, change.op_id, now, _pairs(cards), expires_at=expiry)
        return Recorded(watch)

    async def finish(self, team_id: str, op_id: int) -> None:
        """Delete the watch, its cards and its schedule entries."""
        await self._finish(keys=_all_watch_keys(team_id, op_id), args=[op_id])

    async def expired(self, team_id: str, now: dt.datetime) -> list[int]:
        """Polled watches whose expiry is at or before ``now``."""
        expiries = keyspace.watch_expiries(team_id)
        members = await self._redis.zrangebyscore(expiries, "-inf", aware(now).timestamp())
        ended = op_ids(members, expiries)
        if not ended:
            return []
        # One whose final step is recorded is no longer polled: it ends with
        # its final posts, not with an expiry note.
        scores = await self._redis.zmscore(
            keyspace.watches(team_id), [str(op_id) for op_id in ended]
        )
        return [op_id for op_id, score in zip(ended, scores, strict=True) if score is not None]

    async def _ops_with_card_in(self, team_id: str, channel: str) -> list[int]:
        keyspace.check_slack_id(channel, "channel id")
        members = await self._redis.zrange(keyspace.watch_expiries(team_id), 0, -1)
        watched = sorted(op_ids(members, keyspace.watch_expiries(team_id)))
        async with self._redis.pipeline(transaction=False) as pipe:
            for op_id in watched:
                pipe.hexists(keyspace.cards(team_id, op_id), channel)
            has_card = await pipe.execute()
        return [op_id for op_id, present in zip(watched, has_card, strict=True) if present]


def queue_poll_view(
    pipe: RedisPipeline, team_id: str, now: dt.datetime, expiries_ahead_s: float | None
) -> None:
    """Queue :meth:`WatchStore.poll_view`'s commands on ``pipe``.

    The ids without their scores, and those due apart: a team of 50,000 is
    read at every pass, and a score costs the client a float conversion
    (two under RESP3's legacy replies) that only the few due need.
    """
    at = aware(now).timestamp()
    schedule = keyspace.watches(team_id)
    pipe.zrange(schedule, 0, -1)
    pipe.zrangebyscore(schedule, "-inf", at)
    if expiries_ahead_s is not None:
        pipe.zrangebyscore(
            keyspace.watch_expiries(team_id), "-inf", at + expiries_ahead_s, withscores=True
        )


def poll_view_from(
    replies: Sequence[Any], team_id: str, now: dt.datetime, expiries_ahead_s: float | None
) -> PollView:
    """The view out of the replies to :func:`queue_poll_view`'s commands (the first ones)."""
    at = aware(now).timestamp()
    watched = frozenset(_ids(replies[0], keyspace.watches(team_id)))
    due = frozenset(op_id for op_id in map(int_or_none, replies[1]) if op_id is not None)
    if expiries_ahead_s is None:
        return PollView(watched, due, [])
    ending = _scored_ids(replies[2], keyspace.watch_expiries(team_id))
    # One whose final step is recorded is no longer polled: it ends with
    # its final posts, not with an expiry note.
    expired = [op_id for op_id, ends in ending.items() if ends <= at and op_id in watched]
    later = [ends for ends in ending.values() if ends > at]
    return PollView(watched, due, expired, min(later, default=at + expiries_ahead_s))


def _ids(members: Iterable[Any], where: str) -> list[int]:
    """A sorted set's members as operation ids, skipping (and logging) bad members."""
    found: list[int] = []
    # Every watched operation of the team, at every pass: the common member
    # (ASCII digits) is read without a call; anything else as op_ids reads it.
    for member in members:
        try:
            op_id = int(member)
        except ValueError:
            op_id = -1
        if op_id < 0:
            found.extend(op_ids([member], where))
        else:
            found.append(op_id)
    return found


def _scored_ids(scored: Iterable[tuple[Any, Any]], where: str) -> dict[int, float]:
    """A ``WITHSCORES`` reply as operation id → score, skipping (and logging) bad members."""
    found: dict[int, float] = {}
    for member, score in scored:
        try:
            op_id = int(member)
        except ValueError:
            op_id = -1
        if op_id < 0:
            found.update((odd, float(score)) for odd in op_ids([member], where))
        else:
            found[op_id] = float(score)
    return found


def _pairs(flat: list[Any]) -> dict[str, str]:
    """A hash as a script returns HGETALL's reply (field, value, field, …), decoded."""
    return decoded_map(dict(zip(flat[::2], flat[1::2], strict=True)))


def _watch_keys(team_id: str, op_id: int) -> list[str]:
    return [keyspace.watch(team_id, op_id), keyspace.cards(team_id, op_id)]


def _all_watch_keys(team_id: str, op_id: int) -> list[str]:
    return [
        *_watch_keys(team_id, op_id),
        keyspace.watches(team_id),
        keyspace.watch_expiries(team_id),
    ]


# The records as Redis holds them. A decoder returns None (with a log line)
# for garbage.


def encode_new_card(
    ts: str,
    started_by: str,
    broadcast: str = "",
    only: tuple[str, ...] = (),
    *,
    announced: Announced | None = None,
) -> str:
    """A card's JSON, compact so that a one-watcher card keeps its hash small
    (its preferences and kind only when set)."""
    card: dict[str, Any] = {"t": ts, "w": [started_by]}
    if broadcast:
        card["b"] = broadcast
    if only:
        card["o"] = list(only)
    if announced is not None:
        card[_KIND_KEYS[announced.action]] = _encode_announced(announced)
    return json.dumps(card, separators=(",", ":"))


def _encode_announced(announced: Announced) -> dict[str, Any]:
    # No empty list: the scripts' cjson would write it back as an object.
    encoded: dict[str, Any] = {"u": announced.by}
    if announced.changed:
        encoded["f"] = list(announced.changed)
    if announced.approved_by:
        encoded["a"] = announced.approved_by
    return encoded


def _decode_announced(card: Mapping[str, Any]) -> Announced | None:
    """A card's kind, under its action's letter; None (a plain watch card) if none reads."""
    for action, key in _KIND_KEYS.items():
        encoded = card.get(key)
        if isinstance(encoded, dict) and isinstance(encoded.get("u"), str):
            return _announced(action, encoded)
    return None


def _announced(action: str, encoded: Mapping[str, Any]) -> Announced:
    changed = encoded.get("f")
    if not isinstance(changed, list) or not all(isinstance(name, str) for name in changed):
        changed = []
    approved_by = encoded.get("a")
    return Announced(
        action=action,
        by=encoded["u"],
        changed=tuple(changed),
        approved_by=approved_by if isinstance(approved_by, str) else "",
    )


def decode_watch(
    team_id: str,
    op_id: int,
    fields: Mapping[str, str],
    cards: Mapping[str, str],
    *,
    expires_at: float | str | bytes | None = None,
) -> Watch | None:
    """``expires_at``: the watch's score in ``expiries``; a record written before
    the compact one also has it as a field, read when there is no score."""
    if not fields:
        return None
    try:
        expiry = fields["expires_at"] if expires_at is None else expires_at
        return Watch(
            team_id=team_id,
            op_id=op_id,
            type=fields.get("type", ""),
            label=fields.get("label", ""),
            step=fields["step"],
            step_at=parse_iso(fields["step_at"]) if fields.get("step_at") else None,
            created_at=parse_iso(fields["created_at"]) if "created_at" in fields else None,
            expires_at=moment(float(expiry)),
            eta=int(fields["eta"]) if fields.get("eta") else None,
            cards=tuple(_cards(op_id, cards)),
            final="final" in fields,
            unreadable="unreadable" in fields,
        )
    except (KeyError, ValueError, OverflowError) as error:
        _logger.warning("skipping watch of operation %s: unreadable (%s)", op_id, log_text(error))
        return None


def _cards(op_id: int, cards: Mapping[str, str]) -> Iterable[Card]:
    for channel in sorted(cards):
        card = decode_card(channel, cards[channel])
        if card is None:
            _logger.warning("skipping a corrupt card of operation %s in %s", op_id, channel)
        else:
            yield card


def decode_card(channel: str, document: str) -> Card | None:
    parsed = json_object(document)
    if parsed is None:
        return None
    # Compact keys, or those of a card written before them.
    ts, watchers = parsed.get("t", parsed.get("ts")), parsed.get("w", parsed.get("watchers"))
    if not (isinstance(ts, str) and isinstance(watchers, list) and watchers):
        return None
    if not all(isinstance(watcher, str) for watcher in watchers):
        return None
    broadcast, only = parsed.get("b", ""), parsed.get("o", [])
    if broadcast not in ("", *BROADCASTS):
        broadcast = ""  # an unknown preference is the default
    if not isinstance(only, list) or not all(isinstance(step, str) for step in only):
        only = []
    return Card(
        channel=channel,
        ts=ts,
        watchers=tuple(watchers),
        started_by=watchers[0],
        broadcast=broadcast,
        only=tuple(only),
        announced=_decode_announced(parsed),
    )
