"""Who may change the team's API key: workspace admins and owners, or the
user ids listed in ``OPSBOT_ADMINS``.

Slack's ``users.info`` says who is an admin. When it cannot answer (rate
limited, a revoked or wrong token, the network), the check has not been
made: the right is not granted, and the person is told to try again rather
than told they are not an admin.
"""

from __future__ import annotations

import enum
from typing import Final

from slack_sdk.web.async_client import AsyncWebClient

from opsbot.config import Settings
from opsbot.slack.profiles import user_profile

# Slack's answers that do settle it: that user is not someone of this workspace.
_NOT_A_MEMBER: Final = frozenset({"user_not_found", "user_not_visible"})


class KeyRight(enum.Enum):
    ALLOWED = "allowed"
    REFUSED = "refused"
    UNKNOWN = "unknown"  # Slack could not say: ask again later


async def key_right(client: AsyncWebClient, settings: Settings, user_id: str) -> KeyRight:
    """Whether ``user_id`` may change the team's API key, or that Slack could not say."""
    if user_id in settings.admins:
        return KeyRight.ALLOWED
    user = await user_profile(client, user_id, purpose="an admin check")
    if isinstance(user, str):
        # Only Slack's word that the person is not of this workspace settles it.
        return KeyRight.REFUSED if user in _NOT_A_MEMBER else KeyRight.UNKNOWN
    is_admin = user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")
    return KeyRight.ALLOWED if is_admin else KeyRight.REFUSED
