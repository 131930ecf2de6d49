"""``/ops key``: set (through a modal), status and remove the team's API key.

The key is typed into a modal, never into a channel, is tried against the
API before it is stored, and is never shown again: status shows who set it,
when, and a short fingerprint. Watches paused for want of a key carry on
once a working one is set.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.api.client import OperationClient
from opsbot.api.errors import ApiError, AuthorizationError, BadParameterError
from opsbot.api_key import API_KEY_LENGTH, looks_like_api_key
from opsbot.services import Services
from opsbot.slack import failures
from opsbot.slack.ack_budget import within_budget
from opsbot.slack.grammar import Command
from opsbot.slack.interaction import Interaction
from opsbot.slack.permissions import KeyRight, key_right
from opsbot.slack.requests import Requester
from opsbot.store import audit
from opsbot.ui import ids
from opsbot.ui.common import error_message, notice_message, notice_modal
from opsbot.ui.team_key import key_modal, key_status_message
from opsbot.watching import resume_watching

log = logging.getLogger(__name__)

ADMINS_ONLY: Final = (
    "Only workspace admins and owners (or people listed in OPSBOT_ADMINS) "
    "can change the team's API key."
)
NOT_CHECKED: Final = (
    "Slack could not tell us just now whether you may change the team's API key, "
    "so nothing was changed. Please try again in a minute."
)
# Why a key change is refused, by the answer to "may this person change it?":
# the modal's title, and the words shown.
_REFUSALS: Final = {
    KeyRight.REFUSED: ("Not allowed", ADMINS_ONLY),
    KeyRight.UNKNOWN: ("Please try again", NOT_CHECKED),
}

View = dict[str, Any]
# Where an unexpected error happened, in the log line that gives its reference.
FORM = "the API key form"


def register(app: AsyncApp, services: Services) -> None:
    @app.view(ids.CALLBACK_API_KEY)
    async def submit_key(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        asked = Interaction(services, client, Requester.of_interaction(body))
        await _submit_key(asked, ack, body["view"])


async def key_command(asked: Interaction, command: Command) -> None:
    if command.key_action == "status":
        status = await asked.services.team_keys.status(asked.team_id)
        await asked.tell(key_status_message(status))
    elif command.key_action == "remove":
        await _remove_key(asked)
    else:
        await _open_key_modal(asked)


async def _refusal(asked: Interaction) -> tuple[str, str] | None:
    """None when the person may change the key; else the (title, words) saying why not."""
    right = await key_right(asked.client, asked.services.settings, asked.user_id)
    return _REFUSALS.get(right)


async def _open_key_modal(asked: Interaction) -> None:
    # The trigger expires 3 s after the command: open first, check the right after.
    view = await asked.open_modal(key_modal(), command="/ops key")
    if view is None:
        return
    refusal = await _refusal(asked)
    if refusal is None:
        return
    title, text = refusal
    await asked.client.views_update(
        view_id=view["id"], hash=view["hash"], view=notice_modal(title, text)
    )


async def _remove_key(asked: Interaction) -> None:
    refusal = await _refusal(asked)
    if refusal is not None:
        await asked.tell(error_message(refusal[1]))
        return
    removed = await asked.services.team_keys.remove(asked.team_id)
    await asked.record(audit.KEY_REMOVE, outcome=audit.OK if removed else "no key")
    text = "The team's API key is removed." if removed else "No API key was set."
    await asked.tell(notice_message(text))


async def _submit_key(asked: Interaction, ack: AsyncAck, view: View) -> None:
    api_key = _typed_key(view)
    if not looks_like_api_key(api_key):
        await ack(response_action="errors", errors={ids.BLOCK_API_KEY: _format_hint(api_key)})
        return
    # Slack, the API and Redis are all asked inside the ack's budget.
    checked = failures.or_failure(_check_and_save(asked, api_key), FORM, failures.unexpected_modal)
    in_time, work = await within_budget(checked)
    if in_time:
        outcome = work.result()
        if isinstance(outcome, str):
            await ack(response_action="errors", errors={ids.BLOCK_API_KEY: outcome})
        else:
            await ack(response_action="update", view=outcome)
        return
    await ack(
        response_action="update",
        view=notice_modal("Checking the key", "Asking the API whether it knows this key…"),
    )
    outcome = await work
    shown = key_modal(error=outcome) if isinstance(outcome, str) else outcome
    # Past the ack, the modal is the only place left to say anything.
    async with failures.reported(FORM, failures.in_modal(asked.client, view["id"])):
        try:
            await asked.client.views_update(view_id=view["id"], view=shown)
        except SlackApiError as error:
            log.warning("could not update the key modal: %s", error.response.get("error"))


def _typed_key(view: View) -> str:
    values = view.get("state", {}).get("values", {})
    state = values.get(ids.BLOCK_API_KEY, {}).get(ids.ACTION_VALUE, {})
    return str(state.get("value") or "").strip()


def _format_hint(typed: str) -> str:
    # Describe what is wrong without repeating what was typed.
    if len(typed) != API_KEY_LENGTH:
        return f"An API key has {API_KEY_LENGTH} characters; this has {len(typed)}."
    return "An API key has only lowercase letters and digits."


async def _check_and_save(asked: Interaction, api_key: str) -> str | View:
    """Why the key is refused, or the view saying it is saved."""
    not_allowed = await _refusal(asked)
    if not_allowed is not None:
        return not_allowed[1]
    refused = await _api_refusal(asked.services.api, api_key)
    if refused:
        return refused
    return await _save(asked, api_key)


async def _api_refusal(api: OperationClient, api_key: str) -> str | None:
    """None when the API accepts the key, else why it does not, in its words."""
    try:
        await api.count(api_key, {"id": [0]})
    except (AuthorizationError, BadParameterError) as error:
        return f"The API refused this key: {error.message}"
    except ApiError as error:
        return f"Could not check the key ({error.message}); please try again."
    return None


async def _save(asked: Interaction, api_key: str) -> View:
    status = await asked.services.team_keys.set(asked.team_id, api_key, asked.user_id)
    await asked.record(audit.KEY_SET, target=status.fingerprint)
    # Watches paused for want of a key pick up where they were.
    await resume_watching(asked.services, asked.team_id)
    return notice_modal(
        "API key saved",
        f"The team's API key is set (fingerprint `{status.fingerprint}`). "
        "It is stored encrypted and will not be shown again.",
    )
