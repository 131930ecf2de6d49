"""Slack's Web API on aiohttp: ``POST /api/<method>``, answered the way Slack answers.

Arguments come as a form, JSON or the query string, the token as a Bearer
header (or a ``token`` field); each call is authenticated, checked for its
scope, counted against its rate limit, then handed to the method. A refusal
is HTTP 200 ``{"ok": false, "error": …}`` (HTTP 429 with ``Retry-After`` for
a rate limit), exactly what slack_sdk's ``AsyncWebClient(base_url=…)``
expects from https://slack.com/api/.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from aiohttp import web

from opsbot.workspace import chat, conversations, directory, oauth, usergroups, views
from opsbot.workspace.calls import JSON, Call
from opsbot.workspace.errors import SlackError
from opsbot.workspace.scopes import METHOD_SCOPES, require_for_method
from opsbot.workspace.state import Installation
from opsbot.workspace.tokens import check_app_token, installation_for
from opsbot.workspace.workspace import ApiCall, Workspace

API_PATH: Final = "/api/"
# Form-encoded calls carry these as JSON strings; decoded here so every method
# (and a test reading workspace.calls) sees the same value whatever the encoding.
_JSON_FIELDS: Final = ("blocks", "attachments", "view", "metadata")

Auth = Literal["bot", "client", "app"]


@dataclass(frozen=True)
class Method:
    """A Web API method: what implements it and how its caller authenticates."""

    handler: Callable[[Call], JSON]
    auth: Auth = "bot"


METHODS: Final[Mapping[str, Method]] = {
    "auth.test": Method(directory.auth_test),
    "chat.postMessage": Method(chat.post_message),
    "chat.postEphemeral": Method(chat.post_ephemeral),
    "chat.update": Method(chat.update),
    "chat.delete": Method(chat.delete),
    "views.open": Method(views.open_view),
    "views.push": Method(views.push_view),
    "views.update": Method(views.update_view),
    "views.publish": Method(views.publish_home),
    "users.info": Method(directory.users_info),
    "conversations.info": Method(directory.conversations_info),
    "conversations.open": Method(conversations.conversations_open),
    "users.conversations": Method(conversations.users_conversations),
    "usergroups.list": Method(usergroups.usergroups_list),
    "usergroups.users.list": Method(usergroups.usergroups_users_list),
    "oauth.v2.access": Method(oauth.oauth_v2_access, auth="client"),
    # apps.uninstall takes a bot token and the client credentials.
    "apps.uninstall": Method(oauth.apps_uninstall),
}


def api_handler(
    workspace: Workspace, methods: Mapping[str, Method]
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def answer(request: web.Request) -> web.Response:
        name = request.match_info["method"]
        args = await read_args(request)
        token = _bearer_token(request) or args.pop("token", None)
        headers = _scope_headers(workspace, name, token)
        try:
            body = dispatch(workspace, methods.get(name), Call(workspace, name, args, token))
        except SlackError as error:
            workspace.calls.append(ApiCall(name, args, token, workspace.clock(), error.error))
            response = web.json_response(
                error.body(), status=error.status, headers={**headers, **error.headers}
            )
        else:
            workspace.calls.append(ApiCall(name, args, token, workspace.clock(), None))
            response = web.json_response(body, headers=headers)
        # Recorded first, so a test woken by the call sees its effects at once.
        if workspace.faults.latency:
            await asyncio.sleep(workspace.faults.latency)
        return response

    return answer


def dispatch(workspace: Workspace, method: Method | None, call: Call) -> JSON:
    if method is None:
        raise SlackError("unknown_method")
    scripted = workspace.faults.take(call.method, _channel(call.args), rate_limits=True)
    if scripted is not None:
        raise scripted
    if method.auth == "app":
        check_app_token(workspace, call.token)
        workspace.rates.check("app", call.method)
        return method.handler(call)
    if method.auth == "client":
        workspace.rates.check("client", call.method)
        return method.handler(call)
    installation = installation_for(workspace, call.token)
    scripted = workspace.faults.take(call.method, _channel(call.args), rate_limits=False)
    if scripted is not None:
        raise scripted
    require_for_method(call.method, installation.scopes)
    workspace.rates.check(installation.team_id, call.method, _channel(call.args))
    return method.handler(Call(workspace, call.method, call.args, call.token, installation))


async def read_args(request: web.Request) -> JSON:
    """Query string and body arguments, whichever encoding the client used."""
    args: JSON = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            args.update(body)
    elif request.can_read_body:
        form = await request.post()
        args.update({key: value for key, value in form.items() if isinstance(value, str)})
    for field in _JSON_FIELDS:
        if isinstance(args.get(field), str):
            args[field] = _maybe_json(args[field])
    args.update(_basic_auth_client(request))
    return args


def _maybe_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text  # the method refuses it with its own error


def _bearer_token(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token if scheme == "Bearer" and token else None


def _basic_auth_client(request: web.Request) -> dict[str, str]:
    """oauth.v2.access: slack_sdk sends client_id:client_secret as HTTP Basic auth."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Basic":
        return {}
    try:
        client_id, _, client_secret = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return {}
    return {"client_id": client_id, "client_secret": client_secret}


def _channel(args: JSON) -> str | None:
    channel = args.get("channel")
    return channel if isinstance(channel, str) else None


def _scope_headers(workspace: Workspace, method: str, token: str | None) -> dict[str, str]:
    """Slack reports the token's scopes and the method's accepted ones on every answer."""
    installation: Installation | None = workspace.installations.get(token or "")
    if installation is None:
        return {}
    return {
        "X-OAuth-Scopes": ",".join(sorted(installation.scopes)),
        "X-Accepted-OAuth-Scopes": METHOD_SCOPES.get(method, ""),
    }
