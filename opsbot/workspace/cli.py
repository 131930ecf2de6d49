"""``python -m opsbot.workspace``: serve a demo workspace until SIGINT or SIGTERM.

It prints the settings that point opsbot at it (``SLACK_API_URL``,
``SLACK_BOT_TOKEN``, ``SLACK_SIGNING_SECRET``, ``SLACK_APP_TOKEN``); people
act on it from Python (:mod:`.interactions`) or, later, from the playground
page.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from typing import Final

from opsbot import event_loop
from opsbot.workspace import demo
from opsbot.workspace.server import serve_workspace
from opsbot.workspace.workspace import App, Workspace

DEFAULT_PORT: Final = 8766


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m opsbot.workspace", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0: any free port")
    parser.add_argument("--request-url", help="where to POST commands, clicks and events")
    parser.add_argument("--socket-mode", action="store_true", help="deliver over Socket Mode")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    app = App(request_url=args.request_url, socket_mode=args.socket_mode)
    event_loop.run(_serve(Workspace(app=app), args.host, args.port))
    return 0


async def _serve(workspace: Workspace, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    bot = demo.populate(workspace)
    async with serve_workspace(workspace, host, port) as served:
        # The one place tokens are shown: whoever started a local workspace needs them.
        print(f"SLACK_API_URL={served.api_url}")
        print(f"SLACK_BOT_TOKEN={bot.bot_token}")
        print(f"SLACK_SIGNING_SECRET={workspace.app.signing_secret}")
        print(f"SLACK_APP_TOKEN={workspace.app.app_token}")
        sys.stdout.flush()
        await stop.wait()
    print("local workspace: stopped", flush=True)
