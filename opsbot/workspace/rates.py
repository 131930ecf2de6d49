"""Slack's rate limits: per method per workspace, and per channel for posts.

Two shapes cover what Slack documents: a token bucket for chat.postMessage
("one message per second per channel", short bursts allowed) and a sliding
window for the tiers ("50+ per minute"), whose strict reading is "never more
than N in any minute". A refused call takes nothing from the budget, like a
client that waits out ``Retry-After`` expects.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field

from opsbot.workspace.clock import Clock
from opsbot.workspace.errors import ratelimited
from opsbot.workspace.settings import Burst, Rates, Window


@dataclass
class TokenBucket:
    rate: Burst
    tokens: float
    updated: float

    def take(self, now: float) -> float | None:
        """Spend a token, or say how many seconds until one is there."""
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(float(self.rate.burst), self.tokens + elapsed * self.rate.per_second)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return None
        return (1.0 - self.tokens) / self.rate.per_second


@dataclass
class SlidingWindow:
    rate: Window
    calls: deque[float] = field(default_factory=deque)

    def take(self, now: float) -> float | None:
        """Count a call, or say how many seconds until the oldest one leaves the window."""
        while self.calls and self.calls[0] <= now - self.rate.seconds:
            self.calls.popleft()
        if len(self.calls) < self.rate.calls:
            self.calls.append(now)
            return None
        return self.calls[0] + self.rate.seconds - now


class RateLimiter:
    """Keeps every bucket and window; :meth:`check` raises Slack's 429."""

    def __init__(self, rates: Rates, clock: Clock) -> None:
        self.rates = rates
        self._clock = clock
        self._buckets: dict[Hashable, TokenBucket] = {}
        self._windows: dict[Hashable, SlidingWindow] = {}

    def check(self, team_id: str, method: str, channel: str | None = None) -> None:
        """Count one call to ``method`` by ``team_id``'s app (in ``channel`` for posts)."""
        if not self.rates.enabled:
            return
        if method == "chat.postMessage":
            self._check_post(team_id, channel or "")
            return
        window = self.rates.tiers.get(method)
        if window is not None:
            self._take_window((team_id, method), window)

    def _check_post(self, team_id: str, channel: str) -> None:
        # Both limits must have room before either is spent, or a refused
        # post would still eat the workspace's budget.
        bucket = self._bucket((team_id, channel))
        window = self._window((team_id, "chat.postMessage"), self.rates.post_per_team)
        now = self._clock()
        wait = _peek_window(window, now)
        if wait is not None:
            raise ratelimited(wait)
        wait = bucket.take(now)
        if wait is not None:
            raise ratelimited(wait)
        window.take(now)

    def _take_window(self, key: Hashable, rate: Window) -> None:
        wait = self._window(key, rate).take(self._clock())
        if wait is not None:
            raise ratelimited(wait)

    def _bucket(self, key: Hashable) -> TokenBucket:
        rate = self.rates.post_per_channel
        if key not in self._buckets:
            self._buckets[key] = TokenBucket(rate, float(rate.burst), self._clock())
        return self._buckets[key]

    def _window(self, key: Hashable, rate: Window) -> SlidingWindow:
        return self._windows.setdefault(key, SlidingWindow(rate))


def _peek_window(window: SlidingWindow, now: float) -> float | None:
    """What ``take`` would answer, without counting a call."""
    live = [at for at in window.calls if at > now - window.rate.seconds]
    if len(live) < window.rate.calls:
        return None
    return live[0] + window.rate.seconds - now
