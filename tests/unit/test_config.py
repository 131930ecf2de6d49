"""Settings are read from the environment and refused with one helpful line."""

from __future__ import annotations

import base64
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from opsbot.config import DEFAULT_API_URL, Settings, SettingsError


def test_defaults_match_the_design() -> None:
    settings = Settings.from_env({})
    assert settings.api_url == DEFAULT_API_URL
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.redis_url is None
    assert settings.data_dir == Path(".opsbot")
    assert settings.poll_interval_s == 30
    assert settings.port == 3000


def test_values_are_read_and_urls_normalised() -> None:
    settings = Settings.from_env(
        {
            "OPSBOT_API_URL": "http://127.0.0.1:8080/xmlrpc",
            "OPSBOT_POLL_INTERVAL": "5",
            "PORT": "8000",
            "REDIS_URL": "redis://localhost:6379/2",
        }
    )
    assert settings.api_url == "http://127.0.0.1:8080/xmlrpc/"
    assert settings.poll_interval_s == 5
    assert settings.port == 8000
    assert settings.redis_url == "redis://localhost:6379/2"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("OPSBOT_API_URL", "ftp://x", "OPSBOT_API_URL must be an http:// or https:// URL"),
        ("OPSBOT_POLL_INTERVAL", "soon", "OPSBOT_POLL_INTERVAL must be a number of seconds"),
        ("OPSBOT_POLL_INTERVAL", "-1", "OPSBOT_POLL_INTERVAL must be greater than 0"),
        ("PORT", "70000", "PORT must be a TCP port between 1 and 65535"),
    ],
)
def test_a_bad_value_names_the_variable_and_the_fix(name: str, value: str, expected: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({name: value})
    assert str(error.value).startswith(expected)
    assert "for example" in str(error.value)


def test_the_slack_app_settings_have_safe_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.encryption_keys == ()
    assert settings.admins == frozenset()
    assert settings.audit_channel is None
    assert settings.watch_days == 7


def test_the_slack_app_settings_are_read() -> None:
    first, second = (base64.urlsafe_b64encode(bytes([n]) * 32).decode() for n in (1, 2))
    settings = Settings.from_env(
        {
            "OPSBOT_ENCRYPTION_KEYS": f" {first} ,{second},",
            "OPSBOT_ADMINS": "U0123ABCD, W0456EFGH",
            "OPSBOT_AUDIT_CHANNEL": "C0123ABCD",
            "OPSBOT_WATCH_DAYS": "3",
        }
    )
    assert settings.encryption_keys == (first, second)
    assert settings.admins == {"U0123ABCD", "W0456EFGH"}
    assert settings.audit_channel == "C0123ABCD"
    assert settings.watch_days == 3


def test_the_keyring_never_shows_in_the_settings_repr() -> None:
    key = base64.urlsafe_b64encode(bytes(range(32))).decode()
    settings = Settings.from_env({"OPSBOT_ENCRYPTION_KEYS": key})
    assert key not in repr(settings)
    assert key not in str(settings)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("OPSBOT_ADMINS", "U0123,@alice", "OPSBOT_ADMINS must be comma-separated Slack user ids"),
        ("OPSBOT_AUDIT_CHANNEL", "#ops-audit", "OPSBOT_AUDIT_CHANNEL must be a channel id"),
        ("OPSBOT_WATCH_DAYS", "0", "OPSBOT_WATCH_DAYS must be a whole number greater than 0"),
        ("OPSBOT_WATCH_DAYS", "a week", "OPSBOT_WATCH_DAYS must be a whole number greater than 0"),
    ],
)
def test_a_bad_slack_app_value_names_the_variable_and_the_fix(
    name: str, value: str, expected: str
) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({name: value})
    assert str(error.value).startswith(expected)
    assert "for example" in str(error.value)


@pytest.mark.parametrize(
    "value",
    ["hunter2-is-my-secret", base64.urlsafe_b64encode(b"sixteen byte key").decode()],
)
def test_a_malformed_keyring_is_refused_without_echoing_it(value: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"OPSBOT_ENCRYPTION_KEYS": value})
    message = str(error.value)
    assert message.startswith("OPSBOT_ENCRYPTION_KEYS must hold comma-separated keys")
    assert "`opsbot keygen`" in message
    assert value not in message


def test_the_fair_use_limits_default_to_500_watches_and_20_subscriptions() -> None:
    settings = Settings.from_env({})
    assert (settings.max_watches, settings.max_subscriptions) == (500, 20)


def test_the_fair_use_limits_are_read() -> None:
    settings = Settings.from_env({"OPSBOT_MAX_WATCHES": "40", "OPSBOT_MAX_SUBSCRIPTIONS": "3"})
    assert (settings.max_watches, settings.max_subscriptions) == (40, 3)


@pytest.mark.parametrize("name", ["OPSBOT_MAX_WATCHES", "OPSBOT_MAX_SUBSCRIPTIONS"])
def test_a_fair_use_limit_must_be_a_positive_number(name: str) -> None:
    with pytest.raises(SettingsError, match=f"{name} must be a whole number greater than 0"):
        Settings.from_env({name: "none"})


def test_the_api_clock_is_paris_time_unless_set() -> None:
    assert Settings.from_env({}).api_zone == ZoneInfo("Europe/Paris")
    assert Settings.from_env({"OPSBOT_API_TIMEZONE": ""}).api_zone == ZoneInfo("Europe/Paris")
    assert Settings.from_env({"OPSBOT_API_TIMEZONE": "UTC"}).api_zone == ZoneInfo("UTC")
    zone = Settings.from_env({"OPSBOT_API_TIMEZONE": " America/New_York "}).api_zone
    assert zone == ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    "value",
    ["Mars/Olympus", "Paris", "europe/paris", "/etc/localtime", "../zoneinfo/UTC", "Europe"],
)
def test_an_unknown_time_zone_is_one_line_naming_the_variable(value: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"OPSBOT_API_TIMEZONE": value})
    message = str(error.value)
    assert message.startswith("OPSBOT_API_TIMEZONE must be an IANA time zone name")
    assert "Europe/Paris" in message
    assert "\n" not in message


def test_a_rotating_bot_token_is_refused_at_start_up_with_the_reason() -> None:
    """Token rotation: refused rather than served 12 hours, then silence from the watcher."""
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"SLACK_BOT_TOKEN": "xoxe.xoxb-1-rotating"})
    message = str(error.value)
    assert message.startswith("SLACK_BOT_TOKEN is a rotating token")
    assert "Turn token rotation off" in message
    assert "xoxe.xoxb-1-rotating" not in message
