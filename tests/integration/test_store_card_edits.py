"""Card edits waiting for the team's edit pace: the newest wins, in the first one's place."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from opsbot.config import Settings
from opsbot.store import keyspace
from opsbot.store.bursts import Bursts, Outcome
from opsbot.store.card_edits import CardEdits
from opsbot.store.connection import RedisClient, open_redis
from tests.support.stored_watches import TEAM


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


def card(step: str) -> dict[str, object]:
    return {"text": f"Operation 42: {step}", "blocks": [{"type": "section"}]}


async def test_the_newest_edit_of_a_card_replaces_the_waiting_one_in_its_place(
    redis: RedisClient,
) -> None:
    edits = CardEdits(redis)
    await edits.queue(TEAM, op_id=42, channel="C0AAA", ts="1.1", message=card("RUN"), at=10.0)
    await edits.queue(TEAM, op_id=43, channel="C0AAA", ts="1.2", message=card("RUN"), at=11.0)
    await edits.queue(TEAM, op_id=42, channel="C0AAA", ts="1.1", message=card("DONE"), at=12.0)

    waiting = await edits.waiting(TEAM)

    assert [(edit.op_id, edit.text) for edit in waiting] == [
        (42, "Operation 42: DONE"),
        (43, "Operation 42: RUN"),
    ]


async def test_an_edit_replaced_while_it_was_made_stays_waiting(redis: RedisClient) -> None:
    edits = CardEdits(redis)
    await edits.queue(TEAM, op_id=42, channel="C0AAA", ts="1.1", message=card("RUN"), at=10.0)
    [made] = await edits.waiting(TEAM)
    await edits.queue(TEAM, op_id=42, channel="C0AAA", ts="1.1", message=card("DONE"), at=11.0)

    await edits.done(TEAM, made)

    [left] = await edits.waiting(TEAM)
    assert left.text == "Operation 42: DONE"
    await edits.done(TEAM, left)
    assert await edits.waiting(TEAM) == []
    assert await redis.exists(keyspace.card_edits(TEAM), keyspace.card_edits_queue(TEAM)) == 0


async def test_an_unreadable_edit_is_dropped_with_a_log_line(
    redis: RedisClient, caplog: pytest.LogCaptureFixture
) -> None:
    edits = CardEdits(redis)
    await edits.queue(TEAM, op_id=42, channel="C0AAA", ts="1.1", message=card("RUN"), at=10.0)
    await redis.hset(keyspace.card_edits(TEAM), "42:C0AAA", "{not json")

    with caplog.at_level(logging.WARNING, logger="opsbot.store.card_edits"):
        assert await edits.waiting(TEAM) == []

    assert "unreadable card edit 42:C0AAA" in caplog.text
    assert await redis.zcard(keyspace.card_edits_queue(TEAM)) == 0


async def test_a_summary_opens_grows_closes_and_expires(redis: RedisClient) -> None:
    bursts = Bursts(redis)
    assert not (await bursts.get(TEAM, "C0AAA")).since
    await bursts.open(TEAM, "C0AAA", since=100.5)
    outcome = Outcome(42, "ERROR", "domain_renew", "example.com", "1.1", ("U0ANN",))

    await bursts.add(TEAM, "C0AAA", [outcome])
    await bursts.posted(TEAM, "C0AAA", "2.2")

    summary = await bursts.get(TEAM, "C0AAA")
    assert (summary.open, summary.ts, summary.since) == (True, "2.2", 100.5)
    assert summary.outcomes == {42: outcome}
    assert await redis.ttl(keyspace.burst(TEAM, "C0AAA")) > 0
    await bursts.close(TEAM, "C0AAA")
    closed = await bursts.get(TEAM, "C0AAA")
    assert not closed.open
    assert closed.outcomes == {42: outcome}
    reopened = await bursts.open(TEAM, "C0AAA", since=200.0)
    assert reopened.outcomes == {}
    assert (await bursts.get(TEAM, "C0AAA")).outcomes == {}


async def test_an_unreadable_summary_line_is_skipped(
    redis: RedisClient, caplog: pytest.LogCaptureFixture
) -> None:
    bursts = Bursts(redis)
    await bursts.open(TEAM, "C0AAA", since=100.0)
    await redis.hset(keyspace.burst(TEAM, "C0AAA"), "op:7", '{"step": 3}')

    with caplog.at_level(logging.WARNING, logger="opsbot.store.bursts"):
        summary = await bursts.get(TEAM, "C0AAA")

    assert summary.outcomes == {}
    assert "unreadable summary line op:7" in caplog.text
