"""Multi-workspace mode end to end: install through OAuth, serve each team with its token.

A browser asks ``GET /slack/install`` (a state is issued into Redis and set
as a cookie), Slack sends it back to ``GET /slack/oauth_redirect`` with a
code, and opsbot exchanges the code on the local Slack (``oauth.v2.access``)
and keeps the installation in Redis, its bot token encrypted. From then on
requests from that team are answered with that team's token, and
``app_uninstalled`` / ``tokens_revoked`` forget that team and no other.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from opsbot.api.operation import DONE, WAIT
from opsbot.simulator import ServedSimulator, Simulator
from opsbot.slack.app import BOT_SCOPES
from opsbot.store import keyspace
from opsbot.store.connection import RedisClient
from opsbot.watcher.worker import open_worker
from tests.integration.watcher.conftest import HandClock
from tests.support.opsbot_app import (
    CLIENT_ID,
    CLIENT_SECRET,
    SIGNING_SECRET,
    RunningOpsbot,
    opsbot_env,
    production_log,
    running_opsbot,
)
from tests.support.redis_probe import recent_audit
from tests.support.secrets_scan import find_secrets_in_redis
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import (
    USER_ID,
    Sender,
    SlackClient,
    app_uninstalled_event,
    event_body,
    slash_command_body,
    tokens_revoked_event,
)

TEAM_A = "T0AAA"
TEAM_B = "T0BBB"
TOKEN_A = "xoxb-team-a-installed-token-111"
# A workspace inside an Enterprise Grid org, installed on its own (not org-wide).
ENTERPRISE = "E0GRID"
TEAM_GRID = "T0GRID"
CHANNEL_GRID = "C0GRID"
TOKEN_GRID = "xoxb-grid-installed-token-333"
TOKEN_B = "xoxb-team-b-installed-token-222"
STATE_COOKIE = "slack-app-oauth-state"
# A safety net for conditions reached by work opsbot does after its ack.
SETTLE_TIMEOUT_S = 5.0


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    # Only tokens handed out by oauth.v2.access are accepted: a call made with
    # any other token (or none) fails, as it would on Slack.
    async with FakeSlack(tokens=(), scopes=",".join(BOT_SCOPES)) as slack:
        yield slack


@pytest.fixture
async def opsbot(
    fake_slack: FakeSlack,
    sim_server: ServedSimulator,
    redis_url: str,
    env_overrides: dict[str, str],
) -> AsyncIterator[RunningOpsbot]:
    env = opsbot_env(
        slack_api_url=fake_slack.api_url,
        api_url=sim_server.url,
        redis_url=redis_url,
        oauth=True,
        **env_overrides,
    )
    async with running_opsbot(env) as running:
        yield running


@dataclass(frozen=True)
class Consent:
    """What the install page handed the browser: the state, in the link and the cookie."""

    state: str
    cookie: str


class Browser:
    """A person's browser going through Slack's install flow against opsbot."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self._session = session
        self._base_url = base_url

    async def open_install_page(self) -> tuple[int, str, Consent]:
        async with self._session.get(f"{self._base_url}/slack/install") as response:
            page = await response.text()
            cookie = response.cookies[STATE_COOKIE].value
        [state] = set(re.findall(r"[?&;]state=([A-Za-z0-9_-]+)", page))
        return response.status, page, Consent(state=state, cookie=cookie)

    async def come_back_from_slack(self, code: str, consent: Consent) -> tuple[int, str]:
        # The cookie is sent by hand: aiohttp's jar keeps none for an IP address.
        async with self._session.get(
            f"{self._base_url}/slack/oauth_redirect",
            params={"code": code, "state": consent.state},
            headers={"Cookie": f"{STATE_COOKIE}={consent.cookie}"},
            allow_redirects=False,
        ) as response:
            return response.status, await response.text()

    async def install(self, fake_slack: FakeSlack, team_id: str, bot_token: str) -> None:
        _, _, consent = await self.open_install_page()
        code = fake_slack.oauth_code(team_id=team_id, bot_token=bot_token)
        status, page = await self.come_back_from_slack(code, consent)
        assert status == 200, page


@pytest.fixture
async def browser(opsbot: RunningOpsbot) -> AsyncIterator[Browser]:
    async with aiohttp.ClientSession() as session:
        yield Browser(session, opsbot.base_url)


@pytest.fixture
async def slack_client(opsbot: RunningOpsbot, fake_slack: FakeSlack) -> AsyncIterator[SlackClient]:
    async with SlackClient(opsbot.base_url, SIGNING_SECRET, slack=fake_slack) as client:
        yield client


async def settle(condition: Callable[[], Awaitable[bool]]) -> None:
    """Wait until ``condition`` holds: work a handler does after its ack.

    An event's handler answers no one once it has acked, so Redis is the only
    witness of its work: look until it shows, with a timeout as a safety net.
    """
    async with asyncio.timeout(SETTLE_TIMEOUT_S):
        while not await condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def team_keys(redis: RedisClient, team_id: str) -> dict[str, Any]:
    """Every key of one team with its serialized value."""
    return {
        key: await redis.dump(key)
        async for key in redis.scan_iter(match=keyspace.team_pattern(team_id))
    }


# --- installing -----------------------------------------------------------------------


async def test_the_install_page_links_to_slack_with_a_state_kept_in_redis(
    opsbot: RunningOpsbot, browser: Browser
) -> None:
    status, page, consent = await browser.open_install_page()

    assert status == 200
    assert "slack.com/oauth/v2/authorize" in page
    assert f"client_id={CLIENT_ID}" in page
    assert "chat:write" in page
    assert consent.cookie == consent.state
    assert await opsbot.services.redis.exists(keyspace.oauth_state(consent.state)) == 1


async def test_an_installation_is_kept_with_its_token_encrypted(
    opsbot: RunningOpsbot, browser: Browser, fake_slack: FakeSlack
) -> None:
    _, _, consent = await browser.open_install_page()
    code = fake_slack.oauth_code(team_id=TEAM_A, bot_token=TOKEN_A)

    status, _ = await browser.come_back_from_slack(code, consent)

    assert status == 200
    [exchange] = fake_slack.calls_to("oauth.v2.access")
    assert exchange.args["code"] == code
    assert exchange.args["client_id"] == CLIENT_ID
    redis = opsbot.services.redis
    assert await redis.exists(keyspace.bot(TEAM_A), keyspace.installation(TEAM_A)) == 2
    # The state is spent, and no secret is readable in Redis.
    assert await redis.exists(keyspace.oauth_state(consent.state)) == 0
    assert await find_secrets_in_redis(redis, [TOKEN_A, CLIENT_SECRET, SIGNING_SECRET]) == []
    names = [name async for name in redis.scan_iter()]
    assert names
    assert [n for n in names if not n.startswith(f"{keyspace.PREFIX}{{{TEAM_A}}}:")] == []


async def test_a_state_is_good_for_one_installation_only(
    opsbot: RunningOpsbot, browser: Browser, fake_slack: FakeSlack
) -> None:
    _, _, consent = await browser.open_install_page()
    first = fake_slack.oauth_code(team_id=TEAM_A, bot_token=TOKEN_A)
    assert (await browser.come_back_from_slack(first, consent))[0] == 200

    second = fake_slack.oauth_code(team_id=TEAM_B, bot_token=TOKEN_B)
    status, _ = await browser.come_back_from_slack(second, consent)

    assert status == 401
    assert len(fake_slack.calls_to("oauth.v2.access")) == 1  # the code was never exchanged
    assert await team_keys(opsbot.services.redis, TEAM_B) == {}


async def test_a_callback_without_the_install_cookie_is_refused(
    opsbot: RunningOpsbot, browser: Browser, fake_slack: FakeSlack
) -> None:
    _, _, consent = await browser.open_install_page()
    code = fake_slack.oauth_code(team_id=TEAM_A, bot_token=TOKEN_A)
    stolen = Consent(state=consent.state, cookie="someone-else")

    status, _ = await browser.come_back_from_slack(code, stolen)

    assert status == 400
    assert fake_slack.calls_to("oauth.v2.access") == []
    assert await team_keys(opsbot.services.redis, TEAM_A) == {}


async def test_installing_writes_no_secret_to_the_log(
    opsbot: RunningOpsbot, browser: Browser, fake_slack: FakeSlack
) -> None:
    # At DEBUG, slack_sdk logs oauth.v2.access's answer, bot token included:
    # what opsbot's log handler writes must not hold it, nor the client secret.
    with production_log(opsbot.settings) as log:
        await browser.install(fake_slack, TEAM_A, TOKEN_A)

    written = log.getvalue()
    assert "oauth.v2.access" in written
    assert [s for s in (TOKEN_A, CLIENT_SECRET, SIGNING_SECRET) if s in written] == []


# --- serving installed teams ------------------------------------------------------------


@pytest.mark.usefixtures("opsbot")
async def test_each_team_is_answered_with_its_own_token(
    browser: Browser, fake_slack: FakeSlack, slack_client: SlackClient
) -> None:
    await browser.install(fake_slack, TEAM_A, TOKEN_A)
    await browser.install(fake_slack, TEAM_B, TOKEN_B)
    installed = len(fake_slack.calls)

    help_reply = await slack_client.post(
        slash_command_body(
            "help", response_url=fake_slack.response_url("h"), sender=Sender(team_id=TEAM_A)
        )
    )
    for team_id in (TEAM_A, TEAM_B):
        # /ops key opens a modal through the Web API, then checks the user's rights.
        body = slash_command_body(
            "key",
            response_url=fake_slack.response_url(team_id),
            sender=Sender(team_id=team_id, trigger_id=f"trigger-{team_id}"),
        )
        assert (await slack_client.post(body)).status == 200
    await fake_slack.wait_for("users.info", count=2)

    assert help_reply.status == 200
    assert help_reply.json()["response_type"] == "ephemeral"
    assert "/ops list" in help_reply.text
    token_of_team = {TEAM_A: TOKEN_A, TEAM_B: TOKEN_B}
    # Each modal opened with the trigger_id Slack issued for its team's command.
    triggers = fake_slack.workspace.triggers
    opened = {
        triggers[c.args["trigger_id"]].team_id: c.token for c in fake_slack.calls_to("views.open")
    }
    assert opened == token_of_team
    # bolt names the team in every call it makes for a request.
    looked_up = {c.args["team_id"]: c.token for c in fake_slack.calls_to("users.info")}
    assert looked_up == token_of_team
    assert {call.token for call in fake_slack.calls[installed:]} == {TOKEN_A, TOKEN_B}


@pytest.mark.usefixtures("opsbot")
async def test_a_team_that_never_installed_is_not_served(
    fake_slack: FakeSlack, slack_client: SlackClient
) -> None:
    # Slack has the app in TEAM_A (it sends TEAM_A's requests); opsbot has no installation.
    fake_slack.install(TEAM_A, "xoxb-opsbot-never-saw-this")
    reply = await slack_client.post(
        slash_command_body(
            "key", response_url=fake_slack.response_url("k"), sender=Sender(team_id=TEAM_A)
        )
    )

    assert reply.status == 200
    [answer] = await fake_slack.wait_for_responses("k")
    assert "reinstall this app" in answer["text"]
    assert fake_slack.calls == []


# --- forgetting a team --------------------------------------------------------------------


async def _two_installed_teams(
    opsbot: RunningOpsbot, browser: Browser, fake_slack: FakeSlack, api_key: str
) -> None:
    """Teams A and B each installed, with an API key, an audit entry and an audit channel."""
    for team_id, token in ((TEAM_A, TOKEN_A), (TEAM_B, TOKEN_B)):
        await browser.install(fake_slack, team_id, token)
        await opsbot.set_team_key(team_id, api_key)
        await opsbot.services.audit.record(
            team_id, user_id=USER_ID, action="key_set", target="fingerprint", outcome="ok"
        )
        await opsbot.services.audit.set_channel(team_id, "C0AUDIT")


@pytest.mark.parametrize(
    "event",
    [app_uninstalled_event(), tokens_revoked_event(bot_user_ids=["U0BOT"])],
    ids=["app_uninstalled", "tokens_revoked"],
)
async def test_losing_a_team_deletes_its_data_and_only_its_data(
    event: dict[str, Any],
    opsbot: RunningOpsbot,
    browser: Browser,
    fake_slack: FakeSlack,
    slack_client: SlackClient,
    sim_key: str,
) -> None:
    await _two_installed_teams(opsbot, browser, fake_slack, sim_key)
    redis = opsbot.services.redis
    team_b_before = await team_keys(redis, TEAM_B)
    assert {
        keyspace.api_key(TEAM_A),
        keyspace.audit(TEAM_A),
        keyspace.audit_channel(TEAM_A),
        keyspace.bot(TEAM_A),
    } <= set(await team_keys(redis, TEAM_A))

    reply = await slack_client.post(event_body(event, team_id=TEAM_A))

    assert reply.status == 200

    async def team_a_forgotten() -> bool:
        return await team_keys(redis, TEAM_A) == {}

    await settle(team_a_forgotten)
    assert await team_keys(redis, TEAM_B) == team_b_before
    assert await opsbot.services.team_keys.get(TEAM_B) == sim_key


async def test_revoking_only_user_tokens_keeps_the_team(
    opsbot: RunningOpsbot,
    browser: Browser,
    fake_slack: FakeSlack,
    slack_client: SlackClient,
    sim_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # opsbot asks for no user scope, so the bot still works: the team's key,
    # installation and audit must survive a person revoking their own token.
    caplog.set_level(logging.INFO, logger="opsbot.slack.events")
    await _two_installed_teams(opsbot, browser, fake_slack, sim_key)
    redis = opsbot.services.redis
    team_a_before = await team_keys(redis, TEAM_A)
    revoked = tokens_revoked_event(bot_user_ids=[], user_ids=["U0INSTALLER"])

    assert (await slack_client.post(event_body(revoked, team_id=TEAM_A))).status == 200

    async def handled() -> bool:
        return any(TEAM_A in record.getMessage() for record in caplog.records)

    await settle(handled)
    assert await team_keys(redis, TEAM_A) == team_a_before


@pytest.mark.usefixtures("opsbot")
async def test_slack_is_asked_who_we_are_once_per_team_not_before_every_ack(
    browser: Browser, fake_slack: FakeSlack, slack_client: SlackClient
) -> None:
    await browser.install(fake_slack, TEAM_A, TOKEN_A)

    async def help_from_team_a() -> None:
        body = slash_command_body(
            "help", response_url=fake_slack.response_url("help"), sender=Sender(team_id=TEAM_A)
        )
        assert (await slack_client.post(body)).status == 200

    await help_from_team_a()
    checked = len(fake_slack.calls_to("auth.test"))
    for _ in range(3):
        await help_from_team_a()

    assert len(fake_slack.calls_to("auth.test")) == checked


# --- each workspace's audit channel ------------------------------------------------------

# The channel OPSBOT_AUDIT_CHANNEL names: it exists in team A only, as any
# channel id does; in OAuth mode it is no workspace's audit channel.
SHARED_AUDIT = "C0SHARED"


@dataclass(frozen=True)
class Workspace:
    team_id: str
    token: str
    admin: str
    member: str
    channel: str
    audit: str

    def sender(self, user_id: str) -> Sender:
        return Sender(team_id=self.team_id, user_id=user_id, channel_id=self.channel)


WORKSPACE_A = Workspace(TEAM_A, TOKEN_A, "U0ADMINA", "U0MEMBERA", "C0OPSA", "C0AUDITA")
WORKSPACE_B = Workspace(TEAM_B, TOKEN_B, "U0ADMINB", "U0MEMBERB", "C0OPSB", "C0AUDITB")


async def _installed(browser: Browser, fake_slack: FakeSlack, workspace: Workspace) -> None:
    """The workspace with its people and channels, and opsbot installed in it."""
    fake_slack.add_team(workspace.team_id)
    for channel in (workspace.channel, workspace.audit):
        fake_slack.add_channel(channel, team_id=workspace.team_id)
    fake_slack.set_user(workspace.admin, is_admin=True, team_id=workspace.team_id)
    fake_slack.set_user(workspace.member, team_id=workspace.team_id)
    await browser.install(fake_slack, workspace.team_id, workspace.token)


async def _ops(
    slack_client: SlackClient, fake_slack: FakeSlack, text: str, sender: Sender
) -> dict[str, Any]:
    """``/ops <text>`` from ``sender``; its one private answer, on the response_url."""
    name = f"{sender.team_id}-{len(fake_slack.workspace.response_urls)}"
    body = slash_command_body(text, response_url=fake_slack.response_url(name), sender=sender)
    assert (await slack_client.post(body)).status == 200
    [answer] = await fake_slack.wait_for_responses(name)
    return answer


def _audit_posts(fake_slack: FakeSlack, channel: str) -> list[tuple[str, str | None]]:
    """Each audit line posted in ``channel``: its text, and the token that posted it."""
    return [
        (str(call.args["text"]), call.token)
        for call in fake_slack.calls_to("chat.postMessage")
        if call.args["channel"] == channel and str(call.args["text"]).startswith("Audit:")
    ]


@pytest.mark.parametrize("env_overrides", [{"OPSBOT_AUDIT_CHANNEL": SHARED_AUDIT}])
async def test_each_workspace_s_audit_lines_go_to_its_own_channel_and_nothing_crosses(
    opsbot: RunningOpsbot, browser: Browser, fake_slack: FakeSlack, slack_client: SlackClient
) -> None:
    fake_slack.add_channel(SHARED_AUDIT, team_id=TEAM_A)
    for workspace in (WORKSPACE_A, WORKSPACE_B):
        await _installed(browser, fake_slack, workspace)
    # None chosen yet: an audited action is kept in Redis and posted nowhere,
    # OPSBOT_AUDIT_CHANNEL notwithstanding.
    for workspace in (WORKSPACE_A, WORKSPACE_B):
        shown = await _ops(slack_client, fake_slack, "audit", workspace.sender(workspace.member))
        assert shown["text"].startswith("No audit channel is set")
        await _ops(slack_client, fake_slack, "key remove", workspace.sender(workspace.admin))
    assert len(await recent_audit(opsbot.services.redis, TEAM_A)) == 1
    assert fake_slack.calls_to("chat.postMessage") == []

    for workspace in (WORKSPACE_A, WORKSPACE_B):
        chosen = await _ops(
            slack_client,
            fake_slack,
            f"audit <#{workspace.audit}|audit>",
            workspace.sender(workspace.admin),
        )
        assert chosen["text"] == f"Audit lines now go to <#{workspace.audit}>."
        await _ops(slack_client, fake_slack, "key remove", workspace.sender(workspace.admin))

    for workspace in (WORKSPACE_A, WORKSPACE_B):
        assert _audit_posts(fake_slack, workspace.audit) == [
            (f"Audit: audit_channel {workspace.audit}: ok", workspace.token),
            ("Audit: key_remove : no key", workspace.token),
        ]
        [_, key_line] = fake_slack.messages(workspace.audit)
        assert f"<@{workspace.admin}>" in str(key_line["blocks"])
        assert await opsbot.services.audit.channel(workspace.team_id) == workspace.audit
    assert fake_slack.messages(SHARED_AUDIT) == []


@pytest.mark.parametrize(
    "refused",
    [
        (WORKSPACE_A.admin, WORKSPACE_B.audit, "opsbot cannot see that channel"),
        (WORKSPACE_A.member, WORKSPACE_A.audit, "Only workspace admins and owners"),
    ],
    ids=["another workspace's channel", "a member"],
)
async def test_a_workspace_s_admins_choose_among_its_own_channels_only(
    opsbot: RunningOpsbot,
    browser: Browser,
    fake_slack: FakeSlack,
    slack_client: SlackClient,
    refused: tuple[str, str, str],
) -> None:
    chooser, channel, said = refused
    for workspace in (WORKSPACE_A, WORKSPACE_B):
        await _installed(browser, fake_slack, workspace)

    answer = await _ops(
        slack_client, fake_slack, f"audit <#{channel}|audit>", WORKSPACE_A.sender(chooser)
    )

    assert said in answer["text"]
    assert await opsbot.services.audit.channel(TEAM_A) is None
    assert fake_slack.calls_to("chat.postMessage") == []
    # Asked of team A's Slack, with team A's token.
    [asked] = fake_slack.calls_to("users.info")
    assert (asked.args["user"], asked.token) == (chooser, TOKEN_A)


@pytest.mark.parametrize("env_overrides", [{"OPSBOT_AUDIT_CHANNEL": SHARED_AUDIT}])
async def test_the_shared_audit_channel_setting_is_warned_about_at_start_up(
    opsbot: RunningOpsbot, caplog: pytest.LogCaptureFixture
) -> None:
    [warning] = [
        record
        for record in caplog.get_records("setup")
        if "OPSBOT_AUDIT_CHANNEL" in record.getMessage()
    ]
    assert warning.levelno == logging.WARNING
    assert "/ops audit #channel" in warning.getMessage()
    assert opsbot.settings.audit_channel == SHARED_AUDIT


# --- Enterprise Grid --------------------------------------------------------------------


async def test_a_grid_workspace_gets_its_watch_replies_from_the_watcher(
    opsbot: RunningOpsbot,
    browser: Browser,
    fake_slack: FakeSlack,
    slack_client: SlackClient,
    simulator: Simulator,
    sim_key: str,
) -> None:
    """Installed under its org's id, the team's bot is found by the watcher too."""
    fake_slack.add_team(TEAM_GRID, enterprise_id=ENTERPRISE)
    fake_slack.add_channel(CHANNEL_GRID, team_id=TEAM_GRID)
    await browser.install(fake_slack, TEAM_GRID, TOKEN_GRID)
    await opsbot.set_team_key(TEAM_GRID, sim_key)
    op_id = simulator.create("domain_renew", step=WAIT, domain="grid.example")
    sender = Sender(team_id=TEAM_GRID, channel_id=CHANNEL_GRID, enterprise_id=ENTERPRISE)
    body = slash_command_body(
        f"watch {op_id}", response_url=fake_slack.response_url("grid"), sender=sender
    )
    assert (await slack_client.post(body)).status == 200
    await fake_slack.wait_for_responses("grid")
    [card] = fake_slack.messages(CHANNEL_GRID)

    simulator.move(op_id, DONE)
    clock = HandClock()
    services = opsbot.services
    async with open_worker(opsbot.settings, services.redis, services.vault, clock=clock) as worker:
        for _ in range(5):
            clock.advance(opsbot.settings.poll_interval_s)
            await worker.run_once()
            if len(fake_slack.messages(CHANNEL_GRID)) > 1:
                break

    [final] = [m for m in fake_slack.messages(CHANNEL_GRID) if m.get("thread_ts") == card["ts"]]
    assert f"Operation {op_id}" in final["text"]
    assert final["reply_broadcast"] is True
    [posted] = [c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    assert posted.token == TOKEN_GRID


# --- token rotation -----------------------------------------------------------------------


async def test_an_install_with_token_rotation_on_is_refused_and_says_why(
    opsbot: RunningOpsbot, browser: Browser, fake_slack: FakeSlack
) -> None:
    """opsbot does not refresh rotated tokens (README): such an install is not kept."""
    manifest = fake_slack.workspace.app.manifest
    fake_slack.workspace.app.manifest = dataclasses.replace(manifest, token_rotation=True)
    _, _, consent = await browser.open_install_page()
    code = fake_slack.oauth_code(team_id=TEAM_A, bot_token=TOKEN_A)

    status, page = await browser.come_back_from_slack(code, consent)

    assert status == 400
    assert "Token rotation is on for this app" in page
    assert "Turn token rotation off" in page
    bot = await opsbot.services.installations.async_find_bot(enterprise_id=None, team_id=TEAM_A)
    assert bot is None
