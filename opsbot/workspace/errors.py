"""How the local workspace refuses a call: Slack's answer, as an exception.

A Web API method raises :class:`SlackError`; the server turns it into what
Slack sends: HTTP 200 with ``{"ok": false, "error": …}`` plus any extra
fields Slack adds (``needed``/``provided`` for ``missing_scope``,
``response_metadata`` for validation errors), or HTTP 429 with
``Retry-After`` for a rate limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


class SlackError(Exception):
    """Slack's refusal: ``error`` is Slack's own error name."""

    def __init__(
        self,
        error: str,
        *,
        status: int = 200,
        fields: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, **self.fields}


def ratelimited(retry_after: float) -> SlackError:
    """HTTP 429 ``ratelimited`` with ``Retry-After`` in whole seconds, at least 1.

    docs.slack.dev/apis/web-api/rate-limits: "a HTTP 429 Too Many Requests
    error, and a Retry-After HTTP header containing the number of seconds
    until you can retry". Rounded up, so a client that waits that long is
    never refused again for the same reason.
    """
    seconds = max(1, math.ceil(retry_after))
    return SlackError("ratelimited", status=429, headers={"Retry-After": str(seconds)})


def validation_error(error: str, messages: list[str]) -> SlackError:
    """Slack's shape for a payload it could not accept, json-pointers included."""
    fields: dict[str, Any] = {"response_metadata": {"messages": messages}}
    if error != "invalid_arguments":
        # Message methods also list the problems under "errors".
        fields["errors"] = [message.removeprefix("[ERROR] ") for message in messages]
    return SlackError(error, fields=fields)
