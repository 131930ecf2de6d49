"""What the workspace holds: teams, people, channels, messages, views, tokens.

Plain dataclasses with Slack's own field names; ``as_slack()`` gives the JSON
Slack would show for each, so the Web API, the payloads delivered to the app
and a web page all read the same thing.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

JSON = dict[str, Any]


@dataclass
class Team:
    id: str
    name: str
    domain: str
    # Set for a workspace inside an Enterprise Grid org.
    enterprise_id: str | None = None
    enterprise_name: str | None = None

    def enterprise(self) -> JSON | None:
        if self.enterprise_id is None:
            return None
        return {"id": self.enterprise_id, "name": self.enterprise_name or self.enterprise_id}


@dataclass
class User:
    id: str
    team_id: str
    name: str
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    tz: str = "Europe/Paris"

    def as_slack(self) -> JSON:
        label, offset = _zone_now(self.tz)
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "real_name": self.name,
            "deleted": self.deleted,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": self.is_primary_owner,
            "tz": self.tz,
            "tz_label": label,
            "tz_offset": offset,
            "profile": {"display_name": self.name, "real_name": self.name, "team": self.team_id},
        }


def _zone_now(name: str) -> tuple[str, int]:
    """Slack's ``tz_label`` and ``tz_offset`` (seconds east of UTC) of a zone, as of now."""
    now = dt.datetime.now(ZoneInfo(name))
    offset = now.utcoffset()
    return now.tzname() or name, int(offset.total_seconds()) if offset else 0


@dataclass
class Channel:
    id: str
    team_id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    # Whether the app's bot user has joined: the only viewer the Web API has.
    bot_member: bool = True
    # People in the channel (ephemeral messages only reach members).
    members: set[str] = field(default_factory=set)
    # A direct message between the app's bot and this person (conversations.open).
    im_user: str | None = None

    @property
    def is_im(self) -> bool:
        return self.im_user is not None

    def as_slack(self) -> JSON:
        if self.im_user is not None:
            # Slack's im object: no name, the other person in ``user``.
            return {
                "id": self.id,
                "is_im": True,
                "is_org_shared": False,
                "context_team_id": self.team_id,
                "user": self.im_user,
                "is_user_deleted": False,
            }
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_general": False,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_member": self.bot_member,
            "context_team_id": self.team_id,
            "num_members": len(self.members),
        }


@dataclass
class Message:
    """A message in a channel's history; replies carry ``thread_ts``."""

    channel: str
    ts: str
    user: str
    text: str = ""
    blocks: list[Any] | None = None
    attachments: list[Any] | None = None
    bot_id: str | None = None
    app_id: str | None = None
    team: str | None = None
    thread_ts: str | None = None
    reply_broadcast: bool = False
    edited: JSON | None = None
    metadata: JSON | None = None
    replies: list[str] = field(default_factory=list)

    def as_slack(self) -> JSON:
        message: JSON = {"type": "message", "ts": self.ts, "user": self.user, "text": self.text}
        optional = {
            "blocks": self.blocks,
            "attachments": self.attachments,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team,
            "thread_ts": self.thread_ts,
            "edited": self.edited,
            "metadata": self.metadata,
        }
        message.update({key: value for key, value in optional.items() if value is not None})
        if self.reply_broadcast:
            message["subtype"] = "thread_broadcast"
        if self.replies:
            message.update(thread_ts=self.ts, reply_count=len(self.replies))
        return message


@dataclass
class Ephemeral:
    """Seen by one person only and kept out of history (chat.postEphemeral)."""

    channel: str
    ts: str
    user: str
    text: str = ""
    blocks: list[Any] | None = None
    attachments: list[Any] | None = None
    thread_ts: str | None = None
    app_id: str | None = None

    def as_slack(self) -> JSON:
        message: JSON = {"type": "message", "ts": self.ts, "text": self.text, "is_ephemeral": True}
        for key in ("blocks", "attachments", "thread_ts"):
            if getattr(self, key) is not None:
                message[key] = getattr(self, key)
        return message


@dataclass
class View:
    """An open modal (one of a stack) or a person's Home tab."""

    id: str
    team_id: str
    user_id: str
    app_id: str
    bot_id: str
    body: JSON
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    state_values: JSON = field(default_factory=dict)

    @property
    def type(self) -> str:
        return str(self.body.get("type", "modal"))

    def as_slack(self) -> JSON:
        return {
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": None,
            **self.body,
            "id": self.id,
            "team_id": self.team_id,
            "app_installed_team_id": self.team_id,
            "state": {"values": self.state_values},
            "hash": self.hash,
            "root_view_id": self.root_view_id,
            "previous_view_id": self.previous_view_id,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
        }


@dataclass
class UserGroup:
    """A user group (``@oncall``); Slack's API calls it a usergroup, its errors a subteam."""

    id: str
    team_id: str
    handle: str
    name: str
    users: list[str] = field(default_factory=list)
    # A disabled group is left out of usergroups.list unless include_disabled.
    disabled: bool = False

    def as_slack(self, *, include_users: bool = False) -> JSON:
        group: JSON = {
            "id": self.id,
            "team_id": self.team_id,
            "is_usergroup": True,
            "name": self.name,
            "description": "",
            "handle": self.handle,
            "is_external": False,
            "date_delete": 1 if self.disabled else 0,
            "auto_type": None,
            "prefs": {"channels": [], "groups": []},
            "user_count": len(self.users),
        }
        if include_users:
            group["users"] = list(self.users)
        return group


@dataclass
class Installation:
    """The app installed in one workspace: its bot token and what it was granted."""

    team_id: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    scopes: frozenset[str]
    enterprise_id: str | None = None
    is_enterprise_install: bool = False
    installer_user_id: str | None = None
    revoked: bool = False
    # The team or its owner was deleted: Slack answers account_inactive.
    inactive: bool = False
    # With token rotation: when the token stops working, and how to renew it.
    expires_at: float | None = None
    refresh_token: str | None = None


@dataclass
class Trigger:
    """A trigger_id: one views.open or views.push, within a few seconds."""

    id: str
    team_id: str
    user_id: str
    issued_at: float
    used: bool = False


@dataclass
class ResponseUrl:
    """Where the app answers an interaction; ``source`` is the message clicked, if any."""

    id: str
    team_id: str
    channel_id: str
    user_id: str
    issued_at: float
    source: tuple[str, str, bool] | None = None  # (channel, ts, ephemeral)
    uses: int = 0
    # What the app posted to it, as it posted it (accepted posts only).
    posts: list[JSON] = field(default_factory=list)


@dataclass
class Grant:
    """An OAuth code waiting for oauth.v2.access to exchange it."""

    code: str
    team_id: str
    installer_user_id: str
    is_enterprise_install: bool = False
    bot_token: str | None = None


@dataclass(frozen=True)
class Warning:
    """Something Slack accepts but recommends against; tests assert none happened."""

    kind: str
    detail: str


class Ids:
    """Fresh ids in Slack's shapes, deterministic for a given clock."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def next(self) -> int:
        return next(self._counter)

    def ts(self, now: float) -> str:
        # Slack's ts: epoch seconds and a 6-digit part, unique per channel;
        # one counter for all keeps them unique and ordered everywhere.
        return f"{int(now)}.{self.next():06d}"

    def of(self, prefix: str) -> str:
        return f"{prefix}{self.next():08d}"

    def trigger(self, now: float) -> str:
        # "The expected format for the trigger_id argument is 132456.7890123.abcdef".
        return f"{int(now)}.{self.next():07d}.{self.next():06x}"

    def view_hash(self, now: float) -> str:
        return f"{int(now)}.{self.next():08x}"
