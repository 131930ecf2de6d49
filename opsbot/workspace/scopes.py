"""Which scope each Web API method needs, and what the app's manifest grants.

An installation gets the bot scopes ``app_manifest.yml`` asks for, as Slack
grants them on install; a method called without its scope answers
``missing_scope`` with ``needed`` and ``provided``, as Slack does (e.g.
``{"ok": false, "error": "missing_scope", "needed": "users:read",
"provided": "commands,chat:write"}``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import yaml

from opsbot.workspace.errors import SlackError

# The bot scope each method needs, from its reference page's "Required scopes"
# (docs.slack.dev/reference/methods/<method>). Methods absent here need none
# (auth.test, views.*) or authenticate otherwise (oauth.v2.access, apps.uninstall).
METHOD_SCOPES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "chat.postMessage": "chat:write",
        "chat.postEphemeral": "chat:write",
        "chat.update": "chat:write",
        "chat.delete": "chat:write",
        "users.info": "users:read",
        # A 1:1 DM; a group DM would need mpim:write (opsbot.workspace.conversations).
        "conversations.open": "im:write",
        "usergroups.list": "usergroups:read",
        "usergroups.users.list": "usergroups:read",
    }
)
# chat:write posts where the bot is a member; chat:write.public also in public
# channels it has not joined (docs.slack.dev/reference/scopes/chat.write.public).
POST_ANYWHERE: Final = "chat:write.public"
# conversations.info needs the read scope of the conversation's kind.
PUBLIC_CHANNELS_READ: Final = "channels:read"
PRIVATE_CHANNELS_READ: Final = "groups:read"
IM_READ: Final = "im:read"
# An app-level token (xapp-) opens Socket Mode connections with this scope.
CONNECTIONS_WRITE: Final = "connections:write"

DEFAULT_MANIFEST: Final = Path(__file__).resolve().parents[2] / "app_manifest.yml"


@dataclass(frozen=True)
class Manifest:
    """What of the app manifest the workspace needs to behave like Slack."""

    bot_scopes: frozenset[str]
    home_tab_enabled: bool = False
    token_rotation: bool = False

    @classmethod
    def read(cls, path: Path = DEFAULT_MANIFEST) -> Manifest:
        return cls.parse(yaml.safe_load(path.read_text()))

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Manifest:
        scopes = _dig(data, "oauth_config", "scopes", "bot") or []
        return cls(
            bot_scopes=frozenset(str(scope) for scope in scopes),
            home_tab_enabled=bool(_dig(data, "features", "app_home", "home_tab_enabled")),
            token_rotation=bool(_dig(data, "settings", "token_rotation_enabled")),
        )


def _dig(data: Mapping[str, Any], *keys: str) -> Any:
    value: Any = data
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def require(needed: str, granted: Iterable[str]) -> None:
    """Raise Slack's ``missing_scope`` unless ``needed`` is among ``granted``."""
    granted = frozenset(granted)
    if needed not in granted:
        raise SlackError(
            "missing_scope",
            fields={"needed": needed, "provided": ",".join(sorted(granted))},
        )


def require_for_method(method: str, granted: Iterable[str]) -> None:
    needed = METHOD_SCOPES.get(method)
    if needed is not None:
        require(needed, granted)
