"""The outbox: posts queued per card, read back oldest first, garbage dropped."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from opsbot.config import Settings
from opsbot.store import keyspace
from opsbot.store.connection import open_redis
from opsbot.store.outbox import Outbox, Post
from opsbot.store.watches import WatchStore
from tests.support.stored_watches import LATER, TEAM, record, watch


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


@pytest.fixture
def store(redis: Redis) -> WatchStore:
    return WatchStore(redis)


@pytest.fixture
def outbox(redis: Redis) -> Outbox:
    return Outbox(redis)


async def test_notes_go_to_every_card_and_posts_leave_once_delivered(
    store: WatchStore, outbox: Outbox
) -> None:
    await watch(store, 42, channel="C0AAA")
    await watch(store, 42, channel="C0BBB")
    await record(store, 42, "WAIT", "RUN")

    await outbox.add_note(TEAM, 42, "paused: the API key was refused", LATER)
    await outbox.add_note(TEAM, 43, "not watched: no post", LATER)

    posts = await outbox.pending(TEAM)
    assert [(post.kind, post.channel) for post in posts] == [
        ("step", "C0AAA"),
        ("step", "C0BBB"),
        ("note", "C0AAA"),
        ("note", "C0BBB"),
    ]
    assert posts[2].text == "paused: the API key was refused"
    assert (posts[2].old, posts[2].new) == ("RUN", "RUN")
    assert await outbox.pending(TEAM, count=1) == posts[:1]

    for post in posts[:3]:
        await outbox.done(TEAM, post.entry_id)

    assert await outbox.pending(TEAM) == posts[3:]


async def test_an_unreadable_post_is_dropped_with_a_log_line(
    store: WatchStore, outbox: Outbox, redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    await watch(store, 42)
    await redis.xadd(keyspace.outbox(TEAM), {"op": "forty-two", "channel": "C0AAA"})
    await redis.xadd(
        keyspace.outbox(TEAM),
        {"op": "42", "channel": "C0AAA", "kind": "shout", "old": "", "new": "", "at": "2026-11-01"},
    )
    await record(store, 42, "WAIT", "RUN")

    with caplog.at_level(logging.WARNING, logger="opsbot.store.outbox"):
        posts = await outbox.pending(TEAM)

    assert [(post.kind, post.new) for post in posts] == [("step", "RUN")]
    assert "unreadable outbox entry" in caplog.text
    assert "unknown kind 'shout'" in caplog.text
    assert await redis.xlen(keyspace.outbox(TEAM)) == 1


def test_posts_compare_by_value() -> None:
    post = Post("1-0", 42, "C0AAA", "step", "WAIT", "RUN", LATER, "")
    assert post == Post("1-0", 42, "C0AAA", "step", "WAIT", "RUN", LATER, "")
