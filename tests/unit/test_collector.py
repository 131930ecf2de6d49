"""A settled process keeps what start-up made out of the collector's walks."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from opsbot import collector


@pytest.fixture
def collector_restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("collector_restored")
def test_settle_freezes_what_exists_and_collects_less_often() -> None:
    made_at_start_up = [{"a": [1]} for _ in range(1000)]
    frozen_before = gc.get_freeze_count()

    collector.settle()

    assert gc.get_freeze_count() >= frozen_before + len(made_at_start_up)
    assert gc.get_threshold() == collector.THRESHOLDS
    assert gc.get_threshold()[0] > 700  # Python's default young threshold


@pytest.mark.usefixtures("collector_restored")
def test_garbage_left_by_start_up_is_collected_not_frozen() -> None:
    class Cycle:
        def __init__(self) -> None:
            self.me = self

    collected = []
    gc.callbacks.append(
        lambda phase, info: collected.append(info["collected"]) if phase == "stop" else None
    )
    try:
        Cycle()  # unreachable at once, kept alive by its own reference only
        collector.settle()
    finally:
        gc.callbacks.pop()

    assert sum(collected) >= 1
