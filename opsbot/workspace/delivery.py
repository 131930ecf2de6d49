"""Delivering a request to the app over HTTP, and reading its acknowledgement.

Slack POSTs to the app's request URL: slash commands form-encoded, interactivity
as a form with one ``payload`` field of JSON, events as JSON; every request is
signed (:mod:`.signing`). The app has 3 seconds to answer HTTP 200; later, or
any other status, and the person sees Slack's failure
(``operation_timeout``, ``dispatch_failed``). Socket Mode
(:mod:`.socket_mode`) delivers the same payloads in envelopes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import urlencode

import aiohttp

from opsbot.workspace.signing import signature_headers

JSON = dict[str, Any]
EnvelopeType = Literal["slash_commands", "interactive", "events_api"]

USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


@dataclass(frozen=True)
class Delivery:
    """One request to the app: its Socket Mode type and its payload."""

    type: EnvelopeType
    payload: JSON

    def http_body(self) -> tuple[bytes, str]:
        if self.type == "slash_commands":
            return urlencode(self.payload).encode(), "application/x-www-form-urlencoded"
        if self.type == "interactive":
            form = urlencode({"payload": json.dumps(self.payload)})
            return form.encode(), "application/x-www-form-urlencoded"
        return json.dumps(self.payload).encode(), "application/json"


@dataclass(frozen=True)
class Ack:
    """The app's acknowledgement: its body (JSON, text or None), or why there is none."""

    body: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Transport(Protocol):
    async def deliver(self, delivery: Delivery, timeout: float) -> Ack: ...  # noqa: ASYNC109


class HttpTransport:
    """POSTs signed requests to the app's request URL."""

    def __init__(self, session: aiohttp.ClientSession, url: str, signing_secret: str) -> None:
        self._session = session
        self._url = url
        self._secret = signing_secret

    async def deliver(self, delivery: Delivery, timeout: float) -> Ack:  # noqa: ASYNC109
        body, content_type = delivery.http_body()
        headers = {
            "Content-Type": content_type,
            "User-Agent": USER_AGENT,
            **signature_headers(body, self._secret),
        }
        try:
            async with self._session.post(
                self._url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as response:
                text = await response.text()
                if response.status != 200:
                    return Ack(error=f"http_{response.status}")
                return Ack(body=_parse(text, response.content_type))
        except TimeoutError:
            return Ack(error="operation_timeout")
        except aiohttp.ClientError:
            return Ack(error="dispatch_failed")


def _parse(text: str, content_type: str) -> Any:
    if not text.strip():
        return None
    if content_type == "application/json" or text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text
