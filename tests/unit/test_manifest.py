"""app_manifest.yml and Procfile stay in step with the code.

Slack creates the app from the manifest, so a command, event or scope the
code relies on and the manifest lacks breaks the app for every new install;
a scope the manifest asks for and the code never uses asks people for more
than opsbot needs. The scopes are derived here from the Web API methods the
code actually calls, so a new call without its scope fails this test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

import pytest
import yaml
from slack_sdk.web.async_client import AsyncWebClient

import opsbot
from opsbot.slack import app, commands, events, home, ops_command

ROOT: Final = Path(__file__).resolve().parents[2]
SOURCE: Final = Path(opsbot.__file__).resolve().parent

# The bot scope each Web API method opsbot calls needs (Slack's method pages,
# "Required scopes"); an empty set: the method needs none. A method called in
# the code and missing here fails the test: add it with its scope.
SCOPES_OF_METHOD: Final[dict[str, frozenset[str]]] = {
    "chat_postMessage": frozenset({"chat:write"}),
    "chat_update": frozenset({"chat:write"}),
    "chat_delete": frozenset({"chat:write"}),
    "chat_postEphemeral": frozenset({"chat:write"}),
    "views_open": frozenset(),
    "views_update": frozenset(),
    "views_push": frozenset(),
    "users_info": frozenset({"users:read"}),
    "usergroups_list": frozenset({"usergroups:read"}),
    "usergroups_users_list": frozenset({"usergroups:read"}),
    "auth_test": frozenset(),
    "views_publish": frozenset(),
    "conversations_open": frozenset({"im:write"}),
    # opsbot asks for public and private channels (the Home tab's subscriptions).
    "users_conversations": frozenset({"channels:read", "groups:read"}),
    # /ops audit #channel checks the channel, public or private.
    "conversations_info": frozenset({"channels:read", "groups:read"}),
}
# Scopes that no method's own page lists, with the method whose use needs
# them (None: always). /ops needs "commands"; chat.postMessage into a channel
# the bot was not invited to (cards, relaunch announcements, the audit
# channel) needs "chat:write.public" besides "chat:write".
EXTRA_SCOPES: Final[dict[str, str | None]] = {
    "commands": None,
    "chat:write.public": "chat_postMessage",
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "app_manifest.yml").read_text())
    return loaded


def web_api_methods_called() -> dict[str, set[str]]:
    """Every AsyncWebClient method called anywhere in opsbot, with the files calling it."""
    methods = {name for name in dir(AsyncWebClient) if not name.startswith("_")}
    called: dict[str, set[str]] = {}
    for path in SOURCE.rglob("*.py"):
        for name in re.findall(r"\.([A-Za-z_]\w*)\(", path.read_text(encoding="utf-8")):
            if name in methods:
                called.setdefault(name, set()).add(str(path.relative_to(SOURCE)))
    return called


def test_the_ops_command_is_declared_with_help_for_people(manifest: dict[str, Any]) -> None:
    [command] = manifest["features"]["slash_commands"]

    assert command["command"] == ops_command.COMMAND
    assert command["url"].endswith(app.EVENTS_PATH)
    assert command["description"].strip()
    assert command["usage_hint"].strip()


def test_the_usage_hint_shows_only_real_sub_commands(manifest: dict[str, Any]) -> None:
    [command] = manifest["features"]["slash_commands"]
    examples = [part.split()[0] for part in command["usage_hint"].split("|")]

    assert examples
    assert [word for word in examples if word not in commands.SUBCOMMANDS] == []


def test_every_request_url_is_the_events_endpoint(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]

    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"].endswith(app.EVENTS_PATH)
    # The relaunch form's external select asks here for its options (block_suggestion).
    assert settings["interactivity"]["message_menu_options_url"].endswith(app.EVENTS_PATH)
    assert settings["event_subscriptions"]["request_url"].endswith(app.EVENTS_PATH)
    redirects = manifest["oauth_config"]["redirect_urls"]
    assert redirects
    assert all(url.endswith(app.REDIRECT_PATH) for url in redirects)


def test_the_events_are_those_the_app_handles(manifest: dict[str, Any]) -> None:
    bot_events = manifest["settings"]["event_subscriptions"]["bot_events"]

    assert sorted(bot_events) == sorted(
        [events.APP_UNINSTALLED, events.TOKENS_REVOKED, home.APP_HOME_OPENED]
    )
    assert len(set(bot_events)) == len(bot_events)


def test_the_bot_scopes_are_the_app_s_and_no_user_scope(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]

    assert sorted(scopes["bot"]) == sorted(app.BOT_SCOPES)
    assert len(set(scopes["bot"])) == len(scopes["bot"])
    assert not scopes.get("user")


def test_the_bot_scopes_are_exactly_what_the_web_api_calls_need() -> None:
    called = web_api_methods_called()
    unknown = sorted(set(called) - set(SCOPES_OF_METHOD))
    assert unknown == [], f"add these Web API methods and their scopes to this test: {unknown}"

    needed = {scope for method in called for scope in SCOPES_OF_METHOD[method]}
    needed |= {scope for scope, method in EXTRA_SCOPES.items() if method in (None, *called)}

    assert sorted(needed) == sorted(app.BOT_SCOPES)
    # The scan does see the calls: these are the ones the product cannot do without.
    assert {"views_open", "chat_postMessage", "users_info"} <= set(called)


def test_the_home_tab_is_enabled_for_views_publish(manifest: dict[str, Any]) -> None:
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert "views_publish" in web_api_methods_called()


def test_socket_mode_is_off_with_a_note_on_turning_it_on(manifest: dict[str, Any]) -> None:
    text = (ROOT / "app_manifest.yml").read_text()
    comments = " ".join(line for line in text.splitlines() if line.strip().startswith("#"))

    assert manifest["settings"]["socket_mode_enabled"] is False
    assert "opsbot socket" in comments
    assert "SLACK_APP_TOKEN" in comments


def test_the_procfile_runs_the_web_and_the_worker_processes() -> None:
    lines = (ROOT / "Procfile").read_text().splitlines()

    assert lines == ["web: opsbot serve --no-watcher", "worker: opsbot worker"]
