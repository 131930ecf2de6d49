"""When each channel may take its next post: Slack's pace, shared by every worker.

Slack takes about one ``chat.postMessage`` a second per channel and answers
429 with ``Retry-After`` beyond a short burst. The poster of whichever worker
holds a team records here when a channel is next ready: a second after each
post, or the end of a Retry-After, so that the next holder keeps the pace.
"""

from __future__ import annotations

import logging
from typing import Final

from opsbot.store import keyspace
from opsbot.store.codec import decoded
from opsbot.store.connection import RedisClient

# A channel's next post time matters for seconds (spacing) to minutes
# (Retry-After); it expires after a day so that a channel gone for good
# leaves nothing behind.
_CHANNEL_ENTRY_TTL_S: Final = 86_400

_logger = logging.getLogger(__name__)


class ChannelPacing:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis

    async def ready_at(self, team_id: str, channel: str) -> float:
        """Epoch seconds before which nothing is posted to ``channel`` (0.0: now)."""
        value = await self._redis.get(keyspace.channel_next_post(team_id, channel))
        if value is None:
            return 0.0
        try:
            return float(decoded(value))
        except ValueError:
            _logger.warning("ignoring a malformed next post time for channel %s", channel)
            return 0.0

    async def hold_until(self, team_id: str, channel: str, at: float) -> None:
        """Post nothing to ``channel`` before ``at`` (epoch seconds)."""
        await self._redis.set(
            keyspace.channel_next_post(team_id, channel), at, ex=_CHANNEL_ENTRY_TTL_S
        )
