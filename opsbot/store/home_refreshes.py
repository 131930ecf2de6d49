"""Which people's Home tabs need publishing again, and how often they may be.

Only the Home tabs of people who opened theirs lately (``viewing_s``) are
kept current: Slack tells an app when a Home tab is opened, never when it
is closed, and a tab nobody looks at is drawn afresh when next opened.

When a watched operation changes step, the watcher marks each of those
watchers here (a sorted set per team, person → when it was marked). A pass
then publishes the Home tabs marked, at most one per person every
``spacing_s`` seconds (Slack's views.publish budget is per workspace; a busy
person's Home is a summary, not a feed): a person whose last publish is more
recent stays marked, and the next pass publishes what is current by then.
A mark is dropped only if no newer change marked the person again while
the Home was being drawn, so the last change of a burst is always shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from opsbot.store import keyspace, scripts
from opsbot.store.codec import decoded
from opsbot.store.connection import RedisClient

DEFAULT_SPACING_S: Final = 10.0
# A person who opened their Home tab within this long may still be looking.
DEFAULT_VIEWING_S: Final = 3600.0


class HomeRefreshes:
    def __init__(
        self,
        redis: RedisClient,
        *,
        spacing_s: float = DEFAULT_SPACING_S,
        viewing_s: float = DEFAULT_VIEWING_S,
    ) -> None:
        if spacing_s <= 0 or viewing_s <= 0:
            raise ValueError("spacing_s and viewing_s must be positive")
        self._redis = redis
        self._spacing_ms = max(1, int(spacing_s * 1000))
        self.viewing_s = viewing_s
        self._refreshed = redis.register_script(scripts.HOME_REFRESHED)

    async def opened(self, team_id: str, user_id: str, at: float) -> None:
        """``user_id`` opened their Home tab at ``at``; those gone for long are forgotten."""
        key = keyspace.home_viewers(team_id)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zadd(key, {keyspace.check_slack_id(user_id, "user id"): at})
            pipe.zremrangebyscore(key, "-inf", at - self.viewing_s)
            await pipe.execute()

    async def viewing(self, team_id: str, user_ids: Iterable[str], now: float) -> set[str]:
        """Those of ``user_ids`` who opened their Home tab within ``viewing_s`` of ``now``."""
        wanted = sorted(set(user_ids))
        if not wanted:
            return set()
        opened = await self._redis.zmscore(keyspace.home_viewers(team_id), wanted)
        since = now - self.viewing_s
        return {
            user for user, at in zip(wanted, opened, strict=True) if at is not None and at >= since
        }

    async def mark(self, team_id: str, user_ids: Iterable[str], at: float) -> None:
        """These people's Home tabs show something that changed at ``at``."""
        wanted = {keyspace.check_slack_id(user, "user id"): at for user in user_ids}
        if wanted:
            # GT: a mark only moves forward, so an older change never hides a newer one.
            await self._redis.zadd(keyspace.home_refreshes(team_id), wanted, gt=True)

    async def marked(self, team_id: str, now: float, limit: int) -> list[tuple[str, float]]:
        """Up to ``limit`` people marked at or before ``now``, longest waiting first."""
        found = await self._redis.zrangebyscore(
            keyspace.home_refreshes(team_id), "-inf", now, start=0, num=limit, withscores=True
        )
        return [(_text(pair[0]), float(pair[1])) for pair in found]

    async def take_turn(self, team_id: str, user_id: str) -> bool:
        """True when ``user_id``'s Home may be published now (and starts the spacing)."""
        taken = await self._redis.set(
            keyspace.home_published(team_id, user_id), "1", nx=True, px=self._spacing_ms
        )
        return bool(taken)

    async def published(self, team_id: str, user_id: str, marked_at: float) -> bool:
        """The Home drawn for the mark of ``marked_at`` is out; True if the mark went."""
        removed = await self._refreshed(
            keys=[keyspace.home_refreshes(team_id)], args=[user_id, marked_at]
        )
        return bool(removed)


def _text(member: object) -> str:
    return decoded(member) if isinstance(member, bytes | str) else str(member)
