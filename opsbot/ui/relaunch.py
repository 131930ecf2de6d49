"""Relaunching a failed operation: the modal (loading, then the form) and the report after.

The form shows one optional input per chosen field (drawn by
:mod:`opsbot.ui.relaunch_inputs`) and a menu to add any other; fields beyond
what a modal holds move to the menu, so none is lost. The modal's
private_metadata is a :class:`~opsbot.ui.payloads.RelaunchMetadata`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from opsbot.api.catalog import GENERIC_GROUP, RelaunchParameter
from opsbot.api.operation import Operation
from opsbot.clock import utc_now
from opsbot.ui import humanize, limits
from opsbot.ui.payloads import RelaunchMetadata
from opsbot.ui.relaunch_inputs import Choice, ChoiceGroup, relaunch_input
from opsbot.ui.render import Message, Modal, render_message, render_modal
from opsbot.ui.views import OperationView

# The relaunch modal's summary, explanation and "add a field" menu.
_RELAUNCH_FIXED_BLOCKS: Final = 3
MAX_RELAUNCH_INPUTS: Final = limits.MODAL_BLOCKS - _RELAUNCH_FIXED_BLOCKS
CHANGED_NAMES_SHOWN: Final = 30


def relaunch_loading_modal(
    op_id: int, *, channel_id: str | None = None, response_url: str | None = None
) -> Modal:
    metadata = RelaunchMetadata(op_id, channel_id, response_url)
    return render_modal("relaunch_loading.j2", operation_id=op_id, metadata=metadata.to_value())


def relaunch_modal(
    operation: Operation,
    fields: Sequence[RelaunchParameter],
    *,
    extra_choices: Sequence[RelaunchParameter],
    channel_id: str | None = None,
    response_url: str | None = None,
    now: dt.datetime | None = None,
) -> Modal:
    """The relaunch form: one optional input per field, and a menu to add any of ``extra_choices``.

    Fields beyond what a modal holds move to the menu, so none is lost.
    """
    chosen = _unique(fields)
    shown = chosen[:MAX_RELAUNCH_INPUTS]
    shown_names = {parameter.name for parameter in shown}
    addable = [
        parameter
        for parameter in _unique([*chosen[MAX_RELAUNCH_INPUTS:], *extra_choices])
        if parameter.name not in shown_names
    ]
    add_options, add_groups = _add_field_menu(addable)
    metadata = RelaunchMetadata(operation.id, channel_id, response_url)
    return render_modal(
        "relaunch_modal.j2",
        row=OperationView.of(operation, now or utc_now()),
        metadata=metadata.to_value(),
        last_error=" ".join(operation.last_error.split()) if operation.last_error else None,
        inputs=[
            relaunch_input(parameter, operation.params.get(parameter.name)) for parameter in shown
        ],
        add_options=add_options,
        add_groups=add_groups,
        not_shown=len(chosen) - len(shown),
    )


def relaunched_message(operation_id: int, *, user_id: str, params: Mapping[str, str]) -> Message:
    """Who relaunched, and which fields changed: names only, since values can be secrets."""
    changed = sorted(name for name, value in params.items() if value not in (None, ""))
    return render_message(
        "relaunched.j2",
        operation_id=operation_id,
        user_id=humanize.slack_user_id(user_id),
        changed=changed[:CHANGED_NAMES_SHOWN],
        more_changed=max(len(changed) - CHANGED_NAMES_SHOWN, 0),
    )


def _add_field_menu(
    parameters: Sequence[RelaunchParameter],
) -> tuple[list[Choice], list[ChoiceGroup]]:
    """Flat options when they fit in one select, else grouped by registry (most relevant first)."""
    choices = [Choice(parameter.name, parameter.name) for parameter in parameters]
    if len(choices) <= limits.OPTIONS:
        return choices, []
    groups: dict[str, list[Choice]] = {}
    for parameter, choice in zip(parameters, choices, strict=True):
        groups.setdefault(parameter.group, []).append(choice)
    if len(groups) > limits.OPTION_GROUPS:
        return choices[: limits.OPTIONS], []
    return [], _first_options(groups)


def _first_options(groups: dict[str, list[Choice]]) -> list[ChoiceGroup]:
    """Groups in order, up to 100 options in all: Slack counts every group's options
    against the select's 100 and refuses the whole view beyond (invalid_arguments)."""
    shown: list[ChoiceGroup] = []
    room = limits.OPTIONS
    for group, options in groups.items():
        if room <= 0:
            break
        shown.append(ChoiceGroup(_group_label(group), tuple(options[:room])))
        room -= len(shown[-1].options)
    return shown


def _group_label(group: str) -> str:
    return "Any domain" if group == GENERIC_GROUP else group


def _unique(parameters: Iterable[RelaunchParameter]) -> list[RelaunchParameter]:
    seen: set[str] = set()
    unique = []
    for parameter in parameters:
        if parameter.name not in seen:
            seen.add(parameter.name)
            unique.append(parameter)
    return unique
