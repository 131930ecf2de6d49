"""Lanes and coalescing: what a channel's queue sends first, and what it merges."""

from __future__ import annotations

import datetime as dt
import itertools

from opsbot.store.outbox import Post, PostKind
from opsbot.watcher.lanes import Lane, channel_queues, coalesced, entry_order

AT = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)
_ids = itertools.count(1)


def post(op_id: int, kind: PostKind, old: str = "", new: str = "", channel: str = "C1") -> Post:
    number = next(_ids)
    at = AT + dt.timedelta(seconds=number)
    return Post(f"1700000000000-{number}", op_id, channel, kind, old, new, at, "")


def step(op_id: int, old: str, new: str, channel: str = "C1") -> Post:
    return post(op_id, PostKind.STEP, old, new, channel)


def final(op_id: int, old: str, new: str, channel: str = "C1") -> Post:
    return post(op_id, PostKind.FINAL, old, new, channel)


def test_step_changes_still_waiting_merge_into_one_path() -> None:
    posts = [step(1, "WAIT", "RUN"), final(1, "RUN", "DONE")]

    [delivery] = coalesced(posts)

    assert delivery.kind is PostKind.FINAL
    assert [(p.old, p.new) for p in delivery.steps] == [("WAIT", "RUN"), ("RUN", "DONE")]
    assert delivery.posts == tuple(posts)


def test_a_note_is_never_merged_and_keeps_its_place() -> None:
    posts = [step(1, "WAIT", "RUN"), post(1, PostKind.NOTE), step(1, "RUN", "WAIT")]

    assert [d.kind for d in coalesced(posts)] == [PostKind.STEP, PostKind.NOTE, PostKind.STEP]


def test_a_post_asking_only_for_the_card_merges_into_the_next() -> None:
    posts = [post(1, PostKind.CARD, "BILL", "BILL"), step(1, "BILL", "WAIT")]

    [delivery] = coalesced(posts)

    assert delivery.kind is PostKind.STEP
    assert delivery.lane is Lane.PROGRESS
    assert len(delivery.posts) == 2


def test_outcomes_go_first_failures_before_done_then_steps_then_new_cards() -> None:
    new_card = post(1, PostKind.CARD, "BILL", "BILL")
    moving = step(2, "WAIT", "RUN")
    done = final(3, "RUN", "DONE")
    failed = final(4, "RUN", "ERROR")
    support = final(5, "RUN", "SUPPORT")

    [queue] = channel_queues([new_card, moving, done, failed, support]).values()

    assert [d.op_id for d in queue] == [4, 5, 3, 2, 1]
    assert [d.lane for d in queue] == [
        Lane.FAILURE,
        Lane.FAILURE,
        Lane.OUTCOME,
        Lane.PROGRESS,
        Lane.NEW_CARD,
    ]


def test_an_operations_posts_never_overtake_each_other() -> None:
    note = post(1, PostKind.NOTE, "RUN", "RUN")
    ended = final(1, "RUN", "DONE")
    other = final(2, "RUN", "DONE")

    [queue] = channel_queues([note, ended, other]).values()

    # Operation 1's outcome waits behind its own note; operation 2's does not.
    assert [(d.op_id, d.kind) for d in queue] == [
        (2, PostKind.FINAL),
        (1, PostKind.NOTE),
        (1, PostKind.FINAL),
    ]


def test_each_channel_has_its_own_queue() -> None:
    here, there = step(1, "WAIT", "RUN", "C1"), step(1, "WAIT", "RUN", "C2")

    queues = channel_queues([here, there])

    assert {channel: [d.posts for d in q] for channel, q in queues.items()} == {
        "C1": [(here,)],
        "C2": [(there,)],
    }


def test_stream_ids_compare_in_time_order() -> None:
    assert entry_order("1700000000000-10") > entry_order("1700000000000-9")
    assert entry_order("1700000000001-0") > entry_order("1700000000000-99")
