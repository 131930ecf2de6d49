"""Filters as opsbot shows them back: echoed in words, and carried by buttons.

A list's ``page`` is where a person is, not what they asked for: it is never
echoed, and a button that carries the filters keeps it apart from them.
:func:`without_page` is the one place that drops it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

from opsbot.api.filters import describe_options

PAGE: Final = "page"


def without_page(filters: Mapping[str, Any]) -> dict[str, Any]:
    """The filters a person chose, without the page they were on."""
    return {name: value for name, value in filters.items() if name != PAGE}


def filters_text(filters: Mapping[str, Any]) -> str:
    """Filters the way a person would type them after ``/ops list`` ("" for none).

    The words parse back to the same filters (see ``describe_options``).
    """
    return describe_options(without_page(filters))


def button_filters(filters: Mapping[str, Any]) -> dict[str, Any]:
    """The chosen filters as a button's JSON can carry them (dates as ISO 8601 text)."""
    return {str(name): _jsonable(value) for name, value in without_page(filters).items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
