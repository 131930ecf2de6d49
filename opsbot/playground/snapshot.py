"""What the page shows, read from the workspace: JSON built from each record's ``as_slack()``.

The page is one person's view (``user``): a channel's history with that
person's ephemeral messages among it, a thread with its replies, the
person's modal stack. Each message says who wrote it (a person, or the app
with its name) so the page needs no second request to draw it.
"""

from __future__ import annotations

from typing import Any, Final

from opsbot.slack.commands import TABLE
from opsbot.workspace.state import Ephemeral, Message
from opsbot.workspace.workspace import Workspace

JSON = dict[str, Any]

COMMAND: Final = "/ops"


def setup(workspace: Workspace, team_id: str) -> JSON:
    """The team, its channels and people, and the slash command's sub-commands."""
    team = workspace.teams[team_id]
    return {
        "team": {"id": team.id, "name": team.name},
        "bot": {
            "name": workspace.app.bot_name,
            "user": workspace.installation_of(team_id).bot_user_id,
        },
        "channels": [
            {"id": c.id, "name": c.name, "is_private": c.is_private, "is_member": c.bot_member}
            for c in workspace.channels.values()
            if c.team_id == team_id and not c.is_archived and not c.is_im
        ],
        "users": [
            {"id": u.id, "name": u.name, "is_admin": u.is_admin}
            for u in workspace.users.values()
            if u.team_id == team_id
        ],
        "command": COMMAND,
        "subcommands": subcommands(),
    }


def subcommands() -> list[JSON]:
    """The same table that feeds ``/ops help``: name, usage and what each form does."""
    return [
        {
            "name": entry.name,
            "usage": entry.usage,
            "help": [{"form": form, "does": does} for form, does in entry.help],
        }
        for entry in TABLE
    ]


def channel(workspace: Workspace, channel_id: str, user_id: str) -> JSON:
    """The channel's timeline as ``user_id`` sees it, oldest first."""
    shown = [_message(workspace, m) for m in workspace.history(channel_id)]
    shown += [
        _ephemeral(workspace, e)
        for e in workspace.ephemerals_for(user_id, channel_id)
        if e.thread_ts is None
    ]
    return {"channel": channel_id, "messages": _by_ts(shown)}


def thread(workspace: Workspace, channel_id: str, ts: str, user_id: str) -> JSON:
    """A thread: its parent, then its replies and ``user_id``'s ephemeral ones in it."""
    parent = workspace.messages.get((channel_id, ts))
    if parent is None:
        return {"channel": channel_id, "ts": ts, "parent": None, "replies": []}
    replies = [_message(workspace, m) for m in workspace.thread(channel_id, ts)]
    replies += [
        _ephemeral(workspace, e)
        for e in workspace.ephemerals_for(user_id, channel_id)
        if e.thread_ts == ts
    ]
    return {
        "channel": channel_id,
        "ts": ts,
        "parent": _message(workspace, parent),
        "replies": _by_ts(replies),
    }


def views(workspace: Workspace, user_id: str) -> JSON:
    """``user_id``'s modal stack, root first (the page shows the last)."""
    return {"views": [view.as_slack() for view in workspace.open_views(user_id)]}


def home(workspace: Workspace, team_id: str, user_id: str) -> JSON:
    """``user_id``'s Home tab as the app last published it, or None."""
    published = workspace.home(team_id, user_id)
    return {"view": published.as_slack() if published is not None else None}


def _message(workspace: Workspace, message: Message) -> JSON:
    shown = message.as_slack()
    shown["channel"] = message.channel
    shown["author"] = _author(workspace, message)
    if message.reply_broadcast and message.thread_ts:
        parent = workspace.messages.get((message.channel, message.thread_ts))
        shown["broadcast_of"] = parent.text if parent is not None else ""
    if message.replies:
        shown["reply_users"] = sorted(
            {workspace.messages[(message.channel, ts)].user for ts in message.replies}
        )
    return shown


def _ephemerals(
    workspace: Workspace, user_id: str, channel_id: str, thread_ts: str | None
) -> list[JSON]:
    return [
        _ephemeral(workspace, ephemeral)
        for ephemeral in workspace.ephemerals_for(user_id, channel_id)
        if ephemeral.thread_ts == thread_ts
    ]


def _ephemeral(workspace: Workspace, ephemeral: Ephemeral) -> JSON:
    shown = ephemeral.as_slack()
    shown["channel"] = ephemeral.channel
    shown["author"] = {"name": workspace.app.bot_name, "app": True}
    return shown


def _author(workspace: Workspace, message: Message) -> JSON:
    if message.bot_id is not None:
        return {"name": workspace.app.bot_name, "app": True}
    user = workspace.users.get(message.user)
    return {"name": user.name if user else message.user, "app": False}


def _by_ts(messages: list[JSON]) -> list[JSON]:
    return sorted(messages, key=lambda m: _ts_key(str(m["ts"])))


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, counter = ts.partition(".")
    return int(seconds), int(counter or 0)
