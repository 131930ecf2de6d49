"""Starting a watch from an operation: what every path that follows one records."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from opsbot.api.operation import Operation
from opsbot.config import Settings
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.watches import AddResult, WatchStore
from opsbot.watching import Follower, start_watch

TEAM = "T0123"
NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


def operation(op_id: int, *, domain: str | None = "example.com") -> Operation:
    params = {"domain": domain} if domain else {}
    return Operation(id=op_id, type="domain_renew", step="WAIT", eta=600, params=params)


async def test_a_watch_records_the_operation_the_follower_and_its_end(redis: RedisClient) -> None:
    watches = WatchStore(redis)

    added = await start_watch(
        watches, operation(7), Follower(TEAM, "C0AAA", "U0ANN"), now=NOW, days=3
    )

    assert added is AddResult.CREATED
    watch = await watches.get(TEAM, 7)
    assert watch is not None
    assert (watch.type, watch.label, watch.step, watch.eta) == (
        "domain_renew",
        "example.com",
        "WAIT",
        600,
    )
    assert watch.expires_at == NOW + dt.timedelta(days=3)
    [card] = watch.cards
    assert (card.channel, card.ts, card.watchers) == ("C0AAA", "", ("U0ANN",))


async def test_a_report_can_be_the_card_and_a_second_follower_joins_it(redis: RedisClient) -> None:
    watches = WatchStore(redis)
    report = "1700000000.000100"

    first = await start_watch(
        watches,
        operation(8, domain=None),
        Follower(TEAM, "C0AAA", "U0ANN"),
        now=NOW,
        days=7,
        card_ts=report,
    )
    second = await start_watch(
        watches, operation(8, domain=None), Follower(TEAM, "C0AAA", "U0BOB"), now=NOW, days=7
    )

    assert (first, second) == (AddResult.CREATED, AddResult.JOINED)
    watch = await watches.get(TEAM, 8)
    assert watch is not None
    assert watch.label == ""
    [card] = watch.cards
    assert (card.channel, card.ts, card.watchers) == ("C0AAA", report, ("U0ANN", "U0BOB"))
