"""Reading and checking what a person typed into the relaunch modal.

Only filled inputs are sent; each value is checked against what the catalog
knows of its parameter, and a refusal names the input it belongs to so Slack
shows it under that input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from opsbot.api.catalog import RELAUNCH_PARAMETERS, RelaunchParameter
from opsbot.api.filters import is_calendar_day
from opsbot.slack import ids

MAX_VALUE_CHARS: Final = 255
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")


def read_values(view: Mapping[str, Any]) -> dict[str, str]:
    """{parameter name: value} for every filled input of the modal."""
    values: dict[str, str] = {}
    for block_id, actions in (view.get("state", {}).get("values", {}) or {}).items():
        if block_id not in RELAUNCH_PARAMETERS:
            continue
        value = _element_value(actions.get(ids.ACTION_VALUE) or {})
        if value:
            values[block_id] = value
    return values


def _element_value(state: Mapping[str, Any]) -> str:
    option = state.get("selected_option")
    if option:
        return str(option.get("value") or "")
    if state.get("selected_date"):
        return str(state["selected_date"])
    return str(state.get("value") or "").strip()


def refusals(values: Mapping[str, str]) -> dict[str, str]:
    """{block_id: why} for every value the API would not take."""
    problems = {}
    for name, value in values.items():
        problem = _refusal(RELAUNCH_PARAMETERS[name], value)
        if problem:
            problems[name] = problem
    return problems


def _refusal(parameter: RelaunchParameter, value: str) -> str | None:
    if len(value) > MAX_VALUE_CHARS:
        return f"At most {MAX_VALUE_CHARS} characters."
    if _CONTROL.search(value):
        return "Line breaks and control characters are not allowed."
    known = {choice.value for choice in parameter.values}
    if known and value not in known:
        return "Choose one of the listed values."
    if parameter.is_date and not is_calendar_day(value):
        return "A date as YYYY-MM-DD, e.g. 1980-01-31."
    return None


def field_names_in(view: Mapping[str, Any]) -> list[str]:
    """The parameters the modal shows now, in their order."""
    return [
        str(block.get("block_id"))
        for block in view.get("blocks", [])
        if block.get("type") == "input" and block.get("block_id") in RELAUNCH_PARAMETERS
    ]
