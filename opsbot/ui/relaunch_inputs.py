"""The relaunch modal's inputs, both ways: how each parameter is drawn, and how it is read back.

Each input's block_id is the parameter's exact API name and its action_id
:data:`~opsbot.ui.ids.ACTION_VALUE`. Drawing: a select when the catalog
knows the values, a datepicker for a date, else a text input; a current
value is filled in unless it is secret or does not fit. Reading: only what
the person changed counts (:func:`changed_values`); each such value is
checked against what the catalog knows of its parameter, and a refusal names
the input it belongs to so Slack shows it under that input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from opsbot.api.catalog import RELAUNCH_PARAMETERS, RelaunchParameter
from opsbot.api.filters import is_calendar_day
from opsbot.api.secret_params import is_secret_parameter
from opsbot.ui import ids, limits

MAX_VALUE_CHARS: Final = 255
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Choice:
    """An option of a select: what Slack sends back, and what a person reads."""

    value: str
    label: str


@dataclass(frozen=True)
class RelaunchInput:
    """One input of the relaunch modal; its block_id is ``name``."""

    name: str
    kind: Literal["select", "date", "text"]
    hint: str
    placeholder: str
    options: tuple[Choice, ...] = ()
    initial_option: Choice | None = None
    initial: str | None = None


# Drawing.


def relaunch_input(parameter: RelaunchParameter, current: Any) -> RelaunchInput:
    """The input for ``parameter``, filled with ``current`` (the operation's value) when it may."""
    name = parameter.name
    current_text = _prefill_text(current)
    notes = []
    if current_text is not None and is_secret_parameter(name):
        notes.append("A value is set; it is not shown. Type a new one to replace it.")
        current_text = None
    if current_text is not None and len(current_text) > limits.INPUT_INITIAL_VALUE:
        notes.append("The current value is too long to show here.")
        current_text = None
    hint = " · ".join(text for text in (parameter.hint, *notes) if text)
    if parameter.input_kind == "select" and parameter.values:
        select = _select_input(parameter, hint, current_text)
        if select is not None:
            return select
    elif parameter.input_kind == "date" and (current_text is None or is_calendar_day(current_text)):
        return RelaunchInput(name, "date", hint, "YYYY-MM-DD", initial=current_text)
    # The placeholder shows the catalog's hint while the input is empty; the
    # hint line repeats it when a current value hides the placeholder.
    hint_line = hint if current_text is not None or notes else ""
    return RelaunchInput(name, "text", hint_line, parameter.hint, initial=current_text)


def _select_input(
    parameter: RelaunchParameter, hint: str, current: str | None
) -> RelaunchInput | None:
    """A static_select, or None when the current value cannot be one of its options."""
    options = [Choice(value.value, value.label) for value in parameter.values]
    initial = next((option for option in options if option.value == current), None)
    if current is not None and initial is None:
        if limits.slack_length(current) > limits.OPTION_VALUE:
            return None
        initial = Choice(current, f"{current} (current)")
    if initial is not None:
        # First, so that capping the list at Slack's 100 options keeps it.
        options = [initial, *(option for option in options if option != initial)]
    return RelaunchInput(
        parameter.name,
        "select",
        hint,
        "",
        options=tuple(options[: limits.OPTIONS]),
        initial_option=initial,
    )


def _prefill_text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value)
    return text if text.strip() else None


# Reading back.


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


def changed_values(view: Mapping[str, Any]) -> dict[str, str]:
    """{parameter name: value} for every input the person changed from what the form showed.

    A view_submission carries every input's value, pre-filled ones included
    (slack-rules.md, "Views"): sending those would relaunch with values
    nobody chose, announce them as changed, and refuse a current value the
    catalog does not list. What the form showed is in the submitted view's
    own blocks (``initial_value``, ``initial_option``, ``initial_date``).
    """
    shown = _initial_values(view.get("blocks") or [])
    return {name: value for name, value in read_values(view).items() if value != shown.get(name)}


def _initial_values(blocks: Any) -> dict[str, str]:
    initial: dict[str, str] = {}
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, Mapping) or block.get("type") != "input":
            continue
        element = block.get("element") or {}
        value = _element_value(
            {
                "value": element.get("initial_value"),
                "selected_option": element.get("initial_option"),
                "selected_date": element.get("initial_date"),
            }
        )
        if value:
            initial[str(block.get("block_id"))] = value
    return initial


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
