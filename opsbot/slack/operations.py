"""The API work behind commands and buttons, turned into messages.

Every function here takes the team's key, calls the API, and returns the
messages to show; API faults become a plain-words message rather than an
exception, so callers only decide where the messages go.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

from opsbot.api.errors import ApiError
from opsbot.api.filters import CheckedFilters, FilterError, validate_options
from opsbot.api.operation import Operation
from opsbot.clock import utc_now
from opsbot.services import Services
from opsbot.slack import surfaces

log = logging.getLogger(__name__)

Message = dict[str, Any]

DEFAULT_ITEMS_PER_PAGE: Final = 20
_PAGING: Final = ("page", "items_per_page")
_PAGE_DEFAULTS: Final = {"page": 0, "items_per_page": DEFAULT_ITEMS_PER_PAGE}


async def list_page(services: Services, key: str, filters: CheckedFilters) -> list[Message]:
    """One page of operations; ``filters`` as typed, paging defaults added here."""
    options = _page_options(filters)
    try:
        operations, total = await _page_and_total(services, key, options)
    except ApiError as error:
        return [surfaces.api_error_message(error)]
    return surfaces.list_message(
        operations,
        filters=_chosen(filters),
        page=int(options["page"]),
        items_per_page=int(options["items_per_page"]),
        total=total,
        now=utc_now(),
    )


async def redraw_after_cancel(
    services: Services,
    key: str,
    button: surfaces.CancelButtonValue,
    cancelled: Operation,
    *,
    user_id: str,
) -> Message | None:
    """The message a Cancel was clicked in, as it reads now; None to leave it as it was."""
    if button.source == "info":
        return surfaces.info_message(cancelled, now=utc_now(), cancelled_by=user_id)
    if button.listed is not None:
        return await _list_after_cancel(services, key, button.listed, cancelled, user_id=user_id)
    return None


async def _list_after_cancel(
    services: Services,
    key: str,
    listed: surfaces.ListedPage,
    cancelled: Operation,
    *,
    user_id: str,
) -> Message | None:
    """The message as it was shown, each row as it is now, and who cancelled one of them.

    The rows are fetched by id rather than listed again with the filters: an
    operation cancelled from `/ops list step=WAIT` no longer matches, so the
    row the person clicked would vanish and the rows below slide up under the
    pointer. The heading and paging stay those of the page as it was shown.
    """
    try:
        # The button's value came back from Slack: checked here, once.
        shown = validate_options({**listed.filters, "page": listed.page})
        by_id = validate_options({"id": list(listed.ids), "items_per_page": len(listed.ids)})
        operations = await services.api.list(key, by_id)
    except (FilterError, ApiError) as error:
        log.info("list not redrawn after cancelling %s: %s", cancelled.id, error)
        return None
    fetched = {operation.id: operation for operation in operations}
    fetched[cancelled.id] = cancelled
    options = _page_options(shown)
    return surfaces.list_after_cancel_message(
        [fetched[op_id] for op_id in listed.ids if op_id in fetched],
        cancelled_id=cancelled.id,
        user_id=user_id,
        filters=_chosen(shown),
        page=int(options["page"]),
        items_per_page=int(options["items_per_page"]),
        total=listed.total,
        now=utc_now(),
    )


def _page_options(filters: CheckedFilters) -> CheckedFilters:
    """``filters`` with the paging defaults where they are not given."""
    return filters.with_defaults(_PAGE_DEFAULTS)


def _chosen(filters: CheckedFilters) -> CheckedFilters:
    # Only what the person chose is echoed and carried by the buttons.
    return filters.without("page")


async def _page_and_total(
    services: Services, key: str, options: CheckedFilters
) -> tuple[list[Operation], int]:
    """operation.list and operation.count at once: a slow API costs one wait, not two."""
    counted = options.without(*_PAGING)
    listed, total = await asyncio.gather(
        services.api.list(key, options), services.api.count(key, counted), return_exceptions=True
    )
    # Both calls have finished either way, so raising a failure leaves nothing running.
    if isinstance(listed, BaseException):
        raise listed
    if isinstance(total, BaseException):
        raise total
    return listed, total


async def count(services: Services, key: str, filters: CheckedFilters) -> list[Message]:
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
    return [surfaces.info_message(operation, now=utc_now())]


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
