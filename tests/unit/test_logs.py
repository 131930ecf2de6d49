"""The redacting log filter: the last line of defence against a leaked secret."""

from __future__ import annotations

import io
import logging

from opsbot.config import Settings
from opsbot.logs import REDACTED, SecretRedactor, redacting_handler, settings_secrets

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
