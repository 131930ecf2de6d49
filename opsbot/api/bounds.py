"""What opsbot keeps of the API's text and structures: bounded, whatever was sent.

A reply may be up to ten megabytes of odd-but-valid XML-RPC: a nine-megabyte
``faultString``, a parameter nested 200,000 levels deep. Everything after
the client (rendering, counting a text's length for Slack, ``json.dumps`` of
a parameter, logging) costs time in proportion to what it is given, and some
of it recurses. So the API's values are bounded where they become opsbot's
(:class:`~opsbot.api.operation.Operation`, :class:`~opsbot.api.errors.ApiError`):
a text is cut to :data:`MAX_TEXT` characters, well above anything Slack shows
in one block. ``Operation.from_api`` refuses an item nested deeper than its
``MAX_DEPTH`` before this walk runs; the walk still replaces anything deeper
than :data:`MAX_DEPTH` levels by a marker, so that it never recurses further
whoever calls it.
"""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Mapping
from typing import Any, Final

# Slack shows at most 3,000 characters in a section; a little more than that
# keeps every text whole on screen, where the templates cut it themselves.
MAX_TEXT: Final = 4000
# As deep as Operation.from_api lets an item be (operation.MAX_DEPTH).
MAX_DEPTH: Final = 32
TOO_DEEP: Final = "[nested too deep: not shown]"


def cut_text(text: str, limit: int = MAX_TEXT) -> str:
    """``text``, or its first ``limit`` characters and a marker saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [cut by opsbot: {len(text):,} characters in all]"


def bounded(value: Any, depth: int = MAX_DEPTH) -> Any:
    """``value`` with every text cut and anything deeper than ``depth`` levels flattened.

    Mappings and lists are copied (mappings with text keys); numbers, dates
    and None are kept as they are; anything else (a value the codec could not
    read, base64 data) becomes its text, so that what is kept is plain data.
    """
    if value is None or isinstance(value, numbers.Number | dt.datetime):
        return value
    if isinstance(value, Mapping | list | tuple):
        if depth <= 0:
            return TOO_DEEP
        if isinstance(value, Mapping):
            return {cut_text(str(key)): bounded(item, depth - 1) for key, item in value.items()}
        return [bounded(item, depth - 1) for item in value]
    return cut_text(str(value))
