"""Slack's pace, shared by every worker and by ``opsbot serve``: token buckets in Redis.

Slack takes about one ``chat.postMessage`` a second per channel, with short
bursts, and answers 429 with ``Retry-After`` beyond; ``chat.update`` is a
Tier 3 method (about 50 a minute per workspace). Whoever posts (the poster of
whichever worker holds the team, or a Slack listener answering someone)
takes a token first from the same bucket, kept in Redis, so N processes never
post into one channel faster than one would. A 429 pauses the channel (or the
team's edits) for its Retry-After, for everyone.

Each bucket is one hash (``tokens``, ``updated``, ``paused_until``) under the
team's hash tag, changed by one single-key script: Cluster-safe. Times are
the caller's epoch seconds, so that workers must agree on the time (NTP), and
tests can run on a clock of their own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from opsbot.config import Settings
from opsbot.store import keyspace, scripts
from opsbot.store.codec import decoded
from opsbot.store.connection import RedisClient

# An idle bucket is full again within seconds; one left behind by a channel
# gone for good goes after a day.
_BUCKET_TTL_S: Final = 86_400

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Taken:
    """What a bucket gave: ``count`` tokens, and when the next one is there (0.0: now)."""

    count: int
    ready_at: float

    @property
    def refused_until(self) -> float:
        """0.0 when a token was taken, else when to try again."""
        return 0.0 if self.count else self.ready_at


@dataclass(frozen=True)
class Rate:
    """A token bucket: ``per_s`` on average, ``burst`` at once."""

    per_s: float
    burst: int

    def __post_init__(self) -> None:
        if self.per_s <= 0 or self.burst < 1:
            raise ValueError("a rate needs a positive pace and a burst of at least 1")


# A little under Slack's one a second: a token taken here reaches Slack a few
# milliseconds later, and once the burst is spent Slack must never count two
# posts closer than its pace. A burst of 2 is the smallest Slack's ">1" allows.
DEFAULT_POSTS: Final = Rate(per_s=0.95, burst=2)
# Tier 3 is "50+ per minute" counted over any minute: a bucket never exceeds
# burst + 60 * per_s in a minute, 46 here, leaving room for people's clicks.
DEFAULT_EDITS: Final = Rate(per_s=0.6, burst=10)


class ChannelPacing:
    """The buckets: posts per channel, card edits per team."""

    def __init__(
        self,
        redis: RedisClient,
        *,
        posts: Rate = DEFAULT_POSTS,
        edits: Rate = DEFAULT_EDITS,
    ) -> None:
        self._redis = redis
        self.posts = posts
        self.edits = edits
        self._bucket = redis.register_script(scripts.RATE_BUCKET)
        self._pause = redis.register_script(scripts.PAUSE_BUCKET)

    @classmethod
    def from_settings(cls, redis: RedisClient, settings: Settings) -> ChannelPacing:
        return cls(redis, posts=Rate(per_s=settings.posts_per_s, burst=settings.post_burst))

    async def take_post(self, team_id: str, channel: str, now: float) -> float:
        """Take a post's token for ``channel``: 0.0 when taken, else when to try again."""
        return (await self.take_posts(team_id, channel, now, 1)).refused_until

    async def take_posts(self, team_id: str, channel: str, now: float, wanted: int) -> Taken:
        """Take up to ``wanted`` post tokens for ``channel`` in one call (as many as it holds)."""
        key = keyspace.channel_bucket(team_id, channel)
        return await self._take(key, self.posts, now, wanted)

    async def post_ready_at(self, team_id: str, channel: str, now: float) -> float:
        """When ``channel`` takes a post (``now`` or earlier: at once), taking nothing."""
        key = keyspace.channel_bucket(team_id, channel)
        taken = await self._take(key, self.posts, now, 0)
        return taken.ready_at or now

    async def take_edit(self, team_id: str, now: float) -> float:
        """Take a ``chat.update`` token for the team: 0.0 when taken, else when to try again."""
        return (await self.take_edits(team_id, now, 1)).refused_until

    async def take_edits(self, team_id: str, now: float, wanted: int) -> Taken:
        """Take up to ``wanted`` ``chat.update`` tokens for the team in one call."""
        return await self._take(keyspace.edit_bucket(team_id), self.edits, now, wanted)

    async def pause_channel(self, team_id: str, channel: str, until: float) -> None:
        """Slack said 429 for ``channel``: nobody posts there before ``until``."""
        await self._pause(keys=[keyspace.channel_bucket(team_id, channel)], args=[until])

    async def pause_edits(self, team_id: str, until: float) -> None:
        """Slack said 429 to a ``chat.update``: the team edits nothing before ``until``."""
        await self._pause(keys=[keyspace.edit_bucket(team_id)], args=[until])

    async def wait_for_post(
        self, team_id: str, channel: str, clock: Callable[[], float], *, at_most_s: float
    ) -> None:
        """Take a post's token, waiting for it up to ``at_most_s`` (then post anyway).

        For answers to a person: they go a little late rather than not at
        all; the poster, which waits for tokens, then leaves them room.
        """
        deadline = clock() + at_most_s
        while True:
            now = clock()
            ready = await self.take_post(team_id, channel, now)
            if not ready:
                return
            if ready > deadline:
                _logger.info("posting to %s ahead of its pace: someone is waiting", channel)
                return
            await asyncio.sleep(max(ready - now, 0.01))

    async def _take(self, key: str, rate: Rate, now: float, wanted: int) -> Taken:
        answer = await self._bucket(
            keys=[key], args=[now, rate.per_s, rate.burst, wanted, _BUCKET_TTL_S]
        )
        try:
            count, ready = answer
            taken = Taken(int(count), float(decoded(ready)))
        except (TypeError, ValueError):
            _logger.warning("ignoring a malformed answer from a rate bucket: %r", answer)
            return Taken(wanted, 0.0)
        return taken
