"""Slack's side of Socket Mode: apps.connections.open, the websocket, envelopes and acks.

docs.slack.dev/apis/events-api/using-socket-mode: the app calls
apps.connections.open with its app-level token (``xapp-…``, scope
``connections:write``) and gets a ``wss://`` URL; Slack greets each
connection with ``{"type": "hello", …}``, then sends envelopes
``{"envelope_id", "type": "slash_commands" | "interactive" | "events_api",
"payload", "accepts_response_payload"}``. The app acks each with
``{"envelope_id", "payload"?}``, within 3 seconds; the ack's payload is the
immediate answer (a slash command's message, a view_submission's
response_action, a block_suggestion's options).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import WSMsgType, web

from opsbot.workspace.calls import JSON, Call
from opsbot.workspace.delivery import Ack, Delivery
from opsbot.workspace.workspace import Workspace

SOCKET_PATH = "/socket-mode"


class SocketModeHub:
    """Open connections from the app, and the acks each delivery awaits."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, asyncio.Future[JSON]] = {}
        self._connected = asyncio.Event()

    @property
    def connections(self) -> int:
        return len(self._sockets)

    def open_connection(self, call: Call) -> JSON:
        """apps.connections.open: a single-use URL for one websocket."""
        ticket = call.workspace.ids.of("ticket-")
        self._tickets.add(ticket)
        base = call.workspace.base_url.replace("http://", "ws://", 1).replace(
            "https://", "wss://", 1
        )
        return {"ok": True, "url": f"{base}{SOCKET_PATH}?ticket={ticket}"}

    async def serve(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid ticket")
        self._tickets.discard(ticket)
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.append(socket)
        try:
            await socket.send_json(self._hello())
            self._connected.set()
            self._workspace.publish("socket.connected", connections=len(self._sockets))
            await self._read_acks(socket)
        finally:
            self._sockets.remove(socket)
            if not self._sockets:
                self._connected.clear()
            self._workspace.publish("socket.disconnected", connections=len(self._sockets))
        return socket

    async def wait_connected(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            await self._connected.wait()

    async def deliver(self, delivery: Delivery, timeout: float) -> Ack:  # noqa: ASYNC109
        if not self._sockets:
            return Ack(error="dispatch_failed")
        envelope_id = self._workspace.ids.of("envelope-")
        acked: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = acked
        envelope = {
            "envelope_id": envelope_id,
            "type": delivery.type,
            "payload": delivery.payload,
            "accepts_response_payload": delivery.type != "events_api",
        }
        try:
            await self._sockets[-1].send_json(envelope)
            async with asyncio.timeout(timeout):
                ack = await acked
        except TimeoutError:
            return Ack(error="operation_timeout")
        except ConnectionError:
            return Ack(error="dispatch_failed")
        finally:
            self._acks.pop(envelope_id, None)
        return Ack(body=ack.get("payload"))

    async def close(self) -> None:
        for socket in list(self._sockets):
            with contextlib.suppress(ConnectionError):
                await socket.close()

    async def _read_acks(self, socket: web.WebSocketResponse) -> None:
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            ack = _json_object(message.data)
            future = self._acks.get(str(ack.get("envelope_id")))
            if future is not None and not future.done():
                future.set_result(ack)

    def _hello(self) -> JSON:
        return {
            "type": "hello",
            "num_connections": len(self._sockets),
            "debug_info": {"host": "local-workspace", "approximate_connection_time": 18060},
            "connection_info": {"app_id": self._workspace.app.app_id},
        }


def _json_object(data: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
