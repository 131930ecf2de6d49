"""Relaunching an operation in ERROR through a modal.

The modal opens within the trigger's 3 seconds with a loading view, then is
filled once the operation is fetched. Its inputs are the parameters the
catalog finds relevant for that operation; any other can be added from a
menu. Submitting sends only the filled inputs to operation.relaunch.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.api.catalog import RELAUNCH_PARAMETERS, choose_relaunch_fields
from opsbot.api.errors import ApiError, BadParameterError, InvalidStepError, TemporaryError
from opsbot.api.operation import RELAUNCHABLE_TYPES, Operation
from opsbot.services import Services
from opsbot.slack import ids, surfaces
from opsbot.slack.ack_budget import within_budget
from opsbot.slack.audit_trail import record_action
from opsbot.slack.relaunch_values import field_names_in, read_values, refusals
from opsbot.slack.replies import open_modal
from opsbot.slack.requests import Requester
from opsbot.slack.surfaces import RelaunchMetadata
from opsbot.slack.watch_commands import watch_in_thread
from opsbot.store import audit

log = logging.getLogger(__name__)

Message = dict[str, Any]


async def open_relaunch_modal(
    services: Services,
    client: AsyncWebClient,
    respond: AsyncRespond,
    requester: Requester,
    key: str,
    op_id: int,
) -> None:
    loading = surfaces.relaunch_loading_modal(
        op_id, channel_id=requester.channel_id, response_url=requester.response_url
    )
    opened = await open_modal(client, respond, requester, loading, command=f"/ops relaunch {op_id}")
    if opened is None:
        return
    view = await _relaunch_view(services, key, op_id, requester)
    await _update_view(client, opened["id"], opened["hash"], view)


async def _relaunch_view(
    services: Services,
    key: str,
    op_id: int,
    requester: Requester,
    *,
    fields: list[str] | None = None,
    typed: dict[str, str] | None = None,
) -> dict[str, Any]:
    try:
        operation = await services.api.info(key, op_id)
    except ApiError as error:
        message = surfaces.api_error_message(error, op_id=op_id, action="relaunch")
        return _message_modal("Cannot relaunch", message)
    if not operation.can_relaunch:
        return surfaces.notice_modal("Cannot relaunch", _not_relaunchable(operation))
    if typed:
        # Keep what the person already typed when the modal is redrawn.
        operation = dataclasses.replace(operation, params={**operation.params, **typed})
    chosen = choose_relaunch_fields(operation)
    if fields is not None:
        chosen = [RELAUNCH_PARAMETERS[name] for name in fields]
    chosen_names = {parameter.name for parameter in chosen}
    return surfaces.relaunch_modal(
        operation,
        chosen,
        extra_choices=[p for p in RELAUNCH_PARAMETERS.values() if p.name not in chosen_names],
        channel_id=requester.channel_id,
        response_url=requester.response_url,
    )


def _not_relaunchable(operation: Operation) -> str:
    if operation.type not in RELAUNCHABLE_TYPES:
        kinds = ", ".join(sorted(RELAUNCHABLE_TYPES))
        return f"Operation {operation.id} is a {operation.type}; only {kinds} can be relaunched."
    return (
        f"Operation {operation.id} is in {operation.step}; "
        "only operations in ERROR can be relaunched."
    )


def _message_modal(title: str, message: Message) -> dict[str, Any]:
    """A modal showing ``message``'s blocks: its plain words and the API's own.

    The blocks are already escaped and within limits; giving their text to
    notice_modal instead would escape it a second time ("&amp;lt;").
    """
    return {**surfaces.notice_modal(title, message["text"]), "blocks": message["blocks"]}


async def _update_view(
    client: AsyncWebClient, view_id: str, view_hash: str | None, view: dict[str, Any]
) -> None:
    try:
        await client.views_update(view_id=view_id, hash=view_hash, view=view)
    except SlackApiError as error:
        # hash_conflict: the modal changed meanwhile (closed, or redrawn); leave it.
        log.info("relaunch modal not updated: %s", error.response.get("error"))


def register(app: AsyncApp, services: Services) -> None:
    @app.action(ids.ACTION_ADD_FIELD)
    async def add_field(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await _add_field(services, body, client)

    @app.view(ids.CALLBACK_RELAUNCH)
    async def submit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await _submit(services, ack, body, client)


async def _add_field(services: Services, body: dict[str, Any], client: AsyncWebClient) -> None:
    view = body["view"]
    metadata = RelaunchMetadata.from_json(view["private_metadata"])
    requester = _requester(body, metadata)
    chosen = str((body["actions"][0].get("selected_option") or {}).get("value") or "")
    key = await services.team_keys.get(requester.team_id)
    if key is None or chosen not in RELAUNCH_PARAMETERS:
        return
    fields = [*field_names_in(view), chosen]
    redrawn = await _relaunch_view(
        services, key, metadata.operation_id, requester, fields=fields, typed=read_values(view)
    )
    await _update_view(client, view["id"], view.get("hash"), redrawn)


def _requester(body: dict[str, Any], metadata: RelaunchMetadata) -> Requester:
    requester = Requester.of_interaction(body)
    return dataclasses.replace(
        requester, channel_id=metadata.channel_id, response_url=metadata.response_url
    )


async def _submit(
    services: Services, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
) -> None:
    view = body["view"]
    metadata = RelaunchMetadata.from_json(view["private_metadata"])
    requester = _requester(body, metadata)
    values = read_values(view)
    problems = refusals(values)
    if problems:
        await ack(response_action="errors", errors=problems)
        return
    # Redis, the API and Slack are all asked inside the ack's budget.
    work = _relaunch_with_key(services, client, requester, metadata.operation_id, values)
    in_time, call = await within_budget(work)
    if in_time:
        await _ack_outcome(ack, call.result())
        return
    relaunching = f"Relaunching operation {metadata.operation_id}…"
    await ack(response_action="update", view=surfaces.notice_modal("Relaunching", relaunching))
    outcome = await call
    if outcome.errors:
        # The inputs are gone by now: show the refusal as text instead.
        reasons = "; ".join(f"{name}: {why}" for name, why in outcome.errors.items())
        final = surfaces.notice_modal("Relaunch refused", reasons)
    else:
        final = outcome.view or surfaces.notice_modal("Relaunched", _done(metadata.operation_id))
    await _update_view(client, view["id"], None, final)


@dataclasses.dataclass(frozen=True)
class _Outcome:
    """What to show after a relaunch: nothing (success), a view, or input errors."""

    view: dict[str, Any] | None = None
    errors: dict[str, str] = dataclasses.field(default_factory=dict)


async def _ack_outcome(ack: AsyncAck, outcome: _Outcome) -> None:
    if outcome.errors:
        await ack(response_action="errors", errors=outcome.errors)
    elif outcome.view is not None:
        await ack(response_action="update", view=outcome.view)
    else:
        await ack(response_action="clear")


def _done(op_id: int) -> str:
    return f"Operation {op_id} was relaunched; the channel has been told."


async def _relaunch_with_key(
    services: Services,
    client: AsyncWebClient,
    requester: Requester,
    op_id: int,
    values: dict[str, str],
) -> _Outcome:
    key = await services.team_keys.get(requester.team_id)
    if key is None:
        message = surfaces.key_required_message()
        return _Outcome(view=_message_modal("API key needed", message))
    return await _relaunch(services, client, requester, key, op_id, values)


async def _relaunch(
    services: Services,
    client: AsyncWebClient,
    requester: Requester,
    key: str,
    op_id: int,
    values: dict[str, str],
) -> _Outcome:
    try:
        await services.api.relaunch(key, op_id, values)
    except ApiError as error:
        outcome = f"error: {error.kind.value}"
        await record_action(
            services, client, requester, action=audit.RELAUNCH, target=str(op_id), outcome=outcome
        )
        step = await _current_step(services, key, op_id, error)
        return _refused(error, op_id, values, step)
    await record_action(services, client, requester, action=audit.RELAUNCH, target=str(op_id))
    announced = await _announce(client, requester, op_id, values)
    if announced is not None:
        # The announcement's thread follows the relaunched operation.
        channel, ts = announced
        await watch_in_thread(services, client, requester, op_id, channel=channel, ts=ts)
    return _Outcome()


async def _current_step(services: Services, key: str, op_id: int, error: ApiError) -> str | None:
    """The step that made the API refuse, so the refusal can name it."""
    if not isinstance(error, InvalidStepError):
        return None
    try:
        return (await services.api.info(key, op_id)).step
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
        return _Outcome(view=surfaces.notice_modal("Relaunch unclear", text))
    message = surfaces.api_error_message(error, op_id=op_id, action="relaunch", step=step)
    return _Outcome(view=_message_modal("Relaunch failed", message))


async def _announce(
    client: AsyncWebClient, requester: Requester, op_id: int, values: dict[str, str]
) -> tuple[str, str] | None:
    """Tell the channel, or the person when the bot may not post there: (channel, ts).

    The relaunch has happened by now: a failed announcement is logged, never
    raised, or the modal would report an error for a relaunch that was made.
    """
    message = surfaces.relaunched_message(op_id, user_id=requester.user_id, params=values)
    for channel in filter(None, (requester.channel_id, requester.user_id)):
        try:
            reply = await client.chat_postMessage(
                channel=channel, text=message["text"], blocks=message["blocks"]
            )
            return str(reply["channel"]), str(reply["ts"])
        except SlackApiError as error:
            log.info("relaunch not announced in %s: %s", channel, error.response.get("error"))
    return None
