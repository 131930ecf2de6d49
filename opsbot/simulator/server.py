"""The simulator on HTTP: XML-RPC at /xmlrpc/, switches at /control/.

Replies are built with the project's own codec, faults included, so the
client under test reads exactly what it would read from the live service.
Logs name the method and the outcome, never a parameter: the first one is
an API key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Final

from aiohttp import web

from opsbot.api.errors import ProtocolError
from opsbot.api.xmlrpc import Fault, decode_call, encode_fault
from opsbot.simulator import control, faults
from opsbot.simulator.hostile import encode_spoiled
from opsbot.simulator.methods import METHODS
from opsbot.simulator.simulator import Simulator

XMLRPC_PATH: Final = "/xmlrpc/"
MAX_REQUEST_BYTES: Final = 1024 * 1024
# Replies held back by the latency switch are released at shutdown; this only
# bounds how long a slow request may keep the server from closing.
SHUTDOWN_SECONDS: Final = 1.0

log = logging.getLogger("opsbot.simulator")


def build_app(simulator: Simulator) -> web.Application:
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    closing = asyncio.Event()

    async def release_held_replies(_: web.Application) -> None:
        closing.set()

    app.on_shutdown.append(release_held_replies)
    answer = _xmlrpc_handler(simulator, closing)
    app.router.add_post(XMLRPC_PATH, answer)
    app.router.add_post(XMLRPC_PATH.rstrip("/"), answer)
    app.router.add_routes(control.routes(simulator))
    return app


def _xmlrpc_handler(simulator: Simulator, closing: asyncio.Event) -> control.Handler:
    async def answer(request: web.Request) -> web.Response:
        body = await request.read()
        if simulator.latency:
            # Wait out the latency, or less if the server is shutting down.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closing.wait(), simulator.latency)
        # Garbage stands for a broken proxy in front of the service: the call
        # never reaches it, so nothing is counted and nothing changes.
        garbage = simulator.switches.next_garbage()
        if garbage is not None:
            log.info("garbage reply: HTTP %d, %d bytes", garbage.status, len(garbage.body))
            return web.Response(
                status=garbage.status, body=garbage.body, content_type=garbage.content_type
            )
        return _answer_call(simulator, body)

    return answer


def _answer_call(simulator: Simulator, body: bytes) -> web.Response:
    try:
        method, params = decode_call(body, zone=simulator.zone)
    except ProtocolError as error:
        log.info("unreadable call: %s", error.message)
        fault = faults.invalid_input(error.message)
        return _xml(encode_fault(fault.code, fault.message))
    # A caller's method name is text it chose: only known ones reach the log.
    shown = method if method in METHODS else "unknown method"
    try:
        value = simulator.call(method, params)
    except Fault as fault:
        log.info("%s: fault %d", shown, fault.code)
        return _xml(encode_fault(fault.code, fault.message))
    log.info("%s: ok", shown)
    return _xml(encode_spoiled(value, simulator.switches.hostile, zone=simulator.zone))


def _xml(body: bytes) -> web.Response:
    return web.Response(body=body, content_type="text/xml", charset="utf-8")


@dataclass(frozen=True)
class ServedSimulator:
    simulator: Simulator
    host: str
    port: int

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The XML-RPC endpoint, for OPSBOT_API_URL."""
        return self.base_url + XMLRPC_PATH

    @property
    def control_url(self) -> str:
        return self.base_url + control.CONTROL_PATH


@contextlib.asynccontextmanager
async def serve_simulator(
    simulator: Simulator, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[ServedSimulator]:
    """Serve ``simulator`` until the block ends (port 0: any free port)."""
    runner = web.AppRunner(build_app(simulator), access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = runner.addresses[0][1]
        yield ServedSimulator(simulator=simulator, host=host, port=int(bound_port))
    finally:
        await runner.cleanup()
