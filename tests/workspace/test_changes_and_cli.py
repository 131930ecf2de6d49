"""What a live page relies on: the feed of changes; and the command that serves a demo."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from slack_sdk.web.async_client import AsyncWebClient

from opsbot.workspace import Workspace
from opsbot.workspace.changes import Change
from tests.workspace.conftest import CHANNEL, MEMBER


async def test_a_subscriber_sees_every_change_in_order(
    client: AsyncWebClient, workspace: Workspace
) -> None:
    async with workspace.feed.subscribe() as changes:
        posted = await client.chat_postMessage(channel=CHANNEL, text="card")
        await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="card, step 2")
        await client.chat_postEphemeral(channel=CHANNEL, user=MEMBER, text="psst")

        seen = [(await changes.get()).kind for _ in range(3)]

    assert seen == ["message.posted", "message.updated", "ephemeral.posted"]
    assert changes.empty()


async def test_two_subscribers_each_get_their_own_copy(workspace: Workspace) -> None:
    async with workspace.feed.subscribe() as first, workspace.feed.subscribe() as second:
        workspace.archive(CHANNEL)

        got: list[Change] = [first.get_nowait(), second.get_nowait()]

    assert [c.kind for c in got] == ["channel.archived", "channel.archived"]
    assert got[0].data == {"channel": CHANNEL}


async def test_warnings_are_changes_too(workspace: Workspace) -> None:
    async with workspace.feed.subscribe() as changes:
        workspace.warn("missing_text", "somewhere")

        change = changes.get_nowait()

    assert (change.kind, change.data) == (
        "warning",
        {"warning": "missing_text", "detail": "somewhere"},
    )


async def test_python_m_opsbot_workspace_serves_a_demo_until_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "opsbot.workspace",
        "--port",
        "0",
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            lines = [(await process.stdout.readline()).decode().strip() for _ in range(4)]
        printed = dict(line.split("=", 1) for line in lines)
        answer = await AsyncWebClient(
            token=printed["SLACK_BOT_TOKEN"], base_url=printed["SLACK_API_URL"]
        ).auth_test()
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert answer["team_id"] == "T0DEMO"
    assert set(printed) == {
        "SLACK_API_URL",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
    }
    assert process.returncode == 0
