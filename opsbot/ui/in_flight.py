"""What else is in flight on an operation's object, in the words a confirmation shows.

The cancel confirmation (its template includes the ``in_flight_block.j2``
partial) and the relaunch form (:func:`with_in_flight`) show it as one
block: the other operations on the same domain, VM or certificate in BILL,
WAIT or RUN, and, before a relaunch, a warning when one of them is of the
same type (relaunching would duplicate it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from opsbot.api.related import InFlight
from opsbot.ui import limits, render
from opsbot.ui.render import Modal
from opsbot.ui.views import OperationView

ROWS_SHOWN: Final = 10


@dataclass(frozen=True)
class InFlightView:
    """``label``: "domain example.com"; ``problem``: why it could not be checked."""

    label: str
    list_command: str = ""
    rows: tuple[OperationView, ...] = ()
    more: int = 0
    duplicates: tuple[OperationView, ...] = ()
    problem: str | None = None

    @classmethod
    def of(cls, found: InFlight, now: dt.datetime, *, warn_duplicates: bool) -> InFlightView:
        rows = tuple(OperationView.of(operation, now) for operation in found.others)
        duplicates = tuple(OperationView.of(operation, now) for operation in found.same_type)
        target = found.target
        return cls(
            label=target.label,
            list_command=f"/ops list {target.option}={target.value}",
            rows=rows[:ROWS_SHOWN],
            more=max(len(rows) - ROWS_SHOWN, 0),
            duplicates=duplicates[:ROWS_SHOWN] if warn_duplicates else (),
        )

    @classmethod
    def unknown(cls, label: str, problem: str) -> InFlightView:
        """The API did not answer: say so rather than show "nothing else"."""
        return cls(label=label, problem=problem)


def with_in_flight(modal: Modal, in_flight: InFlightView | None) -> Modal:
    """``modal`` with the in-flight block under its first block (the operation's summary).

    Only when it fits: a form already at Slack's 100 blocks keeps its fields
    (a field is what the person came for) and goes without the block.
    """
    blocks = modal.get("blocks") or []
    if in_flight is None or not blocks or len(blocks) >= limits.MODAL_BLOCKS:
        return modal
    block = render.render("in_flight_block.j2", in_flight=in_flight)
    return {**modal, "blocks": [blocks[0], block, *blocks[1:]]}
