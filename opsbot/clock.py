"""Time, defined once: every "now" and every epoch-to-datetime goes through here.

All of opsbot reasons in aware UTC datetimes; a zone-less value never leaves
the API codec.
"""

from __future__ import annotations

import datetime as dt


def utc_now() -> dt.datetime:
    """The current moment, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def moment(epoch_seconds: float) -> dt.datetime:
    """An epoch timestamp (``time.time()``) as an aware UTC datetime."""
    return dt.datetime.fromtimestamp(epoch_seconds, dt.UTC)
