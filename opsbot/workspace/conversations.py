"""conversations.open and users.conversations: direct messages, and who is in which channel.

conversations.open (docs.slack.dev/reference/methods/conversations.open)
opens or resumes the bot's direct message with one person: it needs
``im:write`` (a group DM of several people needs ``mpim:write``, a scope bot
tokens cannot hold), answers ``users_list_not_supplied`` without ``users``
or ``channel``, ``user_not_found`` for a person the bot cannot see and
``user_disabled`` for a deactivated one; an open DM comes back with
``no_op`` and ``already_open``.

users.conversations (docs.slack.dev/reference/methods/users.conversations)
lists the conversations a person (``user``, the bot by default) is in, of
the ``types`` asked (``public_channel`` by default); each type needs its
read scope (``channels:read``, ``groups:read``, ``im:read``,
``mpim:read``). Private channels are listed only when the bot shares them.
It pages with ``limit`` (at most 999) and an opaque ``cursor``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from opsbot.workspace.calls import JSON, Call
from opsbot.workspace.directory import visible
from opsbot.workspace.errors import SlackError, validation_error
from opsbot.workspace.scopes import require
from opsbot.workspace.state import Channel

# A group DM: a scope only user tokens (and legacy bots) hold.
GROUP_DM_WRITE: Final = "mpim:write"
TYPE_SCOPES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "public_channel": "channels:read",
        "private_channel": "groups:read",
        "im": "im:read",
        "mpim": "mpim:read",
    }
)
DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 999


def conversations_open(call: Call) -> JSON:
    users = _user_ids(call.args.get("users"))
    resumed = call.args.get("channel")
    if not users and isinstance(resumed, str) and resumed:
        return _resume(call, resumed)
    if not users:
        raise SlackError("users_list_not_supplied")
    if len(users) > 1:
        require(GROUP_DM_WRITE, call.bot.scopes)
    [user_id] = users
    user = call.workspace.users.get(user_id)
    if user is None or not visible(call, user):
        raise SlackError("user_not_found")
    if user.deleted:
        raise SlackError("user_disabled")
    channel, already_open = call.workspace.open_dm(call.bot.team_id, user.id)
    return _opened(call, channel, already_open=already_open)


def users_conversations(call: Call) -> JSON:
    types = _types(call.args.get("types"))
    for kind in types:
        require(TYPE_SCOPES[kind], call.bot.scopes)
    user_id = str(call.args.get("user") or call.bot.bot_user_id)
    listed = [
        channel
        for channel in call.workspace.channels.values()
        if channel.team_id == call.bot.team_id
        and _kind(channel) in types
        and _is_member(call, channel, user_id)
        and not (_flag(call.args.get("exclude_archived")) and channel.is_archived)
    ]
    start, limit = _cursor(call.args.get("cursor")), _limit(call.args.get("limit"))
    page = listed[start : start + limit]
    more = start + limit < len(listed)
    return {
        "ok": True,
        "channels": [_limited(channel) for channel in page],
        "response_metadata": {"next_cursor": _encode_cursor(start + limit) if more else ""},
    }


# --- helpers ---------------------------------------------------------------------------


def _resume(call: Call, channel_id: str) -> JSON:
    channel = call.workspace.channels.get(channel_id)
    if channel is None or channel.team_id != call.bot.team_id or not channel.is_im:
        raise SlackError("channel_not_found")
    return _opened(call, channel, already_open=True)


def _opened(call: Call, channel: Channel, *, already_open: bool) -> JSON:
    shown: JSON = channel.as_slack() if _flag(call.args.get("return_im")) else {"id": channel.id}
    answer: JSON = {"ok": True, "channel": shown}
    if already_open:
        answer.update(no_op=True, already_open=True)
    return answer


def _user_ids(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(user) for user in value if str(user).strip()]
    if isinstance(value, str):
        return [user.strip() for user in value.split(",") if user.strip()]
    return []


def _types(value: object) -> list[str]:
    asked = [kind.strip() for kind in str(value or "public_channel").split(",") if kind.strip()]
    unknown = [kind for kind in asked if kind not in TYPE_SCOPES]
    if unknown:
        raise validation_error("invalid_types", [f"[ERROR] unknown type {unknown[0]}"])
    return asked


def _kind(channel: Channel) -> str:
    if channel.is_im:
        return "im"
    return "private_channel" if channel.is_private else "public_channel"


def _is_member(call: Call, channel: Channel, user_id: str) -> bool:
    if user_id == call.bot.bot_user_id:
        return channel.bot_member
    if channel.is_im:
        return channel.im_user == user_id
    if channel.is_private and not channel.bot_member:
        # "Private channel membership is only listed when the ... bot user ... shares" it.
        return False
    return user_id in channel.members


def _limited(channel: Channel) -> JSON:
    """ "We omit the is_member and num_members fields in this method's response."""
    shown = channel.as_slack()
    shown.pop("is_member", None)
    shown.pop("num_members", None)
    return shown


def _limit(value: object) -> int:
    try:
        limit = int(str(value)) if value not in (None, "") else DEFAULT_LIMIT
    except ValueError:
        raise SlackError("invalid_limit") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise SlackError("invalid_limit")
    return limit


def _cursor(value: object) -> int:
    if not value:
        return 0
    try:
        return int(base64.b64decode(str(value)).decode().removeprefix("offset:"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise SlackError("invalid_cursor") from None


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _flag(value: object) -> bool:
    return value is True or str(value).lower() in ("true", "1")
