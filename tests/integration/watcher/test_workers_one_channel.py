"""Several workers and one channel, against the local workspace enforcing Slack's post rate.

Three workers (each with its own Redis connection pool, as separate processes
would have) run on the real clock; cards are posted the way ``/ops watch``
posts them, through the same bucket. The workspace keeps a bucket per channel
faster than Slack's (5 a second, bursts of 2) so that the test takes seconds;
opsbot's bucket is set just under it, as the default is just under Slack's.
Every outcome must reach the channel once, each operation's steps in order,
no post faster than the bucket allows, and Slack must never answer 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.api.operation import DONE, ERROR, RUN, WAIT
from opsbot.config import Settings, SlackCredentials
from opsbot.simulator import ServedSimulator
from opsbot.slack.posting import post_paced
from opsbot.store.connection import open_redis
from opsbot.store.pacing import ChannelPacing
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import Vault, load_keyring
from opsbot.store.watches import NewWatch, WatchStore
from opsbot.ui.watching import watch_card_message
from opsbot.watcher.worker import open_worker
from opsbot.workspace import Burst, Rates, Workspace, WorkspaceSettings, serve_workspace
from opsbot.workspace.workspace import ApiCall
from tests.support.opsbot_app import new_encryption_key

TEAM = "T0FLOW"
CHANNEL = "C0FLOW"
WATCHER = "U0FLOW"
OPERATIONS = 12
WORKERS = 3
SLACK_POSTS = Burst(per_second=5.0, burst=2)
OPSBOT_POSTS_PER_S = 4.5
OPSBOT_BURST = 2
WITHIN_S = 60.0
_STEP = re.compile(r"\*([A-Z]+)\*")


@pytest.fixture
async def workspace() -> AsyncIterator[tuple[Workspace, str, str]]:
    rates = dataclasses.replace(Rates(), post_per_channel=SLACK_POSTS)
    workspace = Workspace(settings=WorkspaceSettings(rates=rates))
    workspace.add_team(TEAM, "Flow")
    workspace.add_channel(CHANNEL, TEAM, name="ops")
    workspace.add_user(WATCHER, TEAM, name="wes", channels=[CHANNEL])
    bot = workspace.install(TEAM)
    async with serve_workspace(workspace) as served:
        yield workspace, served.api_url, bot.bot_token


def worker_settings(sim: ServedSimulator, api_url: str, token: str, redis_url: str) -> Settings:
    return Settings(
        api_url=sim.url,
        api_timeout_s=5.0,
        slack_api_url=api_url,
        redis_url=redis_url,
        poll_interval_s=0.2,
        encryption_keys=(new_encryption_key(),),
        slack=SlackCredentials(bot_token=token),
        posts_per_s=OPSBOT_POSTS_PER_S,
        post_burst=OPSBOT_BURST,
        # This test is about the pace, not burst mode's summary.
        burst_threshold_s=600.0,
    )


async def post_cards(settings: Settings, op_ids: list[int], sim: ServedSimulator) -> dict[int, str]:
    """Watch each operation as ``/ops watch`` does: stored, then its card posted at the pace."""
    async with open_redis(settings) as redis:
        watches, pacing = WatchStore(redis), ChannelPacing.from_settings(redis, settings)
        web = AsyncWebClient(token=settings.slack.bot_token, base_url=settings.slack_api_url)
        cards = {}
        for op_id in op_ids:
            operation = sim.simulator.operation(op_id)
            new = NewWatch(op_id, operation["type"], "", WAIT, None, CHANNEL, WATCHER)
            now = dt.datetime.now(dt.UTC)
            await watches.add(TEAM, new, now=now, expires_at=now + dt.timedelta(days=1))
            watch = await watches.get(TEAM, op_id)
            assert watch is not None
            card = watch_card_message(watch, now=now, channel=CHANNEL)
            posted = await post_paced(
                web, pacing, TEAM, CHANNEL, text=card["text"], blocks=card["blocks"]
            )
            cards[op_id] = str(posted["ts"])
            await watches.set_card_ts(TEAM, op_id, CHANNEL, cards[op_id])
        return cards


@contextlib.asynccontextmanager
async def running_workers(settings: Settings, sim_key: str) -> AsyncIterator[None]:
    stop = asyncio.Event()
    async with contextlib.AsyncExitStack() as stack:
        tasks: list[asyncio.Task[None]] = []
        for _ in range(WORKERS):
            redis = await stack.enter_async_context(open_redis(settings))
            vault = Vault(load_keyring(settings))
            if not tasks:
                await TeamKeyStore(redis, vault).set(TEAM, sim_key, "U0ADMIN")
            worker = await stack.enter_async_context(open_worker(settings, redis, vault))
            tasks.append(asyncio.create_task(worker.run(stop)))
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks)


def path_of(message: dict[str, Any]) -> list[str]:
    """The steps a reply tells, from its line with arrows ("*WAIT* → *RUN* …")."""
    blocks: list[Any] = message.get("blocks") or []
    texts = [str(b.get("text", {}).get("text", "")) for b in blocks if isinstance(b, dict)]
    texts += [
        str(e.get("text", ""))
        for b in blocks
        if isinstance(b, dict)
        for e in b.get("elements", [])
        if isinstance(e, dict)
    ]
    line = next(line for text in texts for line in text.split("\n") if "→" in line)
    return _STEP.findall(line)


def fastest_pace_kept(posts: list[ApiCall]) -> bool:
    """No run of posts faster than the bucket: n posts span at least (n - burst) / rate."""
    times = sorted(call.at for call in posts)
    slack = 0.05  # the workspace stamps calls on arrival: a few ms of jitter
    return all(
        times[j] - times[i] + slack >= (j - i + 1 - OPSBOT_BURST) / OPSBOT_POSTS_PER_S
        for i in range(len(times))
        for j in range(i + 1, len(times))
    )


@pytest.mark.slow
async def test_several_workers_post_every_outcome_once_in_order_at_the_buckets_pace(
    workspace: tuple[Workspace, str, str], sim_server: ServedSimulator, sim_key: str, redis_url: str
) -> None:
    slack, api_url, token = workspace
    settings = worker_settings(sim_server, api_url, token, redis_url)
    simulator = sim_server.simulator
    op_ids = [simulator.create("domain_renew", step=WAIT) for _ in range(OPERATIONS)]
    cards = await post_cards(settings, op_ids, sim_server)
    ends = {op_id: ERROR if index % 4 == 0 else DONE for index, op_id in enumerate(op_ids)}

    async with running_workers(settings, sim_key):
        for op_id in op_ids:
            simulator.move(op_id, RUN)
        await asyncio.sleep(1.0)
        for op_id in op_ids:
            simulator.move(op_id, ends[op_id])
        deadline = time.monotonic() + WITHIN_S
        while time.monotonic() < deadline:
            threads = {op_id: slack.thread(CHANNEL, ts) for op_id, ts in cards.items()}
            finals = [m for thread in threads.values() for m in thread if m.reply_broadcast]
            if len(finals) == OPERATIONS:
                break
            await asyncio.sleep(0.2)

    for op_id, ts in cards.items():
        replies = [m.as_slack() for m in slack.thread(CHANNEL, ts)]
        told = [step for reply in replies for step in path_of(reply)[1:]]
        assert told == [RUN, ends[op_id]], (op_id, [r["text"] for r in replies])
        assert [m.reply_broadcast for m in slack.thread(CHANNEL, ts)][-1] is True
        assert sum(m.reply_broadcast for m in slack.thread(CHANNEL, ts)) == 1
    posts = [call for call in slack.calls if call.method == "chat.postMessage"]
    assert [call for call in slack.calls if call.error == "ratelimited"] == []
    assert fastest_pace_kept([call for call in posts if call.error is None])
