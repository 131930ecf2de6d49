"""The control path: the simulator's switches over HTTP, as JSON.

    POST /control/latency    {"seconds": 2.5}
    POST /control/ratelimit  {"every": 3}          (null or 0: off)
    POST /control/garbage    {"count": 1, "kind": "html"}   (kinds: QUEUED_KINDS)
    POST /control/decline    {"method": "operation.cancel", "count": 1}   (answer false)
    POST /control/slowcancel {"count": 1}         true, but the operation stays in its
                                                   step until moved (a cancel under way)
    POST /control/flood      {"rows": 40000}       operation.list ignores items_per_page
                                                   (null or 0: off)
    POST /control/move       {"id": 100123, "step": "DONE"}
    POST /control/create     {"type": "domain_create", "domain": "x.es", "step": "ERROR",
                              "params": {...}, "errortype": "...", "last_error": "..."}
                             → {"id": 100501}
    GET  /control/calls      → {"operation.list": 3, ...}
    POST /control/reset      switches off, counters to zero

It sits beside the XML-RPC path so that a client under test never reaches it
by accident, and answers 400 (bad body) or 404 (no such operation) with
``{"error": "..."}``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from aiohttp import web

from opsbot.api.operation import BILL
from opsbot.simulator.hostile import DEFAULT_DEPTH
from opsbot.simulator.simulator import Simulator

CONTROL_PATH: Final = "/control/"

Action = Callable[[Simulator, Mapping[str, Any]], Mapping[str, Any]]
Handler = Callable[[web.Request], Awaitable[web.Response]]

_REQUIRED: Final = object()


def routes(simulator: Simulator) -> list[web.RouteDef]:
    def post(name: str, action: Action) -> web.RouteDef:
        return web.post(CONTROL_PATH + name, _handler(simulator, action))

    return [
        post("latency", _latency),
        post("ratelimit", _rate_limit),
        post("garbage", _garbage),
        post("decline", _decline),
        post("slowcancel", _slow_cancel),
        post("flood", _flood),
        post("move", _move),
        post("create", _create),
        post("hostile", _hostile),
        post("reset", _reset),
        web.get(CONTROL_PATH + "calls", _handler(simulator, _calls)),
    ]


def _latency(simulator: Simulator, body: Mapping[str, Any]) -> Mapping[str, Any]:
    simulator.set_latency(_field(body, "seconds", (int, float)))
    return {"latency": simulator.latency}


def _rate_limit(simulator: Simulator, body: Mapping[str, Any]) -> Mapping[str, Any]:
    simulator.rate_limit_every(_field(body, "every", (int, type(None))))
    return {"every": simulator.switches.rate_limit_every}


def _garbage(simulator: Simulator, body: Mapping[str, Any]) -> Mapping[str, Any]:
    simulator.garbage_next(_field(body, "count", int, 1), _field(body, "kind", str, "html"))
    return {"queued": list(simulator.switches.garbage)}


def _decline(simulator: Simulator, body: Mapping[str, Any]) -> Mapping[str, Any]:
    simulator.decline_next(_field(body, "method", str), _field(body, "count", int, 1))
    return {"declined": dict(simulator.switches.declined)}


def _slow_cancel(simulator: Simulator, body: Mapping[str, Any]) -> Mapping[str, Any]:
    simulator.slow_next_cancels(_field(body, "count", int, 1))
    return {"slow_cancels": simulator.switches.slow_cancels}


def _flood(simulator: Simulator, body: Mapping[str, Any]) -> Mapping[str, Any]:
    simulator.flood(_field(body, "rows", (int, type(None))))
    return {"rows": simulator.switches.flood_rows}


def _move(simulator: Simulator, body: Mapping[str, Any]) -> Mapping[str, Any]:
    op_id, step = _field(body, "id", int), _field(body, "step", str)
    simulator.move(op_id, step)
    return {"id": op_id, "step": step}


def _create(simulator: Simulator, body: Mapping[str, Any]) -> Mapping[str, Any]:
    op_id = simulator.create(
        _field(body, "type", str, "domain_create"),
        key=_field(body, "key", (str, type(None)), None),
        step=_field(body, "step", str, BILL),
        domain=_field(body, "domain", (str, type(None)), None),
        params=_field(body, "params", (dict, type(None)), None),
        errortype=_field(body, "errortype", (str, type(None)), None),
        last_error=_field(body, "last_error", (str, type(None)), None),
    )
    return {"id": op_id}


def _hostile(simulator: Simulator, body: Mapping[str, Any]) -> Mapping[str, Any]:
    op_id, kind = _field(body, "id", int), _field(body, "kind", (str, type(None)))
    simulator.serve_hostile(op_id, kind, depth=_field(body, "depth", int, DEFAULT_DEPTH))
    return {"id": op_id, "kind": kind}


def _calls(simulator: Simulator, _body: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(simulator.calls)


def _reset(simulator: Simulator, _body: Mapping[str, Any]) -> Mapping[str, Any]:
    simulator.reset_switches()
    simulator.calls.clear()
    return {"reset": True}


def _handler(simulator: Simulator, action: Action) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        try:
            body = await _json_body(request)
            result = action(simulator, body)
        except KeyError:
            return web.json_response({"error": "no such operation"}, status=404)
        except (TypeError, ValueError) as error:
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response(result)

    return handle


async def _json_body(request: web.Request) -> Mapping[str, Any]:
    text = await request.text()
    if not text.strip():
        return {}
    try:
        body = json.loads(text)
    except ValueError:
        raise ValueError("the body is not JSON") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def _field(
    body: Mapping[str, Any],
    name: str,
    kind: type | tuple[type, ...],
    default: Any = _REQUIRED,
) -> Any:
    if name not in body:
        if default is _REQUIRED:
            raise ValueError(f"missing field {name!r}")
        return default
    value = body[name]
    # JSON true/false are ints to Python; no switch takes a boolean.
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ValueError(f"field {name!r} has the wrong type")
    return value
