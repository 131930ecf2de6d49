"""A local HTTP server that plays Slack's Web API and response_url endpoints.

``async with FakeSlack() as slack:`` serves on a free port of 127.0.0.1; point
``AsyncWebClient(base_url=slack.api_url)`` or ``SLACK_API_URL`` at it, and give
``slack.response_url(name)`` as a request's response_url. Every call is kept
in ``slack.calls``; tests read them, or await them with ``wait_for`` when a
handler answers after its ack.

It answers the methods opsbot uses the way Slack does (ids, timestamps, view
hashes, ``ok: false`` errors, 429 with Retry-After) and no more: anything else
is ``unknown_method``. Messages and views are remembered, so a test can read a
message's current state or a view's current hash.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.support.slack_requests import (
    API_APP_ID,
    BOT_ID,
    BOT_USER_ID,
    CHANNEL_NAME,
    TEAM_DOMAIN,
    TEAM_ID,
)

JSON = dict[str, Any]
RESPONSE_URL_USES = 5
DEFAULT_SCOPES = "commands,chat:write,users:read"
# Slack refuses a message over 50 blocks and a view over 100.
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
# Form-encoded calls carry these as JSON strings; decoding them lets tests read
# ``call.args["blocks"]`` the same way whichever encoding the client chose.
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata")
# Methods Slack serves without a bearer token: the OAuth exchange itself.
_NO_BEARER_METHODS = frozenset({"oauth.v2.access"})


@dataclass(frozen=True)
class SlackCall:
    """One Web API call as the fake received it; ``at`` is ``time.monotonic()``."""

    method: str
    args: JSON
    token: str | None
    at: float


@dataclass
class _Failure:
    """A scripted answer that replaces the next ``remaining`` matching calls."""

    error: str
    remaining: int | None  # None: every matching call
    channel: str | None = None
    retry_after: int | None = None  # set: answer HTTP 429 like Slack's rate limiter

    def matches(self, call: SlackCall) -> bool:
        return self.channel is None or call.args.get("channel") == self.channel


@dataclass
class _User:
    is_admin: bool = False
    is_owner: bool = False


class FakeSlack:
    """Slack's Web API on a local port, recording every call it gets.

    ``tokens``: the bot tokens Slack would accept; ``None`` accepts any
    ``xoxb-``/``xoxp-`` token. Tokens handed out by ``oauth.v2.access`` are
    accepted from then on.
    """

    def __init__(
        self,
        *,
        tokens: Iterable[str] | None = None,
        team_id: str = TEAM_ID,
        scopes: str = DEFAULT_SCOPES,
    ) -> None:
        self.team_id = team_id
        self.scopes = scopes
        self.calls: list[SlackCall] = []
        self._valid_tokens = None if tokens is None else set(tokens)
        self._revoked_tokens: set[str] = set()
        self._token_teams: dict[str, str] = {}
        self._oauth_codes: dict[str, tuple[str, str]] = {}
        self._users: dict[str, _User] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._latency = 0.0
        self._responses: list[tuple[str, JSON]] = []
        self._messages: dict[tuple[str, str], JSON] = {}
        self._views: dict[str, JSON] = {}
        self._ts_counter = itertools.count(1)
        self._view_counter = itertools.count(1)
        self._hash_counter = itertools.count(1)
        self._code_counter = itertools.count(1)
        self._arrived = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._base_url = ""
        self._methods: dict[str, Callable[[SlackCall], JSON]] = {
            "auth.test": self._auth_test,
            "apps.uninstall": self._apps_uninstall,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "conversations.info": self._conversations_info,
            "oauth.v2.access": self._oauth_v2_access,
            "users.info": self._users_info,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
        }

    # --- lifecycle --------------------------------------------------------------

    async def __aenter__(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._serve_api)
        app.router.add_post("/response/{name}", self._serve_response_url)
        # A call left waiting on set_latency must not hold up the end of a test.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._base_url = f"http://{host}:{port}/"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_url(self) -> str:
        """Base URL of the Web API, ending in ``/api/`` as ``https://slack.com/api/`` does."""
        return self._base_url + "api/"

    def response_url(self, name: str) -> str:
        """A response_url whose posts are kept under ``name``."""
        return f"{self._base_url}response/{name}"

    # --- what happened ------------------------------------------------------------

    def calls_to(self, method: str) -> list[SlackCall]:
        return [call for call in self.calls if call.method == method]

    def responses(self, name: str | None = None) -> list[JSON]:
        """Bodies posted to response_urls, oldest first; only ``name``'s if given."""
        return [body for posted_to, body in self._responses if name in (None, posted_to)]

    def message(self, channel: str, ts: str) -> JSON:
        """A message's current state, after every update the app made to it."""
        return self._messages[(channel, ts)]

    def messages(self, channel: str | None = None) -> list[JSON]:
        """Messages still in Slack (posted, not deleted), oldest first."""
        return [m for (c, _), m in self._messages.items() if channel in (None, c)]

    def view(self, view_id: str) -> JSON:
        """A view as Slack holds it now, with its current ``hash``."""
        return self._views[view_id]

    # ``timeout`` is only a safety net that turns a hang into a readable failure.
    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[SlackCall]:
        """Every call to ``method``, once at least ``count`` have arrived."""
        await self._wait_until(
            lambda: len(self.calls_to(method)) >= count,
            lambda: f"{count} call(s) to {method}",
            timeout,
        )
        return self.calls_to(method)

    async def wait_for_responses(
        self,
        name: str | None = None,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[JSON]:
        """Every response_url post (to ``name`` if given), once ``count`` arrived."""
        await self._wait_until(
            lambda: len(self.responses(name)) >= count,
            lambda: f"{count} response_url post(s) to {name or 'any name'}",
            timeout,
        )
        return self.responses(name)

    # --- how Slack behaves ----------------------------------------------------------

    def set_user(self, user_id: str, *, is_admin: bool = False, is_owner: bool = False) -> None:
        self._users[user_id] = _User(is_admin=is_admin, is_owner=is_owner)

    def oauth_code(self, team_id: str | None = None, bot_token: str | None = None) -> str:
        """A one-time code that ``oauth.v2.access`` exchanges for ``bot_token`` in ``team_id``."""
        n = next(self._code_counter)
        team = team_id or self.team_id
        self._oauth_codes[f"code-{n}"] = (team, bot_token or f"xoxb-{team}-{n}")
        return f"code-{n}"

    def revoke(self, token: str) -> None:
        """From now on calls with ``token`` get ``token_revoked``."""
        self._revoked_tokens.add(token)

    def fail(
        self,
        method: str,
        error: str = "not_in_channel",
        times: int | None = 1,
        channel: str | None = None,
    ) -> None:
        """The next ``times`` calls to ``method`` (in ``channel`` if given) get ``error``."""
        self._failures.setdefault(method, []).append(_Failure(error, times, channel))

    def rate_limit(self, method: str, retry_after: int = 1, times: int | None = 1) -> None:
        """The next ``times`` calls to ``method`` get HTTP 429 with ``Retry-After``."""
        failure = _Failure("ratelimited", times, retry_after=retry_after)
        self._failures.setdefault(method, []).append(failure)

    def set_latency(self, seconds: float) -> None:
        """Every answer (Web API and response_url) reaches its caller this much later."""
        self._latency = seconds

    # --- HTTP ---------------------------------------------------------------------

    async def _serve_api(self, request: web.Request) -> web.Response:
        call = SlackCall(
            method=request.match_info["method"],
            args=await _read_args(request),
            token=_bearer_token(request),
            at=time.monotonic(),
        )
        response = self._respond(call)
        # Recorded once its effects (a stored message, a new view hash) are
        # visible, so a test woken by wait_for can read them at once.
        await self._record(lambda: self.calls.append(call))
        await asyncio.sleep(self._latency)
        return response

    def _respond(self, call: SlackCall) -> web.Response:
        failure = self._take_failure(call)
        if failure is not None and failure.retry_after is not None:
            return web.json_response(
                _error(failure.error),
                status=429,
                headers={"Retry-After": str(failure.retry_after)},
            )
        body = self._answer(call, failure)
        headers = {"X-OAuth-Scopes": self.scopes} if body.get("ok") else {}
        return web.json_response(body, headers=headers)

    async def _serve_response_url(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return web.Response(status=400, text="invalid_payload")
        name = request.match_info["name"]
        if len(self.responses(name)) >= RESPONSE_URL_USES:
            # Slack takes a response_url at most five times; later posts go nowhere.
            return web.Response(status=404, text="used_url")
        await self._record(lambda: self._responses.append((name, body)))
        await asyncio.sleep(self._latency)
        return web.Response(text="ok")

    async def _record(self, append: Callable[[], None]) -> None:
        async with self._arrived:
            append()
            self._arrived.notify_all()

    async def _wait_until(
        self, arrived: Callable[[], bool], expected: Callable[[], str], within: float
    ) -> None:
        try:
            async with asyncio.timeout(within), self._arrived:
                await self._arrived.wait_for(arrived)
        except TimeoutError:
            seen = [call.method for call in self.calls]
            posted = [name for name, _ in self._responses]
            raise AssertionError(
                f"expected {expected()} within {within}s; "
                f"saw Web API calls {seen} and response_url posts to {posted}"
            ) from None

    def _take_failure(self, call: SlackCall) -> _Failure | None:
        for failure in self._failures.get(call.method, []):
            if failure.matches(call):
                if failure.remaining is not None:
                    failure.remaining -= 1
                    if failure.remaining == 0:
                        self._failures[call.method].remove(failure)
                return failure
        return None

    def _answer(self, call: SlackCall, failure: _Failure | None) -> JSON:
        handler = self._methods.get(call.method)
        if handler is None:
            return _error("unknown_method")
        if call.method not in _NO_BEARER_METHODS:
            auth_error = self._auth_error(call.token)
            if auth_error is not None:
                return _error(auth_error)
        if failure is not None:
            return _error(failure.error)
        return handler(call)

    def _auth_error(self, token: str | None) -> str | None:
        if token is None:
            return "not_authed"
        if token in self._revoked_tokens:
            return "token_revoked"
        if self._valid_tokens is None:
            return None if token.startswith(("xoxb-", "xoxp-")) else "invalid_auth"
        return None if token in self._valid_tokens else "invalid_auth"

    def _team_of(self, call: SlackCall) -> str:
        return self._token_teams.get(call.token or "", self.team_id)

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts_counter) * 100:06d}"

    # --- methods --------------------------------------------------------------------

    def _auth_test(self, call: SlackCall) -> JSON:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "opsbot tests",
            "user": "opsbot",
            "team_id": self._team_of(call),
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _apps_uninstall(self, call: SlackCall) -> JSON:
        if call.token is not None:
            self.revoke(call.token)
        return {"ok": True}

    def _chat_post_message(self, call: SlackCall) -> JSON:
        error = _message_error(call.args)
        if error is not None:
            return _error(error)
        channel, ts = call.args["channel"], self._next_ts()
        message = {
            **_message_fields(call.args),
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "ts": ts,
        }
        self._messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_post_ephemeral(self, call: SlackCall) -> JSON:
        error = _message_error(call.args)
        if error is None and "user" not in call.args:
            error = "user_not_in_channel"
        if error is not None:
            return _error(error)
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_update(self, call: SlackCall) -> JSON:
        error = _message_error(call.args)
        if error is None and "ts" not in call.args:
            error = "message_not_found"
        if error is not None:
            return _error(error)
        channel, ts = call.args["channel"], call.args["ts"]
        # A message this fake never saw (one posted through a response_url, say)
        # is taken as existing: Slack would know it.
        message = self._messages.setdefault((channel, ts), {"type": "message", "ts": ts})
        message.update(_message_fields(call.args))
        return {"ok": True, "channel": channel, "ts": ts, "text": message.get("text", "")}

    def _chat_delete(self, call: SlackCall) -> JSON:
        channel, ts = call.args.get("channel"), call.args.get("ts")
        if channel is None or ts is None:
            return _error("message_not_found")
        self._messages.pop((channel, ts), None)
        return {"ok": True, "channel": channel, "ts": ts}

    def _conversations_info(self, call: SlackCall) -> JSON:
        channel = call.args.get("channel")
        if channel is None:
            return _error("channel_not_found")
        return {
            "ok": True,
            "channel": {
                "id": channel,
                "name": CHANNEL_NAME,
                "is_channel": True,
                "is_private": False,
                "is_member": True,
                "is_archived": False,
                "context_team_id": self._team_of(call),
            },
        }

    def _oauth_v2_access(self, call: SlackCall) -> JSON:
        grant = self._oauth_codes.pop(str(call.args.get("code")), None)
        if grant is None:
            return _error("invalid_code")
        team_id, bot_token = grant
        self._token_teams[bot_token] = team_id
        if self._valid_tokens is not None:
            self._valid_tokens.add(bot_token)
        return {
            "ok": True,
            "app_id": API_APP_ID,
            "authed_user": {"id": "U0INSTALLER"},
            "scope": self.scopes,
            "token_type": "bot",
            "access_token": bot_token,
            "bot_user_id": BOT_USER_ID,
            "team": {"id": team_id, "name": f"team {team_id}"},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _users_info(self, call: SlackCall) -> JSON:
        user_id = call.args.get("user")
        if user_id is None:
            return _error("user_not_found")
        user = self._users.get(user_id, _User())
        return {
            "ok": True,
            "user": {
                "id": user_id,
                "team_id": self._team_of(call),
                "name": f"user-{user_id.lower()}",
                "deleted": False,
                "is_bot": False,
                "is_admin": user.is_admin,
                "is_owner": user.is_owner,
                "is_primary_owner": False,
                "tz": "Europe/Paris",
            },
        }

    def _views_open(self, call: SlackCall) -> JSON:
        view = call.args.get("view")
        if "trigger_id" not in call.args or not isinstance(view, dict):
            return _error("invalid_arguments")
        if len(view.get("blocks", [])) > VIEW_BLOCK_LIMIT:
            return _error("invalid_arguments")
        view_id = f"V{next(self._view_counter):010d}"
        return self._store_view(call, view_id, view)

    def _views_update(self, call: SlackCall) -> JSON:
        view, view_id = call.args.get("view"), call.args.get("view_id")
        if not isinstance(view, dict) or len(view.get("blocks", [])) > VIEW_BLOCK_LIMIT:
            return _error("invalid_arguments")
        if view_id not in self._views:
            return _error("not_found")
        stale = call.args.get("hash") not in (None, self._views[view_id]["hash"])
        if stale:
            return _error("hash_conflict")
        return self._store_view(call, view_id, view)

    def _store_view(self, call: SlackCall, view_id: str, view: JSON) -> JSON:
        stored = {
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            **view,
            "id": view_id,
            "team_id": self._team_of(call),
            "app_installed_team_id": self._team_of(call),
            "state": {"values": {}},
            "hash": f"1700000000.{next(self._hash_counter):08x}",
            "root_view_id": view_id,
            "app_id": API_APP_ID,
            "bot_id": BOT_ID,
        }
        self._views[view_id] = stored
        return {"ok": True, "view": stored}


# --- request parsing ----------------------------------------------------------------


async def _read_args(request: web.Request) -> JSON:
    """Query string and body arguments, whichever encoding the client used."""
    args: JSON = dict(request.query)
    if request.content_type == "application/json":
        args.update(await request.json())
    else:
        form = await request.post()
        args.update({key: _form_value(value) for key, value in form.items()})
        for field in _JSON_FIELDS:
            if isinstance(args.get(field), str):
                args[field] = json.loads(args[field])
    args.update(_basic_auth_client(request))
    return args


def _form_value(value: str | bytes | bytearray | web.FileField) -> str:
    if isinstance(value, web.FileField):
        return value.filename  # an upload: its name is all a test needs
    return value if isinstance(value, str) else bytes(value).decode()


def _bearer_token(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token if scheme == "Bearer" and token else None


def _basic_auth_client(request: web.Request) -> dict[str, str]:
    """oauth.v2.access sends client_id:client_secret as HTTP Basic auth."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Basic":
        return {}
    client_id, _, client_secret = base64.b64decode(encoded).decode().partition(":")
    return {"client_id": client_id, "client_secret": client_secret}


# --- answers ------------------------------------------------------------------------


def _error(error: str) -> JSON:
    return {"ok": False, "error": error}


def _message_error(args: JSON) -> str | None:
    """Why Slack would refuse a chat.* call's content, if it would."""
    if "channel" not in args:
        return "channel_not_found"
    if not any(args.get(field) for field in ("text", "blocks", "attachments")):
        return "no_text"
    if len(args.get("blocks") or []) > MESSAGE_BLOCK_LIMIT:
        return "invalid_blocks"
    return None


def _message_fields(args: JSON) -> JSON:
    fields = ("text", "blocks", "attachments", "thread_ts", "reply_broadcast", "metadata")
    return {field: args[field] for field in fields if field in args}
