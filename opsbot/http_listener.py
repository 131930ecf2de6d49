"""The socket ``opsbot serve`` listens on: a bounded number of connections, none held idle.

aiohttp serves every connection it accepts for as long as the client keeps
it open. A client that opens connections and sends nothing, or a header
now and then (slow loris), would hold one open file each until the process
runs out. Two limits keep that bounded:

- **time**: a connection that has not sent a whole request within the read
  timeout is closed (aiohttp's keep-alive timeout, which in the versions
  pyproject.toml allows runs from the moment a connection opens), and a
  body that does not arrive within it gets 408 (:mod:`opsbot.http_app`);
- **count**: beyond ``OPSBOT_HTTP_MAX_CONNECTIONS`` open connections, a new
  one is answered 503 and closed at once instead of queueing. The count is
  checked as connections are accepted, so a burst accepted in one go may
  overshoot it by a few.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Final, cast

from aiohttp import web

log = logging.getLogger(__name__)

# At most one log line per this many seconds while connections are refused.
REFUSAL_LOG_INTERVAL_S: Final = 60.0
_BUSY: Final = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Length: 0\r\nConnection: close\r\nRetry-After: 1\r\n\r\n"
)


class _Refused(asyncio.Protocol):
    """A connection over the limit: told 503 and closed before it is read."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream's transport writes. Not an isinstance check: uvloop's
        # transports are not asyncio's classes, and the check failed there.
        stream = cast(asyncio.WriteTransport, transport)
        stream.write(_BUSY)
        stream.close()


class ConnectionCap:
    """A protocol factory: aiohttp's own until ``limit`` connections are open."""

    def __init__(self, server: web.Server, limit: int) -> None:
        self._server = server
        self._limit = limit
        self._refused = 0
        self._logged_at = float("-inf")

    def __call__(self) -> asyncio.BaseProtocol:
        if len(self._server.connections) < self._limit:
            return self._server()
        self._refused += 1
        now = time.monotonic()
        if now - self._logged_at >= REFUSAL_LOG_INTERVAL_S:
            self._logged_at = now
            log.warning(
                "refused %d HTTP connection(s): %d are open, the limit "
                "(OPSBOT_HTTP_MAX_CONNECTIONS)",
                self._refused,
                self._limit,
            )
            self._refused = 0
        return _Refused()


async def listen(runner: web.AppRunner, port: int, limit: int) -> asyncio.Server:
    """Accept connections on ``port`` (every interface) for ``runner``'s app; close it after."""
    server = runner.server
    assert server is not None, "set the runner up first"
    loop = asyncio.get_running_loop()
    return await loop.create_server(ConnectionCap(server, limit), port=port)
