"""Settings from the environment, checked once at start-up.

Every problem is reported as one line naming the variable and how to fix it;
the values of secrets are never part of the message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

DEFAULT_API_URL: Final = "https://rpc.gandi.net/xmlrpc/"
DEFAULT_SLACK_API_URL: Final = "https://slack.com/api/"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    api_url: str = DEFAULT_API_URL
    api_timeout_s: float = 30.0
    slack_api_url: str = DEFAULT_SLACK_API_URL
    redis_url: str | None = None
    data_dir: Path = Path(".opsbot")
    poll_interval_s: float = 30.0
    port: int = 3000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            api_url=_url(env, "OPSBOT_API_URL", DEFAULT_API_URL),
            api_timeout_s=_positive_float(env, "OPSBOT_API_TIMEOUT", 30.0),
            slack_api_url=_url(env, "SLACK_API_URL", DEFAULT_SLACK_API_URL),
            redis_url=env.get("REDIS_URL") or None,
            data_dir=Path(env.get("OPSBOT_DATA_DIR") or ".opsbot"),
            poll_interval_s=_positive_float(env, "OPSBOT_POLL_INTERVAL", 30.0),
            port=_port(env, "PORT", 3000),
        )


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
        raise SettingsError(f"{name} must be a number of seconds, for example {default:g}") from None
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
