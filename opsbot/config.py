"""Settings from the environment, checked once at start-up.

Every problem is reported as one line naming the variable and how to fix it;
the values of secrets are never part of the message.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opsbot.redis_url import RedisTarget, RedisUrlError, parse_redis_url
from opsbot.slack_id import is_slack_id

DEFAULT_API_URL: Final = "https://rpc.gandi.net/xmlrpc/"
# The API writes its dates without a zone, on Paris time (shared/reference/api-facts.md).
DEFAULT_API_TIMEZONE: Final = "Europe/Paris"
DEFAULT_SLACK_API_URL: Final = "https://slack.com/api/"
# Redis connections one process may hold. A command holds one for about a
# millisecond, so 50 serve hundreds of simultaneous requests (the rest wait
# their turn); many processes on one Redis stay far below its 10,000 clients.
DEFAULT_REDIS_MAX_CONNECTIONS: Final = 50
# Slack sends a request in one go; a client that takes longer than this to
# send its headers and body is slow on purpose or broken.
DEFAULT_HTTP_READ_TIMEOUT_S: Final = 10.0
# Open HTTP connections at once: above a burst of Slack's requests, well below
# the usual 1,024 open files a process may have.
DEFAULT_HTTP_MAX_CONNECTIONS: Final = 500
ENCRYPTION_KEY_BYTES: Final = 32
# Fair use per team: watched operations and subscriptions at most.
DEFAULT_MAX_WATCHES: Final = 500
DEFAULT_MAX_SUBSCRIPTIONS: Final = 20


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


_CREATE_APP: Final = "create the Slack app from app_manifest.yml (README: Creating the Slack app)"


@dataclass(frozen=True)
class SlackCredentials:
    """Slack's secrets; none of them ever appears in a repr or a message."""

    signing_secret: str | None = field(default=None, repr=False)
    bot_token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SlackCredentials:
        credentials = cls(
            signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            bot_token=env.get("SLACK_BOT_TOKEN") or None,
            client_id=env.get("SLACK_CLIENT_ID") or None,
            client_secret=env.get("SLACK_CLIENT_SECRET") or None,
            app_token=env.get("SLACK_APP_TOKEN") or None,
        )
        credentials._check_shapes()
        return credentials

    @property
    def oauth(self) -> bool:
        """Multi-workspace mode: installations come through OAuth and live in Redis."""
        return bool(self.client_id and self.client_secret)

    def _check_shapes(self) -> None:
        if self.bot_token and not self.bot_token.startswith("xoxb-"):
            raise SettingsError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        if self.app_token and not self.app_token.startswith("xapp-"):
            raise SettingsError(
                "SLACK_APP_TOKEN must be an app-level token starting with xapp- "
                "(Basic Information > App-Level Tokens, scope connections:write)"
            )
        if bool(self.client_id) != bool(self.client_secret):
            raise SettingsError(
                "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together: set both for "
                "multi-workspace mode, or neither and SLACK_BOT_TOKEN for one workspace"
            )

    def require_workspace(self) -> None:
        if not (self.bot_token or self.oauth):
            raise SettingsError(
                "set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and "
                f"SLACK_CLIENT_SECRET (any workspace): {_CREATE_APP}"
            )

    def require_http(self) -> None:
        if not self.signing_secret:
            raise SettingsError(f"SLACK_SIGNING_SECRET is not set: {_CREATE_APP}")
        self.require_workspace()

    def require_socket_mode(self) -> None:
        if not self.app_token:
            raise SettingsError(
                "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token "
                f"with connections:write; {_CREATE_APP}"
            )
        if not self.bot_token:
            raise SettingsError("Socket Mode serves one workspace: set SLACK_BOT_TOKEN")


@dataclass(frozen=True)
class Settings:
    api_url: str = DEFAULT_API_URL
    api_timeout_s: float = 30.0
    api_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_API_TIMEZONE))
    slack_api_url: str = DEFAULT_SLACK_API_URL
    # A Redis URL may carry a password.
    redis_url: str | None = field(default=None, repr=False)
    redis_max_connections: int = DEFAULT_REDIS_MAX_CONNECTIONS
    http_read_timeout_s: float = DEFAULT_HTTP_READ_TIMEOUT_S
    http_max_connections: int = DEFAULT_HTTP_MAX_CONNECTIONS
    data_dir: Path = Path(".opsbot")
    poll_interval_s: float = 30.0
    port: int = 3000
    # The keyring in keygen's text form; never part of repr.
    encryption_keys: tuple[str, ...] = field(default=(), repr=False)
    admins: frozenset[str] = frozenset()
    audit_channel: str | None = None
    watch_days: int = 7
    max_watches: int = DEFAULT_MAX_WATCHES
    max_subscriptions: int = DEFAULT_MAX_SUBSCRIPTIONS
    # Posts per second into one channel, and how many may go at once: a
    # little under Slack's one a second (see opsbot.store.pacing).
    posts_per_s: float = 0.95
    post_burst: int = 2
    # A channel whose queue would take longer than this to drain gets one
    # summary message instead of a broadcast per outcome (burst mode).
    burst_threshold_s: float = 10.0
    slack: SlackCredentials = field(default_factory=SlackCredentials)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            api_url=_url(env, "OPSBOT_API_URL", DEFAULT_API_URL),
            api_timeout_s=_positive_float(env, "OPSBOT_API_TIMEOUT", 30.0),
            api_zone=time_zone(env.get("OPSBOT_API_TIMEZONE") or DEFAULT_API_TIMEZONE),
            slack_api_url=_url(env, "SLACK_API_URL", DEFAULT_SLACK_API_URL),
            redis_url=_redis_url(env, "REDIS_URL"),
            redis_max_connections=_positive_int(
                env, "OPSBOT_REDIS_MAX_CONNECTIONS", DEFAULT_REDIS_MAX_CONNECTIONS
            ),
            http_read_timeout_s=_positive_float(
                env, "OPSBOT_HTTP_READ_TIMEOUT", DEFAULT_HTTP_READ_TIMEOUT_S
            ),
            http_max_connections=_positive_int(
                env, "OPSBOT_HTTP_MAX_CONNECTIONS", DEFAULT_HTTP_MAX_CONNECTIONS
            ),
            data_dir=Path(env.get("OPSBOT_DATA_DIR") or ".opsbot"),
            poll_interval_s=_positive_float(env, "OPSBOT_POLL_INTERVAL", 30.0),
            port=_port(env, "PORT", 3000),
            encryption_keys=_encryption_keys(env, "OPSBOT_ENCRYPTION_KEYS"),
            admins=_user_ids(env, "OPSBOT_ADMINS"),
            audit_channel=_channel_id(env, "OPSBOT_AUDIT_CHANNEL"),
            watch_days=_positive_int(env, "OPSBOT_WATCH_DAYS", 7),
            max_watches=_positive_int(env, "OPSBOT_MAX_WATCHES", DEFAULT_MAX_WATCHES),
            max_subscriptions=_positive_int(
                env, "OPSBOT_MAX_SUBSCRIPTIONS", DEFAULT_MAX_SUBSCRIPTIONS
            ),
            posts_per_s=_positive_float(env, "OPSBOT_POSTS_PER_SECOND", 0.95),
            post_burst=_positive_int(env, "OPSBOT_POST_BURST", 2),
            burst_threshold_s=_positive_float(env, "OPSBOT_BURST_THRESHOLD", 10.0),
            slack=SlackCredentials.from_env(env),
        )


def redis_target(url: str) -> RedisTarget:
    """The deployment ``REDIS_URL`` names (:mod:`opsbot.redis_url`), or one SettingsError line."""
    try:
        return parse_redis_url(url)
    except RedisUrlError as error:
        raise SettingsError(str(error)) from None


def time_zone(name: str, *, source: str = "OPSBOT_API_TIMEZONE") -> ZoneInfo:
    """The IANA zone ``name`` (``Europe/Paris``, ``UTC``); ``source`` names it in the error."""
    try:
        return ZoneInfo(name.strip())
    # ValueError: a name zoneinfo refuses to look up (an absolute path, "..")
    # or a file that is not a zone; OSError: one it cannot open.
    except (ZoneInfoNotFoundError, ValueError, OSError):
        shown = name if len(name) <= 40 else name[:39] + "…"
        raise SettingsError(
            f"{source} must be an IANA time zone name such as {DEFAULT_API_TIMEZONE} or UTC; "
            f"{shown!r} is not one"
        ) from None


def parse_encryption_keys(value: str, *, source: str) -> tuple[bytes, ...]:
    """Decode a comma-separated keyring as ``opsbot keygen`` prints it.

    ``source`` names where the value came from (a variable or a file) in the
    error; the value itself is never echoed, since it is a secret.
    """
    keys = []
    for position, text in enumerate(_comma_separated(value), start=1):
        key = _decode_key(text)
        if key is None:
            raise SettingsError(
                f"{source} must hold comma-separated keys printed by `opsbot keygen` "
                f"(url-safe base64 of {ENCRYPTION_KEY_BYTES} bytes); key {position} is not one"
            )
        keys.append(key)
    return tuple(keys)


def _decode_key(text: str) -> bytes | None:
    try:
        key = base64.b64decode(text.encode("ascii"), altchars=b"-_", validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    return key if len(key) == ENCRYPTION_KEY_BYTES else None


def _comma_separated(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _encryption_keys(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = env.get(name) or ""
    parse_encryption_keys(raw, source=name)
    return tuple(_comma_separated(raw))


def _redis_url(env: Mapping[str, str], name: str) -> str | None:
    """The URL as given (checked now, so that a bad one stops start-up with one line)."""
    url = env.get(name) or None
    if url is not None:
        redis_target(url)
    return url


def _user_ids(env: Mapping[str, str], name: str) -> frozenset[str]:
    ids = _comma_separated(env.get(name) or "")
    if not all(is_slack_id(user_id) for user_id in ids):
        raise SettingsError(
            f"{name} must be comma-separated Slack user ids, for example U0123ABCD,U0456EFGH"
        )
    return frozenset(ids)


def _channel_id(env: Mapping[str, str], name: str) -> str | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    if not is_slack_id(raw):
        raise SettingsError(
            f"{name} must be a channel id (in the channel's details in Slack), "
            "for example C0123ABCD"
        )
    return raw


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise SettingsError(f"{name} must be a whole number greater than 0, for example {default}")
    return value


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name) or default
    if not value.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must be an http:// or https:// URL, for example {default}")
    return value if value.endswith("/") else value + "/"


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(
            f"{name} must be a number of seconds, for example {default:g}"
        ) from None
    if value <= 0:
        raise SettingsError(f"{name} must be greater than 0, for example {default:g}")
    return value


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(f"{name} must be a TCP port between 1 and 65535, for example {default}")
    return int(raw)
