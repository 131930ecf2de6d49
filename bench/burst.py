"""A burst: 100 watched operations in one channel all reach DONE at the same moment.

Set-up: a private Redis, the API simulator, the local Slack workspace
(``opsbot.workspace``) keeping Slack's limits (one post a second per channel
with a burst of 2, ``chat.update`` at Tier 3: 50 in any minute), and one
watcher (``open_worker``, in this process, polling every second). The 100
cards are posted at set-up with the workspace's limits off (that alone would
take 100 s at Slack's pace); the limits are on from the burst on.

At t0 every operation moves to DONE. An outcome is *visible* once the
channel shows it: its card edited to DONE, a reply in its thread, or a line
of burst mode's summary naming it. The script waits until every outcome is
visible, then until every operation's thread has its final reply (the
replies go on at Slack's pace after the summary).

It prints the seconds from t0 until every outcome was visible (S), the
``chat.postMessage`` calls Slack accepted from t0 until then (P), the 429s
Slack answered from t0 to the end (R), and the outcomes with no final reply
in their thread at the end, or never visible (L). Last line:
``burst: outcomes_visible_s=S posts=P rate_limited=R lost=L``
(goals: S under 15, P under 20, R = 0, L = 0).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from opsbot.api.operation import DONE, RUN  # noqa: E402
from opsbot.config import Settings, SlackCredentials  # noqa: E402
from opsbot.simulator import Simulator, serve_simulator  # noqa: E402
from opsbot.store.connection import open_redis  # noqa: E402
from opsbot.store.server import RedisServer  # noqa: E402
from opsbot.store.team_keys import TeamKeyStore  # noqa: E402
from opsbot.store.vault import Vault, load_keyring  # noqa: E402
from opsbot.store.watches import WatchStore  # noqa: E402
from opsbot.ui.watching import watch_card_message  # noqa: E402
from opsbot.watcher.worker import open_worker  # noqa: E402
from opsbot.workspace import Rates, Workspace, WorkspaceSettings, serve_workspace  # noqa: E402
from opsbot.workspace.rates import RateLimiter  # noqa: E402
from opsbot.workspace.state import Message  # noqa: E402
from tests.support.opsbot_app import new_encryption_key  # noqa: E402
from tests.support.stored_watches import bench_watch, carded_watch  # noqa: E402

TEAM = "T0BURST"
CHANNEL = "C0BURST"
WATCHERS = ("U0ANN", "U0BOB", "U0CAT", "U0DAN", "U0EVE")
OPERATIONS = 100
KEY = "burstbenchkey00000000000"
POLL_INTERVAL_S = 1.0
SETTLE_S = 3.0
VISIBLE_WITHIN_S = 60.0
# The replies go on at about one a second after the summary: 100 of them.
REPLIES_WITHIN_S = 240.0


@dataclass(frozen=True)
class Watched:
    op_id: int
    card_ts: str


def final_reply_in(workspace: Workspace, watched: Watched) -> bool:
    return any(
        DONE in reply.text or "is done" in reply.text
        for reply in workspace.thread(CHANNEL, watched.card_ts)
    )


def summaries(workspace: Workspace, cards: set[str]) -> list[Message]:
    return [m for m in workspace.history(CHANNEL) if m.ts not in cards and not m.thread_ts]


def visible(workspace: Workspace, watched: Watched, summary_text: str) -> bool:
    card = workspace.message(CHANNEL, watched.card_ts)
    return (
        card.text.endswith(DONE)
        or final_reply_in(workspace, watched)
        or f"#{watched.op_id}" in summary_text
    )


def all_text(message: Message) -> str:
    parts = [message.text]
    for block in message.blocks or []:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(str(text.get("text", "")))
        for element in block.get("elements", []) or []:
            if isinstance(element, dict):
                parts.append(str(element.get("text", "")))
    return "\n".join(parts)


async def post_cards(settings: Settings, op_ids: list[int]) -> list[Watched]:
    """Each operation watched as ``/ops watch`` leaves it, its card posted in the channel."""
    web = AsyncWebClient(token=settings.slack.bot_token, base_url=settings.slack_api_url)
    now = dt.datetime.now(dt.UTC)
    watched = []
    async with open_redis(settings) as redis:
        store = WatchStore(redis, max_watches=OPERATIONS + 1)
        await TeamKeyStore(redis, Vault(load_keyring(settings))).set(TEAM, KEY, "U0ADMIN")
        for index, op_id in enumerate(op_ids):
            user = WATCHERS[index % len(WATCHERS)]
            new = bench_watch(op_id, channel=CHANNEL, user_id=user, card_ts="", label="")
            await carded_watch(store, TEAM, new, now=now)
            stored = await store.get(TEAM, op_id)
            assert stored is not None
            card = watch_card_message(stored, now=now, channel=CHANNEL)
            posted = await web.chat_postMessage(
                channel=CHANNEL, text=card["text"], blocks=card["blocks"]
            )
            await store.set_card_ts(TEAM, op_id, CHANNEL, str(posted["ts"]))
            watched.append(Watched(op_id, str(posted["ts"])))
    return watched


async def until(condition: Callable[[], bool], within: float) -> float | None:
    """Poll ``condition()`` every 50 ms; the seconds it took, or None."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if condition():
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    return None


async def measure(redis_url: str) -> None:
    simulator = Simulator(seed=1, keys=[KEY], operations=0, speed=0.001)
    op_ids = [simulator.create("domain_renew", key=KEY, step=RUN) for _ in range(OPERATIONS)]
    workspace = Workspace(settings=WorkspaceSettings(rates=Rates(enabled=False)))
    workspace.add_team(TEAM, "Burst")
    workspace.add_channel(CHANNEL, TEAM, name="renewals")
    for user in WATCHERS:
        workspace.add_user(user, TEAM, channels=[CHANNEL])
    bot = workspace.install(TEAM)
    async with serve_simulator(simulator) as api, serve_workspace(workspace) as served:
        settings = Settings(
            api_url=api.url,
            slack_api_url=served.api_url,
            redis_url=redis_url,
            poll_interval_s=POLL_INTERVAL_S,
            encryption_keys=(new_encryption_key(),),
            slack=SlackCredentials(bot_token=bot.bot_token),
            max_watches=OPERATIONS + 1,
        )
        watched = await post_cards(settings, op_ids)
        cards = {one.card_ts for one in watched}
        workspace.rates = RateLimiter(Rates(), workspace.clock)  # Slack's limits from now on
        stop = asyncio.Event()
        async with (
            open_redis(settings) as redis,
            open_worker(settings, redis, Vault(load_keyring(settings))) as worker,
        ):
            running = asyncio.create_task(worker.run(stop))
            await asyncio.sleep(SETTLE_S)
            t0 = workspace.clock()
            for op_id in op_ids:
                simulator.move(op_id, DONE)

            def every_outcome_visible() -> bool:
                text = "\n".join(all_text(m) for m in summaries(workspace, cards))
                return all(visible(workspace, one, text) for one in watched)

            visible_s = await until(every_outcome_visible, VISIBLE_WITHIN_S)
            visible_at = t0 + (visible_s if visible_s is not None else VISIBLE_WITHIN_S)
            await until(
                lambda: all(final_reply_in(workspace, one) for one in watched), REPLIES_WITHIN_S
            )
            stop.set()
            await running

    text = "\n".join(all_text(m) for m in summaries(workspace, cards))
    lost = sum(
        not (final_reply_in(workspace, one) and visible(workspace, one, text)) for one in watched
    )
    after_t0 = [call for call in workspace.calls if call.at >= t0]
    posts = [c for c in after_t0 if c.method == "chat.postMessage" and c.error is None]
    posts_until_visible = [c for c in posts if c.at <= visible_at]
    rate_limited = sum(call.error == "ratelimited" for call in after_t0)
    edits = sum(c.method == "chat.update" and c.error is None for c in after_t0)
    seconds = visible_s if visible_s is not None else float("inf")
    print(f"operations ending at once   {OPERATIONS} in one channel, {len(WATCHERS)} watchers")
    print(f"every outcome visible after {seconds:.2f} s")
    print(f"posts until then            {len(posts_until_visible)}")
    print(f"posts in all                {len(posts)} (the replies, at Slack's pace), edits {edits}")
    print(f"429s from Slack             {rate_limited}")
    print(f"outcomes lost               {lost}")
    print(
        f"burst: outcomes_visible_s={seconds:.2f} posts={len(posts_until_visible)} "
        f"rate_limited={rate_limited} lost={lost}"
    )


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(data_dir=Path(tmp) / "redis").start()
        try:
            await measure(redis.url)
        finally:
            redis.stop()


if __name__ == "__main__":
    asyncio.run(main())
