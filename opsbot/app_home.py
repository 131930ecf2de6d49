"""The App Home tab: gathered, drawn and published for one person, then kept current.

The Slack listeners publish it when a person opens the tab
(``app_home_opened``); the watcher publishes it again when one of their
watches changes step: :meth:`HomeRefresher.changed` marks the watchers,
:meth:`HomeRefresher.refresh` publishes the Home tabs marked, each person at
most once per spacing (:mod:`opsbot.store.home_refreshes`). Both sides draw
it here, so the tab looks the same whoever published it.

Publishing is a courtesy, never a reason to fail: a refusal from Slack or
the API is logged and the tab shows what could be read.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.api.client import OperationClient
from opsbot.api.errors import ApiError
from opsbot.api.operation import ERROR
from opsbot.clock import moment
from opsbot.logs import log_text
from opsbot.store.home_refreshes import HomeRefreshes
from opsbot.store.pauses import TeamPauses
from opsbot.store.subscriptions import Subscription, SubscriptionStore
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import VaultError
from opsbot.store.watches import Watch, WatchStore
from opsbot.ui.common import HelpSection
from opsbot.ui.home import FAILED_SHOWN, FailedOperations, HomeContent, home_view
from opsbot.ui.render import Modal

log = logging.getLogger(__name__)

NEWEST_FAILED: Final = {
    "step": ERROR,
    "sort_by": "date_created DESC",
    "items_per_page": FAILED_SHOWN,
}
# users.conversations pages: enough for a person in a few thousand channels.
CHANNEL_PAGES: Final = 5
CHANNELS_PER_PAGE: Final = 999
# Home tabs one team pass publishes at most: views.publish shares a
# workspace's budget with the rest; the others wait for the next pass.
PUBLISHES_PER_PASS: Final = 10

ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]
# Whether a person may relaunch (the team's guardrails): client, team id, user id.
MayRelaunch = Callable[[AsyncWebClient, str, str], Awaitable[bool]]


async def everyone_may(_client: AsyncWebClient, _team_id: str, _user_id: str) -> bool:
    return True


@dataclass(frozen=True)
class FromListeners:
    """What the Home tab takes from the Slack listeners' side: ``/ops help``'s
    sections and who may relaunch. The watcher cannot import them; the runtime
    hands them over, so a tab the watcher refreshes reads like one just opened."""

    grammar: Sequence[HelpSection] = ()
    may_relaunch: MayRelaunch = everyone_may


@dataclass(frozen=True)
class HomeSources:
    """What a Home tab is drawn from; ``grammar`` is ``/ops help``'s sections.

    ``may_relaunch`` decides who sees Relaunch buttons (the listeners'
    guardrails; a click is checked again, as every action is).
    """

    watches: WatchStore
    subscriptions: SubscriptionStore
    team_keys: TeamKeyStore
    pauses: TeamPauses
    api: OperationClient
    grammar: Sequence[HelpSection]
    may_relaunch: MayRelaunch = everyone_may


async def draw_home(
    sources: HomeSources,
    client: AsyncWebClient,
    team_id: str,
    user_id: str,
    *,
    now: float,
    failed: FailedOperations | None = None,
) -> Modal:
    """The person's Home tab as it is now; ``failed``, when the caller read them already."""
    watches, failed_now, subscriptions, paused, may_relaunch = await asyncio.gather(
        sources.watches.followed_by(team_id, user_id),
        _failed_operations(sources, team_id) if failed is None else _given(failed),
        _subscriptions_in_their_channels(sources, client, team_id, user_id),
        sources.pauses.reason(team_id),
        sources.may_relaunch(client, team_id, user_id),
    )
    status = await sources.team_keys.status(team_id)
    content = HomeContent(
        user_id=user_id,
        watches=watches,
        failed=failed_now,
        subscriptions=subscriptions,
        key=status,
        grammar=sources.grammar,
        paused=paused,
        may_relaunch=may_relaunch,
    )
    return home_view(content, now=moment(now))


async def publish_home(
    sources: HomeSources,
    client: AsyncWebClient,
    team_id: str,
    user_id: str,
    *,
    now: float | None = None,
    failed: FailedOperations | None = None,
) -> bool:
    """Draw and publish the person's Home tab; False (logged) when Slack refused it."""
    at = time.time() if now is None else now
    view = await draw_home(sources, client, team_id, user_id, now=at, failed=failed)
    try:
        await client.views_publish(user_id=user_id, view=view)
    except SlackApiError as error:
        log.info("team %s: Home tab not published: %s", team_id, error.response.get("error"))
        return False
    return True


async def _given(failed: FailedOperations) -> FailedOperations:
    return failed


async def failed_operations(sources: HomeSources, team_id: str) -> FailedOperations:
    """The team's operations in ERROR: one operation.count and one operation.list."""
    return await _failed_operations(sources, team_id)


async def _failed_operations(sources: HomeSources, team_id: str) -> FailedOperations:
    try:
        key = await sources.team_keys.get(team_id)
    except VaultError:
        return FailedOperations(problem="The team's API key cannot be read: set it again.")
    if key is None:
        return FailedOperations(problem="They are listed here once the team's API key is set.")
    try:
        count, newest = await asyncio.gather(
            sources.api.count(key, {"step": ERROR}), sources.api.list(key, NEWEST_FAILED)
        )
    except ApiError as error:
        log.info("team %s: Home tab without failed operations: %s", team_id, error.kind.value)
        return FailedOperations(problem=f"The API did not list them: {error.message}")
    return FailedOperations(count=count, newest=newest)


async def _subscriptions_in_their_channels(
    sources: HomeSources, client: AsyncWebClient, team_id: str, user_id: str
) -> list[Subscription]:
    subscriptions = await sources.subscriptions.list(team_id)
    if not subscriptions:
        return []  # no need to ask Slack where the person is
    try:
        theirs = await _their_channels(client, user_id)
    except SlackApiError as error:
        log.info("team %s: channels of a person unknown: %s", team_id, error.response.get("error"))
        return []
    return [subscription for subscription in subscriptions if subscription.channel in theirs]


async def _their_channels(client: AsyncWebClient, user_id: str) -> set[str]:
    channels: set[str] = set()
    cursor = None
    for _ in range(CHANNEL_PAGES):
        page = await client.users_conversations(
            user=user_id,
            types="public_channel,private_channel",
            exclude_archived=True,
            limit=CHANNELS_PER_PAGE,
            cursor=cursor,
        )
        channels.update(_ids(page.get("channels")))
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return channels


def _ids(channels: Any) -> Iterable[str]:
    for channel in channels or []:
        if isinstance(channel, dict) and isinstance(channel.get("id"), str):
            yield channel["id"]


class HomeRefresher:
    """The watcher's side: mark the watchers of changed operations, publish their tabs."""

    def __init__(self, sources: HomeSources, refreshes: HomeRefreshes, client_for: ClientFor):
        self._sources = sources
        self._refreshes = refreshes
        self._client_for = client_for

    async def changed(self, team_id: str, watches: Iterable[Watch], at: float) -> None:
        """These watches changed step: the Home tabs their watchers look at are stale.

        The watches as the caller read them (the poster reads them anyway):
        one read of them per step change, not two.
        """
        watchers = {user for watch in watches for card in watch.cards for user in card.watchers}
        if not watchers:
            return
        looking = await self._refreshes.viewing(team_id, watchers, at)
        await self._refreshes.mark(team_id, looking, at)

    async def refresh(self, team_id: str, now: float) -> int:
        """Publish the marked Home tabs whose turn it is; how many were published."""
        marked = await self._refreshes.marked(team_id, now, PUBLISHES_PER_PASS)
        if not marked:
            return 0
        client = await self._client_for(team_id)
        if client is None:
            return 0
        published = 0
        # Read once for every tab of this pass: the API's budget is the watcher's.
        failed: FailedOperations | None = None
        for user_id, marked_at in marked:
            if not await self._refreshes.take_turn(team_id, user_id):
                continue  # published a moment ago: the next pass shows the latest
            failed = failed or await failed_operations(self._sources, team_id)
            if await publish_home(self._sources, client, team_id, user_id, now=now, failed=failed):
                published += 1
            # Refused or not, this change is done with; the next one tries again.
            await self._refreshes.published(team_id, user_id, marked_at)
        return published

    async def mark_safely(self, team_id: str, watches: Iterable[Watch], at: float) -> None:
        """:meth:`changed`, for a team pass: a failure is logged, never the pass's."""
        try:
            await self.changed(team_id, watches, at)
        except Exception as error:  # the tab is a courtesy; the pass goes on
            log.warning("team %s: Home tabs not marked (%s)", team_id, log_text(str(error)))

    async def refresh_safely(self, team_id: str, now: float) -> int:
        """:meth:`refresh`, for a team pass: a failure is logged, never the pass's."""
        try:
            return await self.refresh(team_id, now)
        except Exception as error:  # the tab is a courtesy; the pass goes on
            log.warning("team %s: Home tabs not refreshed (%s)", team_id, log_text(str(error)))
            return 0
