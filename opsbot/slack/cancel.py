"""Cancelling an operation: ``/ops cancel ID`` asks first; the Cancel buttons cancel.

A cancel is reported in the channel, recorded in the audit trail, shown
where it was clicked (the card or list row as it reads now), and, when the
operation is not over yet, followed in the report's thread.
"""

from __future__ import annotations

import contextlib
import logging

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from opsbot.api.errors import ApiError, TemporaryError
from opsbot.api.filters import FilterError, validate_options
from opsbot.api.operation import Operation
from opsbot.clock import utc_now
from opsbot.services import Services
from opsbot.slack import approvals, audit_trail, failures, look
from opsbot.slack.follow import watch_in_thread
from opsbot.slack.grammar import Command
from opsbot.slack.in_flight import in_flight_view
from opsbot.slack.interaction import CANCELS, Action, Interaction, on_button
from opsbot.store import audit
from opsbot.store.guardrails import CANCEL
from opsbot.store.watches import Announced
from opsbot.ui import ids
from opsbot.ui.common import api_error_message, error_message, notice_message
from opsbot.ui.operations import (
    cancel_confirm_message,
    cancel_result_message,
    info_message,
    list_after_cancel_message,
)
from opsbot.ui.payloads import CancelButtonValue, ListedPage
from opsbot.ui.render import Message

log = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services) -> None:
    # A Cancel on a card or a row, and the "Cancel it" answer to `/ops cancel ID`.
    on_button(app, services, ids.ACTION_CANCEL, _cancel_button, CANCELS)
    on_button(app, services, ids.ACTION_CANCEL_CONFIRM, _cancel_button, CANCELS)

    @app.action(ids.ACTION_CANCEL_KEEP)
    async def keep(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        # Nothing to tell if it fails: the question simply stays on screen.
        async with failures.reported("the Keep button", None):
            await respond(delete_original=True)


async def cancel_command(asked: Interaction, command: Command) -> None:
    work = _confirm_cancel(asked, command.operation_id)
    await asked.answer_when_ready(work, what=look.FETCHING)


async def _confirm_cancel(asked: Interaction, op_id: int) -> list[Message]:
    """Show the operation and ask before cancelling."""
    try:
        operation = await asked.services.api.info(asked.key, op_id)
    except ApiError as error:
        return [api_error_message(error, op_id=op_id)]
    if not operation.can_cancel:
        return [
            error_message(
                f"Operation {op_id} is in {operation.step}: only operations in "
                "BILL, WAIT or ERROR can be cancelled.",
            )
        ]
    others = await in_flight_view(asked, operation, warn_duplicates=False)
    return [cancel_confirm_message(operation, in_flight=others)]


async def _cancel_button(asked: Interaction, action: Action) -> None:
    try:
        button = CancelButtonValue.parse(action["value"])
    except ValueError:
        message = error_message("This Cancel button is broken; run the command again.")
        await asked.tell(message)
        return
    op_id = button.op_id
    if await approvals.needed(asked, audit.CANCEL):
        await approvals.ask_to_cancel(asked, op_id)
        return
    # Two fast clicks (or two people) reach us as two requests: one cancels.
    # The lock is kept after a success, so a late second click is refused too.
    locks = asked.services.locks
    token = await locks.acquire(asked.team_id, op_id)
    if token is None:
        await asked.tell(notice_message(f"Operation {op_id} is already being cancelled."))
        return
    try:
        done = await asked.services.api.cancel(asked.key, op_id)
    except ApiError as error:
        await locks.release(asked.team_id, op_id, token)
        await _cancel_failed(asked, op_id, error)
        return
    if not done:
        await locks.release(asked.team_id, op_id, token)
        await _cancel_declined(asked, op_id)
        return
    await asked.record(audit.CANCEL, target=str(op_id))
    # Clicked in `/ops cancel`'s question, which the report then replaces.
    confirmed_in_message = action["action_id"] == ids.ACTION_CANCEL_CONFIRM
    await _report_cancel(asked, button, confirmed_in_message=confirmed_in_message)


async def _cancel_declined(asked: Interaction, op_id: int) -> None:
    """The API answered false: nothing was cancelled, and the person and the audit say so."""
    await asked.record(audit.CANCEL, target=str(op_id), outcome=audit_trail.NOT_DONE)
    text = (
        f"The API answered that operation {op_id} was not cancelled: nothing changed. "
        f"Check its step with `/ops info {op_id}` before trying again."
    )
    await asked.tell(error_message(text))


async def _cancel_failed(asked: Interaction, op_id: int, error: ApiError) -> None:
    await asked.record(audit.CANCEL, target=str(op_id), outcome=f"error: {error.kind.value}")
    step = None
    with contextlib.suppress(ApiError):
        step = (await asked.services.api.info(asked.key, op_id)).step
    if isinstance(error, TemporaryError) and error.may_have_run:
        text = (
            f"The API did not answer in time: operation {op_id} may or may not be cancelled "
            f"(it is now in {step or 'an unknown step'}). Check with `/ops info {op_id}`."
        )
        await asked.tell(error_message(text))
        return
    await asked.tell(api_error_message(error, op_id=op_id, action="cancel", step=step))


async def _report_cancel(
    asked: Interaction, button: CancelButtonValue, *, confirmed_in_message: bool
) -> None:
    """Report in the channel, and show the new step where the Cancel was clicked."""
    op_id = button.op_id
    try:
        operation = await asked.services.api.info(asked.key, op_id)
    except ApiError as error:
        await asked.tell(api_error_message(error, op_id=op_id))
        return
    report = cancel_result_message(operation, user_id=asked.user_id)
    posted = await asked.post_in_channel(report)
    if confirmed_in_message:
        redrawn: Message | None = report
    else:
        redrawn = await _redraw_after_cancel(asked, button, operation)
    if redrawn is not None:
        await asked.tell(redrawn, replace=True)
    elif posted is None:
        # Nothing shows the outcome yet: say it to the person who clicked.
        await asked.tell(report)
    if posted is not None:
        # The report's thread follows the operation if it is not over yet,
        # and the report, then its card, keeps saying who cancelled.
        channel, ts = posted
        announced = Announced(CANCEL, asked.user_id)
        await watch_in_thread(
            asked, op_id, channel=channel, ts=ts, operation=operation, announced=announced
        )


async def _redraw_after_cancel(
    asked: Interaction, button: CancelButtonValue, cancelled: Operation
) -> Message | None:
    """The message a Cancel was clicked in, as it reads now; None to leave it as it was."""
    if button.source == "info":
        return info_message(cancelled, now=utc_now(), cancelled_by=asked.user_id)
    if button.listed is not None:
        return await _list_after_cancel(asked, button.listed, cancelled)
    return None


async def _list_after_cancel(
    asked: Interaction, listed: ListedPage, cancelled: Operation
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
        operations = await asked.services.api.list(asked.key, by_id)
    except (FilterError, ApiError) as error:
        log.info("list not redrawn after cancelling %s: %s", cancelled.id, error)
        return None
    fetched = {operation.id: operation for operation in operations}
    fetched[cancelled.id] = cancelled
    options = look.with_paging(shown)
    return list_after_cancel_message(
        [fetched[op_id] for op_id in listed.ids if op_id in fetched],
        cancelled_id=cancelled.id,
        user_id=asked.user_id,
        filters=look.chosen(shown),
        page=int(options["page"]),
        items_per_page=int(options["items_per_page"]),
        total=listed.total,
        now=utc_now(),
    )
