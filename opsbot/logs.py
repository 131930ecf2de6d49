"""Logging set-up, with a last line of defence against leaked secrets.

No opsbot code logs a secret, but libraries might (a debug line quoting a
request, an exception quoting a URL). Every record passes through
:class:`SecretRedactor`, which replaces the configured secrets and anything
shaped like a Slack token with a marker before it is written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Final, TextIO

from opsbot.api_key import hide_api_keys
from opsbot.config import Settings

REDACTED: Final = "<redacted>"
# Slack tokens (bot, user, app, refresh, config) have a recognisable shape.
_SLACK_TOKEN: Final = re.compile(r"\bx(?:ox[abpore]|app)-[A-Za-z0-9-]+")
_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class SecretRedactor(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def add(self, secret: str) -> None:
        if len(secret) >= 8 and secret not in self._secrets:
            self._secrets = sorted([*self._secrets, secret], key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        # A library logging a payload at DEBUG could carry an API key (the key
        # modal's submission, for instance): anything of its shape goes too.
        return hide_api_keys(_SLACK_TOKEN.sub(REDACTED, text), REDACTED)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def settings_secrets(settings: Settings) -> list[str]:
    slack = settings.slack
    candidates = [
        slack.signing_secret,
        slack.bot_token,
        slack.client_secret,
        slack.app_token,
        settings.redis_url,
        *settings.encryption_keys,
    ]
    return [secret for secret in candidates if secret]


def redacting_handler(
    redactor: SecretRedactor, stream: TextIO | None = None
) -> logging.StreamHandler[TextIO]:
    """opsbot's log handler: every record passes through ``redactor`` before it is written."""
    handler: logging.StreamHandler[TextIO] = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(redactor)
    return handler


def configure_logging(settings: Settings, level: int = logging.INFO) -> SecretRedactor:
    """Log to stderr through the redactor, which hides the configured secrets by
    value and API keys and Slack tokens by their shape; it is returned for tests."""
    redactor = SecretRedactor(settings_secrets(settings))
    root = logging.getLogger()
    root.handlers[:] = [redacting_handler(redactor)]
    root.setLevel(level)
    return redactor
