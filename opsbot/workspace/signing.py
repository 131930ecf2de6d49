"""Requests signed exactly as Slack signs them.

docs.slack.dev/authentication/verifying-requests-from-slack: the signature is
``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{raw body}`` under the app's
signing secret, sent as ``X-Slack-Signature`` with the timestamp in
``X-Slack-Request-Timestamp``.
"""

from __future__ import annotations

import hashlib
import hmac
import time


def signature_headers(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    # The app checks the timestamp against its own clock (5 minutes of skew at
    # most), so it is the real time even when the workspace's clock is held still.
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}
