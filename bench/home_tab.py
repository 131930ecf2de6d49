"""What one Home tab costs: gathered from Redis, the API and Slack, drawn, published.

Set-up: a standalone Redis, the simulator (its demo-sized account), and the
local workspace (which holds every views.publish to Slack's rules). The team
watches 500 operations (its fair-use cap, OPSBOT_MAX_WATCHES), half of them
followed by the person whose tab is drawn, and has 20 subscriptions (its
cap) in the person's channels: the largest tab a team can ask for.

It prints the time to publish the tab (gather + draw + views.publish, as
``app_home_opened`` does), the time to draw it alone from gathered content
(the ui part), and the size of the view Slack receives.

Last line: ``home_tab: publish_median_ms=P publish_p99_ms=Q draw_median_ms=D
blocks=B view_bytes=V`` (goals: P well under Slack's 3 s (the tab is
published after the ack, but a person waits on it), B <= 100).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from slack_sdk.web.async_client import AsyncWebClient  # noqa: E402

from opsbot.api.client import OperationClient  # noqa: E402
from opsbot.app_home import HomeSources, draw_home, publish_home  # noqa: E402
from opsbot.config import Settings  # noqa: E402
from opsbot.simulator import Simulator, serve_simulator  # noqa: E402
from opsbot.slack.commands import help_sections  # noqa: E402
from opsbot.store.connection import open_redis  # noqa: E402
from opsbot.store.pauses import TeamPauses  # noqa: E402
from opsbot.store.server import RedisServer  # noqa: E402
from opsbot.store.subscriptions import SubscriptionStore  # noqa: E402
from opsbot.store.team_keys import TeamKeyStore  # noqa: E402
from opsbot.store.vault import Keyring, Vault  # noqa: E402
from opsbot.store.watches import WatchStore  # noqa: E402
from opsbot.workspace import Workspace, serve_workspace  # noqa: E402
from opsbot.workspace import demo as demo_workspace  # noqa: E402
from tests.support.stored_watches import bench_watch, carded_watch  # noqa: E402

SIM_KEY = "benchkey0123456789abcdef"
TEAM = demo_workspace.TEAM
PERSON = "U0MEMBER"
OTHER = "U0ADMIN"
WATCHES = 500
SUBSCRIPTIONS = 20
# Both measures call users.conversations (Tier 3 in the workspace: 50 a minute).
RUNS = 20


async def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        redis = RedisServer(data_dir=Path(data_dir)).start()
        try:
            await measure(redis.url)
        finally:
            redis.stop()


async def measure(redis_url: str) -> None:
    simulator = Simulator(seed=1, keys=[SIM_KEY])
    workspace = Workspace()
    bot = demo_workspace.populate(workspace)
    settings = Settings(redis_url=redis_url)
    async with (
        serve_simulator(simulator) as sim,
        serve_workspace(workspace) as served,
        open_redis(settings) as redis,
        OperationClient(sim.url) as api,
    ):
        vault = Vault(Keyring.generate())
        watches = WatchStore(redis, max_watches=WATCHES)
        subscriptions = SubscriptionStore(redis, max_subscriptions=SUBSCRIPTIONS)
        team_keys = TeamKeyStore(redis, vault)
        await team_keys.set(TEAM, SIM_KEY, OTHER)
        await _fill(watches, subscriptions)
        sources = HomeSources(
            watches, subscriptions, team_keys, TeamPauses(redis), api, help_sections()
        )
        client = AsyncWebClient(token=bot.bot_token, base_url=served.api_url)
        publish = await _timed(lambda: publish_home(sources, client, TEAM, PERSON))
        view = await draw_home(sources, client, TEAM, PERSON, now=time.time())
        draw = await _timed(lambda: draw_home(sources, client, TEAM, PERSON, now=time.time()))
    _report(publish, draw, view)


async def _fill(watches: WatchStore, subscriptions: SubscriptionStore) -> None:
    now = dt.datetime.now(dt.UTC)
    for n in range(WATCHES):
        person = PERSON if n % 2 == 0 else OTHER
        new = bench_watch(
            100_000 + n,
            channel=demo_workspace.CHANNEL,
            user_id=person,
            card_ts=f"1700000000.{n:06d}",
            label=f"domain-{n}.example",
        )
        await carded_watch(watches, TEAM, new, now=now)
    for n in range(SUBSCRIPTIONS):
        await subscriptions.add(
            TEAM,
            channel=demo_workspace.CHANNEL,
            filters={"type": f"domain_type_{n}"},
            created_by=OTHER,
            now=now,
        )


async def _timed(call: Callable[[], Awaitable[object]]) -> list[float]:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _report(publish: list[float], draw: list[float], view: dict[str, Any]) -> None:
    blocks = len(view["blocks"])
    size = len(json.dumps(view).encode())
    p99 = sorted(publish)[int(len(publish) * 0.99) - 1]
    print(f"publish: median {statistics.median(publish):.1f} ms, p99 {p99:.1f} ms ({RUNS} runs)")
    print(f"draw (gather + render, no publish): median {statistics.median(draw):.1f} ms")
    print(f"view: {blocks} blocks, {size} bytes")
    print(
        f"home_tab: publish_median_ms={statistics.median(publish):.1f} publish_p99_ms={p99:.1f} "
        f"draw_median_ms={statistics.median(draw):.1f} blocks={blocks} view_bytes={size}"
    )


if __name__ == "__main__":
    asyncio.run(main())
