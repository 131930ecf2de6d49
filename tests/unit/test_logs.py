"""The redacting log filter: the last line of defence against a leaked secret."""

from __future__ import annotations

import io
import logging

from opsbot.config import Settings
from opsbot.logs import (
    LOG_MESSAGE_LIMIT,
    LOG_TEXT_LIMIT,
    REDACTED,
    Repeats,
    SecretRedactor,
    log_text,
    redacting_handler,
    settings_secrets,
)

SIGNING_SECRET = "0123456789abcdefsecret"


def test_configured_secrets_slack_tokens_and_api_keys_are_redacted() -> None:
    redactor = SecretRedactor([SIGNING_SECRET])
    text = redactor.redact(
        f"secret={SIGNING_SECRET} bot=xoxb-123-456-abc app=xapp-1-A1-2-ff "
        "key=abcdefghijklmnopqrstuvwx id=123456"
    )
    assert SIGNING_SECRET not in text
    assert "xoxb-" not in text
    assert "xapp-" not in text
    assert "abcdefghijklmnopqrstuvwx" not in text
    assert text.count(REDACTED) == 4
    assert "id=123456" in text


def test_a_longer_word_that_contains_24_characters_is_left_alone() -> None:
    redactor = SecretRedactor([])
    word = "abcdefghijklmnopqrstuvwxyz"
    assert redactor.redact(word) == word


def test_the_production_handler_redacts_arguments_and_tracebacks() -> None:
    settings = Settings.from_env({"SLACK_SIGNING_SECRET": SIGNING_SECRET})
    stream = io.StringIO()
    handler = redacting_handler(SecretRedactor(settings_secrets(settings)), stream)
    logger = logging.getLogger("opsbot.test_logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise RuntimeError(f"failed with {SIGNING_SECRET}")
        except RuntimeError:
            logger.exception("call with %s", SIGNING_SECRET)
        logger.warning("token %s", "xoxb-1-2-3")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "RuntimeError" in written
    assert SIGNING_SECRET not in written
    assert "xoxb-1-2-3" not in written
    assert written.count(REDACTED) == 3


def test_a_stack_dump_is_redacted_too() -> None:
    stream = io.StringIO()
    handler = redacting_handler(SecretRedactor([SIGNING_SECRET]), stream)
    logger = logging.getLogger("opsbot.test_logs.stack")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        # The dump quotes each frame's source line, comment included:
        logger.warning("here", stack_info=True)  # 0123456789abcdefsecret
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "Stack (most recent call last)" in written
    assert SIGNING_SECRET not in written


# --- bounded, truthful lines ---------------------------------------------------------------

FORGED = "boom\n2026-01-01 12:00:00,000 INFO opsbot.watcher: cycle: teams=0 forged"


def test_log_text_cuts_long_text_with_a_marker() -> None:
    text = log_text("x" * 10_000)
    assert text == "x" * LOG_TEXT_LIMIT + "…[9500 more characters]"


def test_log_text_escapes_line_breaks_and_control_characters() -> None:
    text = log_text(FORGED + "\r\x1b[31mred\x00\u2028\u202eevil")
    for unsafe in ("\n", "\r", "\x1b", "\x00", "\u2028", "\u202e"):
        assert unsafe not in text
    assert "boom\\n2026-01-01" in text
    assert "\\r\\u001b[31mred\\u0000\\u2028\\u202eevil" in text


def test_log_text_leaves_ordinary_text_alone() -> None:
    assert log_text("operation 123: domain été.fr, 5 ≥ 4 😀") == (
        "operation 123: domain été.fr, 5 ≥ 4 😀"
    )


def _written(record_args: tuple[object, ...], message: str = "fault: %s") -> str:
    stream = io.StringIO()
    handler = redacting_handler(SecretRedactor([SIGNING_SECRET]), stream)
    logger = logging.getLogger("opsbot.test_logs.one_line")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(message, *record_args)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_the_production_handler_cannot_be_made_to_forge_a_line() -> None:
    written = _written((FORGED,))
    assert written.count("\n") == 1  # the line's own end, nothing else
    assert "forged" in written  # still said, as text on the one line


def test_the_production_handler_bounds_a_huge_argument() -> None:
    written = _written(("y" * 9_000_000,))
    assert len(written) < LOG_MESSAGE_LIMIT + 200
    assert "more characters]" in written


def test_the_production_handler_redacts_before_it_cuts() -> None:
    # The secret straddles the cut: it is hidden whole, not half shown.
    padding = "z" * (LOG_MESSAGE_LIMIT - len("fault: ") - 5)
    written = _written((padding + SIGNING_SECRET,))
    assert SIGNING_SECRET[:5] not in written.split("z" * 10)[-1]
    assert REDACTED[:5] in written


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_a_repeating_error_is_logged_once_per_period_with_a_count() -> None:
    logger = logging.getLogger("opsbot.test_logs.repeats")
    records = _Records()
    logger.addHandler(records)
    logger.propagate = False
    repeats = Repeats(logger, period_s=600)
    try:
        for second in range(0, 1200, 30):  # a failure every 30 s for 20 minutes
            repeats.log(
                logging.WARNING, ("T0123", "pass failed"), float(second), "team %s", "T0123"
            )
        repeats.log(logging.WARNING, ("T0456", "pass failed"), 10.0, "team %s", "T0456")
    finally:
        logger.removeHandler(records)

    # 40 failures: the first line at 0 s, 19 counted, the next line at 600 s.
    assert records.messages == [
        "team T0123",
        "team T0123 (19 more like it since the last such line)",
        "team T0456",
    ]
