"""The API work behind commands and buttons, turned into messages.

Every function here takes the team's key, calls the API, and returns the
messages to show; API faults become a plain-words message rather than an
exception, so callers only decide where the messages go.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any, Final

from opsbot.api.errors import ApiError
from opsbot.api.filters import FilterError, validate_options
from opsbot.api.operation import Operation
from opsbot.slack import surfaces
from opsbot.slack.services import Services

log = logging.getLogger(__name__)

Message = dict[str, Any]

DEFAULT_ITEMS_PER_PAGE: Final = 20
_PAGING: Final = ("page", "items_per_page")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def list_page(services: Services, key: str, filters: Mapping[str, Any]) -> list[Message]:
    """One page of operations; ``filters`` as typed, paging defaults added here."""
    try:
        options = validate_options({"page": 0, "items_per_page": DEFAULT_ITEMS_PER_PAGE, **filters})
        operations, total = await _page_and_total(services, key, options)
    except FilterError as error:
        return [surfaces.error_message(error.message, suggestions=error.suggestions)]
    except ApiError as error:
        return [surfaces.api_error_message(error)]
    return surfaces.list_message(
        operations,
        # Only what the person chose is echoed and carried by the page buttons.
        filters={name: options[name] for name in filters if name != "page"},
        page=int(options["page"]),
        items_per_page=int(options["items_per_page"]),
        total=total,
        now=_now(),
    )


async def _page_and_total(
    services: Services, key: str, options: Mapping[str, Any]
) -> tuple[list[Operation], int]:
    """operation.list and operation.count at once: a slow API costs one wait, not two."""
    counted = {name: value for name, value in options.items() if name not in _PAGING}
    listed, total = await asyncio.gather(
        services.api.list(key, options), services.api.count(key, counted), return_exceptions=True
    )
    # Both calls have finished either way, so raising a failure leaves nothing running.
    if isinstance(listed, BaseException):
        raise listed
    if isinstance(total, BaseException):
        raise total
    return listed, total


async def count(services: Services, key: str, filters: Mapping[str, Any]) -> list[Message]:
    try:
        number = await services.api.count(key, filters)
    except ApiError as error:
        return [surfaces.api_error_message(error)]
    return [surfaces.count_message(number, filters)]


async def info(services: Services, key: str, op_id: int) -> list[Message]:
    try:
        operation = await services.api.info(key, op_id)
    except ApiError as error:
        return [surfaces.api_error_message(error, op_id=op_id)]
    return [surfaces.info_message(operation, now=_now())]


async def confirm_cancel(services: Services, key: str, op_id: int) -> list[Message]:
    """For ``/ops cancel ID``: show the operation and ask before cancelling."""
    try:
        operation = await services.api.info(key, op_id)
    except ApiError as error:
        return [surfaces.api_error_message(error, op_id=op_id)]
    if not operation.can_cancel:
        return [
            surfaces.error_message(
                f"Operation {op_id} is in {operation.step}: only operations in "
                "BILL, WAIT or ERROR can be cancelled.",
            )
        ]
    return [surfaces.cancel_confirm_message(operation)]
