"""``/ops config``: a workspace admin sets the team's guardrails in a modal.

The modal opens within the trigger's 3 seconds with a loading view; then
the admin right is checked (as for ``/ops key``), the workspace's user
groups are listed and the modal is filled. Submitting checks the right again,
stores the rules, and records what changed in the audit trail.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.services import Services
from opsbot.slack import failures
from opsbot.slack.ack_budget import within_budget
from opsbot.slack.grammar import Command
from opsbot.slack.interaction import Interaction
from opsbot.slack.permissions import KeyRight, key_right
from opsbot.slack.requests import Requester
from opsbot.store import audit
from opsbot.ui import ids
from opsbot.ui.common import notice_modal
from opsbot.ui.guardrails import (
    UserGroup,
    config_loading_modal,
    config_modal,
    config_saved_modal,
    describe_changes,
    read_config,
)

log = logging.getLogger(__name__)

View = dict[str, Any]
FORM: Final = "the settings form"
ADMINS_ONLY: Final = (
    "Only workspace admins and owners (or people listed in OPSBOT_ADMINS) "
    "can change opsbot's settings."
)
NOT_CHECKED: Final = (
    "Slack could not tell us just now whether you may change opsbot's settings, "
    "so nothing was changed. Please try again in a minute."
)
_REFUSALS: Final = {
    KeyRight.REFUSED: ("Not allowed", ADMINS_ONLY),
    KeyRight.UNKNOWN: ("Please try again", NOT_CHECKED),
}
# Why user groups cannot be chosen, by Slack's answer to usergroups.list.
_GROUPS_NOTES: Final = {
    "plan_upgrade_required": "User groups need a paid Slack plan: choose people instead.",
    "missing_scope": (
        "opsbot was installed without the usergroups:read permission: "
        "reinstall it to choose user groups. People can be chosen meanwhile."
    ),
}


def register(app: AsyncApp, services: Services) -> None:
    @app.view(ids.CALLBACK_CONFIG)
    async def submit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        asked = Interaction(services, client, Requester.of_interaction(body))
        await _submit(asked, ack, body["view"])


async def config_command(asked: Interaction, _command: Command) -> None:
    # The trigger expires 3 s after the command: open first, then look things up.
    opened = await asked.open_modal(config_loading_modal(), command="/ops config")
    if opened is None:
        return
    view = await failures.or_failure(_config_view(asked), FORM, failures.unexpected_modal)
    await _update(asked.client, opened["id"], view, view_hash=opened["hash"])


async def _refusal(asked: Interaction) -> View | None:
    """None when the person may change the settings, else the modal saying why not."""
    right = await key_right(asked.client, asked.services.settings, asked.user_id)
    refused = _REFUSALS.get(right)
    return None if refused is None else notice_modal(*refused)


async def _config_view(asked: Interaction) -> View:
    refused = await _refusal(asked)
    if refused is not None:
        return refused
    rules = await asked.services.guardrails.get(asked.team_id)
    groups, note = await _user_groups(asked.client)
    return config_modal(rules, groups, groups_note=note)


async def _user_groups(client: AsyncWebClient) -> tuple[list[UserGroup], str | None]:
    """The workspace's user groups, or none and why they cannot be chosen."""
    try:
        reply = await client.usergroups_list()
    except SlackApiError as error:
        reason = str(error.response.get("error") or "no reason given")
        log.info("usergroups.list failed for the settings form: %s", reason)
        return [], _GROUPS_NOTES.get(reason, _unlisted(reason))
    except (SlackClientError, TimeoutError, OSError) as error:
        return [], _unlisted(type(error).__name__)
    groups = [
        UserGroup(str(group.get("id")), str(group.get("handle") or group.get("name") or ""))
        for group in reply.get("usergroups") or []
        if isinstance(group, dict)
    ]
    note = None if groups else "This workspace has no user groups: choose people instead."
    return groups, note


def _unlisted(reason: str) -> str:
    return (
        f"Slack would not list the user groups just now ({reason}); the groups already "
        "chosen are kept. Choose people, or open `/ops config` again later."
    )


async def _submit(asked: Interaction, ack: AsyncAck, view: View) -> None:
    work = failures.or_failure(_check_and_save(asked, view), FORM, failures.unexpected_modal)
    in_time, call = await within_budget(work)
    if in_time:
        outcome = call.result()
        if "type" in outcome:
            await ack(response_action="update", view=outcome)
        else:
            await ack(response_action="errors", errors=outcome)
        return
    await ack(response_action="update", view=notice_modal("Saving", "Saving the settings…"))
    outcome = await call
    shown = outcome if "type" in outcome else notice_modal("Not saved", _as_text(outcome))
    async with failures.reported(FORM, failures.in_modal(asked.client, view["id"])):
        await _update(asked.client, view["id"], shown)


def _as_text(errors: dict[str, str]) -> str:
    return " ".join(errors.values())


async def _check_and_save(asked: Interaction, view: View) -> View | dict[str, str]:
    """The view to show once saved (or refused), or the errors to show under the inputs."""
    refused = await _refusal(asked)  # checked again: the right may have gone meanwhile
    if refused is not None:
        return refused
    previous = await asked.services.guardrails.get(asked.team_id)
    rules, errors = read_config(view, previous)
    if errors:
        return errors
    replaced = await asked.services.guardrails.set(asked.team_id, rules)
    changes = describe_changes(replaced, rules)
    await asked.record(audit.CONFIG, detail="; ".join(changes) or "no change")
    return config_saved_modal(changes)


async def _update(
    client: AsyncWebClient, view_id: str, view: View, *, view_hash: str | None = None
) -> None:
    try:
        await client.views_update(view_id=view_id, hash=view_hash, view=view)
    except SlackApiError as error:
        # hash_conflict: the modal was closed or changed meanwhile; leave it.
        log.info("settings modal not updated: %s", error.response.get("error"))
