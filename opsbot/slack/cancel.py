"""Cancelling an operation: every way in asks first, with what else is in flight.

``/ops cancel ID`` answers with a question (a private message); a Cancel
button on a list row or a card opens the same question as a modal, since
Slack's static ``confirm`` dialog cannot show live data. Both show the
operation and the other operations in flight on its domain, VM or
certificate (one ``operation.list``). "Cancel operation" then cancels,
once, under the same guardrails checked again at that moment: who may, a
read-only channel, and approval (the request is posted instead). A cancel
is reported in the channel, recorded in the audit trail, shown where it was
clicked (the card or list row as it reads now), and, when the operation is
not over yet, followed in the report's thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from typing import Any, Final

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.api.errors import ApiError, TemporaryError
from opsbot.api.filters import FilterError, validate_options
from opsbot.api.operation import Operation
from opsbot.clock import utc_now
from opsbot.services import Services
from opsbot.slack import approvals, audit_trail, failures, look, who_may_act
from opsbot.slack.follow import watch_in_thread
from opsbot.slack.grammar import Command
from opsbot.slack.in_flight import in_flight_view
from opsbot.slack.interaction import CANCELS, MAY_CANCEL, Action, Interaction, on_button
from opsbot.slack.modals import View, ack_when_done, update_view
from opsbot.slack.requests import Requester
from opsbot.store import audit
from opsbot.store.guardrails import CANCEL
from opsbot.store.watches import Announced
from opsbot.ui import ids
from opsbot.ui.cancel_modal import cancel_loading_modal, cancel_metadata, cancel_modal
from opsbot.ui.common import (
    api_error_message,
    error_message,
    message_modal,
    notice_message,
    notice_modal,
)
from opsbot.ui.guardrails import not_allowed_modal
from opsbot.ui.operations import (
    cancel_confirm_message,
    cancel_result_message,
    info_message,
    list_after_cancel_message,
)
from opsbot.ui.payloads import CancelButtonValue, CancelMetadata, ListedPage, PayloadError
from opsbot.ui.render import Message
from opsbot.ui.team_key import key_required_message

log = logging.getLogger(__name__)

# Where an unexpected error happened, in the log line that gives its reference.
CONFIRMATION: Final = "the cancel confirmation"
BROKEN_BUTTON: Final = "This Cancel button is broken; run the command again."
BROKEN_MODAL: Final = "This confirmation cannot be read any more; run `/ops cancel ID` again."


def register(app: AsyncApp, services: Services) -> None:
    # A Cancel on a card or a row asks first, in a modal; a recent copy of a
    # group's members is enough to ask, the submit asks Slack again.
    on_button(app, services, ids.ACTION_CANCEL, _open_confirmation, MAY_CANCEL)
    # "Cancel operation" under `/ops cancel ID`'s question: the answer, it cancels.
    on_button(app, services, ids.ACTION_CANCEL_CONFIRM, _confirmed_in_message, CANCELS)

    @app.action(ids.ACTION_CANCEL_KEEP)
    async def keep(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        # Nothing to tell if it fails: the question simply stays on screen.
        async with failures.reported("the Keep button", None):
            await respond(delete_original=True)

    @app.view(ids.CALLBACK_CANCEL)
    async def submit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await _submit(services, client, body, ack)


@dataclasses.dataclass(frozen=True)
class _Told:
    """What the person should know of a cancel; ``seen``: a message they see says it already."""

    title: str
    message: Message
    seen: bool = False


# --- asking first ---------------------------------------------------------------------


async def cancel_command(asked: Interaction, command: Command) -> None:
    work = _confirm_cancel(asked, command.operation_id)
    await asked.answer_when_ready(work, what=look.FETCHING)


async def _confirm_cancel(asked: Interaction, op_id: int) -> list[Message]:
    """Show the operation and ask before cancelling."""
    operation = await _cancellable(asked, op_id)
    if not isinstance(operation, Operation):
        return [operation]
    others = await in_flight_view(asked, operation, warn_duplicates=False)
    return [cancel_confirm_message(operation, in_flight=others)]


async def _cancellable(asked: Interaction, op_id: int) -> Operation | Message:
    """The operation as the API has it now, or why it cannot be cancelled."""
    try:
        operation = await asked.services.api.info(asked.key, op_id)
    except ApiError as error:
        return api_error_message(error, op_id=op_id)
    if not operation.can_cancel:
        return error_message(
            f"Operation {op_id} is in {operation.step}: only operations in "
            "BILL, WAIT or ERROR can be cancelled.",
        )
    return operation


async def _clicked(asked: Interaction, action: Action) -> CancelButtonValue | None:
    """The Cancel button's value; None once the person is told it is broken."""
    try:
        return CancelButtonValue.parse(action["value"])
    except ValueError:
        await asked.tell(error_message(BROKEN_BUTTON))
        return None


async def _open_confirmation(asked: Interaction, action: Action) -> None:
    """Open the modal within the trigger's 3 s, then fill it once the API has answered."""
    button = await _clicked(asked, action)
    if button is None:
        return
    requester = asked.requester
    metadata = cancel_metadata(
        button, channel_id=requester.channel_id, response_url=requester.response_url
    )
    again = f"/ops cancel {button.op_id}"
    opened = await asked.open_modal(cancel_loading_modal(metadata), command=again)
    if opened is None:
        return
    work = _confirmation(asked, metadata)
    view = await failures.or_failure(work, CONFIRMATION, failures.unexpected_modal)
    await update_view(asked.client, opened["id"], opened["hash"], view, again=again)


async def _confirmation(asked: Interaction, metadata: CancelMetadata) -> View:
    operation = await _cancellable(asked, metadata.button.op_id)
    if not isinstance(operation, Operation):
        return message_modal("Cannot cancel", operation)
    others = await in_flight_view(asked, operation, warn_duplicates=False)
    return cancel_modal(operation, metadata, in_flight=others)


# --- cancelling -------------------------------------------------------------------------


async def _confirmed_in_message(asked: Interaction, action: Action) -> None:
    button = await _clicked(asked, action)
    if button is None:
        return
    # The report then replaces the question.
    told = await _cancel(asked, button, confirmed_in_message=True)
    if not told.seen:
        await asked.tell(told.message)


async def _submit(
    services: Services, client: AsyncWebClient, body: dict[str, Any], ack: AsyncAck
) -> None:
    view = body["view"]
    try:
        metadata = CancelMetadata.parse(view.get("private_metadata"))
    except PayloadError:
        await ack(response_action="update", view=notice_modal("Cannot cancel", BROKEN_MODAL))
        return
    op_id = metadata.button.op_id

    async def acked(shown: View) -> None:
        await ack(response_action="update", view=shown)

    await ack_when_done(
        ack,
        client,
        view["id"],
        _submitted(_in_modal(services, client, body, metadata), metadata.button),
        where=CONFIRMATION,
        failed=failures.unexpected_modal,
        acked=acked,
        pending=notice_modal("Cancelling", f"Cancelling operation {op_id}…"),
        finally_shown=lambda shown: shown,
        again=f"/ops cancel {op_id}",
    )


def _in_modal(
    services: Services, client: AsyncWebClient, body: dict[str, Any], metadata: CancelMetadata
) -> Interaction:
    requester = Requester.of_interaction(body).opened_from(
        metadata.channel_id, metadata.response_url
    )
    url = metadata.response_url
    respond = AsyncRespond(response_url=url) if url else None
    return Interaction(services, client, requester, respond)


async def _submitted(asked: Interaction, button: CancelButtonValue) -> View:
    """What the modal shows once "Cancel operation" was pressed."""
    # Checked again at submit: the rules, or a group's members, may have changed.
    refused = await who_may_act.refusal(
        asked.services, asked.client, asked.requester, audit.CANCEL, fresh=True
    )
    if refused is not None:
        return not_allowed_modal(refused)
    key = await asked.services.team_keys.get(asked.team_id)
    if key is None:
        return message_modal("API key needed", key_required_message())
    told = await _cancel(asked.with_key(key), button, confirmed_in_message=False)
    return message_modal(told.title, told.message)


async def _cancel(
    asked: Interaction, button: CancelButtonValue, *, confirmed_in_message: bool
) -> _Told:
    """Cancel once, or ask for approval when the team wants it."""
    op_id = button.op_id
    if await approvals.needed(asked, audit.CANCEL):
        return await _ask_approval(asked, op_id)
    # Two fast clicks (or two people) reach us as two requests: one cancels.
    # The lock is kept after a success, so a late second click is refused too.
    locks = asked.services.locks
    token = await locks.acquire(asked.team_id, op_id)
    if token is None:
        text = f"Operation {op_id} is already being cancelled."
        return _Told("Already under way", notice_message(text))
    try:
        done = await asked.services.api.cancel(asked.key, op_id)
    except ApiError as error:
        await locks.release(asked.team_id, op_id, token)
        return await _cancel_failed(asked, op_id, error)
    if not done:
        await locks.release(asked.team_id, op_id, token)
        return await _cancel_declined(asked, op_id)
    await asked.record(audit.CANCEL, target=str(op_id))
    return await _report_cancel(asked, button, confirmed_in_message=confirmed_in_message)


async def _ask_approval(asked: Interaction, op_id: int) -> _Told:
    """Post the approval request instead of cancelling; what the person is told."""
    operation = await _cancellable(asked, op_id)
    if not isinstance(operation, Operation):
        return _Told("Cannot cancel", operation)
    posted = await approvals.request(asked, audit.CANCEL, operation)
    return _Told("Approval requested", notice_message(posted))


async def _cancel_declined(asked: Interaction, op_id: int) -> _Told:
    """The API answered false: nothing was cancelled, and the person and the audit say so."""
    await asked.record(audit.CANCEL, target=str(op_id), outcome=audit_trail.NOT_DONE)
    text = (
        f"The API answered that operation {op_id} was not cancelled: nothing changed. "
        f"Check its step with `/ops info {op_id}` before trying again."
    )
    return _Told("Not cancelled", error_message(text))


async def _cancel_failed(asked: Interaction, op_id: int, error: ApiError) -> _Told:
    await asked.record(audit.CANCEL, target=str(op_id), outcome=f"error: {error.kind.value}")
    step = None
    with contextlib.suppress(ApiError):
        step = (await asked.services.api.info(asked.key, op_id)).step
    if isinstance(error, TemporaryError) and error.may_have_run:
        text = (
            f"The API did not answer in time: operation {op_id} may or may not be cancelled "
            f"(it is now in {step or 'an unknown step'}). Check with `/ops info {op_id}`."
        )
        return _Told("Cancel unclear", error_message(text))
    message = api_error_message(error, op_id=op_id, action="cancel", step=step)
    return _Told("Cancel failed", message)


async def _report_cancel(
    asked: Interaction, button: CancelButtonValue, *, confirmed_in_message: bool
) -> _Told:
    """Report in the channel, and show the new step where the Cancel was clicked."""
    op_id = button.op_id
    try:
        operation = await asked.services.api.info(asked.key, op_id)
    except ApiError as error:
        return _Told("Cancelled", api_error_message(error, op_id=op_id))
    # The rules may have made the channel read-only since the Cancel was drawn.
    read_only = await asked.read_only_here()
    report = cancel_result_message(operation, user_id=asked.user_id, read_only=read_only)
    posted = await asked.post_in_channel(report)
    if confirmed_in_message:
        redrawn: Message | None = report
    else:
        redrawn = await _redraw_after_cancel(asked, button, operation, read_only=read_only)
    # A confirmation opened where nothing can be redrawn has no response_url.
    if redrawn is not None and asked.respond is not None:
        await asked.tell(redrawn, replace=True)
    else:
        redrawn = None
    if posted is not None:
        # The report's thread follows the operation if it is not over yet,
        # and the report, then its card, keeps saying who cancelled.
        channel, ts = posted
        announced = Announced(CANCEL, asked.user_id)
        await watch_in_thread(
            asked, op_id, channel=channel, ts=ts, operation=operation, announced=announced
        )
    # Nothing showing the outcome yet, it is said to the person who clicked.
    return _Told("Cancelled", report, seen=redrawn is not None or posted is not None)


async def _redraw_after_cancel(
    asked: Interaction, button: CancelButtonValue, cancelled: Operation, *, read_only: bool
) -> Message | None:
    """The message a Cancel was clicked in, as it reads now; None to leave it as it was."""
    if button.source == "info":
        return info_message(
            cancelled, now=utc_now(), cancelled_by=asked.user_id, read_only=read_only
        )
    if button.listed is not None:
        return await _list_after_cancel(asked, button.listed, cancelled, read_only=read_only)
    return None


async def _list_after_cancel(
    asked: Interaction, listed: ListedPage, cancelled: Operation, *, read_only: bool
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
        read_only=read_only,
    )
