"""Watch records are compact, and those written before the compact encoding still read.

A hundred thousand watches are a hundred thousand records, so each is kept
small: no ``created_at`` (nothing read it), the expiry only as the score in
``expiries``, a card's keys one letter each. A record written by an earlier
opsbot (ISO ``created_at``, an ``expires_at`` field, a card spelt ``"ts"`` and
``"watchers"``) is read, joined, posted and followed as before.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator

import pytest

from opsbot.config import Settings
from opsbot.store import keyspace
from opsbot.store.codec import decoded_map
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.guardrails import CANCEL, RELAUNCH
from opsbot.store.outbox import Outbox
from opsbot.store.watches import AddResult, Announced, Card, WatchStore
from tests.support.stored_watches import IN_A_WEEK, NOW, TEAM, record, stored, watch

OLD = 77


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


@pytest.fixture
def store(redis: RedisClient) -> WatchStore:
    return WatchStore(redis)


async def write_old_record(redis: RedisClient) -> None:
    """A watch as opsbot stored it before the compact encoding."""
    await redis.hset(
        keyspace.watch(TEAM, OLD),
        mapping={
            "type": "domain_renew",
            "label": "example.com",
            "step": "WAIT",
            "created_at": NOW.isoformat(),
            "expires_at": str(IN_A_WEEK.timestamp()),
            "eta": "600",
        },
    )
    card = json.dumps({"ts": "1790000000.000100", "watchers": ["U0ANN"]})
    await redis.hset(keyspace.cards(TEAM, OLD), "C0AAA", card)
    await redis.zadd(keyspace.watches(TEAM), {str(OLD): NOW.timestamp()})
    await redis.zadd(keyspace.watch_expiries(TEAM), {str(OLD): IN_A_WEEK.timestamp()})


async def test_a_new_record_is_compact(store: WatchStore, redis: RedisClient) -> None:
    await watch(store, 42)

    fields = decoded_map(await redis.hgetall(keyspace.watch(TEAM, 42)))
    cards = decoded_map(await redis.hgetall(keyspace.cards(TEAM, 42)))

    assert fields == {
        "type": "domain_renew",
        "label": "example.com",
        "step": "WAIT",
        "eta": "600",
    }
    assert cards == {"C0AAA": '{"t":"","w":["U0ANN"]}'}
    assert await redis.zscore(keyspace.watch_expiries(TEAM), "42") == IN_A_WEEK.timestamp()
    found = await stored(store, 42)
    assert (found.created_at, found.expires_at) == (None, IN_A_WEEK)


RELAUNCHED = Announced(RELAUNCH, "U0ANN", ("authinfo", "x-ca_owner_name"), approved_by="U0BOB")
CANCELLED = Announced(CANCEL, "U0ANN", approved_by="U0BOB")


@pytest.mark.parametrize(
    ("announced", "kind"),
    [
        (RELAUNCHED, '"r":{"u":"U0ANN","f":["authinfo","x-ca_owner_name"],"a":"U0BOB"}'),
        (CANCELLED, '"c":{"u":"U0ANN","a":"U0BOB"}'),
    ],
    ids=["relaunch", "cancel"],
)
async def test_an_announcing_card_keeps_its_kind_through_every_script(
    store: WatchStore, redis: RedisClient, announced: Announced, kind: str
) -> None:
    ts = "1790000000.000300"
    await watch(store, 43, card_ts=ts, announced=announced)
    written = decoded_map(await redis.hgetall(keyspace.cards(TEAM, 43)))["C0AAA"]

    # Each script that rewrites the card keeps what kind it is.
    assert await watch(store, 43, user_id="U0CAT") is AddResult.JOINED
    assert await store.set_broadcast(TEAM, 43, "C0AAA", "failures")
    await store.set_card_ts(TEAM, 43, "C0AAA", ts)

    assert written == '{"t":"1790000000.000300","w":["U0ANN"],' + kind + "}"
    [card] = (await stored(store, 43)).cards
    assert (card.ts, card.watchers, card.broadcast) == (ts, ("U0ANN", "U0CAT"), "failures")
    assert card.announced == announced


async def test_a_relaunch_card_written_before_cancels_had_a_kind_reads_as_written(
    store: WatchStore, redis: RedisClient
) -> None:
    await watch(store, 47)
    # As the first format with a kind wrote it: relaunches only, under "r".
    written = '{"t":"1790000000.000700","w":["U0ANN"],"r":{"u":"U0ANN","f":["authinfo"]}}'
    await redis.hset(keyspace.cards(TEAM, 47), "C0AAA", written)

    [card] = (await stored(store, 47)).cards
    assert card.announced == Announced(RELAUNCH, "U0ANN", ("authinfo",))


@pytest.mark.parametrize(
    ("announced", "letter"),
    [(Announced(RELAUNCH, "U0ANN"), "r"), (Announced(CANCEL, "U0ANN"), "c")],
    ids=["relaunch", "cancel"],
)
async def test_a_kind_without_fields_or_approver_is_written_without_them(
    store: WatchStore, redis: RedisClient, announced: Announced, letter: str
) -> None:
    await watch(store, 44, card_ts="1790000000.000400", announced=announced)
    await store.set_broadcast(TEAM, 44, "C0AAA", "never")

    document = decoded_map(await redis.hgetall(keyspace.cards(TEAM, 44)))["C0AAA"]
    assert json.loads(document) == {
        "t": "1790000000.000400",
        "w": ["U0ANN"],
        "b": "never",
        letter: {"u": "U0ANN"},
    }
    [card] = (await stored(store, 44)).cards
    assert card.announced == announced


@pytest.mark.parametrize("letter", ["r", "c"], ids=["relaunch", "cancel"])
@pytest.mark.parametrize(
    "kind",
    [{"f": ["authinfo"]}, "U0ANN", {"u": 7}, None],
    ids=["no user", "not an object", "user not text", "null"],
)
async def test_a_card_whose_kind_cannot_be_read_is_a_plain_watch_card(
    store: WatchStore, redis: RedisClient, kind: object, letter: str
) -> None:
    await watch(store, 45)
    card = json.dumps({"t": "1790000000.000500", "w": ["U0ANN"], letter: kind})
    await redis.hset(keyspace.cards(TEAM, 45), "C0AAA", card)

    [found] = (await stored(store, 45)).cards
    assert (found.ts, found.announced) == ("1790000000.000500", None)


async def test_an_old_record_reads_as_it_was_written(store: WatchStore, redis: RedisClient) -> None:
    await write_old_record(redis)

    found = await stored(store, OLD)

    assert (found.type, found.label, found.step, found.eta) == (
        "domain_renew",
        "example.com",
        "WAIT",
        600,
    )
    assert (found.created_at, found.expires_at) == (NOW, IN_A_WEEK)
    assert found.cards == (
        Card(channel="C0AAA", ts="1790000000.000100", watchers=("U0ANN",), started_by="U0ANN"),
    )


async def test_an_old_card_is_joined_and_its_ts_set_in_its_own_spelling(
    store: WatchStore, redis: RedisClient
) -> None:
    await write_old_record(redis)

    assert await watch(store, OLD, user_id="U0BOB") is AddResult.JOINED
    await store.set_card_ts(TEAM, OLD, "C0AAA", "1790000000.000200")

    document = await redis.hget(keyspace.cards(TEAM, OLD), "C0AAA")
    assert document is not None
    assert json.loads(document) == {"ts": "1790000000.000200", "watchers": ["U0ANN", "U0BOB"]}
    [card] = (await stored(store, OLD)).cards
    assert (card.ts, card.watchers, card.started_by) == (
        "1790000000.000200",
        ("U0ANN", "U0BOB"),
        "U0ANN",
    )


async def test_an_old_record_extends_its_expiry_and_records_its_steps(
    store: WatchStore, redis: RedisClient
) -> None:
    await write_old_record(redis)
    longer = IN_A_WEEK + dt.timedelta(days=1)

    assert await watch(store, OLD, channel="C0BBB", expires_at=longer) is AddResult.NEW_CHANNEL
    assert await record(store, OLD, "WAIT", "RUN")

    found = await stored(store, OLD)
    assert (found.step, found.expires_at) == ("RUN", longer)
    assert [card.channel for card in found.cards] == ["C0AAA", "C0BBB"]
    posts = await Outbox(redis).pending(TEAM)
    assert [(post.channel, post.new) for post in posts] == [("C0AAA", "RUN"), ("C0BBB", "RUN")]
