"""Slack's rate limits as counted by the workspace, on a clock that only moves when told.

The same rules answered over HTTP are in test_web_api_rates.py.
"""

from __future__ import annotations

import pytest

from opsbot.workspace.clock import ManualClock
from opsbot.workspace.errors import SlackError
from opsbot.workspace.rates import RateLimiter
from opsbot.workspace.settings import Burst, Rates, Window


def refusal(limiter: RateLimiter, method: str, channel: str | None = None) -> SlackError:
    with pytest.raises(SlackError) as refused:
        limiter.check("T1", method, channel)
    return refused.value


def test_a_third_post_within_a_second_is_refused_when_the_burst_is_two() -> None:
    clock = ManualClock()
    limiter = RateLimiter(Rates(post_per_channel=Burst(per_second=1.0, burst=2)), clock)

    limiter.check("T1", "chat.postMessage", "C1")
    clock.advance(0.3)
    limiter.check("T1", "chat.postMessage", "C1")
    clock.advance(0.3)
    refused = refusal(limiter, "chat.postMessage", "C1")

    assert (refused.status, refused.error, refused.headers) == (
        429,
        "ratelimited",
        {"Retry-After": "1"},
    )


def test_posts_resume_at_one_a_second() -> None:
    clock = ManualClock()
    limiter = RateLimiter(Rates(post_per_channel=Burst(per_second=1.0, burst=2)), clock)
    for _ in range(2):
        limiter.check("T1", "chat.postMessage", "C1")
    refusal(limiter, "chat.postMessage", "C1")

    clock.advance(1.0)
    limiter.check("T1", "chat.postMessage", "C1")
    refusal(limiter, "chat.postMessage", "C1")


def test_each_channel_has_its_own_budget_and_other_teams_too() -> None:
    clock = ManualClock()
    limiter = RateLimiter(Rates(post_per_channel=Burst(per_second=1.0, burst=1)), clock)

    limiter.check("T1", "chat.postMessage", "C1")
    limiter.check("T1", "chat.postMessage", "C2")
    limiter.check("T2", "chat.postMessage", "C1")
    refusal(limiter, "chat.postMessage", "C1")


def test_the_workspace_wide_post_limit_spans_channels() -> None:
    clock = ManualClock()
    limiter = RateLimiter(Rates(post_per_team=Window(calls=3, seconds=60)), clock)
    for channel in ("C1", "C2", "C3"):
        limiter.check("T1", "chat.postMessage", channel)

    refused = refusal(limiter, "chat.postMessage", "C4")

    assert refused.headers == {"Retry-After": "60"}


def test_a_refused_post_spends_nothing() -> None:
    clock = ManualClock()
    limiter = RateLimiter(
        Rates(post_per_channel=Burst(1.0, 1), post_per_team=Window(calls=2, seconds=60)), clock
    )
    limiter.check("T1", "chat.postMessage", "C1")
    for _ in range(5):
        refusal(limiter, "chat.postMessage", "C1")

    limiter.check("T1", "chat.postMessage", "C2")  # the workspace budget still had room


def test_tier_3_allows_50_calls_in_any_minute() -> None:
    clock = ManualClock()
    limiter = RateLimiter(Rates(), clock)
    for _ in range(50):
        limiter.check("T1", "chat.update")
        clock.advance(0.5)

    refused = refusal(limiter, "chat.update")

    # The first call leaves the window 60 s after it was made: 35 s from now.
    assert refused.headers == {"Retry-After": "35"}
    clock.advance(35)
    limiter.check("T1", "chat.update")


def test_each_method_has_its_own_window() -> None:
    clock = ManualClock()
    limiter = RateLimiter(Rates(tiers={"chat.update": Window(1), "chat.delete": Window(1)}), clock)

    limiter.check("T1", "chat.update")
    limiter.check("T1", "chat.delete")
    refusal(limiter, "chat.update")


def test_users_info_is_tier_4() -> None:
    clock = ManualClock()
    limiter = RateLimiter(Rates(), clock)
    for _ in range(100):
        limiter.check("T1", "users.info")

    refusal(limiter, "users.info")


def test_rates_can_be_turned_off() -> None:
    limiter = RateLimiter(Rates(enabled=False), ManualClock())
    for _ in range(10):
        limiter.check("T1", "chat.postMessage", "C1")
