"""An ``operation.list`` answer read item by item.

One operation the API describes badly (an infinite eta, an id of three
thousand digits, params nested without end) must not cost the caller the
other ninety-nine of the page: each item is read on its own, and one that
cannot be read becomes an :class:`UnreadableItem` beside the operations
that could. Whoever asked decides what to do with it (the watcher skips it
with a note in its thread; ``/ops list`` refuses the page as before).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opsbot.api.errors import ProtocolError
from opsbot.api.operation import Operation, UnreadableOperation


@dataclass(frozen=True)
class UnreadableItem:
    """An item that is no operation opsbot can read.

    ``op_id`` is its id when that much could be read; ``reason`` says what
    is wrong in opsbot's words, never quoting the item.
    """

    op_id: int | None
    reason: str


@dataclass(frozen=True)
class ListReply:
    """``more_than_asked``: the API sent more items than ``items_per_page``
    asked for; only those asked for were read and are here."""

    operations: tuple[Operation, ...]
    unreadable: tuple[UnreadableItem, ...] = ()
    more_than_asked: bool = False

    @property
    def items(self) -> int:
        """How many items the API sent, read or not (a full page is a full page)."""
        return len(self.operations) + len(self.unreadable)


def read_list(result: Any, *, method: str, asked: int | None = None) -> ListReply:
    """Read each item of a list answer on its own; at most ``asked`` of them.

    An API that ignores items_per_page could send 40,000 items for 20: those
    past what was asked for are not read.
    """
    if not isinstance(result, list):
        raise ProtocolError("the API answered something other than a list", method=method)
    more_than_asked = asked is not None and len(result) > asked
    operations: list[Operation] = []
    unreadable: list[UnreadableItem] = []
    for item in result[:asked]:
        try:
            operations.append(Operation.from_api(item))
        except UnreadableOperation as error:
            unreadable.append(UnreadableItem(error.op_id, error.reason))
    return ListReply(tuple(operations), tuple(unreadable), more_than_asked)
