"""Looking at operations: ``/ops list``, ``count`` and ``info``, the Info button and paging.

Each answer calls the API with the team's key and turns what it says into
messages; an API fault becomes a plain-words message rather than an
exception, so the handlers only decide where the messages go.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

from slack_bolt.async_app import AsyncApp

from opsbot.api.errors import ApiError
from opsbot.api.filters import CheckedFilters, FilterError, validate_options
from opsbot.api.list_reply import ListReply
from opsbot.clock import utc_now
from opsbot.services import Services
from opsbot.slack.grammar import Command
from opsbot.slack.interaction import NEEDS_KEY, Action, Interaction, on_button, on_operation_button
from opsbot.ui import ids
from opsbot.ui.common import api_error_message, error_message
from opsbot.ui.operations import count_message, info_message, list_message, page_that_fits
from opsbot.ui.payloads import PageButtonValue, PayloadError
from opsbot.ui.render import Message

DEFAULT_ITEMS_PER_PAGE: Final = 20
_PAGING: Final = ("page", "items_per_page")
_PAGE_DEFAULTS: Final = {"page": 0, "items_per_page": DEFAULT_ITEMS_PER_PAGE}
LISTING: Final = "Listing operations"
FETCHING: Final = "Fetching the operation"


def register(app: AsyncApp, services: Services) -> None:
    on_operation_button(app, services, ids.ACTION_INFO, _info_button, NEEDS_KEY)
    on_button(app, services, ids.ACTION_PAGE_PATTERN, _page_button, NEEDS_KEY)


async def list_command(asked: Interaction, command: Command) -> None:
    await asked.answer_when_ready(list_page(asked, command.filters), what=LISTING)


async def count_command(asked: Interaction, command: Command) -> None:
    await asked.answer_when_ready(_count(asked, command.filters), what="Counting operations")


async def info_command(asked: Interaction, command: Command) -> None:
    await asked.answer_when_ready(info_messages(asked, command.operation_id), what=FETCHING)


async def _info_button(asked: Interaction, op_id: int) -> None:
    await asked.answer_when_ready(info_messages(asked, op_id), what=FETCHING)


async def _page_button(asked: Interaction, action: Action) -> None:
    try:
        button = PageButtonValue.parse(action.get("value"))
    except PayloadError:
        message = error_message("This page link is broken; run the list again.")
        await asked.tell(message)
        return
    filters = button.list_filters()
    await asked.answer_when_ready(_checked_page(asked, filters), what=LISTING, replace=True)


async def _checked_page(asked: Interaction, filters: dict[str, Any]) -> list[Message]:
    """The page a button asks for: its filters came back from Slack, so they are checked."""
    try:
        checked = validate_options(filters)
    except FilterError as error:
        return [error_message(error.message, suggestions=error.suggestions)]
    return await list_page(asked, checked)


async def list_page(asked: Interaction, filters: CheckedFilters) -> list[Message]:
    """One page of operations, in one message; ``filters`` as typed, paging defaults added here.

    A page larger than one message holds is asked for in pages that fit
    (:func:`~opsbot.ui.operations.page_that_fits`), and its buttons page by those.
    """
    typed = with_paging(filters)
    items_asked = int(typed["items_per_page"])
    page, items_per_page = page_that_fits(int(typed["page"]), items_asked)
    paging = {"page": page, "items_per_page": items_per_page}
    options = typed.without(*_PAGING).with_defaults(paging)
    try:
        reply, total = await _page_and_total(asked, options)
    except ApiError as error:
        return [api_error_message(error)]
    read_only = await asked.read_only_here()
    if items_per_page != items_asked:
        # The buttons page by what one page holds, not by what was asked.
        filters = filters.without("items_per_page").with_defaults(
            {"items_per_page": items_per_page}
        )
    # A row the API sent but opsbot cannot read is shown as such, after the
    # others, rather than failing the whole page.
    message = list_message(
        [*reply.operations, *reply.unreadable],
        filters=chosen(filters),
        page=page,
        items_per_page=items_per_page,
        items_asked=items_asked,
        total=total,
        more_than_asked=reply.more_than_asked,
        now=utc_now(),
        read_only=read_only,
    )
    return [message]


def with_paging(filters: CheckedFilters) -> CheckedFilters:
    """``filters`` with the paging defaults where they are not given."""
    return filters.with_defaults(_PAGE_DEFAULTS)


def chosen(filters: CheckedFilters) -> CheckedFilters:
    """What the person chose: echoed, and carried by the buttons (the page is theirs)."""
    return filters.without("page")


async def _page_and_total(asked: Interaction, options: CheckedFilters) -> tuple[ListReply, int]:
    """operation.list (read item by item) and operation.count at once: a slow API
    costs one wait, not two."""
    api = asked.services.api
    listed, total = await asyncio.gather(
        api.list_items(asked.key, options),
        api.count(asked.key, options.without(*_PAGING)),
        return_exceptions=True,
    )
    # Both calls have finished either way, so raising a failure leaves nothing running.
    if isinstance(listed, BaseException):
        raise listed
    if isinstance(total, BaseException):
        raise total
    return listed, total


async def _count(asked: Interaction, filters: CheckedFilters) -> list[Message]:
    try:
        number = await asked.services.api.count(asked.key, filters)
    except ApiError as error:
        return [api_error_message(error)]
    return [count_message(number, filters)]


async def info_messages(asked: Interaction, op_id: int) -> list[Message]:
    try:
        operation = await asked.services.api.info(asked.key, op_id)
    except ApiError as error:
        return [api_error_message(error, op_id=op_id)]
    return [info_message(operation, now=utc_now(), read_only=await asked.read_only_here())]
