"""Expiring approval requests nobody decided, and saying so on their cards.

Every few seconds a sweep takes the requests whose time is up
(:meth:`~opsbot.store.approvals.ApprovalStore.due`), expires each with the
store's script (a request just approved stays approved: the script decides
once) and redraws its card. Any number of processes may sweep: the script
lets one expire a request; a card redrawn twice reads the same. A request
leaves the sweep's set only once its card shows the outcome, so a process
stopped in between leaves it to the next sweep, in whatever process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Final

from redis.exceptions import RedisError
from slack_sdk.errors import SlackApiError, SlackClientError

from opsbot.clock import utc_now
from opsbot.config import Settings
from opsbot.slack_installations import RedisInstallationStore
from opsbot.store.approvals import EXPIRED, PENDING, ApprovalStore
from opsbot.store.connection import RedisClient
from opsbot.store.vault import Vault
from opsbot.ui.approvals import approval_card
from opsbot.watcher.clients import TeamClients

log = logging.getLogger("opsbot.watcher")

SWEEP_EVERY_S: Final = 5.0
# Slack's answers after which the card cannot be redrawn, ever: stop trying.
_CARD_GONE: Final = frozenset(
    {"message_not_found", "channel_not_found", "is_archived", "not_in_channel"}
)


class ApprovalExpiry:
    def __init__(
        self,
        approvals: ApprovalStore,
        clients: TeamClients,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._approvals = approvals
        self._clients = clients
        self._clock = clock

    async def run(self, stop: asyncio.Event, every_s: float = SWEEP_EVERY_S) -> None:
        """Sweep until ``stop`` is set; a failed sweep is logged and tried again."""
        while not stop.is_set():
            try:
                await self.sweep()
            except (RedisError, OSError) as error:
                log.warning("approval sweep failed: %s", type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_s)

    async def sweep(self) -> int:
        """Expire what is due now; how many cards now say so."""
        now = self._clock()
        expired = 0
        for team_id, approval_id in await self._approvals.due(now):
            if await self._expire(team_id, approval_id, now):
                expired += 1
        return expired

    async def _expire(self, team_id: str, approval_id: str, now: float) -> bool:
        decision = await self._approvals.decide(team_id, approval_id, state=EXPIRED, by="", now=now)
        if decision.state == PENDING:
            return False  # not due after all (a clock ahead of Redis's data)
        redrawn = decision.state != EXPIRED or await self._redraw(team_id, approval_id)
        if redrawn:
            await self._approvals.forget_due(team_id, approval_id)
        return decision.state == EXPIRED and redrawn

    async def _redraw(self, team_id: str, approval_id: str) -> bool:
        """Show the card as expired; False to try again at the next sweep."""
        approval = await self._approvals.get(team_id, approval_id)
        client = await self._clients.for_team(team_id)
        if approval is None or not approval.ts:
            return True
        if client is None:
            return False
        card = approval_card(approval, approval.request, now=utc_now())
        try:
            await client.chat_update(
                channel=approval.request.channel,
                ts=approval.ts,
                text=card["text"],
                blocks=card["blocks"],
            )
        except SlackApiError as error:
            reason = error.response.get("error")
            log.info("expired approval's card not updated: %s", reason)
            return reason in _CARD_GONE
        except (SlackClientError, OSError, TimeoutError) as error:
            log.info("expired approval's card not updated: %s", type(error).__name__)
            return False
        return True


@contextlib.asynccontextmanager
async def open_approval_expiry(
    settings: Settings, redis: RedisClient, vault: Vault
) -> AsyncIterator[ApprovalExpiry]:
    installations = RedisInstallationStore(redis, vault) if settings.slack.oauth else None
    async with TeamClients(settings, installations) as clients:
        yield ApprovalExpiry(ApprovalStore(redis, vault), clients)
