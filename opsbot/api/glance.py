"""What a check compares of an operation, read without reading the rest.

The watcher looks at thousands of operations a cycle and, for each, compares
its step with the one stored; only an operation whose step changed needs the
rest (its type, errortype, last_error for the posts). So the watcher's
``operation.list`` answers are read in two times (the codec's
:class:`~opsbot.api.xmlrpc.PartialStruct`): each item's id, step, eta and
date_updated now, into a :class:`Glance`; its whole :class:`Operation` when
:meth:`Glance.operation` asks for it. Both are read and bounded as
:meth:`Operation.from_api` reads them, from the same checked document.

An item whose id, step, eta or date_updated cannot be read is an
:class:`~opsbot.api.list_reply.UnreadableItem` at once; one whose other
values cannot be read (a date_created out of the calendar, params nested too
deep) raises :class:`UnreadableOperation` from :meth:`Glance.operation`, when
it is read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from opsbot.api.errors import ProtocolError
from opsbot.api.list_reply import UnreadableItem
from opsbot.api.operation import Operation, UnreadableOperation, check_fields
from opsbot.api.xmlrpc import PartialStruct

# The members a glance reads (see operation.check_fields).
GLANCED: Final = frozenset({"id", "step", "eta", "date_updated"})


@dataclass(frozen=True, eq=False)
class Glance:
    """An operation's id, step, eta and date_updated; :meth:`operation` for the rest."""

    id: int
    step: str
    eta: int | None
    date_updated: dt.datetime | None
    _whole: Callable[[], Operation] = field(repr=False)

    def operation(self) -> Operation:
        """The whole operation; :class:`UnreadableOperation` if the rest cannot be read."""
        return self._whole()

    @classmethod
    def of(cls, operation: Operation) -> Glance:
        """A glance at an operation read whole already."""
        return cls(
            operation.id,
            operation.step,
            operation.eta,
            operation.date_updated,
            lambda: operation,
        )


@dataclass(frozen=True)
class GlanceReply:
    """``operation.list`` read for a check (see :class:`~opsbot.api.list_reply.ListReply`)."""

    glances: tuple[Glance, ...]
    unreadable: tuple[UnreadableItem, ...] = ()
    more_than_asked: bool = False


def read_glances(result: Any, *, method: str, asked: int | None = None) -> GlanceReply:
    """Each item of a list answer glanced at on its own; at most ``asked`` of them."""
    if not isinstance(result, list):
        raise ProtocolError("the API answered something other than a list", method=method)
    glances: list[Glance] = []
    unreadable: list[UnreadableItem] = []
    for item in result[:asked]:
        try:
            glances.append(glance_at(item))
        except UnreadableOperation as error:
            unreadable.append(UnreadableItem(error.op_id, error.reason))
    more_than_asked = asked is not None and len(result) > asked
    return GlanceReply(tuple(glances), tuple(unreadable), more_than_asked)


def glance_at(item: Any) -> Glance:
    """A glance at one item of the answer: a partly read struct, or a value read whole."""
    if not isinstance(item, PartialStruct):
        if not isinstance(item, Mapping):
            raise UnreadableOperation("an item that is not a struct")
        return Glance.of(Operation.from_api(item))
    op_id, step, eta, date_updated = check_fields(item.members)
    return Glance(op_id, step, eta, date_updated, lambda: _whole(item, op_id))


def _whole(item: PartialStruct, op_id: int) -> Operation:
    try:
        raw: Mapping[str, Any] = item.whole()
    except ProtocolError:
        raise UnreadableOperation("a value that is not XML-RPC", op_id) from None
    return Operation.from_api(raw)
