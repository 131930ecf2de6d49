"""Keeping a channel quiet: ``/ops mute 2h`` (or ``until 18:00``) and ``/ops unmute``.

While a channel is muted the watcher posts no broadcasts and no new cards
there, only replies in existing threads; when the mute ends, one summary of
what ended meanwhile (:mod:`opsbot.store.mutes`). This module only starts
and ends mutes, and answers privately.
"""

from __future__ import annotations

import datetime as dt
import time

from opsbot.slack.grammar import Command
from opsbot.slack.interaction import Interaction
from opsbot.ui.common import error_message, notice_message
from opsbot.ui.humanize import timestamp


async def mute_command(asked: Interaction, command: Command) -> None:
    now = time.time()
    until = mute_end(command, now)
    await asked.services.mutes.mute(
        asked.team_id, asked.channel, until=until, by=asked.user_id, now=now
    )
    # The summary at the end needs a pass of the team's watcher then.
    await asked.services.schedule.wake(asked.team_id, until)
    end = timestamp(dt.datetime.fromtimestamp(until, dt.UTC))
    await asked.tell(
        notice_message(
            f":mute: This channel is muted until {end}: no broadcasts and no new cards, "
            "replies only in existing threads. When it ends, one summary of what ended "
            "meanwhile. `/ops unmute` ends it sooner."
        )
    )


async def unmute_command(asked: Interaction, _command: Command) -> None:
    now = time.time()
    if not await asked.services.mutes.unmute(asked.team_id, asked.channel, now):
        await asked.tell(
            error_message(
                "This channel is not muted.", hint="`/ops mute 2h` keeps it quiet for two hours."
            )
        )
        return
    await asked.services.schedule.wake(asked.team_id, now)
    await asked.tell(
        notice_message(":bell: This channel is no longer muted; what ended meanwhile follows.")
    )


def mute_end(command: Command, now: float) -> float:
    """When the mute asked for ends: after its length, or at the next time of day given (UTC)."""
    if command.mute_s is not None:
        return now + command.mute_s
    assert command.mute_until is not None  # the grammar gives one or the other
    hour, minute = command.mute_until
    today = dt.datetime.fromtimestamp(now, dt.UTC)
    end = today.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if end.timestamp() <= now:
        end += dt.timedelta(days=1)
    return end.timestamp()
