"""Look before you leap: what else is in flight on an operation's object, asked of the API.

One ``operation.list`` filtered on the operation's domain, VM or
certificate (:mod:`opsbot.api.related`), for the cancel confirmation and
the relaunch form. An API that does not answer is said so in the block, so
"nothing else in flight" is only shown when it was checked.
"""

from __future__ import annotations

from opsbot.api.errors import ApiError
from opsbot.api.operation import Operation
from opsbot.api.related import in_flight, object_of
from opsbot.clock import utc_now
from opsbot.slack.interaction import Interaction
from opsbot.ui.in_flight import InFlightView


async def in_flight_view(
    asked: Interaction, operation: Operation, *, warn_duplicates: bool
) -> InFlightView | None:
    """None when the operation's params name no object to look for."""
    target = object_of(operation)
    if target is None:
        return None
    try:
        # Read item by item: one unreadable operation on the object costs only itself.
        reply = await asked.services.api.list_items(asked.key, target.list_options())
    except ApiError as error:
        return InFlightView.unknown(target.label, error.message)
    found = in_flight(operation, target, reply.operations)
    return InFlightView.of(found, utc_now(), warn_duplicates=warn_duplicates)
