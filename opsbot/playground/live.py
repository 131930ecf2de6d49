"""The live stream: every change of the workspace, pushed to the page over a WebSocket.

A change is small (its ``kind`` and the ids it is about); the page reads
what it needs again when a change concerns what it shows, so a missed or
reordered change never leaves it wrong for long. Each socket has its own
queue on the workspace's feed: a slow page never holds up the workspace.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, Final

from aiohttp import WSCloseCode, web

from opsbot.workspace.changes import Change, ChangeFeed

LIVE_PATH: Final = "/playground/live"
SOCKETS: Final = web.AppKey("playground_sockets", set[web.WebSocketResponse])
HEARTBEAT_S: Final = 20.0


def setup(web_app: web.Application, feed: ChangeFeed) -> None:
    web_app[SOCKETS] = set()
    web_app.router.add_get(LIVE_PATH, _handler(feed))
    web_app.on_shutdown.append(_close_sockets)


def as_json(change: Change) -> dict[str, Any]:
    return {"kind": change.kind, "at": change.at, "data": _plain(change.data)}


def _handler(feed: ChangeFeed) -> Any:
    async def live(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(heartbeat=HEARTBEAT_S)
        await socket.prepare(request)
        sockets = request.app[SOCKETS]
        sockets.add(socket)
        try:
            async with feed.subscribe() as queue, _reading(socket) as closed:
                while not closed.done():
                    change = await _next(queue, closed)
                    if change is not None and not await _sent(socket, change):
                        break
        finally:
            sockets.discard(socket)
        return socket

    return live


@contextlib.asynccontextmanager
async def _reading(socket: web.WebSocketResponse) -> AsyncIterator[asyncio.Task[None]]:
    """A task that reads the socket (the page sends nothing) and ends when it closes."""

    async def read() -> None:
        async for _ in socket:
            pass

    task = asyncio.create_task(read())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _sent(socket: web.WebSocketResponse, change: Change) -> bool:
    """Send ``change``; False when the page has gone meanwhile.

    A page closed (or a tab reloaded) between a change's arrival and its
    send leaves a closing transport, which aiohttp reports by raising: the
    page is gone, which is no error of the server's.
    """
    try:
        await socket.send_json(as_json(change))
    except ConnectionResetError:
        return False
    return True


async def _next(queue: asyncio.Queue[Change], closed: asyncio.Task[None]) -> Change | None:
    """The next change, or None once the socket has closed."""
    getter = asyncio.ensure_future(queue.get())
    done, _ = await asyncio.wait({getter, closed}, return_when=asyncio.FIRST_COMPLETED)
    if getter in done:
        return getter.result()
    getter.cancel()
    return None


async def _close_sockets(web_app: web.Application) -> None:
    # Open sockets would otherwise hold the server until its shutdown timeout.
    sockets = web_app[SOCKETS]
    for socket in tuple(sockets):
        await socket.close(code=WSCloseCode.GOING_AWAY, message=b"the playground stops")


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value if isinstance(value, str | int | float | bool | None) else str(value)
        for key, value in data.items()
    }
