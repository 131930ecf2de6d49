"""Requests built and signed exactly as Slack sends them to ``POST /slack/events``.

Slash commands and interactivity arrive form-encoded (interactivity as a single
``payload`` field holding JSON); the Events API arrives as JSON. Every request
carries ``X-Slack-Request-Timestamp`` and ``X-Slack-Signature``, an HMAC-SHA256
of ``v0:{timestamp}:{body}`` under the app's signing secret.

The ids below describe the one test workspace; ``FakeSlack`` answers for the
same team, bot and app by default, so bodies and Web API answers agree.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import urlencode

import aiohttp

TEAM_ID = "T0123"
TEAM_DOMAIN = "opsbot-tests"
USER_ID = "U0123"
CHANNEL_ID = "C0123"
CHANNEL_NAME = "ops"
API_APP_ID = "A0123"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
TRIGGER_ID = "1700000000.123.abcdef"
MESSAGE_TS = "1700000000.000100"
VIEW_ID = "V0000000001"
# The deprecated verification token: Slack still sends it, bolt ignores it.
VERIFICATION_TOKEN = "legacy-verification-token"

JSON = dict[str, Any]
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
JSON_CONTENT_TYPE = "application/json"

_event_ids = itertools.count(1)


def sign(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The two headers Slack adds to a request whose raw body is ``body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass(frozen=True)
class Sender:
    """Who sends a request, and from where; the defaults are the one test workspace."""

    team_id: str = TEAM_ID
    user_id: str = USER_ID
    channel_id: str = CHANNEL_ID
    trigger_id: str = TRIGGER_ID
    channel_name: str = CHANNEL_NAME


SENDER = Sender()


# --- slash commands -------------------------------------------------------------


def slash_command_body(
    text: str, *, response_url: str, command: str = "/ops", sender: Sender = SENDER
) -> str:
    """A slash command, form-encoded with the fields Slack sends."""
    return urlencode(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": sender.team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": sender.channel_id,
            "channel_name": sender.channel_name,
            "user_id": sender.user_id,
            "user_name": _user_name(sender.user_id),
            "command": command,
            "text": text,
            "api_app_id": API_APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": sender.trigger_id,
        }
    )


# --- interactivity --------------------------------------------------------------


def block_actions_body(
    action_id: str,
    value: str | None,
    *,
    response_url: str | None = None,
    sender: Sender = SENDER,
    message_ts: str = MESSAGE_TS,
    message: JSON | None = None,
) -> str:
    """A click on a button (``value``) of a message in the sender's channel."""
    payload = _block_actions(_button(action_id, value), sender)
    payload["container"] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": sender.channel_id,
        "is_ephemeral": False,
    }
    payload["channel"] = {"id": sender.channel_id, "name": sender.channel_name}
    payload["message"] = message or {"type": "message", "ts": message_ts, "text": ""}
    payload["state"] = {"values": {}}
    if response_url is not None:
        payload["response_url"] = response_url
    return _form_payload(payload)


def view_select_body(
    view: JSON,
    action_id: str,
    selected_option: JSON,
    *,
    block_id: str = "b",
    sender: Sender = SENDER,
) -> str:
    """A choice in a select of a modal (``view`` as ``FakeSlack.view`` returns it).

    As Slack does, the payload then has no channel, message or response_url.
    """
    payload = _block_actions(_select(action_id, block_id, selected_option), sender)
    payload["container"] = {"type": "view", "view_id": view["id"]}
    payload["view"] = view
    return _form_payload(payload)


def _block_actions(action: JSON, sender: Sender) -> JSON:
    return {
        "type": "block_actions",
        "token": VERIFICATION_TOKEN,
        "api_app_id": API_APP_ID,
        "team": {"id": sender.team_id, "domain": TEAM_DOMAIN},
        "user": _user(sender.user_id, sender.team_id),
        "enterprise": None,
        "is_enterprise_install": False,
        "trigger_id": sender.trigger_id,
        "actions": [action],
    }


def view_submission_body(
    callback_id: str,
    values: Mapping[str, Mapping[str, JSON]],
    *,
    private_metadata: str = "",
    view_id: str = VIEW_ID,
    view_hash: str = "1700000000.00000001",
    sender: Sender = SENDER,
) -> str:
    """A modal's submit: ``values`` maps block_id → action_id → element state.

    Build element states with ``plain_text_state``, ``static_select_state`` and
    ``datepicker_state``.
    """
    team_id = sender.team_id
    view: JSON = {
        "id": view_id,
        "team_id": team_id,
        "app_installed_team_id": team_id,
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": private_metadata,
        "blocks": [],
        "state": {"values": {block: dict(actions) for block, actions in values.items()}},
        "hash": view_hash,
        "title": {"type": "plain_text", "text": "opsbot"},
        "root_view_id": view_id,
        "previous_view_id": None,
        "external_id": "",
        "app_id": API_APP_ID,
        "bot_id": BOT_ID,
    }
    payload: JSON = {
        "type": "view_submission",
        "token": VERIFICATION_TOKEN,
        "api_app_id": API_APP_ID,
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": _user(sender.user_id, team_id),
        "enterprise": None,
        "is_enterprise_install": False,
        "trigger_id": sender.trigger_id,
        "view": view,
        "response_urls": [],
    }
    return _form_payload(payload)


def option(value: str, label: str | None = None) -> JSON:
    """A select option as Slack echoes it in ``selected_option``."""
    return {"text": {"type": "plain_text", "text": label or value, "emoji": True}, "value": value}


def plain_text_state(value: str | None) -> JSON:
    """A ``plain_text_input``'s state; Slack sends ``None`` for an empty input."""
    return {"type": "plain_text_input", "value": value}


def static_select_state(value: str | None, label: str | None = None) -> JSON:
    """A ``static_select``'s state; ``None`` when nothing was chosen."""
    if value is None:
        return {"type": "static_select", "selected_option": None}
    return {"type": "static_select", "selected_option": option(value, label)}


def datepicker_state(selected_date: str | None) -> JSON:
    """A ``datepicker``'s state, ``selected_date`` as ``YYYY-MM-DD``."""
    return {"type": "datepicker", "selected_date": selected_date}


# --- Events API -----------------------------------------------------------------


def event_body(event: JSON, *, team_id: str = TEAM_ID) -> str:
    """An ``event_callback`` envelope around ``event`` (app_uninstalled, tokens_revoked…)."""
    envelope = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{next(_event_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
    return json.dumps(envelope)


def app_uninstalled_event() -> JSON:
    return {"type": "app_uninstalled", "event_ts": f"{time.time():.6f}"}


def tokens_revoked_event(bot_user_ids: list[str], user_ids: list[str] | None = None) -> JSON:
    tokens = {"bot": bot_user_ids, "oauth": user_ids or []}
    return {"type": "tokens_revoked", "tokens": tokens, "event_ts": f"{time.time():.6f}"}


def url_verification_body(challenge: str = "challenge-token") -> str:
    """The handshake Slack sends when an Events API request URL is saved."""
    return json.dumps(
        {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
    )


# --- sending --------------------------------------------------------------------


@dataclass(frozen=True)
class EventsReply:
    """What the app answered to one request, and how long it took."""

    status: int
    text: str
    content_type: str
    elapsed: float

    def json(self) -> Any:
        return json.loads(self.text)


class Deliverer(Protocol):
    """What Slack does to a request before sending it (``FakeSlack.deliver``)."""

    def deliver(self, body: str) -> str: ...


class SlackClient:
    """Posts signed bodies to an app's ``/slack/events`` as Slack would.

    ``async with SlackClient(base_url, secret) as slack_client:`` owns its
    aiohttp session unless one is given. With ``slack`` (the tests' local
    workspace), each body first gets what Slack adds to it: a fresh
    trigger_id, a response_url tied to the message clicked.
    """

    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        *,
        path: str = "/slack/events",
        session: aiohttp.ClientSession | None = None,
        slack: Deliverer | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + path
        self._secret = signing_secret
        self._slack = slack
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> SlackClient:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def post(
        self,
        body: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> EventsReply:
        """Sign ``body`` (with ``secret`` instead of the app's, to forge one) and post it.

        ``timestamp`` lets a test send a stale request; ``headers`` are added
        last, so they can also replace the signature.
        """
        if self._session is None:
            raise RuntimeError("SlackClient used outside `async with`")
        if self._slack is not None:
            body = self._slack.deliver(body)
        request_headers = {
            "Content-Type": JSON_CONTENT_TYPE if body.startswith("{") else FORM_CONTENT_TYPE,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **sign(body, secret or self._secret, timestamp),
            **(headers or {}),
        }
        started = time.perf_counter()
        async with self._session.post(self.url, data=body.encode(), headers=request_headers) as r:
            text = await r.text()
        return EventsReply(
            status=r.status,
            text=text,
            content_type=r.content_type,
            elapsed=time.perf_counter() - started,
        )


# --- pieces ---------------------------------------------------------------------


def _form_payload(payload: JSON) -> str:
    return urlencode({"payload": json.dumps(payload)})


def _user_name(user_id: str) -> str:
    return f"user-{user_id.lower()}"


def _user(user_id: str, team_id: str) -> JSON:
    name = _user_name(user_id)
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def _action_timestamp() -> str:
    return f"{time.time():.6f}"


def _button(action_id: str, value: str | None) -> JSON:
    action: JSON = {
        "action_id": action_id,
        "block_id": "b",
        "action_ts": _action_timestamp(),
        "type": "button",
        "text": {"type": "plain_text", "text": action_id},
    }
    if value is not None:
        action["value"] = value
    return action


def _select(action_id: str, block_id: str, selected_option: JSON) -> JSON:
    return {
        "action_id": action_id,
        "block_id": block_id,
        "action_ts": _action_timestamp(),
        "type": "static_select",
        "selected_option": selected_option,
    }
