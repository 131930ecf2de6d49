"""Subscriptions: a channel follows every new operation matching some filters.

Per team, one hash (``subscriptions``, key names in
:mod:`opsbot.store.keyspace`) maps a subscription's number (from 1, from a
counter, never reused) to a JSON document: ``channel``, ``filters``,
``created_by``, ``created_at``, ``last_seen`` (ISO times) and
``recent_ids`` (see :data:`SUBSCRIPTION_OVERLAP`). A document that does not
parse is skipped with a log line.

A team has at most ``max_subscriptions`` (``OPSBOT_MAX_SUBSCRIPTIONS``):
:meth:`SubscriptionStore.add` checks it in the script that adds one, so
concurrent adds cannot pass it, and raises :class:`SubscriptionLimitReached`.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from opsbot.config import DEFAULT_MAX_SUBSCRIPTIONS
from opsbot.logs import log_text
from opsbot.store import keyspace, scripts
from opsbot.store.codec import (
    aware,
    decoded,
    decoded_map,
    int_or_none,
    iso,
    json_object,
    parse_iso,
)
from opsbot.store.compare_and_set import CompareAndSet
from opsbot.store.connection import RedisClient, RedisPipeline

# The API compares ``>date_created`` to the second, and an operation may become
# visible a moment after another one of the same second was seen: a
# subscription asks again from this long before its last_seen, and skips the
# operations it has matched already (its ``recent_ids``).
SUBSCRIPTION_OVERLAP: Final = dt.timedelta(seconds=2)
# recent_ids only holds what the overlap can bring back, a handful; this bounds
# it should a burst of operations share those seconds.
_RECENT_IDS_MAX: Final = 1000
_RECENT_IDS: Final = "recent_ids"  # id → date_created (ISO) in the subscription's JSON

# last_seen moves by compare-and-set: a rare concurrent writer is retried a
# few times rather than locked out.
_CAS_ATTEMPTS: Final = 10

_logger = logging.getLogger(__name__)


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
    # What its cards broadcast ("" : failures, the default for subscriptions),
    # and for an outcome subscription the final steps worth a message.
    broadcast: str = ""
    only: tuple[str, ...] = ()


class SubscriptionLimitReached(Exception):
    """The team has ``limit`` subscriptions already (``count`` of them now)."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"the team has {count} subscriptions; its limit is {limit}")
        self.count = count
        self.limit = limit


class SubscriptionStore:
    def __init__(
        self,
        redis: RedisClient,
        *,
        max_subscriptions: int = DEFAULT_MAX_SUBSCRIPTIONS,
        api_zone: dt.tzinfo = dt.UTC,
    ) -> None:
        self._redis = redis
        self.max_subscriptions = max_subscriptions
        # Only to read subscriptions stored before opsbot knew the API's clock.
        self._api_zone = api_zone
        self._add = redis.register_script(scripts.ADD_SUBSCRIPTION)
        self._compare_and_set = CompareAndSet(redis)

    async def add(  # noqa: PLR0913 - a subscription's fields, by keyword
        self,
        team_id: str,
        *,
        channel: str,
        filters: Mapping[str, Any],
        created_by: str,
        now: dt.datetime,
        broadcast: str = "",
        only: tuple[str, ...] = (),
    ) -> Subscription:
        """Follow new operations matching ``filters`` from ``now`` on; numbered from 1.

        Raises :class:`SubscriptionLimitReached` when the team has
        ``max_subscriptions`` already.
        """
        keyspace.check_slack_id(channel, "channel id")
        stored = encode_new_subscription(channel, filters, created_by, now, broadcast, only)
        number = await self._add(
            keys=[keyspace.subscriptions(team_id), keyspace.subscriptions_counter(team_id)],
            args=[stored, self.max_subscriptions],
        )
        if not int(number):
            count = await self._redis.hlen(keyspace.subscriptions(team_id))
            raise SubscriptionLimitReached(count, self.max_subscriptions)
        subscription = decode_subscription(int(number), stored)
        assert subscription is not None  # we just wrote it
        return subscription

    async def list(self, team_id: str, channel: str | None = None) -> builtins.list[Subscription]:
        """The team's subscriptions (or one channel's), by number."""
        return self.listed(await self._redis.hgetall(keyspace.subscriptions(team_id)), channel)

    @staticmethod
    def queue_list(pipe: RedisPipeline, team_id: str) -> None:
        """Queue :meth:`list`'s read on ``pipe``; :meth:`listed` reads its reply."""
        pipe.hgetall(keyspace.subscriptions(team_id))

    def listed(
        self, reply: Mapping[Any, Any], channel: str | None = None
    ) -> builtins.list[Subscription]:
        """The subscriptions out of the stored hash (see :meth:`list`)."""
        stored = decoded_map(reply)
        found = []
        for number, document in stored.items():
            subscription = decode_subscription(int_or_none(number), document, self._api_zone)
            if subscription is not None and channel in (None, subscription.channel):
                found.append(subscription)
        return sorted(found, key=lambda subscription: subscription.number)

    async def remove(self, team_id: str, number: int) -> bool:
        return bool(await self._redis.hdel(keyspace.subscriptions(team_id), str(number)))

    async def advance(
        self,
        team_id: str,
        number: int,
        matched: Mapping[int, dt.datetime],
        *,
        seen_until: dt.datetime | None = None,
    ) -> None:
        """Record the operations ``matched`` (id → date_created).

        ``last_seen`` moves forward to the newest of them, or to
        ``seen_until`` (every operation created until then was looked at)
        if that is later; never back. The matched operations join
        ``recent_ids`` until they fall out of the overlap before it.
        """
        if not matched and seen_until is None:
            return
        key = keyspace.subscriptions(team_id)
        for _ in range(_CAS_ATTEMPTS):
            current = await self._redis.hget(key, str(number))
            if current is None:
                return  # removed meanwhile: not brought back
            advanced = _advanced(number, decoded(current), matched, seen_until, self._api_zone)
            if advanced is None:
                return
            if await self._compare_and_set.hash_fields(
                key, field=str(number), expected=decoded(current), new={str(number): advanced}
            ):
                return
        _logger.warning("subscription %s kept changing; last_seen not advanced", number)


def _advanced(
    number: int,
    current: str,
    matched: Mapping[int, dt.datetime],
    seen_until: dt.datetime | None,
    api_zone: dt.tzinfo,
) -> str | None:
    """The stored document with ``matched`` recorded; None when it does not parse
    or nothing would change."""
    document = json_object(current)
    stored = decode_subscription(number, current, api_zone)
    if document is None or stored is None:
        return None
    dates = [aware(date) for date in matched.values()]
    if seen_until is not None:
        dates.append(aware(seen_until))
    last_seen = max(stored.last_seen, *dates)
    if last_seen == stored.last_seen and not matched:
        return None
    document["last_seen"] = iso(last_seen)
    document[_CLOCK] = _UTC_CLOCK
    document[_RECENT_IDS] = _recent_after(
        {**_recent_ids(document), **matched}, last_seen - SUBSCRIPTION_OVERLAP
    )
    return json.dumps(document)


def _recent_ids(document: Mapping[str, Any]) -> dict[int, dt.datetime]:
    """A subscription's ``recent_ids`` (id → date_created); a stored one without has none."""
    stored = document.get(_RECENT_IDS)
    recent: dict[int, dt.datetime] = {}
    for op_id, date in (stored if isinstance(stored, dict) else {}).items():
        try:
            recent[int(op_id)] = parse_iso(date)
        except (TypeError, ValueError):
            continue  # one bad entry costs at most a second card
    return recent


def _recent_after(recent: Mapping[int, dt.datetime], start: dt.datetime) -> dict[str, str]:
    """The entries a query from ``start`` can bring back (to the second), newest kept."""
    start = aware(start).replace(microsecond=0)
    kept = sorted(
        ((aware(date), op_id) for op_id, date in recent.items() if aware(date) >= start),
        reverse=True,
    )[:_RECENT_IDS_MAX]
    return {str(op_id): iso(date) for date, op_id in kept}


# The record as Redis holds it.


def encode_new_subscription(
    channel: str,
    filters: Mapping[str, Any],
    created_by: str,
    now: dt.datetime,
    broadcast: str = "",
    only: tuple[str, ...] = (),
) -> str:
    document: dict[str, Any] = {
        "channel": channel,
        "filters": dict(filters),
        "created_by": created_by,
        "created_at": iso(now),
        "last_seen": iso(now),
        _CLOCK: _UTC_CLOCK,
    }
    if broadcast:
        document["broadcast"] = broadcast
    if only:
        document["only"] = list(only)
    return json.dumps(document)


def decode_subscription(
    number: int | None, document: str, api_zone: dt.tzinfo = dt.UTC
) -> Subscription | None:
    """The subscription a stored document holds, or None (with a log line) for garbage.

    ``api_zone`` reads a ``last_seen`` written before opsbot knew the API's
    clock (see :func:`_last_seen`).
    """
    parsed = json_object(document)
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
            created_at=parse_iso(parsed["created_at"]),
            last_seen=_last_seen(parsed, api_zone),
            recent_ids=frozenset(_recent_ids(parsed)),
            broadcast=str(parsed.get("broadcast") or ""),
            only=tuple(str(step) for step in parsed.get("only") or ()),
        )
    except (KeyError, TypeError, ValueError) as error:
        _logger.warning("skipping unreadable subscription %s (%s)", number, log_text(error))
        return None


# Subscriptions stored before opsbot read the API's dates on the API's clock
# (OPSBOT_API_TIMEZONE) kept those zone-less Paris times as if they were UTC,
# one or two hours ahead of the truth: read as they are, such a last_seen
# would skip that long of new operations once. Documents written since carry
# this marker.
_CLOCK: Final = "clock"
_UTC_CLOCK: Final = "utc"


def _last_seen(parsed: Mapping[str, Any], api_zone: dt.tzinfo) -> dt.datetime:
    """``last_seen`` in UTC; an unmarked one is read as the API's wall time.

    It is never put before the subscription's creation (a true UTC moment):
    a last_seen that was a true UTC moment already (nothing matched yet)
    would otherwise reach back before the subscription and post cards for
    operations it never asked about. Reading back too far costs at most a
    card posted twice; reading too late would lose operations.
    """
    last_seen = parse_iso(parsed["last_seen"])
    if parsed.get(_CLOCK) == _UTC_CLOCK:
        return last_seen
    wall = last_seen.replace(tzinfo=None)
    return max(wall.replace(tzinfo=api_zone).astimezone(dt.UTC), parse_iso(parsed["created_at"]))
