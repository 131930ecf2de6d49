"""opsbot served against the local workspace, the simulator and a real Redis.

The workspace keeps Slack's rules (scopes, triggers, response_urls, block
limits) and has what guardrails need: a user group, a read-only channel,
an admin and two members. ``Guarded`` drives it as people would.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Final, TypeVar

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.api.operation import Operation
from opsbot.services import Services
from opsbot.simulator import ServedSimulator, Simulator
from opsbot.store.guardrails import CANCEL, Guardrails, WhoMay
from opsbot.ui import ids
from opsbot.ui.operations import info_message
from opsbot.workspace import Outcome, ServedWorkspace, Target, Workspace, serve_workspace
from opsbot.workspace.state import Ephemeral, View
from tests.support.opsbot_app import RunningOpsbot, opsbot_env, running_opsbot
from tests.support.surfaces import all_text
from tests.support.waiting import eventually

TEAM: Final = "T0GUARD"
# The cancel confirmation before opsbot fills it.
LOOKING: Final = "Looking at operation"
OPS: Final = "C0OPS"
READ_ONLY: Final = "C0READ"
ADA: Final = "U0ADA"  # workspace admin
MIA: Final = "U0MIA"  # member, in no group
OTTO: Final = "U0OTTO"  # member of @oncall
ONCALL: Final = "S0ONCALL"
# Cancels left to @oncall and Ada: Mia is refused, Otto and Ada may.
ONLY_ONCALL_AND_ADA: Final = Guardrails().with_who_may(
    CANCEL, WhoMay.only(groups=[ONCALL], people=[ADA])
)


@dataclass
class Guarded:
    workspace: Workspace
    served: ServedWorkspace
    opsbot: RunningOpsbot
    simulator: Simulator
    bot_client: AsyncWebClient
    # opsbot's settings, to start another process of it on the same Redis.
    env: dict[str, str]

    @property
    def services(self) -> Services:
        return self.opsbot.services

    async def set_rules(self, rules: Guardrails) -> None:
        await self.services.guardrails.set(TEAM, rules)

    async def command(self, user: str, text: str, channel: str = OPS) -> Outcome:
        outcome = await self.served.interactions.slash_command(user, channel, text)
        assert outcome.ok, outcome.failure
        return outcome

    async def answer_to(self, user: str, count: int = 1) -> list[Ephemeral]:
        """What ``user`` has privately, once at least ``count`` messages reached them."""
        return await eventually(lambda: _at_least(self.workspace.ephemerals_for(user), count))

    def ephemerals(self) -> list[Ephemeral]:
        return list(self.workspace.ephemerals.values())

    async def post_card(self, op_id: int, channel: str = OPS) -> str:
        """The operation's info card in the channel, as a watch card would be: its ts."""
        operation = Operation.from_api(self.simulator.operation(op_id))
        card = info_message(operation, now=dt.datetime.now(dt.UTC))
        posted = await self.bot_client.chat_postMessage(
            channel=channel, text=card["text"], blocks=card["blocks"]
        )
        return str(posted["ts"])

    async def click(self, user: str, channel: str, ts: str, action_id: str) -> Outcome:
        outcome = await self.served.interactions.click(user, Target.message(channel, ts), action_id)
        assert outcome.ok, outcome.failure
        return outcome

    async def modal_of(self, user: str, title: str) -> View:
        """``user``'s front modal once its title is ``title`` (it may open as "Loading")."""

        def front() -> View | None:
            views = self.workspace.open_views(user)
            shown = views[-1] if views else None
            return shown if shown and shown.body["title"]["text"] == title else None

        return await eventually(front)

    async def confirmation(self, user: str) -> View:
        """``user``'s front modal once opsbot has filled it, past its "Looking…" view."""

        def filled() -> View | None:
            views = self.workspace.open_views(user)
            shown = views[-1] if views else None
            return shown if shown and LOOKING not in all_text(shown.body["blocks"]) else None

        return await eventually(filled)

    async def cancel_clicked(self, user: str, channel: str, ts: str) -> View:
        """``user`` clicks Cancel in message ``ts``: the confirmation it opens, once filled."""
        await self.click(user, channel, ts, ids.ACTION_CANCEL)
        return await self.confirmation(user)

    async def submitted(self, user: str, view: View) -> View:
        """``user`` presses the modal's submit: what the modal shows then."""
        outcome = await self.served.interactions.submit(user, view.id)
        assert outcome.ok, outcome.failure
        return await eventually(lambda: self.workspace.open_views(user)[-1])

    def step_of(self, op_id: int) -> str:
        return str(self.simulator.operation(op_id)["step"])


T = TypeVar("T")


def _at_least(items: list[T], count: int) -> list[T] | None:
    return items if len(items) >= count else None


def populate(workspace: Workspace) -> None:
    workspace.add_team(TEAM, "Guarded")
    workspace.add_channel(OPS, TEAM, name="ops")
    workspace.add_channel(READ_ONLY, TEAM, name="ops-watch")
    everywhere = [OPS, READ_ONLY]
    workspace.add_user(ADA, TEAM, name="ada", role="admin", channels=everywhere)
    workspace.add_user(MIA, TEAM, name="mia", channels=everywhere)
    workspace.add_user(OTTO, TEAM, name="otto", channels=everywhere)
    workspace.add_usergroup(ONCALL, TEAM, handle="oncall", users=[OTTO])


@pytest.fixture
async def guarded(
    sim_server: ServedSimulator, simulator: Simulator, sim_key: str, redis_url: str
) -> AsyncIterator[Guarded]:
    async with _guarded(sim_server, simulator, sim_key, redis_url) as world:
        yield world


@pytest.fixture
async def watching_guarded(
    sim_server: ServedSimulator, simulator: Simulator, sim_key: str, redis_url: str
) -> AsyncIterator[Guarded]:
    """The same, with ``opsbot serve``'s own watcher polling every 0.2 s."""
    async with _guarded(
        sim_server, simulator, sim_key, redis_url, watcher=True, OPSBOT_POLL_INTERVAL="0.2"
    ) as world:
        yield world


@contextlib.asynccontextmanager
async def _guarded(
    sim_server: ServedSimulator,
    simulator: Simulator,
    sim_key: str,
    redis_url: str,
    *,
    watcher: bool = False,
    **settings: str,
) -> AsyncIterator[Guarded]:
    workspace = Workspace()
    populate(workspace)
    bot = workspace.install(TEAM)
    async with serve_workspace(workspace) as served:
        env = opsbot_env(
            slack_api_url=served.api_url,
            api_url=sim_server.url,
            redis_url=redis_url,
            SLACK_SIGNING_SECRET=workspace.app.signing_secret,
            SLACK_BOT_TOKEN=bot.bot_token,
        )
        env.update(settings)
        async with running_opsbot(env, watcher=watcher) as running:
            workspace.app.request_url = f"{running.base_url}/slack/events"
            await running.set_team_key(TEAM, sim_key)
            client = AsyncWebClient(token=bot.bot_token, base_url=served.api_url)
            yield Guarded(workspace, served, running, simulator, client, env)
