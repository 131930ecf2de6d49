"""One operation the watcher cannot read does not stall the others of its batch.

The simulator describes one watched operation with a value no client should
have to read (an infinite eta, a date out of the calendar, params nested far
too deep, an id of three thousand digits) next to normal ones. The others
move on and their changes are posted in the same cycle; the bad one gets one
log line and one note in its thread, is read alone now and then, and is
followed again once it can be read.
"""

from __future__ import annotations

import logging

import pytest

from opsbot.api.operation import RUN, WAIT
from opsbot.simulator import HOSTILE_KINDS
from opsbot.watcher.intervals import MAX_STRETCH
from tests.integration.watcher.conftest import Watching
from tests.support import slack_api
from tests.support.slack_requests import TEAM_ID

# One channel per operation: a channel takes one message per pass, so the
# changes of one cycle are all posted in that cycle only in channels of their own.
CHANNELS = ("C0A01", "C0A02", "C0A03", "C0A04", "C0A05")
BAD = 2  # the middle one
# Deep enough to be refused, shallow enough to keep the test quick; the
# probe's 200,000 levels run in the slow test below.
QUICK_DEPTH = 2000


def skipped_lines(caplog: pytest.LogCaptureFixture, op_id: int) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.INFO and f"operation {op_id} skipped" in record.getMessage()
    ]


async def watch_five(watching: Watching) -> tuple[list[int], list[str]]:
    op_ids = [watching.simulator.create("domain_renew", step=WAIT) for _ in CHANNELS]
    cards = [
        await watching.watch(op_id, channel=channel)
        for op_id, channel in zip(op_ids, CHANNELS, strict=True)
    ]
    await watching.cycle()  # read once as they are
    return op_ids, cards


async def run_with_one_unreadable(
    watching: Watching, caplog: pytest.LogCaptureFixture, kind: str, depth: int
) -> None:
    simulator = watching.simulator
    op_ids, cards = await watch_five(watching)
    simulator.serve_hostile(op_ids[BAD], kind, depth=depth)
    for op_id in op_ids:
        simulator.move(op_id, RUN)

    report = await watching.cycle()

    # The others moved and were posted in this very cycle.
    others = [n for n in range(len(op_ids)) if n != BAD]
    for n in others:
        replies = watching.replies(CHANNELS[n], cards[n])
        assert [reply["text"] for reply in replies] == [f"Operation {op_ids[n]}: WAIT → RUN"]
    assert report.changes == len(others)
    # The bad one: a note in its thread, one log line.
    [note] = watching.replies(CHANNELS[BAD], cards[BAD])
    assert f"operation {op_ids[BAD]} in a way opsbot cannot read" in str(note["text"])
    assert "the other watched operations carry on" in str(note["text"])
    assert len(skipped_lines(caplog, op_ids[BAD])) == 1
    assert (await watching.watches.get(TEAM_ID, op_ids[BAD])) is not None

    # Cycles go on: one call each for the four (and one read after the full
    # check's count that finds two of them DONE), no new line, no new note.
    calls = watching.polling_calls()
    for op_id in (op_ids[0], op_ids[4]):
        simulator.move(op_id, "DONE")
    await watching.cycles(3)
    assert watching.polling_calls() - calls == 3 + 1
    assert len(skipped_lines(caplog, op_ids[BAD])) == 1
    assert len(watching.replies(CHANNELS[BAD], cards[BAD])) == 1
    assert len(watching.replies(CHANNELS[0], cards[0])) == 2

    # Readable again: once its retry comes, it is followed from where it is.
    simulator.serve_hostile(op_ids[BAD], None)
    await watching.cycles(MAX_STRETCH)
    texts = [reply["text"] for reply in watching.replies(CHANNELS[BAD], cards[BAD])]
    assert texts[1:] == [f"Operation {op_ids[BAD]}: WAIT → RUN"]
    watch = await watching.watches.get(TEAM_ID, op_ids[BAD])
    assert watch is not None
    assert not watch.unreadable


@pytest.mark.parametrize("kind", HOSTILE_KINDS)
async def test_an_unreadable_operation_is_skipped_and_the_rest_of_its_batch_moves_on(
    watching: Watching, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    caplog.set_level(logging.INFO)
    await run_with_one_unreadable(watching, caplog, kind, QUICK_DEPTH)


@pytest.mark.slow
async def test_params_nested_200000_deep_are_skipped_like_the_rest(
    watching: Watching, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await run_with_one_unreadable(watching, caplog, "deep_params", 200_000)


async def test_a_whole_reply_that_cannot_be_decoded_costs_the_team_a_backoff_not_its_watches(
    watching: Watching, caplog: pytest.LogCaptureFixture
) -> None:
    """An API that answers garbage to every call is not an unreadable operation."""
    caplog.set_level(logging.INFO)
    op_ids, _ = await watch_five(watching)
    watching.simulator.garbage_next(10, "notxml")

    await watching.cycle()

    for op_id in op_ids:
        watch = await watching.watches.get(TEAM_ID, op_id)
        assert watch is not None
        assert not watch.unreadable
    assert not any("skipped" in record.getMessage() for record in caplog.records)


async def test_finding_the_one_among_a_hundred_costs_a_few_calls_once(
    watching: Watching, caplog: pytest.LogCaptureFixture
) -> None:
    """A reply that cannot be decoded at all: the batch is asked for again in halves.

    (A date out of the calendar no longer does that: the codec keeps it aside
    and it spoils its item only; a double that is no number still does.)
    """
    caplog.set_level(logging.INFO)
    simulator = watching.simulator
    op_ids = [simulator.create("domain_renew", step=WAIT) for _ in range(100)]
    # Cards spread over the team's channels: a hundred in one would wait on Slack's rate.
    channels = sorted(slack_api.CHANNELS)
    for number, op_id in enumerate(op_ids):
        await watching.watch(op_id, channel=channels[number % len(channels)])
    await watching.cycle()
    bad = op_ids[37]
    simulator.serve_hostile(bad, "undecodable_eta")
    simulator.move(op_ids[0], RUN)

    calls, counts = watching.list_calls(), simulator.calls["operation.count"]
    report = await watching.cycle()

    # One call that fails, then halves down to the bad one: 2 per level, 7 levels.
    assert watching.list_calls() - calls <= 1 + 2 * 7
    # The full check's count (one of them moved: read in full), then one that
    # tells the API itself answers.
    assert simulator.calls["operation.count"] - counts == 2
    assert report.changes == 1
    assert len(skipped_lines(caplog, bad)) == 1

    calls = watching.polling_calls()
    await watching.cycles(5)
    # The 99, checked in full at each cycle (their eta is short) by counting:
    # one count a step (WAIT, and RUN for the one that moved), the bad one not again.
    assert watching.polling_calls() - calls == 5 * 2


async def test_params_it_cannot_read_matter_only_once_the_operation_moves(
    watching: Watching, caplog: pytest.LogCaptureFixture
) -> None:
    """A check reads id, step, eta and date_updated; the rest is read for a change only.

    (Params 40 deep, too deep for opsbot but within what the plain reader
    parses; a reply it hands to the careful path is read whole at once.)
    """
    caplog.set_level(logging.INFO)
    simulator = watching.simulator
    op_ids, cards = await watch_five(watching)
    simulator.serve_hostile(op_ids[BAD], "deep_params", depth=40)

    await watching.cycles(3)

    # Followed as before: no note, no log line, read with its batch.
    assert watching.replies(CHANNELS[BAD], cards[BAD]) == []
    assert skipped_lines(caplog, op_ids[BAD]) == []
    calls = watching.list_calls()
    simulator.move(op_ids[BAD], RUN)
    await watching.cycle()

    # Moved, it must be read whole for its post: now it is skipped, with its note.
    assert watching.list_calls() - calls == 1
    [note] = watching.replies(CHANNELS[BAD], cards[BAD])
    assert f"operation {op_ids[BAD]} in a way opsbot cannot read" in str(note["text"])
    assert len(skipped_lines(caplog, op_ids[BAD])) == 1
    watch = await watching.watches.get(TEAM_ID, op_ids[BAD])
    assert watch is not None
    assert watch.step == WAIT
