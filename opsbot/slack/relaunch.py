"""Relaunching an operation in ERROR through a modal: ``/ops relaunch`` and the Relaunch button.

The modal opens within the trigger's 3 seconds with a loading view, then is
filled once the operation is fetched. Its inputs are the parameters the
catalog finds relevant for that operation; any other can be added from a
menu. Submitting sends only the filled inputs to operation.relaunch; the
channel is told, and the announcement's thread follows the operation.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.api.catalog import RELAUNCH_PARAMETERS, choose_relaunch_fields
from opsbot.api.error_fields import fields_asked_for
from opsbot.api.errors import ApiError, BadParameterError, InvalidStepError, TemporaryError
from opsbot.api.operation import RELAUNCHABLE_TYPES, Operation
from opsbot.services import Services
from opsbot.slack import approvals, audit_trail, failures, who_may_act
from opsbot.slack.follow import watch_in_thread
from opsbot.slack.grammar import Command
from opsbot.slack.in_flight import in_flight_view
from opsbot.slack.interaction import (
    MAY_RELAUNCH,
    Action,
    Interaction,
    on_operation_button,
)
from opsbot.slack.modals import ack_when_done, update_view
from opsbot.slack.posting import post_paced
from opsbot.slack.relaunch_review import read_reviewed, review_of
from opsbot.slack.requests import Requester
from opsbot.store import audit
from opsbot.store.guardrails import RELAUNCH
from opsbot.store.watches import Announced
from opsbot.ui import ids
from opsbot.ui.common import api_error_message, message_modal, notice_message, notice_modal
from opsbot.ui.guardrails import not_allowed_modal
from opsbot.ui.in_flight import with_in_flight
from opsbot.ui.payloads import PayloadError, RelaunchMetadata
from opsbot.ui.relaunch import (
    add_field_options,
    changed_names,
    relaunch_loading_modal,
    relaunch_modal,
    relaunched_message,
)
from opsbot.ui.relaunch_inputs import changed_values, field_names_in, refusals
from opsbot.ui.relaunch_review import mark_asked
from opsbot.ui.team_key import key_required_message

log = logging.getLogger(__name__)

View = dict[str, Any]
# Where an unexpected error happened, in the log line that gives its reference.
FORM = "the relaunch form"
# The command that opens the form anew, named when Slack refuses to show it.
AGAIN = "/ops relaunch"


def register(app: AsyncApp, services: Services) -> None:
    on_operation_button(app, services, ids.ACTION_RELAUNCH, _relaunch_button, MAY_RELAUNCH)

    @app.action(ids.ACTION_ADD_FIELD)
    async def add_field(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        view_id = str((body.get("view") or {}).get("id") or "")
        async with failures.reported(FORM, failures.in_modal(client, view_id)):
            await _add_field(_in_modal(services, client, body), body["actions"][0])

    @app.options(ids.ACTION_ADD_FIELD)
    async def fields_to_add(ack: AsyncAck, body: dict[str, Any]) -> None:
        # block_suggestion: answered on the ack, within Slack's 3 s, without I/O.
        shown = field_names_in(body.get("view") or {})
        await ack(**add_field_options(str(body.get("value") or ""), shown))

    @app.view(ids.CALLBACK_RELAUNCH)
    async def submit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await _submit(_in_modal(services, client, body), ack)

    @app.view(ids.CALLBACK_RELAUNCH_REVIEW)
    async def reviewed(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await _submit_reviewed(
            Interaction(services, client, Requester.of_interaction(body)), body["view"], ack
        )


async def relaunch_command(asked: Interaction, command: Command) -> None:
    await open_relaunch_modal(asked, command.operation_id)


async def _relaunch_button(asked: Interaction, op_id: int) -> None:
    await open_relaunch_modal(asked, op_id)


async def open_relaunch_modal(asked: Interaction, op_id: int) -> None:
    """Open the form, once: two clicks on Relaunch (or a click and the command) race.

    The operation's action lock is held while the form opens and fills, so
    the second click is told instead; a relaunch being made (or just made)
    holds the same lock, and so does a cancel.
    """
    locks = asked.services.locks
    token = await locks.acquire(asked.team_id, op_id)
    if token is None:
        await asked.tell(notice_message(_under_way(op_id)))
        return
    try:
        await _open_and_fill(asked, op_id)
    finally:
        await locks.release(asked.team_id, op_id, token)


def _under_way(op_id: int) -> str:
    return (
        f"Operation {op_id} is already being acted on: its relaunch form is opening, "
        f"or it is being (or was just) relaunched or cancelled. See `/ops info {op_id}`."
    )


async def _open_and_fill(asked: Interaction, op_id: int) -> None:
    requester = asked.requester
    loading = relaunch_loading_modal(
        op_id, channel_id=requester.channel_id, response_url=requester.response_url
    )
    opened = await asked.open_modal(loading, command=f"/ops relaunch {op_id}")
    if opened is None:
        return
    view = await failures.or_failure(_relaunch_view(asked, op_id), FORM, failures.unexpected_modal)
    await update_view(asked.client, opened["id"], opened["hash"], view, again=AGAIN)


async def _relaunch_view(
    asked: Interaction,
    op_id: int,
    *,
    fields: list[str] | None = None,
) -> View:
    try:
        operation = await asked.services.api.info(asked.key, op_id)
    except ApiError as error:
        message = api_error_message(error, op_id=op_id, action="relaunch")
        return message_modal("Cannot relaunch", message)
    if not operation.can_relaunch:
        return notice_modal("Cannot relaunch", _not_relaunchable(operation))
    # Start from the error: the fields it names, the others behind "add a field".
    asked_for = fields_asked_for(operation)
    chosen = asked_for or choose_relaunch_fields(operation)
    if fields is not None:
        chosen = [RELAUNCH_PARAMETERS[name] for name in fields]
    others = await in_flight_view(asked, operation, warn_duplicates=True)
    form = relaunch_modal(
        operation,
        chosen,
        channel_id=asked.requester.channel_id,
        response_url=asked.requester.response_url,
    )
    return with_in_flight(mark_asked(form, [p.name for p in asked_for]), others)


def _not_relaunchable(operation: Operation) -> str:
    if operation.type not in RELAUNCHABLE_TYPES:
        kinds = ", ".join(sorted(RELAUNCHABLE_TYPES))
        return f"Operation {operation.id} is a {operation.type}; only {kinds} can be relaunched."
    return (
        f"Operation {operation.id} is in {operation.step}; "
        "only operations in ERROR can be relaunched."
    )


# --- inside the modal -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _InModal:
    """An interaction inside the relaunch modal: the view as it is, and its operation."""

    asked: Interaction
    view: View
    op_id: int


def _in_modal(services: Services, client: AsyncWebClient, body: dict[str, Any]) -> _InModal:
    view = body["view"]
    metadata = RelaunchMetadata.parse(view["private_metadata"])
    requester = Requester.of_interaction(body).opened_from(
        metadata.channel_id, metadata.response_url
    )
    return _InModal(Interaction(services, client, requester), view, metadata.operation_id)


async def _add_field(modal: _InModal, action: Action) -> None:
    asked, view = modal.asked, modal.view
    chosen = str((action.get("selected_option") or {}).get("value") or "")
    key = await asked.services.team_keys.get(asked.team_id)
    if key is None or chosen not in RELAUNCH_PARAMETERS:
        return
    fields = [*field_names_in(view), chosen]
    # What the person typed stays in the inputs: Slack keeps an input's entry
    # across views.update when its block_id and action_id stay the same
    # (docs.slack.dev/reference/views/modal-views, "Preserving input entry").
    # Drawn as initial values instead, typed values would look untouched and
    # not be sent (changed_values).
    redrawn = await _relaunch_view(asked.with_key(key), modal.op_id, fields=fields)
    await update_view(asked.client, view["id"], view.get("hash"), redrawn, again=AGAIN)


async def _submit(modal: _InModal, ack: AsyncAck) -> None:
    asked, view, op_id = modal.asked, modal.view, modal.op_id
    values = changed_values(view)
    problems = refusals(values)
    if problems:
        await ack(response_action="errors", errors=problems)
        return
    # What changed is reviewed before the API is called; nothing changed is "as is".
    work = _relaunch_with_key(asked, op_id, values, review=True)
    await _answer(asked, view["id"], op_id, work, ack)


async def _submit_reviewed(asked: Interaction, view: View, ack: AsyncAck) -> None:
    """Relaunch from the review: what it lists is sent; success closes form and review."""
    try:
        reviewed = read_reviewed(asked.services, asked, view)
    except PayloadError:
        await ack(response_action="update", view=notice_modal("Cannot relaunch", _BROKEN_REVIEW))
        return
    work = _relaunch_with_key(reviewed.asked, reviewed.op_id, reviewed.values)
    await _answer(reviewed.asked, view["id"], reviewed.op_id, work, ack, inputs=False)


_BROKEN_REVIEW = "This review cannot be read any more; run `/ops relaunch` again."


async def _answer(
    asked: Interaction,
    view_id: str,
    op_id: int,
    work: Awaitable[_Outcome],
    ack: AsyncAck,
    *,
    inputs: bool = True,
) -> None:
    """Ack a submission with ``work``'s outcome, or say it goes on and show it after.

    ``inputs``: the submitted view has the form's inputs (errors go under
    them); a review has none, so errors are shown as text.
    """

    async def acked(outcome: _Outcome) -> None:
        if outcome.errors and not inputs:
            outcome = _Outcome(view=_final_view(outcome, op_id))
        await _ack_outcome(ack, outcome)

    relaunching = notice_modal("Relaunching", f"Relaunching operation {op_id}…")
    await ack_when_done(
        ack,
        asked.client,
        view_id,
        work,
        where=FORM,
        failed=_failed,
        acked=acked,
        pending=relaunching,
        finally_shown=lambda outcome: _final_view(outcome, op_id),
        again=AGAIN,
    )


def _final_view(outcome: _Outcome, op_id: int) -> View:
    """What the modal shows once a relaunch slower than the ack's budget is over."""
    if outcome.errors:
        # The inputs are gone by now: show the refusal as text instead.
        reasons = "; ".join(f"{name}: {why}" for name, why in outcome.errors.items())
        return notice_modal("Relaunch refused", reasons)
    # A review that came too late to be pushed replaces the form (Back then closes).
    return outcome.view or outcome.push or notice_modal("Relaunched", _done(op_id))


@dataclasses.dataclass(frozen=True)
class _Outcome:
    """What to show after a relaunch: nothing (success), a view, or input errors."""

    view: View | None = None
    errors: dict[str, str] = dataclasses.field(default_factory=dict)
    relaunched: bool = False
    # The review of what changed, pushed on the form before anything is sent.
    push: View | None = None


async def _ack_outcome(ack: AsyncAck, outcome: _Outcome) -> None:
    if outcome.errors:
        await ack(response_action="errors", errors=outcome.errors)
    elif outcome.push is not None:
        await ack(response_action="push", view=outcome.push)
    elif outcome.view is not None:
        await ack(response_action="update", view=outcome.view)
    else:
        await ack(response_action="clear")


def _failed(reference: str) -> _Outcome:
    return _Outcome(view=failures.unexpected_modal(reference))


def _done(op_id: int) -> str:
    return f"Operation {op_id} was relaunched; the channel has been told."


async def _relaunch_with_key(
    asked: Interaction, op_id: int, values: dict[str, str], *, review: bool = False
) -> _Outcome:
    # Checked again at submit: the rules, or a group's members, may have changed.
    refused = await who_may_act.refusal(
        asked.services, asked.client, asked.requester, audit.RELAUNCH, fresh=True
    )
    if refused is not None:
        return _Outcome(view=not_allowed_modal(refused))
    key = await asked.services.team_keys.get(asked.team_id)
    if key is None:
        message = key_required_message()
        return _Outcome(view=message_modal("API key needed", message))
    if review:
        reviewed = await _review(asked.with_key(key), op_id, values)
        if isinstance(reviewed, _Outcome):
            return reviewed
        values = reviewed
    if await approvals.needed(asked, audit.RELAUNCH):
        asked_for = await approvals.ask_to_relaunch(asked.with_key(key), op_id, values)
        return _Outcome(view=notice_modal("Approval requested", asked_for))
    return await _relaunch_once(asked.with_key(key), op_id, values)


async def _review(
    asked: Interaction, op_id: int, values: dict[str, str]
) -> _Outcome | dict[str, str]:
    """The review to push when fields change; else the values to send (none: as is)."""
    try:
        review = await review_of(asked, op_id, values)
    except ApiError:
        # The relaunch itself will say what the API says; send what was submitted.
        return values
    if review.view is not None:
        return _Outcome(push=review.view)
    return review.values


async def _relaunch_once(asked: Interaction, op_id: int, values: dict[str, str]) -> _Outcome:
    """Two submits of one form (a double click, a retry) call operation.relaunch once.

    The lock is kept after a relaunch, so a late second submit is refused
    too; a refused relaunch lets go of it, so the form can be corrected and
    sent again.
    """
    locks = asked.services.locks
    token = await locks.acquire(asked.team_id, op_id)
    if token is None:
        return _Outcome(view=notice_modal("Already under way", _under_way(op_id)))
    outcome = await _relaunch(asked, op_id, values)
    if not outcome.relaunched:
        await locks.release(asked.team_id, op_id, token)
    return outcome


async def _relaunch(asked: Interaction, op_id: int, values: dict[str, str]) -> _Outcome:
    try:
        done = await asked.services.api.relaunch(asked.key, op_id, values)
    except ApiError as error:
        await asked.record(audit.RELAUNCH, target=str(op_id), outcome=f"error: {error.kind.value}")
        step = await _current_step(asked, op_id, error)
        return _refused(error, op_id, values, step)
    if not done:
        await asked.record(audit.RELAUNCH, target=str(op_id), outcome=audit_trail.NOT_DONE)
        return _Outcome(view=notice_modal("Not relaunched", _declined(op_id)))
    await asked.record(audit.RELAUNCH, target=str(op_id))
    announced = await _announce(asked, op_id, values)
    if announced is not None:
        # The announcement's thread follows the relaunched operation, and
        # the announcement, now its card, keeps saying who and what.
        channel, ts = announced
        relaunched = Announced(RELAUNCH, asked.user_id, tuple(changed_names(values)))
        await watch_in_thread(asked, op_id, channel=channel, ts=ts, announced=relaunched)
    return _Outcome(relaunched=True)


def _declined(op_id: int) -> str:
    return (
        f"The API answered that operation {op_id} was not relaunched: nothing changed. "
        f"Check its step with `/ops info {op_id}` before trying again."
    )


async def _current_step(asked: Interaction, op_id: int, error: ApiError) -> str | None:
    """The step that made the API refuse, so the refusal can name it."""
    if not isinstance(error, InvalidStepError):
        return None
    try:
        return (await asked.services.api.info(asked.key, op_id)).step
    except ApiError:
        return None


def _refused(error: ApiError, op_id: int, values: dict[str, str], step: str | None) -> _Outcome:
    if isinstance(error, BadParameterError):
        named = [name for name in values if name in error.message]
        if named:
            return _Outcome(errors=dict.fromkeys(named, error.message[:150]))
    if isinstance(error, TemporaryError) and error.may_have_run:
        text = (
            f"The API did not answer in time: operation {op_id} may or may not have been "
            f"relaunched. Check with `/ops info {op_id}` before trying again."
        )
        return _Outcome(view=notice_modal("Relaunch unclear", text))
    message = api_error_message(error, op_id=op_id, action="relaunch", step=step)
    return _Outcome(view=message_modal("Relaunch failed", message))


async def _announce(
    asked: Interaction, op_id: int, values: dict[str, str]
) -> tuple[str, str] | None:
    """Tell the channel, or the person when the bot may not post there: (channel, ts).

    The relaunch has happened by now: a failed announcement is logged, never
    raised, or the modal would report an error for a relaunch that was made.
    """
    message = relaunched_message(op_id, user_id=asked.user_id, params=values)
    for channel in filter(None, (asked.requester.channel_id, asked.user_id)):
        try:
            reply = await post_paced(
                asked.client,
                asked.services.pacing,
                asked.team_id,
                channel,
                text=message["text"],
                blocks=message["blocks"],
            )
            return str(reply["channel"]), str(reply["ts"])
        except SlackApiError as error:
            log.info("relaunch not announced in %s: %s", channel, error.response.get("error"))
    return None
