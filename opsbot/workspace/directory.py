"""auth.test, users.info and conversations.info: who and where, as Slack answers."""

from __future__ import annotations

from opsbot.workspace.calls import JSON, Call
from opsbot.workspace.errors import SlackError
from opsbot.workspace.scopes import IM_READ, PRIVATE_CHANNELS_READ, PUBLIC_CHANNELS_READ, require
from opsbot.workspace.state import Channel, User


def auth_test(call: Call) -> JSON:
    bot = call.bot
    team = call.workspace.teams[bot.team_id]
    return {
        "ok": True,
        "url": f"https://{team.domain}.slack.com/",
        "team": team.name,
        "user": call.workspace.app.bot_name,
        "team_id": team.id,
        "user_id": bot.bot_user_id,
        "bot_id": bot.bot_id,
        "enterprise_id": bot.enterprise_id,
        "is_enterprise_install": bot.is_enterprise_install,
    }


def users_info(call: Call) -> JSON:
    user = call.workspace.users.get(call.arg("user"))
    if user is None or not visible(call, user):
        raise SlackError("user_not_found")
    return {"ok": True, "user": user.as_slack()}


def conversations_info(call: Call) -> JSON:
    """Needs the read scope of the channel's kind (channels:read or groups:read)."""
    channel = call.workspace.channel_for(call.bot, call.arg("channel"))
    if channel.is_private and not channel.bot_member:
        raise SlackError("channel_not_found")
    require(_read_scope(channel), call.bot.scopes)
    return {"ok": True, "channel": channel.as_slack()}


def _read_scope(channel: Channel) -> str:
    if channel.is_im:
        return IM_READ
    return PRIVATE_CHANNELS_READ if channel.is_private else PUBLIC_CHANNELS_READ


def visible(call: Call, user: User) -> bool:
    """A person of the same workspace or org, or one sharing a channel with it."""
    bot = call.bot
    if user.team_id == bot.team_id:
        return True
    team = call.workspace.teams.get(user.team_id)
    if team is not None and bot.enterprise_id and team.enterprise_id == bot.enterprise_id:
        return True
    return any(
        user.id in channel.members
        for channel in call.workspace.channels.values()
        if channel.team_id == bot.team_id
    )
