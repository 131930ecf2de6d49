"""``/ops key``: set (through a modal), status and remove the team's API key.

The key is typed into a modal, never into a channel, is tried against the
API before it is stored, and is never shown again: status shows who set it,
when, and a short fingerprint.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.api.api_key import API_KEY_LENGTH, looks_like_api_key
from opsbot.api.errors import ApiError, AuthorizationError, BadParameterError
from opsbot.services import Services
from opsbot.slack import ids, surfaces
from opsbot.slack.ack_budget import within_budget
from opsbot.slack.audit_trail import record_action
from opsbot.slack.permissions import is_key_admin
from opsbot.slack.replies import open_modal, respond_privately
from opsbot.slack.requests import Requester
from opsbot.store import audit
from opsbot.watching import resume_watching

log = logging.getLogger(__name__)

ADMINS_ONLY: Final = (
    "Only workspace admins and owners (or people listed in OPSBOT_ADMINS) "
    "can change the team's API key."
)


async def handle_key_command(
    services: Services,
    client: AsyncWebClient,
    respond: AsyncRespond,
    requester: Requester,
    action: str,
) -> None:
    if action == "status":
        status = await services.team_keys.status(requester.team_id)
        await respond_privately(respond, surfaces.key_status_message(status), replace=False)
    elif action == "remove":
        await _remove_key(services, client, respond, requester)
    else:
        await _open_key_modal(services, client, respond, requester)


async def _open_key_modal(
    services: Services, client: AsyncWebClient, respond: AsyncRespond, requester: Requester
) -> None:
    # The trigger expires 3 s after the command: open first, check the right after.
    view = await open_modal(client, respond, requester, surfaces.key_modal(), command="/ops key")
    if view is None or await is_key_admin(client, services.settings, requester.user_id):
        return
    await client.views_update(
        view_id=view["id"],
        hash=view["hash"],
        view=surfaces.notice_modal("Not allowed", ADMINS_ONLY),
    )


async def _remove_key(
    services: Services, client: AsyncWebClient, respond: AsyncRespond, requester: Requester
) -> None:
    if not await is_key_admin(client, services.settings, requester.user_id):
        await respond_privately(respond, surfaces.error_message(ADMINS_ONLY), replace=False)
        return
    removed = await services.team_keys.remove(requester.team_id)
    await record_action(
        services,
        client,
        requester,
        action=audit.KEY_REMOVE,
        outcome=audit.OK if removed else "no key",
    )
    text = "The team's API key is removed." if removed else "No API key was set."
    await respond_privately(respond, surfaces.notice_message(text), replace=False)


def register(app: AsyncApp, services: Services) -> None:
    @app.view(ids.CALLBACK_API_KEY)
    async def submit_key(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await _submit_key(services, ack, body, client)


async def _submit_key(
    services: Services, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
) -> None:
    requester = Requester.of_interaction(body)
    api_key = _typed_key(body)
    if not looks_like_api_key(api_key):
        await ack(response_action="errors", errors={ids.BLOCK_API_KEY: _format_hint(api_key)})
        return
    # Slack, the API and Redis are all asked inside the ack's budget.
    in_time, work = await within_budget(_check_and_save(services, client, requester, api_key))
    if in_time:
        outcome = work.result()
        if isinstance(outcome, str):
            await ack(response_action="errors", errors={ids.BLOCK_API_KEY: outcome})
        else:
            await ack(response_action="update", view=outcome)
        return
    await ack(
        response_action="update",
        view=surfaces.notice_modal("Checking the key", "Asking the API whether it knows this key…"),
    )
    outcome = await work
    view = surfaces.key_modal(error=outcome) if isinstance(outcome, str) else outcome
    try:
        await client.views_update(view_id=body["view"]["id"], view=view)
    except SlackApiError as error:
        log.warning("could not update the key modal: %s", error.response.get("error"))


def _typed_key(body: dict[str, Any]) -> str:
    values = body.get("view", {}).get("state", {}).get("values", {})
    state = values.get(ids.BLOCK_API_KEY, {}).get(ids.ACTION_VALUE, {})
    return str(state.get("value") or "").strip()


def _format_hint(typed: str) -> str:
    # Describe what is wrong without repeating what was typed.
    if len(typed) != API_KEY_LENGTH:
        return f"An API key has {API_KEY_LENGTH} characters; this has {len(typed)}."
    return "An API key has only lowercase letters and digits."


async def _check_and_save(
    services: Services, client: AsyncWebClient, requester: Requester, api_key: str
) -> str | dict[str, Any]:
    """Why the key is refused, or the view saying it is saved."""
    if not await is_key_admin(client, services.settings, requester.user_id):
        return ADMINS_ONLY
    refusal = await _refusal(services, api_key)
    if refusal:
        return refusal
    return await _save(services, client, requester, api_key)


async def _refusal(services: Services, api_key: str) -> str | None:
    """None when the API accepts the key, else why it does not, in its words."""
    try:
        await services.api.count(api_key, {"id": [0]})
    except (AuthorizationError, BadParameterError) as error:
        return f"The API refused this key: {error.message}"
    except ApiError as error:
        return f"Could not check the key ({error.message}); please try again."
    return None


async def _save(
    services: Services, client: AsyncWebClient, requester: Requester, api_key: str
) -> dict[str, Any]:
    status = await services.team_keys.set(requester.team_id, api_key, requester.user_id)
    await record_action(
        services, client, requester, action=audit.KEY_SET, target=status.fingerprint
    )
    # Watches paused for want of a key pick up where they were.
    await resume_watching(services, requester.team_id)
    return surfaces.notice_modal(
        "API key saved",
        f"The team's API key is set (fingerprint `{status.fingerprint}`). "
        "It is stored encrypted and will not be shown again.",
    )
