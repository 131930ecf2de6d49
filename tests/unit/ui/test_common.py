"""Help, errors, notices and API failures, rendered with hostile data and checked as Slack would."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsbot.api.errors import (
    ApiError,
    AuthorizationError,
    BadParameterError,
    InvalidStepError,
    NotFoundError,
    ProtocolError,
    TemporaryError,
    UnknownApiError,
)
from opsbot.slack.commands import SUBCOMMANDS, help_message
from opsbot.ui import common, limits
from tests.support.surfaces import (
    ACTOR,
    HOSTILE,
    all_text,
    assert_message_ok,
    assert_modal_ok,
)


def _assert_message_ok(message: dict[str, Any]) -> None:
    assert_message_ok(message, may_mention=[ACTOR])


def _assert_modal_ok(view: dict[str, Any]) -> None:
    assert_modal_ok(view, may_mention=[ACTOR])


# Help and small messages.


def test_help_lists_every_subcommand_and_the_examples() -> None:
    message = help_message()
    _assert_message_ok(message)
    text = all_text(message)
    for subcommand in SUBCOMMANDS:
        assert f"/ops {subcommand}" in text
    assert "`/ops list step=ERROR type=domain_create`" in text
    assert '`/ops list "&gt;date_created=7d" sort_by="date_created DESC"`' in text
    assert "`/ops info 123`" in text
    assert "`/ops key`" in text
    assert "name=value" in text


def test_error_message_escapes_and_caps_suggestions() -> None:
    message = common.error_message(
        HOSTILE * 100, hint=HOSTILE, suggestions=[f"{HOSTILE}{n}" for n in range(40)]
    )
    _assert_message_ok(message)
    assert all_text(message).count("Did you mean") == 1
    assert len(message["blocks"]) == 3
    assert message["blocks"][1]["text"]["text"].count("`") == 2 * common.SUGGESTIONS_SHOWN


@settings(max_examples=50)
@given(text=st.text(), hint=st.none() | st.text(), suggestions=st.lists(st.text(), max_size=12))
def test_any_error_text_gives_a_valid_safe_message(
    text: str, hint: str | None, suggestions: list[str]
) -> None:
    _assert_message_ok(common.error_message(text, hint=hint, suggestions=suggestions))


def test_error_message_without_hint_or_suggestions_is_one_block() -> None:
    message = common.error_message("operation id must be a number")
    _assert_message_ok(message)
    assert message["text"] == "operation id must be a number"
    assert len(message["blocks"]) == 1


def test_working_message() -> None:
    message = common.working_message(HOSTILE)
    _assert_message_ok(message)
    assert "Working on it" in message["text"]


def test_notice_message() -> None:
    message = common.notice_message(f"Operation 1 is already being cancelled. {HOSTILE}")
    _assert_message_ok(message)
    assert message["text"].startswith("Operation 1 is already being cancelled.")


def test_notice_modal_truncates_its_title_and_escapes_its_text() -> None:
    view = common.notice_modal(f"Relaunch failed {HOSTILE}", HOSTILE * 100)
    _assert_modal_ok(view)
    assert limits.slack_length(view["title"]["text"]) <= limits.MODAL_TITLE
    assert view["title"]["text"].startswith("Relaunch failed")


# API errors and audit.


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (AuthorizationError("Invalid API key", code=510150), "`/ops key status`"),
        (NotFoundError("no such operation", code=510242), "Operation *#123* was not found"),
        (
            InvalidStepError("bad step", code=525090),
            "is in *RUN*; cancel is only possible in BILL, WAIT or ERROR.",
        ),
        (TemporaryError("rate limited", code=150004), "Try again in a minute"),
        (BadParameterError("bad", code=501237), "refused a parameter"),
        (ProtocolError("not XML-RPC"), "could not be read"),
        (UnknownApiError("odd"), "returned an error"),
    ],
)
def test_api_errors_in_plain_words(error: ApiError, words: str) -> None:
    message = common.api_error_message(error, op_id=123, action="cancel", step="RUN")
    _assert_message_ok(message)
    assert words in all_text(message)


def test_api_error_text_is_escaped() -> None:
    error = UnknownApiError(HOSTILE * 100, code=500000)
    message = common.api_error_message(error)
    _assert_message_ok(message)
    assert "&lt;!channel&gt;" in all_text(message)


def test_invalid_step_for_relaunch() -> None:
    message = common.api_error_message(
        InvalidStepError("x"), op_id=7, action="relaunch", step="DONE"
    )
    assert "Operation 7 is in *DONE*; relaunch is only possible in ERROR." in all_text(message)
