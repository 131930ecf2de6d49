"""usergroups.list and usergroups.users.list, as Slack answers them.

Both need ``usergroups:read`` and are Tier 2 (docs.slack.dev/reference/methods/
usergroups.list, …/usergroups.users.list). A group of another workspace, or
one that does not exist, is ``no_such_subteam``; a disabled group is left out
of the list, and its members are not given, unless ``include_disabled``.
"""

from __future__ import annotations

from typing import Any

from opsbot.workspace.calls import JSON, Call
from opsbot.workspace.errors import SlackError
from opsbot.workspace.state import UserGroup


def usergroups_list(call: Call) -> JSON:
    include_users = _flag(call.args.get("include_users"))
    include_disabled = _flag(call.args.get("include_disabled"))
    groups = [
        group.as_slack(include_users=include_users)
        for group in call.workspace.usergroups.values()
        if group.team_id == call.bot.team_id and (include_disabled or not group.disabled)
    ]
    return {"ok": True, "usergroups": groups}


def usergroups_users_list(call: Call) -> JSON:
    group = _group(call, call.arg("usergroup"))
    if group.disabled and not _flag(call.args.get("include_disabled")):
        raise SlackError("no_such_subteam")
    return {"ok": True, "users": list(group.users)}


def _group(call: Call, group_id: str) -> UserGroup:
    group = call.workspace.usergroups.get(group_id)
    if group is None or group.team_id != call.bot.team_id:
        raise SlackError("no_such_subteam")
    return group


def _flag(value: Any) -> bool:
    """Slack's booleans arrive as true/false, 1/0, or JSON booleans."""
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true")
