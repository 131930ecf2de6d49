"""Looking at operations and cancelling one: ``/ops list``, ``count``, ``info``, ``cancel``.

A list page is one message, whatever was asked: Previous/Next answer with
``replace_original``, which replaces the message that carried the clicked
button and nothing else, so a page drawn in several messages would leave
its other parts stale after a click. A page therefore holds at most
:data:`MAX_PAGE_ROWS` rows (:func:`page_that_fits` asks the API for no
more), each row's texts are clipped so that a full page of the longest rows
stays under Slack's block-text limit (``msg_blocks_too_long``), and its
Previous/Next and Cancel buttons carry what it takes to draw it again
(:mod:`opsbot.ui.payloads`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final, NotRequired, TypedDict, Unpack

from opsbot.api.list_reply import UnreadableItem
from opsbot.api.operation import CANCELLABLE_STEPS, Operation
from opsbot.api.secret_params import is_secret_parameter
from opsbot.clock import utc_now
from opsbot.ui import humanize, limits
from opsbot.ui.echo import button_filters, filters_text
from opsbot.ui.in_flight import InFlightView
from opsbot.ui.payloads import CancelButtonValue, ListedPage, PageButtonValue
from opsbot.ui.render import Message, render_message
from opsbot.ui.views import OperationView

# The rows of one page, the default items_per_page. A row is a section and a
# row of buttons, and a page has one block for its heading and one for
# Previous/Next: 42 of Slack's 50 blocks. Blocks would allow 24 rows, but a
# page of 20 rows at their longest (list.j2 clips every field) is about
# 11,000 characters of block text, under the 12,000 at which Slack has been
# seen to answer msg_blocks_too_long (slack-rules.md, Blocks).
MAX_PAGE_ROWS: Final = 20
PARAMS_SHOWN: Final = 20
INFOS_SHOWN: Final = 10
_HIDDEN_VALUE: Final = "(hidden)"


class PageShown(TypedDict):
    """Which page of ``/ops list`` is drawn: the keywords both list builders take.

    ``filters``: those the person chose (a ``page`` key is ignored); ``page``:
    the API's page number (0 is the first); ``total``: the count of every
    match, None when unknown; ``more_than_asked``: the API sent more rows
    than ``items_per_page`` (the client kept those asked for);
    ``read_only``: shown in a channel ``/ops config`` made read-only, so rows
    have no Cancel or Relaunch button;
    ``items_asked``: the items_per_page the person asked for, when more
    than a page holds (:func:`page_that_fits`).
    """

    filters: Mapping[str, Any]
    page: int
    items_per_page: int
    total: int | None
    more_than_asked: NotRequired[bool]
    read_only: NotRequired[bool]
    items_asked: NotRequired[int]


Row = Operation | UnreadableItem


def page_that_fits(page: int, items_per_page: int) -> tuple[int, int]:
    """The page and page size to ask the API for: at most :data:`MAX_PAGE_ROWS` rows.

    A larger page asked for is cut into pages of :data:`MAX_PAGE_ROWS`; the
    one shown holds the first row the person asked for, so nothing is skipped.
    """
    if items_per_page <= MAX_PAGE_ROWS:
        return page, items_per_page
    return page * items_per_page // MAX_PAGE_ROWS, MAX_PAGE_ROWS


def list_message(
    operations: Sequence[Row], *, now: dt.datetime, **shown: Unpack[PageShown]
) -> Message:
    """One page of ``/ops list``, in one message.

    A row opsbot could not read is shown as such; at most ``items_per_page``
    rows, and no more than one page holds, are drawn (:func:`rows_shown`).
    """
    rows, context = _list_layout(operations, shown, now)
    return render_message("list.j2", rows=rows, cancelled_id=None, cancelled_by=None, **context)


def list_after_cancel_message(
    operations: Sequence[Row],
    *,
    cancelled_id: int,
    user_id: str,
    now: dt.datetime,
    **shown: Unpack[PageShown],
) -> Message | None:
    """The page that holds ``cancelled_id``, noting who cancelled it.

    It replaces the list message the Cancel was clicked in. None when no row
    is ``cancelled_id``.
    """
    rows, context = _list_layout(operations, shown, now)
    if not any(row.id == cancelled_id and row.problem is None for row in rows):
        return None
    return render_message(
        "list.j2",
        rows=rows,
        cancelled_id=cancelled_id,
        cancelled_by=humanize.slack_user_id(user_id),
        **context,
    )


def _list_layout(
    operations: Sequence[Row], shown: PageShown, now: dt.datetime
) -> tuple[list[OperationView], dict[str, Any]]:
    """A page's rows, and what its message shows around them."""
    kept, rows_note = rows_shown(operations, shown)
    rows = [OperationView.of_row(operation, now) for operation in kept]
    filters, page, total = shown["filters"], shown["page"], shown["total"]
    per_page = shown["items_per_page"]
    has_next = (page + 1) * per_page < total if total is not None else len(rows) >= per_page
    previous_value, next_value, too_long = _page_buttons(filters, page=page, has_next=has_next)
    first_number = page * per_page + 1
    context = {
        "total": total,
        "first_number": first_number,
        "last_number": first_number + len(rows) - 1,
        "page_number": page + 1,
        "page_count": _page_count(total, per_page),
        "filters": filters_text(filters),
        "previous_value": previous_value,
        "next_value": next_value,
        "paging_too_long": too_long,
        "cancel_values": _list_cancel_values(rows, filters, page, total),
        "rows_note": rows_note,
        "read_only": shown.get("read_only", False),
    }
    return rows, context


def rows_shown(operations: Sequence[Row], shown: PageShown) -> tuple[Sequence[Row], str | None]:
    """The rows to draw, cut before any rendering work, and a note when rows were left out.

    At most ``items_per_page`` (an API that ignores it could send 40,000
    rows: drawing them all would hold up everyone's requests), and at most
    what one page holds.
    """
    per_page = shown["items_per_page"]
    limit = min(per_page, MAX_PAGE_ROWS)
    if shown.get("more_than_asked") or len(operations) > per_page:
        return operations[:limit], (
            f"The API returned more rows than asked; showing {min(len(operations), limit)}."
        )
    asked = max(shown.get("items_asked", per_page), per_page)
    if asked > MAX_PAGE_ROWS or len(operations) > limit:
        return operations[:limit], (
            f"A page shows at most {MAX_PAGE_ROWS} operations, so that it fits in one "
            f"message and Previous/Next replace it whole: {MAX_PAGE_ROWS} a page, "
            f"not {asked}."
        )
    return operations, None


def _list_cancel_values(
    rows: Sequence[OperationView], filters: Mapping[str, Any], page: int, total: int | None
) -> dict[int, str]:
    """Each cancellable row's Cancel value: the page, so that a cancel can redraw it."""
    # Only readable rows can be fetched again to redraw the page.
    ids = tuple(row.id for row in rows if row.id is not None and row.problem is None)
    listed = ListedPage(button_filters(filters), page, total, ids)
    values = {}
    for row in rows:
        if row.can_cancel and row.id is not None:
            value = CancelButtonValue(row.id, "list", listed).to_value()
            # Too long for Slack: the cancel still works, the list is just not redrawn.
            values[row.id] = value if _fits_a_button(value) else str(row.id)
    return values


def _page_count(total: int | None, items_per_page: int) -> int | None:
    if total is None:
        return None
    return max(1, math.ceil(total / max(items_per_page, 1)))


def _page_buttons(
    filters: Mapping[str, Any], *, page: int, has_next: bool
) -> tuple[str | None, str | None, bool]:
    """The Previous and Next buttons' values (None: no such page), and whether they cannot fit."""
    targets = (page - 1 if page > 0 else None, page + 1 if has_next else None)
    values = [
        None if target is None else PageButtonValue.of(filters, target).to_value()
        for target in targets
    ]
    if any(value is not None and not _fits_a_button(value) for value in values):
        return None, None, True
    return values[0], values[1], False


def _fits_a_button(value: str) -> bool:
    return len(value) <= limits.BUTTON_VALUE


def count_message(count: int, filters: Mapping[str, Any]) -> Message:
    return render_message(
        "count.j2", count=f"{count:,}", plural=count != 1, filters=filters_text(filters)
    )


def info_message(
    operation: Operation,
    *,
    now: dt.datetime,
    cancelled_by: str | None = None,
    read_only: bool = False,
) -> Message:
    """A card with every field of the API's OperationListReturn.

    ``cancelled_by``: the user who just cancelled it from this card, named on it;
    ``read_only``: for a read-only channel, without Cancel and Relaunch.
    """
    params = sorted(
        (str(name), _param_text(str(name), value)) for name, value in operation.params.items()
    )
    infos = sorted(
        (str(name), humanize.value_text(value))
        for name, value in operation.infos.items()
        if value not in (None, "", {}, [])
    )
    return render_message(
        "info.j2",
        row=OperationView.of(operation, now),
        facts=_facts(operation, now),
        infos=infos[:INFOS_SHOWN],
        params=params[:PARAMS_SHOWN],
        more_params=max(len(params) - PARAMS_SHOWN, 0),
        last_error=humanize.code_block_safe(operation.last_error) if operation.last_error else None,
        cancelled=cancelled_by is not None,
        cancelled_by=humanize.slack_user_id(cancelled_by),
        cancel_value=CancelButtonValue(operation.id, "info").to_value(),
        read_only=read_only,
    )


def _facts(operation: Operation, now: dt.datetime) -> list[tuple[str, str]]:
    view = OperationView.of(operation, now)
    return [
        ("ID", str(operation.id)),
        ("Type", view.type),
        ("Step", f"{view.emoji} {view.step}"),
        ("ETA", humanize.eta(operation.eta)),
        ("Created", humanize.when(operation.date_created, now)),
        ("Started", humanize.when(operation.date_start, now)),
        ("Updated", humanize.when(operation.date_updated, now)),
        ("Error type", operation.errortype or humanize.MISSING),
        ("Session", humanize.value_text(operation.session_id)),
        ("Source", operation.source or humanize.MISSING),
    ]


def _param_text(name: str, value: Any) -> str:
    if is_secret_parameter(name) and value not in (None, ""):
        return _HIDDEN_VALUE
    return humanize.value_text(value)


def cancel_confirm_message(
    operation: Operation, *, now: dt.datetime | None = None, in_flight: InFlightView | None = None
) -> Message:
    """``/ops cancel ID``'s question, with what else is in flight on the same object."""
    return render_message(
        "cancel_confirm.j2",
        row=OperationView.of(operation, now or utc_now()),
        cancellable_steps=humanize.steps_text(CANCELLABLE_STEPS),
        in_flight=in_flight,
    )


def cancel_result_message(
    operation: Operation,
    *,
    user_id: str,
    now: dt.datetime | None = None,
    read_only: bool = False,
) -> Message:
    """The message after a cancel: ``operation`` as it is now, and who cancelled it."""
    return render_message(
        "cancel_result.j2",
        row=OperationView.of(operation, now or utc_now()),
        user_id=humanize.slack_user_id(user_id),
        read_only=read_only,
    )
