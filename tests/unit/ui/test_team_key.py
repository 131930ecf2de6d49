"""The API key's modal, status and "set a key first", checked as Slack would."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from opsbot.ui import ids, team_key
from tests.support.surfaces import (
    ACTOR,
    HOSTILE,
    NOW,
    all_text,
    assert_message_ok,
    assert_modal_ok,
)


def _assert_message_ok(message: dict[str, Any]) -> None:
    assert_message_ok(message, may_mention=[ACTOR])


def _assert_modal_ok(view: dict[str, Any]) -> None:
    assert_modal_ok(view, may_mention=[ACTOR])


def test_key_required_message_says_how_to_set_one() -> None:
    message = team_key.key_required_message()
    _assert_message_ok(message)
    assert "`/ops key`" in all_text(message)


# The API key.


def test_key_modal_shape() -> None:
    view = team_key.key_modal()
    _assert_modal_ok(view)
    assert view["callback_id"] == ids.CALLBACK_API_KEY == "api_key"
    assert view["title"]["text"] == "Operation API key"
    assert view["submit"]["text"] == "Save"
    inputs = [block for block in view["blocks"] if block["type"] == "input"]
    assert len(inputs) == 1
    assert inputs[0]["block_id"] == ids.BLOCK_API_KEY
    element = inputs[0]["element"]
    assert element["type"] == "plain_text_input"
    assert element["action_id"] == ids.ACTION_VALUE == "value"
    assert element["placeholder"]["text"] == "24 lowercase letters and digits"


def test_key_modal_shows_an_error_escaped() -> None:
    view = team_key.key_modal(error=HOSTILE * 50)
    _assert_modal_ok(view)
    assert "&lt;!channel&gt;" in all_text(view)


@dataclass(frozen=True)
class _Status:
    set_by: str
    set_at: dt.datetime
    fingerprint: str
    readable: bool = True


def test_key_status_names_who_and_when_and_the_fingerprint() -> None:
    status = _Status(ACTOR, NOW - dt.timedelta(days=3), "a1b2c3d4")
    message = team_key.key_status_message(status, now=NOW)
    _assert_message_ok(message)
    text = all_text(message)
    assert f"<@{ACTOR}>" in text
    assert "2026-02-26 12:00 UTC (3 days ago)" in text
    assert "`a1b2c3d4`" in text


def test_key_status_never_turns_a_bad_user_id_into_a_mention() -> None:
    message = team_key.key_status_message(_Status("<!channel>", NOW, HOSTILE), now=NOW)
    _assert_message_ok(message)
    assert "an unknown user" in all_text(message)


def test_key_status_without_a_key() -> None:
    message = team_key.key_status_message(None)
    _assert_message_ok(message)
    assert "No operation API key is set" in message["text"]


def test_key_status_of_a_key_that_does_not_decrypt_asks_for_it_to_be_set_again() -> None:
    status = _Status(ACTOR, NOW - dt.timedelta(days=3), "a1b2c3d4", readable=False)
    message = team_key.key_status_message(status, now=NOW)
    _assert_message_ok(message)
    text = all_text(message)
    assert "is set" not in message["text"]
    assert "needs setting again" in message["text"]
    assert "cannot be read" in text
    # Who may set it again, and with what.
    assert "workspace admin or owner" in text
    assert "OPSBOT_ADMINS" in text
    assert "`/ops key`" in text
    assert f"<@{ACTOR}>" in text


def test_a_command_that_needs_an_unreadable_key_asks_for_it_to_be_set_again() -> None:
    message = team_key.key_unreadable_message()
    _assert_message_ok(message)
    text = all_text(message)
    assert "cannot be read" in text
    assert "set it again" in message["text"]
    assert "`/ops key`" in text
