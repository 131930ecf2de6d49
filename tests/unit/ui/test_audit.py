"""The audit channel's line, checked as Slack would."""

from __future__ import annotations

from typing import Any

from opsbot.ui import audit
from tests.support.surfaces import (
    ACTOR,
    HOSTILE,
    NOW,
    all_text,
    assert_message_ok,
)


def _assert_message_ok(message: dict[str, Any]) -> None:
    assert_message_ok(message, may_mention=[ACTOR])


def test_audit_message() -> None:
    message = audit.audit_message(
        user_id=ACTOR, action="cancel", target=f"operation 123 {HOSTILE}", outcome=HOSTILE, at=NOW
    )
    _assert_message_ok(message)
    assert f"<@{ACTOR}>" in all_text(message)
    assert "2026-03-01 12:00 UTC" in all_text(message)
    assert "<@" not in message["text"]
