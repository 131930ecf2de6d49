"""The tests' Slack: the local workspace (:mod:`opsbot.workspace`), with the test team in it.

``async with FakeSlack() as slack:`` serves a :class:`~opsbot.workspace.Workspace`
on a free port of 127.0.0.1, holding the one test team of
:mod:`tests.support.slack_requests` (its channels, its people, the app
installed with ``BOT_TOKEN``). Everything it answers, it answers by Slack's
rules: Block Kit validated, scopes from ``app_manifest.yml``, a response_url
good for 5 posts in 30 minutes, ``replace_original`` only for the message a
click came from, ephemeral messages out of ``chat.update``'s reach, a
trigger_id good for one view within 3 s, view hashes, rate limits.

This module is only the test-facing side of it: names for response_urls
(``slack.response_url("info")``), what happened (``calls_to``, ``responses``,
``messages``, ``wait_for``…) and scripted misbehaviour (``fail``,
``rate_limit``, ``set_latency``). :meth:`FakeSlack.deliver` is what Slack
does to a request before it reaches the app: it issues a fresh trigger_id,
ties the response_url to the message clicked (if any), and seats the
person in the channel. :class:`~tests.support.slack_requests.SlackClient`
calls it when given the workspace.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

from opsbot.workspace import (
    App,
    Burst,
    Rates,
    ServedWorkspace,
    Workspace,
    WorkspaceSettings,
    serve_workspace,
)
from opsbot.workspace.faults import Fault
from opsbot.workspace.state import Ephemeral, Message, ResponseUrl, View
from opsbot.workspace.workspace import Role
from tests.support.opsbot_app import BOT_TOKEN, CLIENT_ID, CLIENT_SECRET, SIGNING_SECRET
from tests.support.slack_requests import (
    API_APP_ID,
    BOT_ID,
    BOT_USER_ID,
    CHANNEL_ID,
    CHANNEL_NAME,
    TEAM_DOMAIN,
    TEAM_ID,
    USER_ID,
)

JSON = dict[str, Any]
LOOK_AGAIN_S: Final = 0.02

# The test team's channels: public, with the bot in them. A channel a test
# does not find here does not exist (channel_not_found), as in Slack.
CHANNELS: Final = {
    CHANNEL_ID: CHANNEL_NAME,
    "C0456": "ops-two",
    "C0AAA": "ops-a",
    "C0BBB": "ops-b",
    "C0CCC": "ops-c",
    "C0AUDIT": "audit",
    "C0HERE": "here",
    "C0THERE": "there",
    "C0KEPT": "kept",
    "C0GONE": "gone",
    "C0A": "a",
    "C0B": "b",
    **{f"C0A0{n}": f"a0{n}" for n in range(1, 6)},
}
# The test team's people (plain members unless set_user says otherwise).
PEOPLE: Final = (
    USER_ID,
    "U0456",
    "U0ADMIN",
    "U0ALICE",
    "U0ANN",
    "U0BOB",
    "U0CAROL",
    "U0CAT",
    "U0FIRST",
    "U0SECOND",
    "U0INSTALLER",
    "U0OTHER",
    "U0WATCHER",
    "U0BENCH",
    "U_ADMIN",
    "U_OWNER",
    "U_PLAIN",
)

# Slack's rates, but 20 times faster: every test still meets a rate limit
# where Slack would put one (a burst of cards in one channel), without
# waiting whole seconds for each. Tests of the rates themselves give their
# own settings (``FakeSlack(settings=WorkspaceSettings())`` is Slack's).
FAST_RATES: Final = Rates(post_per_channel=Burst(per_second=20.0, burst=10))


def fast_settings() -> WorkspaceSettings:
    return WorkspaceSettings(rates=FAST_RATES)


@dataclass(frozen=True)
class SlackCall:
    """One Web API call as the workspace received it; ``error`` is its refusal, if any."""

    method: str
    args: JSON
    token: str | None
    at: float
    error: str | None = None


class FakeSlack:
    """The local workspace on a local port, with the test team and its app installed.

    ``tokens``: the bot tokens installed in ``team_id`` (``()`` installs
    nothing: OAuth tests install through ``oauth_code``). ``scopes``: what
    the installs were granted (comma-separated); default, the manifest's.
    """

    def __init__(
        self,
        *,
        tokens: Iterable[str] | None = None,
        team_id: str = TEAM_ID,
        scopes: str | None = None,
        settings: WorkspaceSettings | None = None,
    ) -> None:
        self.team_id = team_id
        self.workspace = Workspace(
            app=App(
                app_id=API_APP_ID,
                signing_secret=SIGNING_SECRET,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
            ),
            settings=settings or fast_settings(),
        )
        self._scopes = None if scopes is None else [s for s in scopes.split(",") if s]
        self._add_team(team_id)
        for token in (BOT_TOKEN,) if tokens is None else tokens:
            self.install(team_id, token)
        self._served: ServedWorkspace | None = None
        self._serving: contextlib.AbstractAsyncContextManager[ServedWorkspace] | None = None

    # --- lifecycle --------------------------------------------------------------

    async def __aenter__(self) -> FakeSlack:
        self._serving = serve_workspace(self.workspace)
        self._served = await self._serving.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._serving is not None:
            await self._serving.__aexit__(exc_type, exc, tb)
            self._serving = self._served = None

    @property
    def served(self) -> ServedWorkspace:
        if self._served is None:
            raise RuntimeError("FakeSlack used outside `async with`")
        return self._served

    @property
    def api_url(self) -> str:
        """Base URL of the Web API, ending in ``/api/`` as ``https://slack.com/api/`` does."""
        return self.served.api_url

    @property
    def base_url(self) -> str:
        return self.served.base_url

    def response_url(self, name: str, *, user_id: str = USER_ID) -> str:
        """A response_url whose posts are kept under ``name``.

        It starts as a slash command's (no original message); :meth:`deliver`
        ties it to the message a click came from, as Slack does.
        """
        if name not in self.workspace.response_urls:
            self.workspace.response_urls[name] = ResponseUrl(
                name, self.team_id, CHANNEL_ID, user_id, self.workspace.clock()
            )
        return f"{self.base_url}/response/{name}"

    # --- setting it up ------------------------------------------------------------

    def install(self, team_id: str, bot_token: str, *, org_wide: bool = False) -> None:
        """The app installed in ``team_id`` (``org_wide``: in its whole Enterprise Grid org)."""
        self._add_team(team_id)
        installation = self.workspace.install(
            team_id, bot_token=bot_token, scopes=self._scopes, org_wide=org_wide
        )
        if team_id == self.team_id:
            installation.bot_user_id, installation.bot_id = BOT_USER_ID, BOT_ID

    def add_channel(
        self, channel_id: str, *, team_id: str | None = None, bot_member: bool = True
    ) -> None:
        team = team_id or self.team_id
        self._add_team(team)
        channel = self.workspace.add_channel(
            channel_id, team, name=channel_id.lower(), bot_member=bot_member
        )
        people = [u for u, user in self.workspace.users.items() if user.team_id == team]
        channel.members.update(people)

    def set_user(
        self, user_id: str, *, is_admin: bool = False, is_owner: bool = False, team_id: str = ""
    ) -> None:
        team = team_id or self.team_id
        role: Role = "owner" if is_owner else "admin" if is_admin else "member"
        members_of = [c.id for c in self.workspace.channels.values() if c.team_id == team]
        self.workspace.add_user(user_id, team, name=f"user-{user_id.lower()}", role=role)
        for channel_id in members_of:
            self.workspace.channels[channel_id].members.add(user_id)

    def oauth_code(self, team_id: str | None = None, bot_token: str | None = None) -> str:
        """A one-time code that ``oauth.v2.access`` exchanges for ``bot_token`` in ``team_id``."""
        team = team_id or self.team_id
        self._add_team(team)
        return self.workspace.grant_code(team, "U0INSTALLER", bot_token=bot_token)

    def revoke(self, token: str) -> None:
        """From now on calls with ``token`` get ``token_revoked``."""
        self.workspace.revoke(token)

    def fail(
        self,
        method: str,
        error: str = "not_in_channel",
        times: int | None = 1,
        channel: str | None = None,
    ) -> None:
        """The next ``times`` calls to ``method`` (in ``channel`` if given) get ``error``."""
        self.workspace.faults.add(Fault(method, error, times, channel))

    def rate_limit(self, method: str, retry_after: int = 1, times: int | None = 1) -> None:
        """The next ``times`` calls to ``method`` get HTTP 429 with ``Retry-After``."""
        self.workspace.faults.add(Fault(method, "ratelimited", times, retry_after=retry_after))

    def set_latency(self, seconds: float) -> None:
        """Every answer (Web API and response_url) reaches its caller this much later."""
        self.workspace.faults.latency = seconds

    # --- what Slack does to a request on its way to the app ---------------------------

    def deliver(self, body: str) -> str:
        """``body`` as Slack would send it: fresh trigger_id, response_url tied to its source."""
        if body.startswith("{"):
            return body  # Events API: nothing to issue
        form = dict(parse_qsl(body, keep_blank_values=True))
        if "payload" not in form:
            return urlencode(self._slash_command(form))
        try:
            payload = json.loads(form["payload"])
        except json.JSONDecodeError:
            return body  # a forged request: delivered as the test wrote it
        if isinstance(payload, dict):
            self._interaction(payload)
        return urlencode({**form, "payload": json.dumps(payload)})

    def _slash_command(self, form: dict[str, str]) -> dict[str, str]:
        team, user = form.get("team_id", ""), form.get("user_id", "")
        channel = form.get("channel_id", "")
        if team in self.workspace.teams and user and "trigger_id" in form:
            self._seat(user, team, channel)
            form["trigger_id"] = self.workspace.issue_trigger(team, user)
        self._address(form.get("response_url"), team, channel, user, None)
        return form

    def _interaction(self, payload: JSON) -> None:
        team = str((payload.get("team") or {}).get("id", ""))
        user = str((payload.get("user") or {}).get("id", ""))
        if team not in self.workspace.teams or not user:
            return
        channel = str((payload.get("channel") or {}).get("id", "")) or None
        self._seat(user, team, channel)
        if "trigger_id" in payload:
            payload["trigger_id"] = self.workspace.issue_trigger(team, user)
        container = payload.get("container") or {}
        if payload.get("type") == "block_actions" and container.get("type") == "message":
            source = self._clicked(payload, str(channel), user)
            self._address(payload.get("response_url"), team, str(channel), user, source)

    def _clicked(self, payload: JSON, channel: str, user: str) -> tuple[str, str, bool]:
        """The message a click came from; one the test made up is taken as the bot's."""
        container = payload["container"]
        ts, ephemeral = str(container.get("message_ts")), bool(container.get("is_ephemeral"))
        shown = payload.get("message") or {}
        if ephemeral and (channel, ts) not in self.workspace.ephemerals:
            self.workspace.ephemerals[(channel, ts)] = Ephemeral(
                channel, ts, user, str(shown.get("text", "")), shown.get("blocks")
            )
        if not ephemeral and (channel, ts) not in self.workspace.messages:
            bot = self.workspace.installation_of(self.workspace.channels[channel].team_id)
            self.workspace.messages[(channel, ts)] = Message(
                channel,
                ts,
                bot.bot_user_id,
                str(shown.get("text", "")),
                shown.get("blocks"),
                bot_id=bot.bot_id,
                app_id=self.workspace.app.app_id,
                team=bot.team_id,
            )
        return channel, ts, ephemeral

    def _address(
        self,
        url: Any,
        team: str,
        channel: str | None,
        user: str,
        source: tuple[str, str, bool] | None,
    ) -> None:
        if not isinstance(url, str) or not url.startswith(f"{self.base_url}/response/"):
            return
        response_url = self.workspace.response_urls.get(url.rsplit("/", 1)[1])
        if response_url is None or response_url.uses:
            return
        response_url.team_id, response_url.user_id = team, user
        response_url.channel_id = channel or response_url.channel_id
        response_url.source = source

    def _seat(self, user: str, team: str, channel: str | None) -> None:
        """The person exists and is in the channel they act in, as they must be in Slack."""
        if user not in self.workspace.users:
            self.set_user(user, team_id=team)
        if channel and channel in self.workspace.channels:
            self.workspace.channels[channel].members.add(user)

    def add_team(self, team_id: str, *, enterprise_id: str | None = None) -> None:
        """Another workspace (in an Enterprise Grid org if ``enterprise_id``)."""
        self.workspace.add_team(team_id, f"team {team_id}", enterprise_id=enterprise_id)

    def _add_team(self, team_id: str) -> None:
        if team_id in self.workspace.teams:
            return
        team = self.workspace.add_team(team_id, "opsbot tests")
        team.domain = TEAM_DOMAIN if team_id == TEAM_ID else team_id.lower()
        for channel_id, name in CHANNELS.items():
            if team_id == self.team_id and channel_id not in self.workspace.channels:
                self.workspace.add_channel(channel_id, team_id, name=name)
        for user_id in PEOPLE if team_id == self.team_id else ():
            self.set_user(user_id, team_id=team_id)

    # --- what happened ------------------------------------------------------------

    @property
    def calls(self) -> list[SlackCall]:
        return [
            SlackCall(call.method, call.args, call.token, call.at, call.error)
            for call in self.workspace.calls
        ]

    def calls_to(self, method: str) -> list[SlackCall]:
        return [call for call in self.calls if call.method == method]

    def responses(self, name: str | None = None) -> list[JSON]:
        """Bodies posted to response_urls, oldest first; only ``name``'s if given."""
        if name is not None:
            url = self.workspace.response_urls.get(name)
            return list(url.posts) if url is not None else []
        urls = self.workspace.response_urls
        return [
            urls[change.data["url"]].posts[change.data["uses"] - 1]
            for change in self.workspace.feed.of_kind("response_url.used")
        ]

    def message(self, channel: str, ts: str) -> JSON:
        """A message's current state, after every update the app made to it."""
        return _as_posted(self.workspace.message(channel, ts))

    def messages(self, channel: str | None = None) -> list[JSON]:
        """Messages still in the channel (posted, not deleted), replies too, oldest first."""
        return [
            _as_posted(message)
            for (in_channel, _), message in self.workspace.messages.items()
            if channel in (None, in_channel)
        ]

    def view(self, view_id: str) -> JSON:
        """A view as Slack holds it now, with its current ``hash``."""
        view: View | None = self.workspace.views.get(view_id)
        if view is None:
            raise KeyError(f"no open view {view_id}")
        return view.as_slack()

    def front_view(self, user_id: str = USER_ID) -> JSON:
        """The modal ``user_id`` has in front, as Slack holds it now."""
        stack = self.workspace.open_views(user_id)
        if not stack:
            raise KeyError(f"{user_id} has no modal open")
        return stack[-1].as_slack()

    def warnings(self) -> list[str]:
        """What Slack accepted but would not have liked (see ``Workspace.warn``)."""
        return [f"{warning.kind}: {warning.detail}" for warning in self.workspace.warnings]

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

    async def _wait_until(
        self, arrived: Callable[[], bool], expected: Callable[[], str], within: float
    ) -> None:
        try:
            async with asyncio.timeout(within), self.workspace.feed.subscribe() as changes:
                while not arrived():
                    # Woken by any change; Web API calls that change nothing
                    # (a refusal) are seen on the next short look.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(LOOK_AGAIN_S):
                            await changes.get()
        except TimeoutError:
            seen = [f"{call.method}{'!' + call.error if call.error else ''}" for call in self.calls]
            posted = {n: u.uses for n, u in self.workspace.response_urls.items() if u.uses}
            raise AssertionError(
                f"expected {expected()} within {within}s; saw Web API calls {seen}, "
                f"response_url posts {posted}, warnings {self.warnings()}"
            ) from None


def _as_posted(message: Message) -> JSON:
    """A stored message with the fields the app sent (``reply_broadcast`` as such)."""
    shown: JSON = {
        "type": "message",
        "ts": message.ts,
        "user": message.user,
        "bot_id": message.bot_id,
        "text": message.text,
    }
    optional = {
        "blocks": message.blocks,
        "attachments": message.attachments,
        "thread_ts": message.thread_ts,
        "metadata": message.metadata,
    }
    shown.update({key: value for key, value in optional.items() if value is not None})
    if message.reply_broadcast:
        shown["reply_broadcast"] = True
    return shown
