"""Who may change the team's API key: workspace admins and owners, or the
user ids listed in ``OPSBOT_ADMINS``."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.config import Settings

log = logging.getLogger(__name__)


async def is_key_admin(client: AsyncWebClient, settings: Settings, user_id: str) -> bool:
    if user_id in settings.admins:
        return True
    try:
        reply = await client.users_info(user=user_id)
    except SlackApiError as error:
        # Refuse rather than guess: a failed lookup must not grant the right.
        log.warning("users.info failed for an admin check: %s", error.response.get("error"))
        return False
    user = reply.get("user") or {}
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
