"""The outbox: posts of each kind queued per card, read back oldest first, and old entries."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from redis.typing import EncodableT, FieldT

from opsbot.config import Settings
from opsbot.store import keyspace
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.outbox import Outbox, Post, PostKind
from opsbot.store.watches import WatchStore
from tests.support.stored_watches import LATER, TEAM, record, watch

FAREWELL = "Watched for 7 days without reaching a final step. This watch has ended."


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


@pytest.fixture
def store(redis: RedisClient) -> WatchStore:
    return WatchStore(redis)


@pytest.fixture
def outbox(redis: RedisClient) -> Outbox:
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


async def test_every_kind_comes_back_as_it_was_queued(store: WatchStore, outbox: Outbox) -> None:
    await watch(store, 1)
    await watch(store, 2)
    await record(store, 1, "WAIT", "RUN")
    await record(store, 2, "WAIT", "DONE", final=True)
    await outbox.add_note(TEAM, 1, "paused: no API key", LATER)
    await outbox.add_farewell(TEAM, 1, FAREWELL, LATER)
    await outbox.add_card(TEAM, 1, LATER)

    posts = await outbox.pending(TEAM)

    assert [(post.op_id, post.kind, post.text) for post in posts] == [
        (1, PostKind.STEP, ""),
        (2, PostKind.FINAL, ""),
        (1, PostKind.NOTE, "paused: no API key"),
        (1, PostKind.FAREWELL, FAREWELL),
        (1, PostKind.CARD, ""),
    ]
    assert all(isinstance(post.kind, PostKind) for post in posts)


async def test_a_farewell_is_a_farewell_whatever_its_words(
    store: WatchStore, outbox: Outbox
) -> None:
    await watch(store, 42)

    await outbox.add_farewell(TEAM, 42, "Gone.", LATER)

    [post] = await outbox.pending(TEAM)
    assert (post.kind, post.text) == (PostKind.FAREWELL, "Gone.")


@pytest.mark.parametrize("text", ["", FAREWELL])
async def test_a_note_that_old_code_would_read_otherwise_is_refused(
    store: WatchStore, outbox: Outbox, text: str
) -> None:
    await watch(store, 42)

    with pytest.raises(ValueError, match="add_farewell"):
        await outbox.add_note(TEAM, 42, text, LATER)

    assert await outbox.pending(TEAM) == []


async def test_entries_queued_before_posts_had_kinds_read_as_what_they_meant(
    store: WatchStore, outbox: Outbox, redis: RedisClient
) -> None:
    """What the code before kinds queued: all notes, told apart by their text."""
    await watch(store, 42)
    old_entry: dict[FieldT, EncodableT] = {
        "op": "42",
        "channel": "C0AAA",
        "old": "WAIT",
        "new": "WAIT",
    }
    at = LATER.isoformat()
    for kind, text in (
        ("note", ""),  # post the card only
        ("note", FAREWELL),  # the watch ends with it
        ("note", "paused: the API key was refused"),
        ("step", ""),
        ("final", ""),
    ):
        await redis.xadd(keyspace.outbox(TEAM), {**old_entry, "kind": kind, "at": at, "text": text})

    posts = await outbox.pending(TEAM)

    assert [(post.kind, post.text) for post in posts] == [
        (PostKind.CARD, ""),
        (PostKind.FAREWELL, FAREWELL),
        (PostKind.NOTE, "paused: the API key was refused"),
        (PostKind.STEP, ""),
        (PostKind.FINAL, ""),
    ]
    assert await redis.xlen(keyspace.outbox(TEAM)) == 5


async def test_an_unreadable_post_is_dropped_with_a_log_line(
    store: WatchStore, outbox: Outbox, redis: RedisClient, caplog: pytest.LogCaptureFixture
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
    post = Post("1-0", 42, "C0AAA", PostKind.STEP, "WAIT", "RUN", LATER, "")
    assert post == Post("1-0", 42, "C0AAA", PostKind.STEP, "WAIT", "RUN", LATER, "")
