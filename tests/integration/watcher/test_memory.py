"""What a worker remembers to ask only for changes: a moment each answer was current at."""

from __future__ import annotations

import datetime as dt

from opsbot.api.glance import Glance
from opsbot.api.operation import Operation
from opsbot.watcher.memory import MARGIN, ChangesSince, TeamBackoff

TEAM = "T0123"
OTHER_TEAM = "T0456"
NOON = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)


def updated(op_id: int, at: dt.datetime) -> Glance:
    return Glance.of(Operation(id=op_id, type="domain_renew", step="RUN", date_updated=at))


def test_operations_never_answered_for_are_read_in_full() -> None:
    changes = ChangesSince()
    changes.answered(TEAM, [1, 2], [updated(1, NOON), updated(2, NOON)])

    assert changes.since(TEAM, [1, 2, 3]) is None
    assert changes.since(OTHER_TEAM, [1, 2]) is None
    assert changes.since(TEAM, []) is None


def test_the_newest_update_in_an_answer_is_when_it_was_current_for_every_id_asked() -> None:
    changes = ChangesSince()
    changes.answered(TEAM, [1, 2, 3], [updated(1, NOON), updated(2, NOON.replace(hour=9))])

    assert changes.since(TEAM, [1, 2, 3]) == NOON - MARGIN


def test_the_oldest_moment_of_a_batch_bounds_its_question() -> None:
    changes = ChangesSince()
    changes.answered(TEAM, [1, 2], [updated(1, NOON)])
    later = NOON + dt.timedelta(minutes=5)
    changes.answered(TEAM, [2], [updated(2, later)])

    assert changes.since(TEAM, [2]) == later - MARGIN
    assert changes.since(TEAM, [1, 2]) == NOON - MARGIN


def test_an_empty_answer_tells_no_time_and_changes_nothing() -> None:
    changes = ChangesSince()
    changes.answered(TEAM, [1], [updated(1, NOON)])
    changes.answered(TEAM, [1], [])

    assert changes.since(TEAM, [1]) == NOON - MARGIN


def test_what_is_remembered_never_goes_back_in_time() -> None:
    changes = ChangesSince()
    changes.answered(TEAM, [1], [updated(1, NOON)])
    changes.answered(TEAM, [1], [updated(1, NOON - dt.timedelta(hours=1))])

    assert changes.since(TEAM, [1]) == NOON - MARGIN


def test_operations_no_longer_watched_are_forgotten() -> None:
    changes = ChangesSince()
    changes.answered(TEAM, [1, 2], [updated(1, NOON)])
    changes.keep_only(TEAM, [2])

    assert changes.since(TEAM, [1]) is None
    assert changes.since(TEAM, [2]) == NOON - MARGIN


def test_failures_in_a_row_are_counted_per_team_until_one_succeeds() -> None:
    backoff = TeamBackoff()

    assert [backoff.failed(TEAM), backoff.failed(TEAM), backoff.failed(OTHER_TEAM)] == [1, 2, 1]
    backoff.succeeded(TEAM)
    assert backoff.failed(TEAM) == 1
