"""How values are written to Redis and read back: text, times, JSON objects, ids.

Every store module speaks to Redis through these, so that one rule holds
everywhere:

- a reply is text whether or not the client decodes replies itself;
- a time that a script or a sorted set compares is epoch seconds; any other
  time is an ISO 8601 string in UTC; every time read back is an aware UTC
  datetime, and every datetime written must be aware (a naive one is a
  caller's bug, refused with ValueError);
- a stored value that does not parse reads as None, for the caller to skip
  with a log line: one corrupt value never stops the others.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

_logger = logging.getLogger(__name__)


def decoded(value: bytes | str) -> str:
    """A reply as text, whether or not the client decodes replies itself."""
    return value.decode() if isinstance(value, bytes) else value


def decoded_map(reply: Mapping[bytes | str, bytes | str] | None) -> dict[str, str]:
    """A hash or stream entry reply as text (an absent one as empty)."""
    return {decoded(name): decoded(value) for name, value in (reply or {}).items()}


def aware(moment: dt.datetime) -> dt.datetime:
    """``moment`` in UTC; ValueError when it is naive."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetimes given to the store must be timezone-aware")
    return moment.astimezone(dt.UTC)


def iso(moment: dt.datetime) -> str:
    """An aware datetime as stored: ISO 8601 in UTC."""
    return aware(moment).isoformat()


def parse_iso(text: str) -> dt.datetime:
    """A stored ISO 8601 time as an aware UTC datetime (a zone-less one is UTC)."""
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def optional_int(value: int | None) -> str:
    """An optional integer as a script argument: '' stands for None."""
    return "" if value is None else str(int(value))


def json_object(document: str) -> dict[str, Any] | None:
    """A stored JSON object, or None when it is not one."""
    try:
        parsed = json.loads(document)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def int_or_none(text: str) -> int | None:
    """A stored non-negative integer (an id, a number), or None."""
    try:
        value = int(text)
    except ValueError:
        return None
    return value if value >= 0 else None


def op_ids(members: Iterable[Any], where: str) -> list[int]:
    """Operation ids from a sorted set reply, skipping (and logging) what is not one."""
    found = []
    for member in members:
        op_id = int_or_none(decoded(member))
        if op_id is None:
            _logger.warning("ignoring a malformed member %r of %s", member, where)
        else:
            found.append(op_id)
    return found
