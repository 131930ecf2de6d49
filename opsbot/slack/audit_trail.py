"""Recording who did what: the Redis audit stream, and the audit channel when set."""

from __future__ import annotations

import logging
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
    services: Services, client: AsyncWebClient, requester: Requester, entry: Entry
) -> None:
    await services.audit.record(
        requester.team_id,
        user_id=requester.user_id,
        action=entry.action,
        target=entry.target,
        outcome=entry.outcome,
        detail=entry.detail,
    )
    channel = services.settings.audit_channel
    if not channel:
        return
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
