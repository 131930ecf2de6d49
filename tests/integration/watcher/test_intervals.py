"""How often operations are read in full, and how long a refused team waits."""

from __future__ import annotations

import pytest

from opsbot.watcher.intervals import MAX_BACKOFF_DOUBLINGS, MAX_STRETCH, PollPolicy

INTERVAL = 30.0


@pytest.mark.parametrize("eta", [None, -3600, 0, 60, 300])
def test_an_operation_finishing_soon_or_late_is_read_at_every_interval(eta: int | None) -> None:
    assert PollPolicy(INTERVAL).operation_delay(eta) == INTERVAL


def test_a_long_operation_is_read_about_ten_times_over_what_it_has_left() -> None:
    assert PollPolicy(INTERVAL).operation_delay(1200) == 120.0


def test_no_operation_waits_longer_than_the_longest_stretch() -> None:
    assert PollPolicy(INTERVAL).operation_delay(30 * 86_400) == INTERVAL * MAX_STRETCH


@pytest.mark.parametrize("eta", [None, -1, 1, 5, 10**9])
def test_no_delay_is_shorter_than_the_poll_interval(eta: int | None) -> None:
    assert PollPolicy(INTERVAL).operation_delay(eta) >= INTERVAL


def test_rate_limit_faults_in_a_row_double_the_wait_up_to_a_cap() -> None:
    policy = PollPolicy(INTERVAL)

    waits = [policy.backoff_delay(failures) for failures in range(1, MAX_BACKOFF_DOUBLINGS + 4)]

    assert waits[:4] == [INTERVAL, 2 * INTERVAL, 4 * INTERVAL, 8 * INTERVAL]
    assert waits[-1] == waits[-2] == INTERVAL * 2**MAX_BACKOFF_DOUBLINGS


def test_a_retry_after_longer_than_the_backoff_is_honoured() -> None:
    policy = PollPolicy(INTERVAL)

    assert policy.backoff_delay(1, retry_after=120.0) == 120.0
    assert policy.backoff_delay(3, retry_after=5.0) == 4 * INTERVAL


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        PollPolicy(0)
