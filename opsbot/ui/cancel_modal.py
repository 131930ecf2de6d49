"""The Cancel button's confirmation, a modal: the operation and what else is in flight.

A Cancel button cannot show live data in Slack's static ``confirm`` dialog,
so it opens this modal instead: at once a "looking…" view (the click's
trigger_id lasts 3 s), then the operation with the other operations in
flight on its domain, VM or certificate (the same block as ``/ops cancel``'s
question). Its private_metadata is a :class:`~opsbot.ui.payloads.CancelMetadata`.
"""

from __future__ import annotations

import datetime as dt

from opsbot.api.operation import Operation
from opsbot.clock import utc_now
from opsbot.ui import limits
from opsbot.ui.in_flight import InFlightView
from opsbot.ui.payloads import CancelButtonValue, CancelMetadata
from opsbot.ui.render import Modal, render_modal
from opsbot.ui.views import OperationView


def cancel_metadata(
    button: CancelButtonValue, *, channel_id: str | None, response_url: str | None
) -> CancelMetadata:
    """What the modal carries; without the page to redraw when it would not fit.

    A Cancel value holds up to 2000 characters and is escaped once more
    inside the metadata's JSON: a long list page may not fit Slack's 3000.
    The cancel then still works; only the list is not redrawn.
    """
    metadata = CancelMetadata(button, channel_id, response_url)
    if limits.slack_length(metadata.to_value()) <= limits.PRIVATE_METADATA:
        return metadata
    return CancelMetadata(CancelButtonValue(button.op_id), channel_id, response_url)


def cancel_loading_modal(metadata: CancelMetadata) -> Modal:
    return render_modal(
        "cancel_loading.j2", operation_id=metadata.button.op_id, metadata=metadata.to_value()
    )


def cancel_modal(
    operation: Operation,
    metadata: CancelMetadata,
    *,
    in_flight: InFlightView | None,
    now: dt.datetime | None = None,
) -> Modal:
    """The confirmation, once the operation and what else is in flight are known."""
    return render_modal(
        "cancel_modal.j2",
        row=OperationView.of(operation, now or utc_now()),
        in_flight=in_flight,
        metadata=metadata.to_value(),
    )
