"""Relaunching a failed operation: the modal (loading, then the form) and the report after.

The form shows one optional input per chosen field (drawn by
:mod:`opsbot.ui.relaunch_inputs`) and a menu to add any other. That menu is
an ``external_select``: about 140 parameters apply to an operation, more
than the 100 options a select may hold (counting every option group), so the
person types part of a name and Slack asks opsbot (``block_suggestion``) for
the closest ones (:func:`add_field_options`). Fields beyond what a modal
holds stay reachable through it, so none is lost. The modal's
private_metadata is a :class:`~opsbot.ui.payloads.RelaunchMetadata`.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Final

from opsbot.api.catalog import RELAUNCH_PARAMETERS, RelaunchParameter
from opsbot.api.operation import Operation
from opsbot.clock import utc_now
from opsbot.store.guardrails import RELAUNCH
from opsbot.ui import limits
from opsbot.ui.payloads import RelaunchMetadata
from opsbot.ui.relaunch_inputs import Choice, relaunch_input
from opsbot.ui.render import Message, Modal, render_message, render_modal, render_options
from opsbot.ui.views import AnnouncedView, OperationView

# The relaunch modal's summary, explanation and "add a field" menu.
_RELAUNCH_FIXED_BLOCKS: Final = 3
MAX_RELAUNCH_INPUTS: Final = limits.MODAL_BLOCKS - _RELAUNCH_FIXED_BLOCKS
# How alike a typed name and a parameter's must be to offer it for a typo
# (difflib's ratio; the same bar as the /ops filters' suggestions).
ALIKE: Final = 0.6


def relaunch_loading_modal(
    op_id: int, *, channel_id: str | None = None, response_url: str | None = None
) -> Modal:
    metadata = RelaunchMetadata(op_id, channel_id, response_url)
    return render_modal("relaunch_loading.j2", operation_id=op_id, metadata=metadata.to_value())


def relaunch_modal(
    operation: Operation,
    fields: Sequence[RelaunchParameter],
    *,
    channel_id: str | None = None,
    response_url: str | None = None,
    now: dt.datetime | None = None,
) -> Modal:
    """The relaunch form: one optional input per field, and a menu to add any other parameter.

    Fields beyond what a modal holds stay in the menu, so none is lost.
    """
    chosen = _unique(fields)
    shown = chosen[:MAX_RELAUNCH_INPUTS]
    metadata = RelaunchMetadata(operation.id, channel_id, response_url)
    return render_modal(
        "relaunch_modal.j2",
        row=OperationView.of(operation, now or utc_now()),
        metadata=metadata.to_value(),
        last_error=" ".join(operation.last_error.split()) if operation.last_error else None,
        inputs=[
            relaunch_input(parameter, operation.params.get(parameter.name)) for parameter in shown
        ],
        can_add=len(shown) < len(RELAUNCH_PARAMETERS),
        not_shown=len(chosen) - len(shown),
    )


def add_field_options(typed: str, shown: Collection[str]) -> dict[str, Any]:
    """The "add a field" menu's answer to ``block_suggestion``: ``{"options": [...]}``."""
    choices = [Choice(name, name) for name in fields_to_add(typed, shown)]
    return render_options("relaunch_add_field_options.j2", options=choices)


def fields_to_add(typed: str, shown: Collection[str], limit: int = limits.OPTIONS) -> list[str]:
    """The parameters the menu offers for ``typed``, closest first, at most ``limit``.

    Every parameter the form does not show is a candidate. With nothing
    typed, the catalog's order; else the names holding what was typed (the
    whole name first, then those starting with it, then the earliest place),
    or, when none does, the names that look like it (a typo).
    """
    candidates = [name for name in RELAUNCH_PARAMETERS if name not in shown]
    wanted = typed.strip().lower()
    if not wanted:
        return candidates[:limit]
    holding = [
        (_place(wanted, name.lower()), name) for name in candidates if wanted in name.lower()
    ]
    if holding:
        return [name for _, name in sorted(holding)[:limit]]
    # Nothing holds what was typed: a typo, then; names that look like it.
    alike = []
    for name in candidates:
        ratio = difflib.SequenceMatcher(None, wanted, name.lower()).ratio()
        if ratio >= ALIKE:
            alike.append((-ratio, name))
    return [name for _, name in sorted(alike)[:limit]]


def _place(wanted: str, name: str) -> tuple[int, int]:
    """Where ``wanted`` sits in ``name``, as a sort key: the whole name, its start, then later."""
    at = name.find(wanted)
    if name == wanted:
        return 0, 0
    return (1, len(name)) if at == 0 else (2, at)


def changed_names(params: Mapping[str, str]) -> list[str]:
    """The fields a relaunch sent a value for, by name."""
    return sorted(name for name, value in params.items() if value not in (None, ""))


def relaunched_message(operation_id: int, *, user_id: str, params: Mapping[str, str]) -> Message:
    """Who relaunched, and which fields changed: names only, since values can be secrets.

    Its thread follows the operation, and the message becomes the watch's
    card: each redraw (:func:`~opsbot.ui.watching.watch_card_message`) keeps
    this first line.
    """
    return render_message(
        "relaunched.j2",
        operation_id=operation_id,
        announced=AnnouncedView.of(RELAUNCH, user_id, changed_names(params)),
    )


def _unique(parameters: Iterable[RelaunchParameter]) -> list[RelaunchParameter]:
    seen: set[str] = set()
    unique = []
    for parameter in parameters:
        if parameter.name not in seen:
            seen.add(parameter.name)
            unique.append(parameter)
    return unique
