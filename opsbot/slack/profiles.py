"""A person's Slack profile, as ``users.info`` gives it.

The admin check (:mod:`opsbot.slack.permissions`) and the time zone of
``/ops mute until`` (:mod:`opsbot.slack.person_zone`) both ask it; both must
survive Slack refusing or not answering, and log why the same way.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


async def user_profile(
    client: AsyncWebClient, user_id: str, *, purpose: str
) -> dict[str, Any] | str:
    """The ``user`` object of ``users.info``; else why not: Slack's error code, or the
    name of the failure to ask (no Slack error code has that form). ``purpose``: for the log."""
    try:
        reply = await client.users_info(user=user_id)
    except SlackApiError as error:
        reason = str(error.response.get("error") or "no reason given")
        log.warning("users.info failed for %s: %s", purpose, reason)
        return reason
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
        log.warning("users.info could not be asked for %s: %s", purpose, type(error).__name__)
        return type(error).__name__
    user = reply.get("user")
    return user if isinstance(user, dict) else {}
