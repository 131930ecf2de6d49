"""The audit stream: who did what and when, capped."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from opsbot.config import Settings
from opsbot.store import keyspace
from opsbot.store.audit import CANCEL, KEY_SET, AuditLog
from opsbot.store.connection import RedisClient, open_redis
from tests.support.redis_probe import all_keys, recent_audit


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


async def test_entries_come_back_newest_first_with_their_time(redis: RedisClient) -> None:
    audit = AuditLog(redis)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    first = await audit.record("T0123", user_id="U1", action=CANCEL, target="42")
    second = await audit.record(
        "T0123", user_id="U2", action=KEY_SET, outcome="error: key refused", detail="510150"
    )
    after = dt.datetime.now(dt.UTC)

    entries = await recent_audit(redis, "T0123")
    assert [entry.id for entry in entries] == [second, first]
    newest = entries[0]
    assert (newest.user_id, newest.action, newest.target) == ("U2", KEY_SET, "")
    assert (newest.outcome, newest.detail) == ("error: key refused", "510150")
    assert entries[1].outcome == "ok"
    assert entries[1].target == "42"
    for entry in entries:
        assert entry.at.tzinfo is not None
        assert before <= entry.at <= after


async def test_each_team_has_its_own_stream(redis: RedisClient) -> None:
    audit = AuditLog(redis)
    await audit.record("T0123", user_id="U1", action=CANCEL, target="1")
    assert await recent_audit(redis, "T0456") == []
    assert await all_keys(redis) == [keyspace.audit("T0123")]


async def test_the_stream_is_capped_at_its_size_keeping_the_latest(redis: RedisClient) -> None:
    audit = AuditLog(redis, max_entries=5)
    for op_id in range(12):
        await audit.record("T0123", user_id="U1", action=CANCEL, target=str(op_id))

    assert await redis.xlen(keyspace.audit("T0123")) == 5
    recent = await recent_audit(redis, "T0123", count=100)
    assert [entry.target for entry in recent] == ["11", "10", "9", "8", "7"]


async def test_recent_returns_at_most_count(redis: RedisClient) -> None:
    audit = AuditLog(redis)
    for op_id in range(4):
        await audit.record("T0123", user_id="U1", action=CANCEL, target=str(op_id))
    assert [entry.target for entry in await recent_audit(redis, "T0123", count=2)] == ["3", "2"]


async def test_each_team_chooses_its_own_audit_channel_and_learns_what_it_replaced(
    redis: RedisClient,
) -> None:
    audit = AuditLog(redis)
    assert await audit.set_channel("T0AAA", "C0ONE") is None
    assert await audit.set_channel("T0BBB", "C0TWO") is None

    assert await audit.set_channel("T0AAA", "C0THREE") == "C0ONE"
    assert [await audit.channel(team) for team in ("T0AAA", "T0BBB")] == ["C0THREE", "C0TWO"]
    assert await audit.set_channel("T0AAA", None) == "C0THREE"
    assert await audit.set_channel("T0AAA", None) is None
    assert [await audit.channel(team) for team in ("T0AAA", "T0BBB")] == [None, "C0TWO"]
    # In the team's keyspace, under its hash tag: deleted with the team.
    assert await all_keys(redis, keyspace.team_pattern("T0BBB")) == [
        keyspace.audit_channel("T0BBB")
    ]


@pytest.mark.parametrize("hostile", ["", "c0lower", "C0}:x", "C0 1"])
async def test_an_audit_channel_that_is_no_channel_id_is_refused(
    redis: RedisClient, hostile: str
) -> None:
    with pytest.raises(ValueError, match="channel id"):
        await AuditLog(redis).set_channel("T0AAA", hostile)
    assert await AuditLog(redis).channel("T0AAA") is None
