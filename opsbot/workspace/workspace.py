"""The local workspace: its state, its rules' settings, and a Python API to set it up.

``Workspace`` holds everything Slack would hold for opsbot (teams, people,
channels, messages and threads, ephemeral messages, views, installations),
the clock every rule reads, the rate limiter and the feed of changes. The
Web API (:mod:`.web_api`), response_urls (:mod:`.response_urls`) and the
people's side (:mod:`.interactions`) all act on it; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from opsbot.workspace.changes import Change, ChangeFeed
from opsbot.workspace.clock import Clock, system_clock
from opsbot.workspace.errors import SlackError
from opsbot.workspace.faults import Faults
from opsbot.workspace.rates import RateLimiter
from opsbot.workspace.scopes import Manifest
from opsbot.workspace.settings import WorkspaceSettings
from opsbot.workspace.state import (
    Channel,
    Ephemeral,
    Grant,
    Ids,
    Installation,
    Message,
    ResponseUrl,
    Team,
    Trigger,
    User,
    UserGroup,
    View,
    Warning,
)

Role = Literal["member", "admin", "owner", "primary_owner"]

# The deprecated verification token: Slack still sends it, bolt ignores it.
VERIFICATION_TOKEN = "legacy-verification-token"  # noqa: S105 - public, unused by bolt


@dataclass
class App:
    """The app under test, as Slack knows it from its settings page."""

    app_id: str = "A0123"
    signing_secret: str = "local-workspace-signing-secret"  # noqa: S105 - a test fixture's
    client_id: str = "1111.2222"
    client_secret: str = "local-workspace-client-secret"  # noqa: S105
    app_token: str = "xapp-1-A0123-1-localworkspace"  # noqa: S105
    # HTTP mode: where Slack POSTs commands, interactivity and events.
    request_url: str | None = None
    # Socket Mode: deliver over the app's websocket instead.
    socket_mode: bool = False
    bot_name: str = "opsbot"
    manifest: Manifest = field(default_factory=Manifest.read)


@dataclass(frozen=True)
class ApiCall:
    """One Web API call as the workspace received and answered it."""

    method: str
    args: dict[str, Any]
    token: str | None
    at: float
    error: str | None


class Workspace:
    def __init__(
        self,
        *,
        app: App | None = None,
        settings: WorkspaceSettings | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.app = app or App()
        self.settings = settings or WorkspaceSettings()
        self.clock = clock
        self.ids = Ids()
        self.feed = ChangeFeed()
        self.rates = RateLimiter(self.settings.rates, clock)
        self.faults = Faults()
        self.teams: dict[str, Team] = {}
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, UserGroup] = {}
        self.messages: dict[tuple[str, str], Message] = {}
        self.ephemerals: dict[tuple[str, str], Ephemeral] = {}
        self.views: dict[str, View] = {}
        self.homes: dict[tuple[str, str], View] = {}
        self.installations: dict[str, Installation] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.grants: dict[str, Grant] = {}
        self.warnings: list[Warning] = []
        self.calls: list[ApiCall] = []
        # Set when served: response_urls and Socket Mode URLs point here.
        self.base_url = "http://127.0.0.1"

    # --- setting it up -------------------------------------------------------------

    def add_team(
        self,
        team_id: str,
        name: str | None = None,
        *,
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
    ) -> Team:
        team = Team(
            team_id, name or f"team {team_id}", team_id.lower(), enterprise_id, enterprise_name
        )
        self.teams[team_id] = team
        self.publish("team.added", team=team_id)
        return team

    def add_user(
        self,
        user_id: str,
        team_id: str,
        *,
        name: str | None = None,
        role: Role = "member",
        channels: Iterable[str] = (),
        tz: str = "Europe/Paris",
    ) -> User:
        """A person; ``team_id`` may be another workspace's (a Slack Connect guest).

        Slack marks an owner ``is_admin`` too, and the primary owner ``is_owner``.
        """
        user = User(
            user_id,
            team_id,
            name or user_id.lower(),
            is_admin=role != "member",
            is_owner=role in ("owner", "primary_owner"),
            is_primary_owner=role == "primary_owner",
            tz=tz,
        )
        self.users[user_id] = user
        for channel_id in channels:
            self.channels[channel_id].members.add(user_id)
        self.publish("user.added", user=user_id, team=team_id)
        return user

    def add_channel(
        self,
        channel_id: str,
        team_id: str,
        *,
        name: str | None = None,
        private: bool = False,
        bot_member: bool = True,
    ) -> Channel:
        """A channel; :meth:`archive` archives it, :meth:`remove_bot` makes the bot leave."""
        channel = Channel(
            channel_id, team_id, name or channel_id.lower(), private, bot_member=bot_member
        )
        self.channels[channel_id] = channel
        self.publish("channel.added", channel=channel_id, team=team_id)
        return channel

    def add_usergroup(
        self,
        group_id: str,
        team_id: str,
        *,
        handle: str,
        users: Iterable[str] = (),
        name: str | None = None,
    ) -> UserGroup:
        """A user group of ``team_id`` (``@handle``); :meth:`set_group_members` changes it."""
        group = UserGroup(group_id, team_id, handle, name or handle, list(users))
        self.usergroups[group_id] = group
        self.publish("usergroup.added", usergroup=group_id, team=team_id)
        return group

    def set_group_members(self, group_id: str, users: Iterable[str]) -> None:
        self.usergroups[group_id].users = list(users)
        self.publish("usergroup.changed", usergroup=group_id)

    def install(
        self,
        team_id: str,
        *,
        bot_token: str | None = None,
        scopes: Iterable[str] | None = None,
        installer: str | None = None,
        org_wide: bool = False,
    ) -> Installation:
        """The app installed in ``team_id``: its bot token works from now on.

        ``scopes`` default to the bot scopes the manifest asks for, which is
        what Slack grants when a person approves the install.
        """
        team = self.teams[team_id]
        n = self.ids.next()
        installation = Installation(
            team_id=team_id,
            bot_token=bot_token or f"xoxb-{team_id}-{n}-localworkspace",
            bot_user_id=f"U0BOT{team_id}",
            bot_id=f"B0BOT{team_id}",
            scopes=frozenset(self.app.manifest.bot_scopes if scopes is None else scopes),
            enterprise_id=team.enterprise_id,
            is_enterprise_install=org_wide and team.enterprise_id is not None,
            installer_user_id=installer,
        )
        self.installations[installation.bot_token] = installation
        self.publish("app.installed", team=team_id)
        return installation

    def grant_code(
        self,
        team_id: str,
        installer: str,
        *,
        enterprise_install: bool = False,
        bot_token: str | None = None,
    ) -> str:
        """An OAuth code, as Slack hands one to the redirect after a person approves.

        ``bot_token``: the token the exchange hands out (default: a fresh one).
        """
        code = f"code-{self.ids.next()}"
        self.grants[code] = Grant(code, team_id, installer, enterprise_install, bot_token)
        return code

    def open_dm(self, team_id: str, user_id: str) -> tuple[Channel, bool]:
        """The bot's direct message with ``user_id`` in ``team_id``, and whether it was open.

        Its id is ``D`` and the person's id: the channel ``app_home_opened``
        names for that person, so the Home tab and the Messages tab agree.
        """
        channel_id = dm_channel_id(user_id)
        existing = self.channels.get(channel_id)
        if existing is not None and existing.team_id == team_id:
            return existing, True
        channel = Channel(channel_id, team_id, channel_id.lower(), is_private=True, im_user=user_id)
        channel.members.add(user_id)
        self.channels[channel_id] = channel
        self.publish("dm.opened", channel=channel_id, user=user_id, team=team_id)
        return channel, False

    def join(self, user_id: str, channel_id: str) -> None:
        self.channels[channel_id].members.add(user_id)
        self.publish("channel.joined", channel=channel_id, user=user_id)

    def archive(self, channel_id: str) -> None:
        self.channels[channel_id].is_archived = True
        self.publish("channel.archived", channel=channel_id)

    def remove_bot(self, channel_id: str) -> None:
        self.channels[channel_id].bot_member = False
        self.publish("channel.left", channel=channel_id)

    def revoke(self, token: str) -> None:
        """From now on ``token`` answers ``token_revoked``."""
        self.installations[token].revoked = True
        self.publish("token.revoked", team=self.installations[token].team_id)

    def deactivate(self, team_id: str) -> None:
        """The workspace is gone: its tokens answer ``account_inactive``."""
        for installation in self.installations.values():
            if installation.team_id == team_id:
                installation.inactive = True
        self.publish("team.deactivated", team=team_id)

    # --- reading it ------------------------------------------------------------------

    def history(self, channel_id: str) -> list[Message]:
        """The channel's messages, oldest first: top-level ones and broadcast replies."""
        return sorted(
            (m for (c, _), m in self.messages.items() if c == channel_id and _in_channel(m)),
            key=lambda m: float(m.ts),
        )

    def thread(self, channel_id: str, ts: str) -> list[Message]:
        """A thread's replies, oldest first (without its parent)."""
        parent = self.message(channel_id, ts)
        return [self.messages[(channel_id, reply)] for reply in parent.replies]

    def message(self, channel_id: str, ts: str) -> Message:
        return self.messages[(channel_id, ts)]

    def ephemerals_for(self, user_id: str, channel_id: str | None = None) -> list[Ephemeral]:
        """What ``user_id`` sees privately (in ``channel_id`` if given), oldest first."""
        return [
            e
            for e in self.ephemerals.values()
            if e.user == user_id and channel_id in (None, e.channel)
        ]

    def open_views(self, user_id: str) -> list[View]:
        """``user_id``'s modal stack, root first."""
        return [v for v in self.views.values() if v.user_id == user_id]

    def home(self, team_id: str, user_id: str) -> View | None:
        return self.homes.get((team_id, user_id))

    def installation_of(self, team_id: str) -> Installation:
        for installation in self.installations.values():
            if installation.team_id == team_id and not installation.revoked:
                return installation
        raise KeyError(f"the app is not installed in {team_id}")

    # --- what the rules share ----------------------------------------------------------

    def publish(self, kind: str, **data: Any) -> None:
        self.feed.publish(Change(kind, self.clock(), data))

    def warn(self, kind: str, detail: str) -> None:
        """Record something Slack accepts but advises against (``warnings``)."""
        self.warnings.append(Warning(kind, detail))
        self.publish("warning", warning=kind, detail=detail)

    def issue_trigger(self, team_id: str, user_id: str) -> str:
        trigger = Trigger(self.ids.trigger(self.clock()), team_id, user_id, self.clock())
        self.triggers[trigger.id] = trigger
        return trigger.id

    def issue_response_url(
        self, team_id: str, channel_id: str, user_id: str, source: tuple[str, str, bool] | None
    ) -> str:
        url = ResponseUrl(self.ids.of("R"), team_id, channel_id, user_id, self.clock(), source)
        self.response_urls[url.id] = url
        return f"{self.base_url}/response/{url.id}"

    def reach(self, installation: Installation) -> set[str]:
        """The workspaces a bot token acts in: its own, or its whole org for an org-wide install.

        docs.slack.dev/enterprise: an app installed at the org level "can
        access all workspaces within the organization" that it is added to;
        here it is taken as added to all of them.
        """
        if not (installation.is_enterprise_install and installation.enterprise_id):
            return {installation.team_id}
        return {t.id for t in self.teams.values() if t.enterprise_id == installation.enterprise_id}

    def channel_for(self, installation: Installation, name_or_id: str) -> Channel:
        """The channel a bot token means, in any workspace it reaches."""
        for team_id in sorted(self.reach(installation)):
            try:
                return self.channel_of(team_id, name_or_id)
            except SlackError:
                continue
        raise SlackError("channel_not_found")

    def channel_of(self, team_id: str, name_or_id: str) -> Channel:
        """The channel ``team_id``'s app means by an id or ``#name``; else ``channel_not_found``."""
        wanted = name_or_id.removeprefix("#")
        by_id = self.channels.get(wanted)
        if by_id is not None and by_id.team_id == team_id:
            return by_id  # the usual case, without a scan of every channel
        for channel in self.channels.values():
            if channel.team_id == team_id and wanted in (channel.id, channel.name):
                return channel
        raise SlackError("channel_not_found")

    def next_ts(self) -> str:
        return self.ids.ts(self.clock())


def dm_channel_id(user_id: str) -> str:
    return f"D{user_id}"


def _in_channel(message: Message) -> bool:
    return message.thread_ts is None or message.reply_broadcast
