"""``opsbot socket``: the same app over Socket Mode, for teams without a public URL."""

from __future__ import annotations

import asyncio
import signal
from typing import Final

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from opsbot.config import Settings
from opsbot.slack.app import build_bolt_app, open_services

STOP_SIGNALS: Final = (signal.SIGTERM, signal.SIGINT)


async def run_socket_mode(settings: Settings) -> None:
    """Serve until SIGTERM or SIGINT, then close the socket and the services."""
    settings.slack.require_socket_mode()
    async with open_services(settings) as services:
        app = build_bolt_app(settings, services)
        handler = AsyncSocketModeHandler(app, settings.slack.app_token)
        # slack_bolt leaves these two untyped.
        await handler.connect_async()  # type: ignore[no-untyped-call]
        try:
            await _until_stopped()
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]


async def _until_stopped() -> None:
    """Wait for a process manager's SIGTERM (or Ctrl-C).

    Without this, SIGTERM would end the process on the spot: no goodbye on
    the socket, and the embedded Redis left running behind us.
    """
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in STOP_SIGNALS:
        loop.add_signal_handler(stop_signal, stopped.set)
    try:
        await stopped.wait()
    finally:
        for stop_signal in STOP_SIGNALS:
            loop.remove_signal_handler(stop_signal)
