"""Settings are read from the environment and refused with one helpful line."""

from __future__ import annotations

from pathlib import Path

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
