"""Keeping a channel quiet: ``/ops mute 2h`` (or ``until 18:00``) and ``/ops unmute``.

``until 18:00`` is 18:00 in the person's own time zone (their Slack profile's),
UTC only when Slack cannot say which zone that is.

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
from opsbot.slack.person_zone import zone_of
from opsbot.ui.common import error_message, notice_message
from opsbot.ui.humanize import timestamp


async def mute_command(asked: Interaction, command: Command) -> None:
    now = time.time()
    zone = await zone_of(asked.client, asked.user_id) if command.mute_until else None
    until = mute_end(command, now, zone or dt.UTC)
    await asked.services.mutes.mute(
        asked.team_id, asked.channel, until=until, by=asked.user_id, now=now
    )
    # The summary at the end needs a pass of the team's watcher then.
    await asked.services.schedule.wake(asked.team_id, until)
    end = _end_as_said(until, command, zone)
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


def mute_end(command: Command, now: float, zone: dt.tzinfo = dt.UTC) -> float:
    """When the mute ends: after its length, or at the next such time of day in ``zone``."""
    if command.mute_s is not None:
        return now + command.mute_s
    assert command.mute_until is not None  # the grammar gives one or the other
    at = dt.time(*command.mute_until)
    today = dt.datetime.fromtimestamp(now, zone).date()
    # Wall-clock arithmetic, then the zone's offset of that day: a mute across a
    # change to or from summer time still ends at the time of day asked for.
    end = dt.datetime.combine(today, at, tzinfo=zone)
    if end.timestamp() <= now:
        end = dt.datetime.combine(today + dt.timedelta(days=1), at, tzinfo=zone)
    return end.timestamp()


def _end_as_said(until: float, command: Command, zone: dt.tzinfo | None) -> str:
    """The end in UTC, and for ``until HH:MM`` as the person meant it (or why UTC)."""
    in_utc = timestamp(dt.datetime.fromtimestamp(until, dt.UTC))
    if command.mute_until is None:
        return in_utc
    if zone is None:
        return f"{in_utc} (Slack did not say your time zone, so the time was read as UTC)"
    local = dt.datetime.fromtimestamp(until, zone)
    return f"{local:%H:%M} your time ({local.tzname() or zone}), {in_utc}"
