"""When a failed call to the operation API is sent again, and after how long.

Only temporary errors are retried, with capped, jittered exponential backoff
(stamina; ``stamina.set_testing(True)`` turns the sleeps off in tests).

Reads (list, count, info) are retried on every temporary error. Actions
(cancel, relaunch) change an operation, so they are retried only when the
API certainly did not act on the first try: it refused the call (rate limit,
busy) or was never reached. After a timeout or a dropped connection the action
may have run; sending it again would fail with INVALID_STEP (the operation
has already moved on) and tell the person the opposite of what happened. That
error is raised instead, with ``may_have_run`` set, so the caller can look at
the operation before saying anything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import stamina

from opsbot.api.errors import TemporaryError

RetryDecision = Callable[[Exception], bool | float]

P = ParamSpec("P")
T = TypeVar("T")


class OneAttempt:
    """A caller that makes the one attempt stamina would make with ``attempts=1``.

    Without stamina's retrying machinery around it, which costs about as much
    CPU as the HTTP exchange of the watcher's changes-only check (the watcher
    retries at the team's next turn, not here).
    """

    async def __call__(
        self,
        on: RetryDecision,  # noqa: ARG002 - stamina's signature: nothing is retried
        callable_: Callable[P, Awaitable[T]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        return await callable_(*args, **kwargs)


@dataclass(frozen=True)
class RetryPolicy:
    """How many times, and within how long, a temporary failure is retried."""

    attempts: int = 5
    timeout: float = 60.0
    wait_initial: float = 0.2
    wait_max: float = 5.0
    wait_jitter: float = 0.5

    def caller(self) -> stamina.AsyncRetryingCaller | OneAttempt:
        if self.attempts <= 1:
            return OneAttempt()
        return stamina.AsyncRetryingCaller(
            attempts=self.attempts,
            timeout=self.timeout,
            wait_initial=self.wait_initial,
            wait_max=self.wait_max,
            wait_jitter=self.wait_jitter,
        )

    def decision(self, *, action: bool) -> RetryDecision:
        """A stamina backoff hook: False (give up), True (back off) or the seconds to wait."""

        def decide(error: Exception) -> bool | float:
            if not isinstance(error, TemporaryError):
                return False
            if action and error.may_have_run:
                return False
            if error.retry_after is None:
                return True
            # A wait longer than our whole budget is the caller's decision, not ours:
            # the error carries retry_after so it can say when to try again.
            if error.retry_after > self.timeout:
                return False
            return error.retry_after

        return decide
