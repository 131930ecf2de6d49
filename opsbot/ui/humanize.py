"""Plain words for what the API returns: ages, ETAs, steps, parameter values.

Everything here returns raw text; the templates escape it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

from opsbot.api.operation import STEPS
from opsbot.slack_id import is_slack_id

STEP_EMOJI: Final[Mapping[str, str]] = {
    "BILL": ":receipt:",
    "WAIT": ":hourglass_flowing_sand:",
    "RUN": ":gear:",
    "DONE": ":white_check_mark:",
    "ERROR": ":x:",
    "CANCEL": ":no_entry_sign:",
    "SUPPORT": ":sos:",
}
UNKNOWN_STEP_EMOJI: Final = ":grey_question:"
MISSING: Final = "—"

_MINUTE: Final = 60
_HOUR: Final = 60 * _MINUTE
_DAY: Final = 24 * _HOUR


def step_emoji(step: str) -> str:
    return STEP_EMOJI.get(step, UNKNOWN_STEP_EMOJI)


def slack_user_id(value: str | None) -> str | None:
    """``value`` if it is a Slack user id (safe inside ``<@…>``), else None."""
    if is_slack_id(value):
        return value
    return None


def duration(seconds: float) -> str:
    """A rough length of time in its largest unit: "45 s", "5 min", "3 h", "21 days"."""
    seconds = abs(int(seconds))
    if seconds < _MINUTE:
        return f"{seconds} s"
    if seconds < _HOUR:
        return f"{seconds // _MINUTE} min"
    if seconds < _DAY:
        return f"{seconds // _HOUR} h"
    days = seconds // _DAY
    return f"{days} day" if days == 1 else f"{days} days"


def age(then: dt.datetime | None, now: dt.datetime) -> str:
    if then is None:
        return MISSING
    seconds = (now - then).total_seconds()
    if seconds < _MINUTE:
        return "just now"
    return f"{duration(seconds)} ago"


def eta(seconds: int | None) -> str:
    """The API's ``eta`` (seconds left, negative when late) in words."""
    if seconds is None:
        return MISSING
    if seconds == 0:
        return "now"
    if seconds > 0:
        return f"in {duration(seconds)}"
    return f"overdue by {duration(seconds)}"


def timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def clock(moment: dt.datetime) -> str:
    """ "13:45:07": a time of day, for steps a few seconds apart."""
    return moment.astimezone(dt.UTC).strftime("%H:%M:%S")


def when(moment: dt.datetime | None, now: dt.datetime) -> str:
    """ "2026-01-02 13:45 UTC (3 h ago)"."""
    if moment is None:
        return MISSING
    return f"{timestamp(moment)} ({age(moment, now)})"


def value_text(value: Any) -> str:
    """A parameter or info value as one readable line."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return timestamp(value)
    if isinstance(value, list | tuple):
        return ", ".join(value_text(item) for item in value)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return " ".join(str(value).split())


def nonblank(text: str, default: str) -> str:
    """``text``, or ``default`` when it has nothing visible: Slack refuses blank text."""
    return text if text.strip() else default


def steps_text(steps: Iterable[str]) -> str:
    """Steps in their natural order, as "BILL, WAIT or ERROR"."""
    ordered = [step for step in STEPS if step in set(steps)]
    return ordered[0] if len(ordered) == 1 else f"{', '.join(ordered[:-1])} or {ordered[-1]}"


def code_block_safe(text: str) -> str:
    """``text`` ready to sit inside a ``` code block."""
    # A ``` inside the text would close our code block early.
    return text.replace("```", "`\u200b`\u200b`")
