"""``opsbot socket`` against the local workspace's Socket Mode, every surface end to end.

The workspace (:mod:`opsbot.workspace.socket_mode`) plays Slack's side:
apps.connections.open with the app-level token, a websocket, envelopes that
must be acked within 3 s. People act through the workspace itself (commands,
clicks, "add a field" suggestions, submits), so each request is delivered
over the socket exactly as Slack would deliver it; the Web API calls opsbot
makes meet the same rules as over HTTP. Like ``opsbot serve``, ``opsbot
socket`` runs a watcher beside the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from opsbot.api.operation import BILL, DONE, ERROR, WAIT
from opsbot.config import Settings
from opsbot.runtime import run_socket
from opsbot.simulator import ServedSimulator, Simulator
from opsbot.store.server import RedisServer
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import Vault, load_keyring
from opsbot.ui import ids
from opsbot.workspace import Interactions, Target
from tests.support.opsbot_app import BOT_TOKEN, opsbot_env
from tests.support.slack_api import JSON, FakeSlack
from tests.support.slack_requests import CHANNEL_ID, TEAM_ID, USER_ID

# Generous: a safety net that turns a hang into a readable failure.
PROCESS_TIMEOUT_S = 30.0
WAIT_S = 15.0


def private_texts(fake_slack: FakeSlack) -> list[str]:
    return [e.text for e in fake_slack.workspace.ephemerals_for(USER_ID, CHANNEL_ID)]


@pytest.fixture
async def people(
    fake_slack: FakeSlack, sim_server: ServedSimulator, redis_url: str, sim_key: str
) -> AsyncIterator[Interactions]:
    """``opsbot socket`` (watcher included) running in this process, the team's key set."""
    fake_slack.workspace.app.socket_mode = True
    env = opsbot_env(
        slack_api_url=fake_slack.api_url,
        api_url=sim_server.url,
        redis_url=redis_url,
        SLACK_APP_TOKEN=fake_slack.workspace.app.app_token,
        OPSBOT_POLL_INTERVAL="0.2",
    )
    settings = Settings.from_env(env)
    async with contextlib.aclosing(Redis.from_url(redis_url, decode_responses=True)) as redis:
        await TeamKeyStore(redis, Vault(load_keyring(settings))).set(TEAM_ID, sim_key, USER_ID)
    running = asyncio.create_task(run_socket(settings, watcher=True))
    try:
        await fake_slack.served.hub.wait_connected()
        yield fake_slack.served.interactions
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


async def test_commands_are_answered_on_the_ack_and_through_response_url(
    people: Interactions, fake_slack: FakeSlack
) -> None:
    helped = await people.slash_command(USER_ID, CHANNEL_ID, "help")
    counted = await people.slash_command(USER_ID, CHANNEL_ID, "count")

    assert helped.ok, helped.failure
    assert counted.ok, counted.failure
    await fake_slack.until(lambda: len(private_texts(fake_slack)) >= 2, "the count", WAIT_S)
    help_text, count_text = private_texts(fake_slack)
    assert "/ops" in help_text
    assert count_text.endswith("operations in all")


async def test_a_watch_its_info_button_and_the_watcher_all_over_the_socket(
    people: Interactions, fake_slack: FakeSlack, simulator: Simulator
) -> None:
    op_id = simulator.create("domain_renew", step=WAIT, domain="socket.example")

    watched = await people.slash_command(USER_ID, CHANNEL_ID, f"watch {op_id}")
    assert watched.ok, watched.failure
    await fake_slack.until(lambda: bool(cards(fake_slack)), "the card", WAIT_S)
    [card] = cards(fake_slack)
    clicked = await people.click(USER_ID, Target.message(CHANNEL_ID, card["ts"]), ids.ACTION_INFO)
    assert clicked.ok, clicked.failure
    info = f"Operation {op_id} (domain_renew): {WAIT}"
    await fake_slack.until(lambda: info in private_texts(fake_slack), "Info's answer", WAIT_S)

    simulator.move(op_id, DONE)
    await fake_slack.until(
        lambda: bool(replies(fake_slack, card["ts"])), "the watcher's final reply", WAIT_S
    )
    [final] = replies(fake_slack, card["ts"])
    assert final["reply_broadcast"] is True
    assert f"<@{USER_ID}>" in final["text"]
    # Info answered privately: the public card is the watcher's, not the answer.
    assert fake_slack.message(CHANNEL_ID, card["ts"])["text"].startswith(f"Operation {op_id}")


def cards(fake_slack: FakeSlack) -> list[JSON]:
    return [
        m
        for m in fake_slack.messages(CHANNEL_ID)
        if "thread_ts" not in m and m["text"].startswith("Operation")
    ]


def replies(fake_slack: FakeSlack, ts: str) -> list[JSON]:
    return [m for m in fake_slack.messages(CHANNEL_ID) if m.get("thread_ts") == ts]


async def test_the_relaunch_form_suggestions_and_submit_over_the_socket(
    people: Interactions, fake_slack: FakeSlack, simulator: Simulator
) -> None:
    op_id = simulator.create("domain_create", step=ERROR, domain="socket.es")

    opened = await people.slash_command(USER_ID, CHANNEL_ID, f"relaunch {op_id}")
    assert opened.ok, opened.failure
    await fake_slack.wait_for("views.update", timeout=WAIT_S)
    form = fake_slack.front_view()
    suggested = await people.suggest(
        USER_ID, Target.view(form["id"]), ids.ACTION_ADD_FIELD, "legal"
    )
    submitted = await people.submit(USER_ID, form["id"], {"x-es_legalform": "1"})
    assert submitted.ok, submitted.failure
    # What changed is shown for review before the API is called; confirmed here.
    submitted = await people.submit(USER_ID, fake_slack.front_view()["id"])

    assert suggested.ok, suggested.failure
    assert suggested.options
    assert all("legal" in option["value"] for option in suggested.options)
    assert submitted.ok, submitted.failure
    operation = simulator.operation(op_id)
    assert operation["step"] == BILL
    assert operation["params"]["x-es_legalform"] == "1"
    assert "x-es_legalform" in json.dumps(fake_slack.messages(CHANNEL_ID))


async def test_opsbot_socket_serves_until_sigterm_then_stops_cleanly(
    fake_slack: FakeSlack, sim_server: ServedSimulator, tmp_path: Path
) -> None:
    fake_slack.workspace.app.socket_mode = True
    app_token = fake_slack.workspace.app.app_token
    data_dir = tmp_path / "data"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SLACK_APP_TOKEN": app_token,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": fake_slack.api_url,
        "OPSBOT_API_URL": sim_server.url,
        "OPSBOT_DATA_DIR": str(data_dir),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "opsbot.cli",
        "socket",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake_slack.served.hub.wait_connected(timeout=PROCESS_TIMEOUT_S)
        helped = await fake_slack.served.interactions.slash_command(USER_ID, CHANNEL_ID, "help")
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(PROCESS_TIMEOUT_S):
            stdout, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.communicate()

    assert helped.ok, helped.failure
    assert "/ops" in private_texts(fake_slack)[0]
    assert process.returncode == 0, stderr.decode()
    output = (stdout + stderr).decode()
    assert "Traceback" not in output
    assert app_token not in output
    assert BOT_TOKEN not in output
    # The embedded Redis went with it.
    redis_dir = data_dir / "redis"
    assert not RedisServer(data_dir=redis_dir, unix_socket=redis_dir / "redis.sock").answers()
