"""What Slack sends the app, field for field, built from the workspace's state.

Slash commands are flat string fields; interactivity payloads
(``block_actions``, ``view_submission``, ``view_closed``,
``block_suggestion``) and events are JSON objects. In an Enterprise Grid org
every payload names the enterprise (``enterprise_id`` / ``enterprise``), which
is how an app finds the installation it stored under (enterprise_id,
team_id). docs.slack.dev/reference/interaction-payloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opsbot.workspace.state import Channel, Installation, Team, User, View
from opsbot.workspace.workspace import VERIFICATION_TOKEN, Workspace

JSON = dict[str, Any]


@dataclass(frozen=True)
class Actor:
    """Who acts, in which workspace (the app's installation there) and channel."""

    app_id: str
    team: Team
    user: User
    installation: Installation
    channel: Channel | None = None


@dataclass(frozen=True)
class Issued:
    """What Slack issues with an interaction: a trigger_id, and a response_url if any."""

    trigger_id: str | None = None
    response_url: str | None = None


def slash_command(actor: Actor, command: str, text: str, issued: Issued) -> dict[str, str]:
    assert actor.channel is not None
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": actor.team.id,
        "team_domain": actor.team.domain,
        "channel_id": actor.channel.id,
        "channel_name": actor.channel.name,
        "user_id": actor.user.id,
        "user_name": actor.user.name,
        "command": command,
        "text": text,
        "api_app_id": actor.app_id,
        "is_enterprise_install": str(actor.installation.is_enterprise_install).lower(),
        "response_url": issued.response_url or "",
        "trigger_id": issued.trigger_id or "",
    }
    if actor.team.enterprise_id:
        fields["enterprise_id"] = actor.team.enterprise_id
        fields["enterprise_name"] = actor.team.enterprise_name or actor.team.enterprise_id
    return fields


def message_actions(actor: Actor, message: JSON, actions: list[JSON], issued: Issued) -> JSON:
    """A click in a message; ``message`` is its current JSON (``is_ephemeral`` for private ones)."""
    assert actor.channel is not None
    ephemeral = bool(message.get("is_ephemeral"))
    container = {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": actor.channel.id,
        "is_ephemeral": ephemeral,
    }
    if message.get("thread_ts"):
        container["thread_ts"] = message["thread_ts"]
    payload = _interaction(actor, "block_actions")
    payload.update(
        container=container,
        trigger_id=issued.trigger_id,
        channel={"id": actor.channel.id, "name": actor.channel.name},
        state={"values": {}},
        response_url=issued.response_url,
        actions=actions,
    )
    if not ephemeral:
        # Slack leaves an ephemeral message out of the payload; the safe reading
        # is that an app never gets it, so it cannot come to rely on it.
        payload["message"] = message
    return payload


def view_actions(actor: Actor, view: View, actions: list[JSON], trigger_id: str) -> JSON:
    """A click or choice inside a modal or Home tab: no channel, no response_url."""
    payload = _interaction(actor, "block_actions")
    payload.update(
        container={"type": "view", "view_id": view.id},
        trigger_id=trigger_id,
        view=view.as_slack(),
        actions=actions,
    )
    return payload


def view_submission(actor: Actor, view: View, trigger_id: str) -> JSON:
    payload = _interaction(actor, "view_submission")
    payload.update(trigger_id=trigger_id, view=view.as_slack(), response_urls=[])
    return payload


def view_closed(actor: Actor, view: View, *, cleared: bool) -> JSON:
    payload = _interaction(actor, "view_closed")
    payload.update(view=view.as_slack(), is_cleared=cleared)
    return payload


def block_suggestion(actor: Actor, where: JSON, action: JSON, value: str) -> JSON:
    """Typing in an external select.

    ``where`` is ``{"view": …}`` in a modal, ``{"channel": …, "message": …}`` in a message.
    """
    payload = _interaction(actor, "block_suggestion")
    payload.update(where, action_id=action["action_id"], block_id=action["block_id"], value=value)
    return payload


def event_callback(workspace: Workspace, installation: Installation, event: JSON) -> JSON:
    now = workspace.clock()
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": installation.team_id,
        "enterprise_id": installation.enterprise_id,
        "api_app_id": workspace.app.app_id,
        "event": {"event_ts": f"{now:.6f}", **event},
        "type": "event_callback",
        "event_id": workspace.ids.of("Ev"),
        "event_time": int(now),
        "authorizations": [
            {
                "enterprise_id": installation.enterprise_id,
                "team_id": installation.team_id,
                "user_id": installation.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": installation.is_enterprise_install,
            }
        ],
        "is_ext_shared_channel": False,
    }


def url_verification(challenge: str) -> JSON:
    return {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}


def _interaction(actor: Actor, kind: str) -> JSON:
    team: JSON = {"id": actor.team.id, "domain": actor.team.domain}
    if actor.team.enterprise_id:
        team.update(
            enterprise_id=actor.team.enterprise_id, enterprise_name=actor.team.enterprise_name
        )
    return {
        "type": kind,
        "token": VERIFICATION_TOKEN,
        "api_app_id": actor.app_id,
        "team": team,
        "user": {
            "id": actor.user.id,
            "username": actor.user.name,
            "name": actor.user.name,
            "team_id": actor.user.team_id,
        },
        "enterprise": actor.team.enterprise(),
        "is_enterprise_install": actor.installation.is_enterprise_install,
    }
