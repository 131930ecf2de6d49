"""Starting to watch an operation: the one rule that turns an operation into a watch.

Everything that follows an operation starts here: ``/ops watch`` and the
Watch button, the thread of a cancel or relaunch report, a subscription's new
operations (:mod:`opsbot.watcher.cycle`). What happens around it differs
(who posts the card, what the thread says); what a watch records does not.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from opsbot.api.operation import Operation
from opsbot.services import Services
from opsbot.store.watches import AddResult, Announced, NewWatch, WatchStore


@dataclass(frozen=True)
class Follower:
    """Who follows an operation, and where: the card's channel and the person it mentions."""

    team_id: str
    channel: str
    user_id: str


async def start_watch(  # noqa: PLR0913 - who, what, when, and the card's preferences and kind
    watches: WatchStore,
    operation: Operation,
    follower: Follower,
    *,
    now: dt.datetime,
    days: int,
    card_ts: str = "",
    broadcast: str = "",
    only: tuple[str, ...] = (),
    announced: Announced | None = None,
) -> AddResult:
    """Watch ``operation`` for ``follower`` for ``days`` from ``now``.

    ``card_ts`` names a message already in the channel that is to be the
    card (a cancel or relaunch report); without it the card is posted later.
    ``announced``: that message announces this action (a relaunch, a
    cancel), and the card keeps saying so.
    """
    new = NewWatch(
        op_id=operation.id,
        type=operation.type,
        label=operation.domain or "",
        step=operation.step,
        eta=operation.eta,
        channel=follower.channel,
        user_id=follower.user_id,
        card_ts=card_ts,
        broadcast=broadcast,
        only=only,
        announced=announced,
    )
    expires_at = now + dt.timedelta(days=days)
    return await watches.add(follower.team_id, new, now=now, expires_at=expires_at)


async def resume_watching(services: Services, team_id: str) -> None:
    """A working key was set again: paused watches carry on, from now."""
    if await services.pauses.resume(team_id):
        await services.schedule.wake(team_id, time.time())
