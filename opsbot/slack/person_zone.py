"""A person's time zone, as their Slack profile gives it.

``/ops mute until 18:00`` means 18:00 where the person is, not in UTC: Slack's
``users.info`` gives the zone's name (``tz``) and its current offset
(``tz_offset``, seconds east of UTC), under the ``users:read`` scope the app
already has (https://api.slack.com/methods/users.info, "tz", "tz_offset").
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.web.async_client import AsyncWebClient

from opsbot.slack.profiles import user_profile


async def zone_of(client: AsyncWebClient, user_id: str) -> dt.tzinfo | None:
    """The person's zone; None when Slack could not say (the caller falls back to UTC)."""
    user = await user_profile(client, user_id, purpose="a time zone")
    return None if isinstance(user, str) else zone_in_profile(user)


def zone_in_profile(user: dict[str, Any]) -> dt.tzinfo | None:
    """The zone by name when this machine knows it, else the fixed offset Slack gave."""
    name = user.get("tz")
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        # ValueError: a name zoneinfo refuses to look up (an absolute path, "..").
        except (ZoneInfoNotFoundError, ValueError):
            pass
    offset = user.get("tz_offset")
    # Real offsets lie within ±14 h; anything else is not an offset.
    if isinstance(offset, int) and not isinstance(offset, bool) and abs(offset) <= 14 * 3600:
        return dt.timezone(dt.timedelta(seconds=offset))
    return None
