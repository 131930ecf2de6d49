"""slack_sdk's Web API client as every part of opsbot builds it.

Slack answers a call over its rate with HTTP 429 and ``Retry-After``
(docs.slack.dev/apis/web-api/rate-limits). Every client opsbot builds waits
that out and tries again, a few times, when the wait is short; a longer wait
is handed back to the caller as the ``ratelimited`` error, so that no
request, and no watcher holding a team's lease, sleeps for long inside a
client. slack_sdk's own connection-error retry stays in front.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    async_default_handlers,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

T = TypeVar("T")

# A retried post waits Retry-After (plus up to a second of jitter); Slack's
# per-channel rate asks for about one second.
RATE_LIMIT_RETRIES: Final = 3
LONGEST_RETRY_AFTER_S: Final = 3


class ShortRateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's rate-limit retry, for a ``Retry-After`` of at most ``longest_s`` seconds."""

    def __init__(
        self, max_retry_count: int = RATE_LIMIT_RETRIES, longest_s: int = LONGEST_RETRY_AFTER_S
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.longest_s = longest_s

    async def _can_retry_async(
        self,
        *,
        state: RetryState,  # noqa: ARG002 - slack_sdk's signature
        request: HttpRequest,  # noqa: ARG002
        response: HttpResponse | None = None,
        error: Exception | None = None,  # noqa: ARG002
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        return retry_after_s(response) <= self.longest_s


def retry_after_s(response: HttpResponse) -> int:
    """The response's ``Retry-After`` in seconds (1 when absent or unreadable)."""
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return max(0, int(values[0]))
            except ValueError:
                return 1
    return 1


# Waiting out 429s for a person's own request: one message a second in a
# channel makes 20 cards about 20 seconds; a response_url stays good 30 minutes.
PATIENT_ATTEMPTS: Final = 10
LONGEST_PATIENT_WAIT_S: Final = 30


async def patiently(call: Callable[[], Awaitable[T]], attempts: int = PATIENT_ATTEMPTS) -> T:
    """``call()``, waiting out each 429 Slack answers, ``attempts`` times at most.

    For posts a person asked for and waits on (a card per watched operation):
    a busy channel delays them, it must not lose them.
    """
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except SlackApiError as error:
            if error.response.status_code != 429 or attempt == attempts:
                raise
            wait = _header_seconds(error.response.headers)
            await asyncio.sleep(min(wait, LONGEST_PATIENT_WAIT_S))
    raise AssertionError("unreachable: the last attempt returns or raises")


def _header_seconds(headers: dict[str, object]) -> int:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(1, int(str(value)))
            except ValueError:
                return 1
    return 1


def retry_handlers() -> list[AsyncRetryHandler]:
    return [*async_default_handlers(), ShortRateLimitRetry()]


def web_client(
    base_url: str, token: str | None = None, *, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """A Web API client that retries what Slack rate-limited briefly."""
    return AsyncWebClient(
        token=token, base_url=base_url, session=session, retry_handlers=retry_handlers()
    )
