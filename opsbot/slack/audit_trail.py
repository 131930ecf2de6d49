"""Recording who did what: the Redis audit stream, and the team's audit channel when set.

Which channel: the one the team chose with ``/ops audit #channel``; without
one, ``OPSBOT_AUDIT_CHANNEL`` in single-workspace mode. In OAuth mode that
variable names a channel of no workspace in particular (a channel id means
nothing, or something else, in another workspace), so it is never used there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.clock import utc_now
from opsbot.services import Services
from opsbot.slack.posting import post_paced
from opsbot.slack.requests import Requester
from opsbot.store import audit
from opsbot.ui.audit import audit_message

log = logging.getLogger(__name__)

# The outcome of an action the API answered false to: it did not happen.
NOT_DONE: Final = "error: the API answered false"


@dataclass(frozen=True)
class Entry:
    """What was done: the action, on what, how it ended, and anything more to say."""

    action: str
    target: str = ""
    outcome: str = audit.OK
    detail: str = ""


async def record_action(
    services: Services,
    client: AsyncWebClient,
    requester: Requester,
    entry: Entry,
    *,
    channels: Iterable[str | None] | None = None,
) -> None:
    """Store ``entry`` in the team's audit stream and post it to the audit channel.

    ``channels``: where to post instead (a change of the audit channel
    itself goes to the old one and the new one).
    """
    await services.audit.record(
        requester.team_id,
        user_id=requester.user_id,
        action=entry.action,
        target=entry.target,
        outcome=entry.outcome,
        detail=entry.detail,
    )
    if channels is None:
        channels = [await audit_channel(services, requester.team_id)]
    for channel in dict.fromkeys(channel for channel in channels if channel):
        await _post(services, client, requester, entry, channel)


async def audit_channel(services: Services, team_id: str) -> str | None:
    """Where the team's audit lines go: its own choice, else (one workspace) the setting's."""
    return channel_given(services, await services.audit.channel(team_id))


def channel_given(services: Services, chosen: str | None) -> str | None:
    """Where audit lines go when the team's own choice is ``chosen`` (None: none made)."""
    if chosen is not None or services.settings.slack.oauth:
        return chosen
    return services.settings.audit_channel


async def _post(
    services: Services, client: AsyncWebClient, requester: Requester, entry: Entry, channel: str
) -> None:
    message = audit_message(
        user_id=requester.user_id,
        action=entry.action,
        target=entry.target,
        outcome=entry.outcome,
        at=utc_now(),
        detail=entry.detail,
    )
    try:
        await post_paced(
            client,
            services.pacing,
            requester.team_id,
            channel,
            text=message["text"],
            blocks=message["blocks"],
        )
    except SlackApiError as error:
        # The audit stream already has the entry; a channel post is a copy.
        log.warning("could not post to the audit channel: %s", error.response.get("error"))
