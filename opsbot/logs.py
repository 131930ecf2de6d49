"""Logging set-up: no secret, no forged line, no endless line.

No opsbot code logs a secret, but libraries might (a debug line quoting a
request, an exception quoting a URL). Every record passes through
:class:`SecretRedactor`, which replaces the configured secrets and anything
shaped like a Slack token with a marker before it is written.

Text that comes from the API or from people (a fault string, a filter, a
channel name) is written with :func:`log_text`: cut to
:data:`LOG_TEXT_LIMIT` characters with a marker, line breaks and other
control characters escaped, so a hostile reply can neither forge a log line
nor grow the log by gigabytes. :class:`OneLine` does the same to every
record's whole message, after the redactor, for what a library logs.

A watcher error that repeats at every cycle is written once per period with
a count of the repeats (:class:`Repeats`), not once per cycle.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Final, TextIO

from opsbot.api_key import hide_api_keys
from opsbot.config import Settings

REDACTED: Final = "<redacted>"
# Slack tokens (bot, user, app, refresh, config) have a recognisable shape.
_SLACK_TOKEN: Final = re.compile(r"\bx(?:ox[abpore]|app)-[A-Za-z0-9-]+")
_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Text from the API or from people, in a log line: at most this many characters.
LOG_TEXT_LIMIT: Final = 500
# A whole log message (several such texts, a library's own words): at most this many.
LOG_MESSAGE_LIMIT: Final = 2000
# A traceback: at most this many characters (a long chain of causes stays readable).
LOG_TRACEBACK_LIMIT: Final = 20000
# Line breaks, control characters (C0, DEL, C1), Unicode's line and paragraph
# separators, and the bidirectional overrides that reorder what a reader sees.
_UNSAFE: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_ESCAPES: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def log_text(value: object, limit: int = LOG_TEXT_LIMIT) -> str:
    """``value`` as one bounded line: cut to ``limit`` characters (with a marker), escaped."""
    text = value if isinstance(value, str) else str(value)
    shown = _UNSAFE.sub(_escape, text[:limit])
    if len(text) > limit:
        shown += f"…[{len(text) - limit} more characters]"
    return shown


def _escape(found: re.Match[str]) -> str:
    character = found.group()
    return _ESCAPES.get(character) or f"\\u{ord(character):04x}"


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


class OneLine(logging.Filter):
    """Every record one bounded line: its message through :func:`log_text`.

    It runs after the redactor, so a secret is hidden whole before anything
    is cut. A traceback keeps its lines (that is its shape) but is bounded.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = log_text(record.getMessage(), LOG_MESSAGE_LIMIT)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and len(record.exc_text) > LOG_TRACEBACK_LIMIT:
            cut = len(record.exc_text) - LOG_TRACEBACK_LIMIT
            record.exc_text = record.exc_text[:LOG_TRACEBACK_LIMIT] + f"…[{cut} more characters]"
        return True


@dataclass
class _Repeat:
    next_line_at: float
    repeats: int = 0


class Repeats:
    """Log an error that keeps coming back once per ``period_s`` and per key, with a count.

    The key says what counts as the same error (a team and a kind of
    failure, say). The first occurrence is logged at once; those within the
    period after it are only counted, and the next line says how many there
    were. Callers pass the time, so that a worker on a test clock is
    throttled on that clock.
    """

    # Keys remembered at most; past it, those whose period is over are forgotten.
    MAX_KEYS: Final = 10000

    def __init__(self, logger: logging.Logger, period_s: float) -> None:
        self._logger = logger
        self._period_s = period_s
        self._seen: dict[Hashable, _Repeat] = {}

    def log(
        self,
        level: int,
        key: Hashable,
        now: float,
        message: str,
        *args: object,
        exc_info: bool = False,
    ) -> bool:
        """Log ``message % args`` unless one like it went out less than a period ago."""
        seen = self._seen.get(key)
        if seen is not None and now < seen.next_line_at:
            seen.repeats += 1
            return False
        repeats = 0 if seen is None else seen.repeats
        self._forget_old(now)
        self._seen[key] = _Repeat(next_line_at=now + self._period_s)
        if repeats:
            message += " (%d more like it since the last such line)"
            args = (*args, repeats)
        self._logger.log(level, message, *args, exc_info=exc_info)
        return True

    def _forget_old(self, now: float) -> None:
        if len(self._seen) < self.MAX_KEYS:
            return
        self._seen = {key: seen for key, seen in self._seen.items() if now < seen.next_line_at}


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
    """opsbot's log handler: every record passes through ``redactor``, then
    :class:`OneLine`, before it is written."""
    handler: logging.StreamHandler[TextIO] = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(redactor)
    handler.addFilter(OneLine())
    return handler


def configure_logging(settings: Settings, level: int = logging.INFO) -> SecretRedactor:
    """Log to stderr through the redactor, which hides the configured secrets by
    value and API keys and Slack tokens by their shape; it is returned for tests."""
    redactor = SecretRedactor(settings_secrets(settings))
    root = logging.getLogger()
    root.handlers[:] = [redacting_handler(redactor)]
    root.setLevel(level)
    return redactor
