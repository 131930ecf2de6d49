"""Whether a person may cancel or relaunch, here: the team's guardrails, with Slack's groups.

The rules come from ``/ops config`` (:mod:`opsbot.store.guardrails`): a
read-only channel refuses every action; otherwise everyone may, or only the
people listed and the members of the user groups listed. Group members are
asked of Slack (``usergroups.users.list``, Tier 2) and remembered for a
minute; a request that carries the action out (a cancel confirmed, a
relaunch submitted, an approval) asks Slack again, so someone just removed from a
group cannot act on a stale copy. When Slack cannot answer, a remembered
copy decides if there is one; otherwise the check has not been made and
nothing is done.
"""

from __future__ import annotations

import logging
from typing import Final

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.services import Services
from opsbot.slack.requests import Requester
from opsbot.store.guardrails import Guardrails
from opsbot.ui.guardrails import Refusal

log = logging.getLogger(__name__)

# Slack's answer that settles it: the group is gone, so it lets nobody in.
_GONE: Final = frozenset({"no_such_subteam"})


async def refusal(
    services: Services,
    client: AsyncWebClient,
    requester: Requester,
    action: str,
    *,
    fresh: bool = False,
) -> Refusal | None:
    """None when ``requester`` may take ``action`` where they are, else why not."""
    rules = await services.guardrails.get(requester.team_id)
    if requester.channel_id and requester.channel_id in rules.read_only_channels:
        return Refusal("read_only", action)
    return await refusal_by_rules(services, client, requester, rules, action, fresh=fresh)


async def in_read_only_channel(services: Services, requester: Requester) -> bool:
    """Whether ``requester`` asks from a read-only channel: what opsbot shows there
    draws no Cancel or Relaunch button (a click would be refused anyway)."""
    if not requester.channel_id:
        return False
    rules = await services.guardrails.get(requester.team_id)
    return requester.channel_id in rules.read_only_channels


async def refusal_by_rules(
    services: Services,
    client: AsyncWebClient,
    requester: Requester,
    rules: Guardrails,
    action: str,
    *,
    fresh: bool = False,
) -> Refusal | None:
    """Who may, without the channel: ``rules.who_may_do(action)`` applied to the person."""
    who = rules.who_may_do(action)
    if who.everyone or requester.user_id in who.people:
        return None
    unknown = False
    for group in who.groups:
        members = await group_members(services, client, requester.team_id, group, fresh=fresh)
        if members is None:
            unknown = True
        elif requester.user_id in members:
            return None
    return Refusal("unknown", action) if unknown else Refusal.not_listed(action, who)


async def group_members(
    services: Services, client: AsyncWebClient, team_id: str, group_id: str, *, fresh: bool
) -> frozenset[str] | None:
    """The group's members: remembered (unless ``fresh``), else asked of Slack; None if unknown."""
    remembered = services.group_members
    if not fresh:
        members = await remembered.get(team_id, group_id)
        if members is not None:
            return members
    try:
        reply = await client.usergroups_users_list(usergroup=group_id)
    except SlackApiError as error:
        reason = str(error.response.get("error") or "no reason given")
        if reason in _GONE:
            return frozenset()
        log.warning("usergroups.users.list failed for a guardrail check: %s", reason)
        return await remembered.get(team_id, group_id)
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
        log.warning("usergroups.users.list could not be asked: %s", type(error).__name__)
        return await remembered.get(team_id, group_id)
    members = frozenset(str(user) for user in reply.get("users") or [])
    await remembered.put(team_id, group_id, members)
    return members
