"""How fast opsbot acknowledges Slack, against a bare bolt app that only acks.

Slack gives an app 3 seconds. opsbot acks every request before any API or
Redis work, so its ack latency should stay close to bolt's own floor. Both
apps run here on aiohttp, get the same signed ``/ops help`` requests in
alternation (so machine noise hits both alike), and we report medians and
p99 and their ratios. For ``/ops list`` against the simulator we also report
the time to the ack and to the final message posted to ``response_url``.

Last line: ``ack_latency: opsbot/bolt median ratio R p99 ratio Q`` (goal R <= 1.5).
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from slack_bolt.async_app import AsyncAck, AsyncApp  # noqa: E402
from slack_sdk.web.async_client import AsyncWebClient  # noqa: E402

from opsbot.simulator import Simulator, serve_simulator  # noqa: E402
from opsbot.store.server import RedisServer  # noqa: E402
from tests.support.opsbot_app import (  # noqa: E402
    BOT_TOKEN,
    SIGNING_SECRET,
    opsbot_env,
    running_opsbot,
)
from tests.support.ports import free_port  # noqa: E402
from tests.support.slack_api import FakeSlack  # noqa: E402
from tests.support.slack_requests import SlackClient, slash_command_body  # noqa: E402

HELP_REQUESTS = 400
LIST_REQUESTS = 40
WARM_UP = 20
SIM_KEY = "benchkey0123456789abcdef"


@contextlib.asynccontextmanager
async def bare_bolt(slack_api_url: str) -> AsyncIterator[str]:
    """The floor: a bolt AsyncApp on aiohttp whose /ops handler only acks."""
    app = AsyncApp(
        signing_secret=SIGNING_SECRET,
        client=AsyncWebClient(token=BOT_TOKEN, base_url=slack_api_url),
    )

    @app.command("/ops")
    async def ops(ack: AsyncAck) -> None:
        await ack()

    runner = web.AppRunner(app.web_app())
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def describe(name: str, seconds: list[float]) -> str:
    ms = [value * 1000 for value in seconds]
    return (
        f"{name:<28} n={len(ms):<4} median={statistics.median(ms):7.2f} ms  "
        f"p99={percentile(ms, 0.99):7.2f} ms"
    )


async def time_help(
    opsbot: SlackClient, bolt: SlackClient, slack: FakeSlack
) -> tuple[list[float], list[float]]:
    body = slash_command_body("help", response_url=slack.response_url("help"))
    opsbot_times: list[float] = []
    bolt_times: list[float] = []
    for index in range(WARM_UP + HELP_REQUESTS):
        # Alternate who goes first so neither always meets a warmer machine.
        pair = [(opsbot, opsbot_times), (bolt, bolt_times)]
        for client, times in pair if index % 2 else reversed(pair):
            reply = await client.post(body)
            if reply.status != 200:
                raise SystemExit(f"unexpected HTTP {reply.status}: {reply.text[:200]}")
            if index >= WARM_UP:
                times.append(reply.elapsed)
    return opsbot_times, bolt_times


async def time_list(opsbot: SlackClient, slack: FakeSlack) -> tuple[list[float], list[float]]:
    acks: list[float] = []
    finals: list[float] = []
    for index in range(LIST_REQUESTS):
        name = f"list-{index}"
        started = time.perf_counter()
        reply = await opsbot.post(
            slash_command_body("list step=ERROR", response_url=slack.response_url(name))
        )
        acks.append(reply.elapsed)
        await slack.wait_for_responses(name, timeout=30)
        finals.append(time.perf_counter() - started)
    return acks, finals


async def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        redis = RedisServer(data_dir=Path(data_dir)).start()
        try:
            await measure(redis.url)
        finally:
            redis.stop()


async def measure(redis_url: str) -> None:
    simulator = Simulator(seed=1, keys=[SIM_KEY])
    async with (
        FakeSlack() as slack,
        serve_simulator(simulator) as sim,
        running_opsbot(
            opsbot_env(slack_api_url=slack.api_url, api_url=sim.url, redis_url=redis_url)
        ) as opsbot,
        bare_bolt(slack.api_url) as bolt_url,
        SlackClient(opsbot.base_url, SIGNING_SECRET, slack=slack) as opsbot_client,
        SlackClient(bolt_url, SIGNING_SECRET) as bolt_client,
    ):
        await opsbot.set_team_key("T0123", SIM_KEY)
        opsbot_help, bolt_help = await time_help(opsbot_client, bolt_client, slack)
        list_acks, list_finals = await time_list(opsbot_client, slack)

    print(describe("bolt /ops help (ack only)", bolt_help))
    print(describe("opsbot /ops help", opsbot_help))
    print(describe("opsbot /ops list: ack", list_acks))
    print(describe("opsbot /ops list: final msg", list_finals))
    median_ratio = statistics.median(opsbot_help) / statistics.median(bolt_help)
    p99_ratio = percentile(opsbot_help, 0.99) / percentile(bolt_help, 0.99)
    print(f"ack_latency: opsbot/bolt median ratio {median_ratio:.2f} p99 ratio {p99_ratio:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
