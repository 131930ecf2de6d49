"""``/ops audit``: show, choose or clear the workspace's audit channel.

Each workspace chooses its own (in OAuth mode a channel id means nothing,
or something else, in another workspace). Anyone may see where audit lines
go; only a workspace admin or owner (or someone in ``OPSBOT_ADMINS``, the
check ``/ops key`` makes) may change it. A channel is chosen only once Slack
says the bot can post there (``conversations.info``): it exists for the bot,
is not archived, and, when private, has the bot in it (a public one it has
not joined takes its posts through ``chat:write.public``). The change itself
is audited, in the old channel and the new one, so the people who watched
the old one see where it went.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from opsbot.slack.audit_trail import Entry, channel_given, record_action
from opsbot.slack.grammar import ChannelRef, Command
from opsbot.slack.interaction import Interaction
from opsbot.slack.permissions import KeyRight, key_right
from opsbot.store import audit
from opsbot.ui.audit import audit_channel_message
from opsbot.ui.common import error_message

log = logging.getLogger(__name__)

ADMINS_ONLY: Final = (
    "Only workspace admins and owners (or people listed in OPSBOT_ADMINS) "
    "can choose the audit channel. `/ops audit` shows where audit lines go."
)
NOT_CHECKED: Final = (
    "Slack could not tell us just now whether you may choose the audit channel, "
    "so nothing was changed. Please try again in a minute."
)
_REFUSALS: Final = {KeyRight.REFUSED: ADMINS_ONLY, KeyRight.UNKNOWN: NOT_CHECKED}
INVITE: Final = "invite opsbot there first (`/invite @opsbot` in the channel), then try again"
NOT_FOUND: Final = (
    "opsbot cannot see that channel: if it is private, " + INVITE + ". Nothing was changed."
)
NOT_A_MEMBER: Final = "That channel is private and opsbot is not in it: " + INVITE + "."
ARCHIVED: Final = "That channel is archived: choose one in use. Nothing was changed."
# A name typed without picking it from Slack's list is looked for among the
# bot's channels, a page of this many at a time, at most this many pages.
CHANNELS_PER_PAGE: Final = 200
CHANNEL_PAGES: Final = 10


class _Refused(Exception):
    """The channel cannot be the audit channel; the message says why and what would do."""


async def audit_command(asked: Interaction, command: Command) -> None:
    if command.channel is None and not command.clear:
        await _show(asked)
        return
    refused = _REFUSALS.get(await key_right(asked.client, asked.services.settings, asked.user_id))
    if refused is not None:
        await asked.tell(error_message(refused))
        return
    try:
        chosen = None if command.channel is None else await _postable(asked, command.channel)
    except _Refused as why:
        await asked.tell(error_message(str(why), hint="For example `/ops audit #ops-audit`."))
        return
    await _choose(asked, chosen)


async def _show(asked: Interaction) -> None:
    # One read: where lines go follows from the team's choice.
    chosen = await asked.services.audit.channel(asked.team_id)
    channel = channel_given(asked.services, chosen)
    await asked.tell(audit_channel_message(channel, from_setting=channel != chosen))


async def _choose(asked: Interaction, channel_id: str | None) -> None:
    services = asked.services
    # What the change replaced, from the same SET … GET: two admins changing it
    # at once each audit their own change where it should go.
    before = channel_given(services, await services.audit.set_channel(asked.team_id, channel_id))
    after = channel_given(services, channel_id)
    entry = Entry(audit.AUDIT_CHANNEL, target=after or "none", detail=f"was {before or 'none'}")
    await record_action(services, asked.client, asked.requester, entry, channels=(before, after))
    await asked.tell(
        audit_channel_message(
            after,
            from_setting=after is not None and channel_id is None,
            change="set" if channel_id else "cleared",
            previous=before,
        )
    )


async def _postable(asked: Interaction, channel: ChannelRef) -> str:
    """The id of ``channel`` once Slack says the bot can post there; else :class:`_Refused`."""
    channel_id = channel.id or await _id_of_name(asked, channel.name or "")
    info = await _slack_says(asked.client.conversations_info(channel=channel_id))
    about = info.get("channel") or {}
    if about.get("is_archived"):
        raise _Refused(ARCHIVED)
    if about.get("is_private") and not about.get("is_member"):
        raise _Refused(NOT_A_MEMBER)
    return str(about.get("id") or channel_id)


async def _id_of_name(asked: Interaction, name: str) -> str:
    """A channel typed as ``#name`` (not picked from Slack's list): looked for among the
    channels opsbot is in, the only ones it can find by name."""
    cursor = None
    for _ in range(CHANNEL_PAGES):
        page = await _slack_says(
            asked.client.users_conversations(
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=CHANNELS_PER_PAGE,
                cursor=cursor,
            )
        )
        for found in page.get("channels") or []:
            if isinstance(found, dict) and found.get("name") == name and found.get("id"):
                return str(found["id"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    raise _Refused(
        f"opsbot is in no channel named #{name}: pick the channel from the list Slack "
        f"shows as you type #, or {INVITE}."
    )


async def _slack_says(call: Any) -> Any:
    """Slack's answer to ``call``; a refusal or a failure to ask becomes :class:`_Refused`."""
    try:
        return await call
    except SlackApiError as error:
        reason = str(error.response.get("error") or "no reason given")
        log.info("audit channel not checked: %s", reason)
        if reason == "channel_not_found":
            raise _Refused(NOT_FOUND) from None
        raise _Refused(_not_checked(reason)) from None
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
        raise _Refused(_not_checked(type(error).__name__)) from None


def _not_checked(reason: str) -> str:
    return (
        f"Slack could not tell us just now whether opsbot can post there ({reason}), "
        "so nothing was changed. Please try again in a minute."
    )
