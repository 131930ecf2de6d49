"""Refusals a test or the playground scripts: Slack having a bad moment on purpose.

The rules answer what a well-behaved workspace answers; these make it answer
what Slack also answers now and then (a ``ratelimited`` 429 before any rate
is reached, ``not_in_channel`` after someone removed the bot, a slow
network), so an app's handling of them can be shown on demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opsbot.workspace.errors import SlackError, ratelimited


@dataclass
class Fault:
    """Answer the next ``remaining`` matching calls (None: all) with ``error``."""

    method: str
    error: str
    remaining: int | None
    channel: str | None = None
    # Set: HTTP 429 with this Retry-After, before the token is even read.
    retry_after: int | None = None

    def matches(self, method: str, channel: str | None) -> bool:
        return method == self.method and self.channel in (None, channel)

    def as_error(self) -> SlackError:
        if self.retry_after is not None:
            return ratelimited(self.retry_after)
        return SlackError(self.error)


@dataclass
class Faults:
    scripted: list[Fault] = field(default_factory=list)
    # Seconds every answer (Web API and response_url) takes to reach its caller.
    latency: float = 0.0

    def add(self, fault: Fault) -> None:
        self.scripted.append(fault)

    def take(self, method: str, channel: str | None, *, rate_limits: bool) -> SlackError | None:
        """The scripted refusal for this call, if any (rate limits or the others)."""
        for fault in self.scripted:
            if (fault.retry_after is not None) != rate_limits or not fault.matches(method, channel):
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.scripted.remove(fault)
            return fault.as_error()
        return None
