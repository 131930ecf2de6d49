"""The composition root: the shapes an opsbot process takes, each built from one services container.

- ``serve``: Slack over HTTP (:mod:`opsbot.http_app`), with a watcher in
  the same process unless ``--no-watcher``;
- ``socket``: Slack over Socket Mode, with a watcher unless ``--no-watcher``;
- ``worker``: a watcher alone;
- ``playground``: ``serve`` wired to a local Slack workspace and the API
  simulator, with a page to act in the workspace (:func:`run_playground`).

Every shape opens :func:`~opsbot.services.open_services` once; the Slack
listeners (:mod:`opsbot.slack`) and the watcher (:mod:`opsbot.watcher`) are
given what they need and never start each other. Only this module knows that
both can share a process.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import signal
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Final

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from opsbot import collector, event_loop, http_app, http_listener
from opsbot.app_home import FromListeners
from opsbot.config import Settings, SettingsError
from opsbot.services import Services, open_services
from opsbot.slack.app import start_bolt_app
from opsbot.slack.commands import help_sections
from opsbot.slack.home import relaunch_checker
from opsbot.watcher.approval_expiry import ApprovalExpiry, open_approval_expiry
from opsbot.watcher.worker import Worker, open_worker

if TYPE_CHECKING:
    from opsbot.playground.world import Options as PlaygroundOptions

# The watcher's own logger, so its start and stop lines read like its cycles'.
watcher_log = logging.getLogger("opsbot.watcher")

STOP_SIGNALS: Final = (signal.SIGTERM, signal.SIGINT)


# --- serve ---------------------------------------------------------------------------------


def build_web_app(settings: Settings, *, watcher: bool) -> web.Application:
    """The HTTP application: Slack's endpoints, the health check, and maybe a watcher.

    With ``watcher`` the process also polls watched operations, as one more
    worker beside any ``opsbot worker``.
    """
    web_app = web.Application()
    http_app.setup(web_app, settings)
    if watcher:
        # After the services in cleanup_ctx: it starts once they are open, and
        # stops before they close.
        web_app.cleanup_ctx.append(_watcher_beside)
    return web_app


async def _watcher_beside(web_app: web.Application) -> AsyncIterator[None]:
    async with watcher_running(http_app.services_of(web_app)):
        yield


def serve(web_app: web.Application, settings: Settings) -> None:
    """Serve ``web_app`` on ``PORT`` until SIGTERM or SIGINT."""
    event_loop.run(_serve(web_app, settings))


async def _serve(web_app: web.Application, settings: Settings) -> None:
    # A connection must send a whole request within the read timeout, the
    # first one included (aiohttp's keep-alive timeout runs from the start).
    # Once answered, a request whose body never came is closed at once rather
    # than drained for aiohttp's 10 s "lingering" time: Slack always sends its
    # whole body, so only a slow client is ever left with one unread.
    runner = web.AppRunner(
        web_app,
        access_log=None,
        keepalive_timeout=settings.http_read_timeout_s,
        lingering_time=0,
    )
    await runner.setup()
    try:
        listener = await _listen(runner, settings)
        collector.settle()
        try:
            stop = asyncio.Event()
            with stopped_by_signals(stop):
                await stop.wait()
        finally:
            listener.close()
    finally:
        await runner.cleanup()


async def _listen(runner: web.AppRunner, settings: Settings) -> asyncio.Server:
    try:
        return await http_listener.listen(runner, settings.port, settings.http_max_connections)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise SettingsError(
                f"PORT {settings.port} is already in use: stop what listens there "
                "or set PORT to a free port"
            ) from None
        raise


# --- socket --------------------------------------------------------------------------------


async def run_socket(settings: Settings, *, watcher: bool) -> None:
    """Serve Slack over Socket Mode until SIGTERM or SIGINT; then close the socket and the rest."""
    settings.slack.require_socket_mode()
    stop = asyncio.Event()
    with stopped_by_signals(stop):
        async with open_services(settings) as services, _maybe_watcher(services, watcher=watcher):
            handler = AsyncSocketModeHandler(
                await start_bolt_app(services), settings.slack.app_token
            )
            # slack_bolt leaves these two untyped.
            await handler.connect_async()  # type: ignore[no-untyped-call]
            collector.settle()
            try:
                await stop.wait()
            finally:
                await handler.close_async()  # type: ignore[no-untyped-call]


def _maybe_watcher(
    services: Services, *, watcher: bool
) -> contextlib.AbstractAsyncContextManager[object]:
    return watcher_running(services) if watcher else contextlib.nullcontext()


# --- worker --------------------------------------------------------------------------------


async def run_worker(settings: Settings) -> None:
    """``opsbot worker``: watch until SIGTERM or SIGINT, then stop cleanly."""
    stop = asyncio.Event()
    with stopped_by_signals(stop):
        async with (
            open_services(settings) as services,
            _worker(services) as worker,
            _approval_expiry(services) as expiry,
        ):
            collector.settle()
            watcher_log.info(
                "worker started: poll interval %g s, event loop %s",
                settings.poll_interval_s,
                event_loop.running(),
            )
            await asyncio.gather(worker.run(stop), expiry.run(stop))
    watcher_log.info("worker stopped")


@contextlib.asynccontextmanager
async def watcher_running(services: Services) -> AsyncIterator[Worker]:
    """Run a watcher in the background for as long as the block lasts."""
    async with _worker(services) as worker, _approval_expiry(services) as expiry:
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop), name="opsbot-watcher")
        sweep = asyncio.create_task(expiry.run(stop), name="opsbot-approval-expiry")
        try:
            yield worker
        finally:
            stop.set()
            await task
            await sweep


def _worker(services: Services) -> contextlib.AbstractAsyncContextManager[Worker]:
    home = FromListeners(help_sections(), relaunch_checker(services))
    return open_worker(services.settings, services.redis, services.vault, home=home)


def _approval_expiry(services: Services) -> contextlib.AbstractAsyncContextManager[ApprovalExpiry]:
    # Beside every watcher: approval requests nobody decided expire on their cards.
    return open_approval_expiry(services.settings, services.redis, services.vault)


# --- playground ----------------------------------------------------------------------------


async def run_playground(options: PlaygroundOptions) -> None:
    """``opsbot playground``: the simulator, the local workspace, opsbot and the page.

    One line tells where to look; SIGINT or SIGTERM stops the page, opsbot
    (watcher and embedded Redis included), the workspace and the simulator,
    in that order.
    """
    from opsbot.playground import app as playground
    from opsbot.playground.world import HOST, open_world

    stop = asyncio.Event()
    with stopped_by_signals(stop):
        async with open_world(options) as world:
            settings = Settings.from_env(world.environment(os.environ))
            web_app = build_web_app(settings, watcher=True)
            playground.setup(web_app, world)
            runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=1.0)
            await runner.setup()
            try:
                port = await _bind(runner, HOST, options.port)
                world.workspace.workspace.app.request_url = f"http://{HOST}:{port}/slack/events"
                print(
                    f"opsbot playground: open http://{HOST}:{port}/ (Ctrl-C stops it)", flush=True
                )
                await stop.wait()
            finally:
                await runner.cleanup()


async def _bind(runner: web.AppRunner, host: str, port: int) -> int:
    """Listen on ``host:port`` (0: a free port); the port bound."""
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise SettingsError(
                f"PORT {port} is already in use: stop what listens there or set PORT to a free port"
            ) from None
        raise
    return int(runner.addresses[0][1])


# --- stopping ------------------------------------------------------------------------------


@contextlib.contextmanager
def stopped_by_signals(stop: asyncio.Event) -> Iterator[asyncio.Event]:
    """Set ``stop`` on a process manager's SIGTERM (or Ctrl-C) while the block lasts.

    Without this, SIGTERM would end the process on the spot: no goodbye on
    the socket, teams held until their lease ends, and the embedded Redis
    left running behind us.
    """
    loop = asyncio.get_running_loop()
    for stop_signal in STOP_SIGNALS:
        loop.add_signal_handler(stop_signal, stop.set)
    try:
        yield stop
    finally:
        for stop_signal in STOP_SIGNALS:
            loop.remove_signal_handler(stop_signal)
