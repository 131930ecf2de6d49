"""What arrives on ``POST /slack/events``, checked and read before bolt sees it.

Slack signs every request it sends; anything else on this path is noise or
an attack, and gets a 401 and one short log line, whatever its shape (bolt
itself would answer a non-numeric timestamp or a broken JSON body with a
500 and a traceback, and log the body of every unsigned request). Only a
signed request is read; one Slack could not have sent (a body that is
neither a form nor a JSON object) gets a 400.

The body is also read here because bolt misreads some: its parser
(``slack_bolt/request/internals.py``, ``parse_body``) takes any form body
containing the word "payload" for an interactivity payload, so
``/ops list type=payload`` or a command from ``#payload-ops`` reaches no
listener and ends in a 404. :func:`bolt_request` gives bolt the fields read
here instead; a test (``test_bolt_still_misreads…``) says when bolt no
longer needs it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import parse_qsl

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

# Slack's own rule (and bolt's): a request older or newer than this is a replay.
MAX_AGE_S: Final = 300
# Seconds since 1970 have ten digits until 2286; more is not a timestamp.
MAX_TIMESTAMP_DIGITS: Final = 12
TIMESTAMP_HEADER: Final = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER: Final = "X-Slack-Signature"
JSON_TYPE: Final = "application/json"

Fields = dict[str, Any]


class Refusal(Exception):
    """The request is answered ``status`` at once; ``reason`` is the log line's few words."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def check_signature(headers: Mapping[str, str], body: bytes, secret: str, now: float) -> None:
    """Raise a 401 :class:`Refusal` unless Slack signed ``body`` within the last 5 minutes."""
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > MAX_TIMESTAMP_DIGITS:
        raise Refusal(401, "no valid request timestamp")
    if abs(now - int(timestamp)) > MAX_AGE_S:
        raise Refusal(401, "a stale request timestamp")
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode(errors="replace")):
        raise Refusal(401, "a bad signature")


def read_fields(body: bytes, content_type: str) -> tuple[str, Fields]:
    """The body as text, and its fields: a JSON object, an interactivity payload, or a form.

    Raise a 400 :class:`Refusal` for a body Slack would not send. JSON is
    recognised the way bolt recognises it (its content type, or a leading
    ``{``), so both always agree on what kind of body it is.
    """
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise Refusal(400, "a body that is not UTF-8") from None
    if content_type.lower() == JSON_TYPE or text.startswith("{"):
        return text, _json_object(text, "a JSON body")
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in form:
        return text, _json_object(form["payload"], "a payload field")
    return text, form


def bolt_request(
    text: str, query: str, headers: Mapping[str, str], fields: Fields
) -> AsyncBoltRequest:
    """bolt's request for ``text``, holding the ``fields`` read here where bolt read others."""
    request = AsyncBoltRequest(body=text, query=query, headers=dict(headers))
    if request.body != fields:
        # bolt took a form mentioning "payload" for an interactivity payload.
        request.body = fields
        request.context = build_async_context(AsyncBoltContext({}), fields)
    return request


def _json_object(text: str, what: str) -> Fields:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested beyond the parser's depth
        raise Refusal(400, f"{what} that is not JSON") from None
    if not isinstance(value, dict):
        raise Refusal(400, f"{what} that is not a JSON object")
    return value
