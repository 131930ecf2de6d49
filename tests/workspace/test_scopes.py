"""Scopes: the manifest's grant, and Slack's missing_scope answer."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from opsbot.workspace.errors import SlackError
from opsbot.workspace.scopes import DEFAULT_MANIFEST, Manifest, require

ROOT = Path(__file__).resolve().parents[2]


def test_the_default_manifest_is_the_repositorys() -> None:
    manifest = Manifest.read()
    raw = yaml.safe_load((ROOT / "app_manifest.yml").read_text())

    assert DEFAULT_MANIFEST == ROOT / "app_manifest.yml"
    assert manifest.bot_scopes == frozenset(raw["oauth_config"]["scopes"]["bot"])
    assert manifest.home_tab_enabled is bool(
        raw["features"].get("app_home", {}).get("home_tab_enabled")
    )


def test_a_manifest_with_a_home_tab_and_rotation() -> None:
    manifest = Manifest.parse(
        {
            "features": {"app_home": {"home_tab_enabled": True}},
            "oauth_config": {"scopes": {"bot": ["chat:write"]}},
            "settings": {"token_rotation_enabled": True},
        }
    )

    assert manifest == Manifest(
        frozenset({"chat:write"}), home_tab_enabled=True, token_rotation=True
    )


def test_missing_scope_names_what_is_needed_and_what_was_granted() -> None:
    with pytest.raises(SlackError) as refused:
        require("users:read", ["commands", "chat:write"])

    assert refused.value.body() == {
        "ok": False,
        "error": "missing_scope",
        "needed": "users:read",
        "provided": "chat:write,commands",
    }
