"""The playground's world: the API simulator and the local workspace, served side by side.

:func:`open_world` starts both on free ports of 127.0.0.1 and yields a
:class:`World`: what opsbot needs to talk to them (:meth:`World.environment`)
and what the page drives (the workspace's people, the simulator's switch).
Everything lives in memory or under a temporary directory that goes when
the block ends: a playground never writes to a real Redis or a real data dir.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from opsbot.simulator import ServedSimulator, Simulator, serve_simulator
from opsbot.store.vault import Keyring
from opsbot.workspace import App, ServedWorkspace, Workspace, serve_workspace
from opsbot.workspace import demo as demo_workspace
from opsbot.workspace.state import Installation

HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 3000
DEFAULT_SEED: Final = 1
DEFAULT_SPEED: Final = 1.0
# Operations in the demo account: enough for paging, every type and step.
DEMO_OPERATIONS: Final = 300
# A watched operation's thread should fill while someone looks at it: opsbot
# polls every 2 s here instead of every 30 (OPSBOT_POLL_INTERVAL still wins).
POLL_INTERVAL_S: Final = "2"

TEAM: Final = demo_workspace.TEAM
ADMIN: Final = "U0ADMIN"
MEMBER: Final = "U0MEMBER"


@dataclass(frozen=True)
class Options:
    """``opsbot playground``'s options: the page's port, the dataset's seed, the pace."""

    port: int = DEFAULT_PORT
    seed: int = DEFAULT_SEED
    speed: float = DEFAULT_SPEED


@dataclass(frozen=True)
class World:
    options: Options
    simulator: ServedSimulator
    workspace: ServedWorkspace
    bot: Installation
    api_key: str
    data_dir: Path

    @property
    def events_url(self) -> str:
        return f"http://{HOST}:{self.options.port}/slack/events"

    def environment(self, outer: Mapping[str, str]) -> dict[str, str]:
        """opsbot's settings, wired to this world; ``outer`` may tune the watcher only.

        Slack's settings, REDIS_URL and the data dir are never taken from the
        environment: the playground is a world of its own.
        """
        return {
            "SLACK_API_URL": self.workspace.api_url,
            "SLACK_SIGNING_SECRET": self.workspace.workspace.app.signing_secret,
            "SLACK_BOT_TOKEN": self.bot.bot_token,
            "OPSBOT_API_URL": self.simulator.url,
            "OPSBOT_DATA_DIR": str(self.data_dir),
            "OPSBOT_ENCRYPTION_KEYS": Keyring.generate().export(),
            "OPSBOT_POLL_INTERVAL": outer.get("OPSBOT_POLL_INTERVAL") or POLL_INTERVAL_S,
            "OPSBOT_AUDIT_CHANNEL": demo_workspace.ALERTS,
            "OPSBOT_ADMINS": "",
            "PORT": str(self.options.port),
        }


@contextlib.asynccontextmanager
async def open_world(options: Options) -> AsyncIterator[World]:
    """The simulator with its demo account and the demo workspace, until the block ends."""
    simulator = Simulator(seed=options.seed, operations=DEMO_OPERATIONS, speed=options.speed)
    assert simulator.demo_key is not None  # no keys given: the demo key opens the account
    workspace = Workspace(app=App(request_url=f"http://{HOST}:{options.port}/slack/events"))
    bot = demo_workspace.populate(workspace)
    with tempfile.TemporaryDirectory(prefix="opsbot-playground-") as data_dir:
        async with (
            serve_simulator(simulator, HOST) as served_simulator,
            serve_workspace(workspace, HOST) as served_workspace,
        ):
            yield World(
                options,
                served_simulator,
                served_workspace,
                bot,
                simulator.demo_key,
                Path(data_dir),
            )
