"""The simulator's switches, over the HTTP control path and from Python."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import aiohttp
import pytest

from opsbot.api import errors
from opsbot.api.operation import CANCEL, DONE, ERROR, WAIT
from opsbot.api.xmlrpc import MAX_REPLY_BYTES, Fault, decode_response, encode_call
from opsbot.simulator import GARBAGE_KINDS, ServedSimulator, Simulator
from tests.integration.conftest import RawRpc


async def control(
    http: aiohttp.ClientSession,
    server: ServedSimulator,
    name: str,
    body: Any = None,
    *,
    status: int = 200,
) -> Any:
    url = server.control_url + name
    request = http.get(url) if name == "calls" else http.post(url, json=body)
    async with request as response:
        assert response.status == status
        return await response.json()


async def call_with_timeout(http: aiohttp.ClientSession, url: str, key: str, seconds: float) -> Any:
    body = encode_call("operation.count", (key,), zone=dt.UTC)
    timeout = aiohttp.ClientTimeout(total=seconds)
    async with http.post(url, data=body, timeout=timeout) as response:
        return decode_response(await response.read(), zone=dt.UTC)


# latency ------------------------------------------------------------------------


async def test_latency_over_http_holds_replies_back(
    http: aiohttp.ClientSession, sim_server: ServedSimulator, sim_key: str
) -> None:
    assert await control(http, sim_server, "latency", {"seconds": 3}) == {"latency": 3.0}

    with pytest.raises(asyncio.TimeoutError):
        await call_with_timeout(http, sim_server.url, sim_key, 0.2)

    await control(http, sim_server, "latency", {"seconds": 0})
    assert await call_with_timeout(http, sim_server.url, sim_key, 10) == 400


async def test_latency_from_python(
    http: aiohttp.ClientSession, sim_server: ServedSimulator, simulator: Simulator, sim_key: str
) -> None:
    simulator.set_latency(3)

    with pytest.raises(asyncio.TimeoutError):
        await call_with_timeout(http, sim_server.url, sim_key, 0.2)

    simulator.reset_switches()
    assert simulator.latency == 0
    assert await call_with_timeout(http, sim_server.url, sim_key, 10) == 400


# rate limit ------------------------------------------------------------------------


async def _outcomes(rpc: RawRpc, key: str, calls: int) -> list[int | None]:
    """None for each call answered, the fault code for each refused."""
    outcomes: list[int | None] = []
    for _ in range(calls):
        try:
            await rpc.call("operation.count", key)
        except Fault as fault:
            outcomes.append(fault.code)
        else:
            outcomes.append(None)
    return outcomes


async def test_rate_limit_over_http_refuses_every_nth_call_as_temporary(
    http: aiohttp.ClientSession, sim_server: ServedSimulator, sim_rpc: RawRpc, sim_key: str
) -> None:
    assert await control(http, sim_server, "ratelimit", {"every": 3}) == {"every": 3}

    assert await _outcomes(sim_rpc, sim_key, 7) == [None, None, 150004, None, None, 150004, None]

    await sim_rpc.call("operation.count", sim_key)
    with pytest.raises(Fault) as caught:
        await sim_rpc.call("operation.count", sim_key)
    fault = caught.value
    assert fault.message == (
        "Error on object : OBJECT_APPLICATION (CAUSE_TOOMANY) [rate limit exceeded]"
    )
    assert isinstance(errors.error_from_fault(fault.code, fault.message), errors.TemporaryError)

    await control(http, sim_server, "ratelimit", {"every": None})
    assert await _outcomes(sim_rpc, sim_key, 4) == [None] * 4


async def test_rate_limit_from_python(sim_rpc: RawRpc, simulator: Simulator, sim_key: str) -> None:
    simulator.rate_limit_every(1)
    assert await _outcomes(sim_rpc, sim_key, 2) == [150004, 150004]

    simulator.rate_limit_every(None)
    assert await _outcomes(sim_rpc, sim_key, 2) == [None, None]


# garbage ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [*GARBAGE_KINDS, "hugefault"])
async def test_garbage_over_http_replaces_the_next_reply_only(
    http: aiohttp.ClientSession,
    sim_server: ServedSimulator,
    simulator: Simulator,
    sim_key: str,
    kind: str,
) -> None:
    await control(http, sim_server, "garbage", {"count": 1, "kind": kind})
    body = encode_call("operation.count", (sim_key,), zone=dt.UTC)

    async with http.post(sim_server.url, data=body) as response:
        status, garbage = response.status, await response.read()

    # A fault of 9 MB is well-formed: the client reads it, and has to cope.
    expected = Fault if kind == "hugefault" else errors.ProtocolError
    with pytest.raises(expected) as caught:
        decode_response(garbage, zone=dt.UTC)
    if kind == "hugefault":
        assert isinstance(caught.value, Fault)
        assert len(caught.value.message) > 9_000_000
        assert len(garbage) <= MAX_REPLY_BYTES
    assert status == (502 if kind == "html" else 200)
    if kind == "oversize":
        assert len(garbage) > MAX_REPLY_BYTES
    async with http.post(sim_server.url, data=body) as response:
        assert decode_response(await response.read(), zone=dt.UTC) == 400
    assert simulator.calls["operation.count"] == 1


async def test_garbage_from_python_lasts_for_count_replies(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str
) -> None:
    simulator.garbage_next(2, "truncated")

    for _ in range(2):
        with pytest.raises(errors.ProtocolError):
            await sim_rpc.call("operation.count", sim_key)
    assert await sim_rpc.call("operation.count", sim_key) == 400


def test_unknown_garbage_is_refused(simulator: Simulator) -> None:
    with pytest.raises(ValueError, match="unknown garbage kind"):
        simulator.garbage_next(1, "pdf")


# slow cancels: accepted, carried out later -------------------------------------------------


async def test_a_slow_cancel_answers_true_and_leaves_the_operation_until_moved(
    http: aiohttp.ClientSession,
    sim_server: ServedSimulator,
    sim_rpc: RawRpc,
    simulator: Simulator,
    sim_key: str,
) -> None:
    slow, quick = (simulator.create("domain_renew", step=WAIT) for _ in range(2))
    assert await control(http, sim_server, "slowcancel", {"count": 1}) == {"slow_cancels": 1}

    assert await sim_rpc.call("operation.cancel", sim_key, slow) is True
    assert simulator.operation(slow)["step"] == WAIT
    # Only the next cancel: the one after is carried out at once.
    assert await sim_rpc.call("operation.cancel", sim_key, quick) is True
    assert simulator.operation(quick)["step"] == CANCEL
    simulator.move(slow, CANCEL)
    assert simulator.operation(slow)["step"] == CANCEL


async def test_a_slow_cancel_is_refused_where_a_cancel_is(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str
) -> None:
    op_id = simulator.create("domain_renew", step=DONE)
    simulator.slow_next_cancels()

    with pytest.raises(Fault):
        await sim_rpc.call("operation.cancel", sim_key, op_id)
    assert simulator.operation(op_id)["step"] == DONE


# flood: operation.list ignoring items_per_page ---------------------------------------------


async def test_a_flood_over_http_ignores_items_per_page_until_reset(
    http: aiohttp.ClientSession,
    sim_server: ServedSimulator,
    sim_rpc: RawRpc,
    simulator: Simulator,
    sim_key: str,
) -> None:
    assert await control(http, sim_server, "flood", {"rows": 1000}) == {"rows": 1000}

    rows = await sim_rpc.call("operation.list", sim_key, {"step": "ERROR", "items_per_page": 5})
    errors_now = [op["id"] for op in simulator.operations() if op["step"] == ERROR]
    assert len(rows) == 1000
    # The matching operations, over and over, each as bare as a row can be.
    assert {row["id"] for row in rows} == set(errors_now)
    assert all(row.keys() == {"id", "type", "step"} for row in rows)
    assert await sim_rpc.call("operation.count", sim_key, {"step": "ERROR"}) == len(errors_now)

    await control(http, sim_server, "reset")
    assert len(await sim_rpc.call("operation.list", sim_key, {"items_per_page": 5})) == 5


async def test_a_flood_of_40000_rows_fits_in_a_reply_a_client_reads(
    http: aiohttp.ClientSession, sim_server: ServedSimulator, sim_key: str
) -> None:
    await control(http, sim_server, "flood", {"rows": 40_000})
    body = encode_call("operation.list", (sim_key, {"items_per_page": 20}), zone=dt.UTC)
    async with http.post(sim_server.url, data=body) as response:
        reply = await response.read()
    assert len(reply) <= MAX_REPLY_BYTES
    assert len(decode_response(reply, zone=dt.UTC)) == 40_000


@pytest.mark.parametrize("body", [{"rows": -1}, {"rows": "many"}, {"rows": True}])
async def test_a_bad_flood_is_refused(
    http: aiohttp.ClientSession, sim_server: ServedSimulator, body: Any
) -> None:
    assert (await control(http, sim_server, "flood", body, status=400))["error"]


async def test_a_flood_is_switched_off_with_null_or_zero(
    http: aiohttp.ClientSession, sim_server: ServedSimulator, simulator: Simulator
) -> None:
    for off in (None, 0):
        simulator.flood(10)
        assert await control(http, sim_server, "flood", {"rows": off}) == {"rows": None}


# move, create, calls, reset ---------------------------------------------------------------


async def test_move_over_http(
    http: aiohttp.ClientSession, sim_server: ServedSimulator, sim_rpc: RawRpc, sim_key: str
) -> None:
    (operation,) = await sim_rpc.call(
        "operation.list", sim_key, {"step": "BILL", "items_per_page": 1}
    )

    answer = await control(http, sim_server, "move", {"id": operation["id"], "step": DONE})

    assert answer == {"id": operation["id"], "step": DONE}
    assert (await sim_rpc.call("operation.info", sim_key, operation["id"]))["step"] == DONE


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"id": 1, "step": DONE}, 404),
        ({"id": 100100, "step": "LATER"}, 400),
        ({"id": "100100", "step": DONE}, 400),
        ({"step": DONE}, 400),
        (["id", 100100], 400),
    ],
)
async def test_move_over_http_refuses_bad_bodies(
    http: aiohttp.ClientSession, sim_server: ServedSimulator, body: Any, status: int
) -> None:
    answer = await control(http, sim_server, "move", body, status=status)

    assert answer["error"]


async def test_a_control_body_that_is_not_json_is_refused(
    http: aiohttp.ClientSession, sim_server: ServedSimulator
) -> None:
    async with http.post(sim_server.control_url + "latency", data=b"{seconds") as response:
        assert response.status == 400
        assert (await response.json()) == {"error": "the body is not JSON"}


async def test_create_over_http(
    http: aiohttp.ClientSession, sim_server: ServedSimulator, sim_rpc: RawRpc, sim_key: str
) -> None:
    body = {
        "type": "domain_transfer_in",
        "domain": "paella.es",
        "step": ERROR,
        "errortype": "authorization_error",
        "last_error": "Invalid authinfo for paella.es",
    }

    answer = await control(http, sim_server, "create", body)

    info = await sim_rpc.call("operation.info", sim_key, answer["id"])
    assert (info["type"], info["step"], info["errortype"]) == (
        "domain_transfer_in",
        ERROR,
        "authorization_error",
    )
    assert (info["params"]["domain"], info["params"]["tld"]) == ("paella.es", "es")
    assert info["last_error"] == "Invalid authinfo for paella.es"
    assert await sim_rpc.call("operation.count", sim_key, {"domain": "paella.es"}) == 1


async def test_calls_are_counted_per_method_and_reset(
    http: aiohttp.ClientSession,
    sim_server: ServedSimulator,
    sim_rpc: RawRpc,
    simulator: Simulator,
    sim_key: str,
) -> None:
    await sim_rpc.call("operation.list", sim_key, {"items_per_page": 1})
    await sim_rpc.call("operation.list", sim_key, {"items_per_page": 1})
    await sim_rpc.call("operation.count", sim_key)
    with pytest.raises(Fault):
        await sim_rpc.call("operation.info", sim_key, 3)

    expected = {"operation.list": 2, "operation.count": 1, "operation.info": 1}
    assert await control(http, sim_server, "calls") == expected
    assert simulator.calls == expected

    await control(http, sim_server, "latency", {"seconds": 2})
    await control(http, sim_server, "ratelimit", {"every": 1})
    await control(http, sim_server, "garbage", {"count": 3})
    assert await control(http, sim_server, "reset") == {"reset": True}

    assert await control(http, sim_server, "calls") == {}
    assert await call_with_timeout(http, sim_server.url, sim_key, 1.5) == 400


# hostile values --------------------------------------------------------------------------

# What each kind looks like on the wire, in the spoiled operation's reply.
HOSTILE_WIRE = {
    "infinite_eta": b"<double>inf</double>",
    "date_out_of_range": b"<dateTime.iso8601>0001-01-01T00:00:00+01:00</dateTime.iso8601>",
    "huge_id": b"<int>" + b"9" * 3000 + b"</int>",
    "deep_params": b"<value><array><data>" * 100,  # as deep as asked below
    "undecodable_eta": b"<double>soon</double>",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_WIRE))
async def test_a_hostile_operation_is_spoiled_in_every_reply_beside_normal_ones(
    http: aiohttp.ClientSession,
    sim_server: ServedSimulator,
    simulator: Simulator,
    sim_key: str,
    kind: str,
) -> None:
    first, bad, last = (op["id"] for op in simulator.operations()[:3])
    answer = await control(http, sim_server, "hostile", {"id": bad, "kind": kind, "depth": 100})
    assert answer == {"id": bad, "kind": kind}
    body = encode_call("operation.list", (sim_key, {"id": [first, bad, last]}), zone=dt.UTC)

    async with http.post(sim_server.url, data=body) as response:
        spoiled = await response.read()

    assert spoiled.count(HOSTILE_WIRE[kind]) == 1
    assert spoiled.count(b"<name>step</name>") == 3  # the other two are there, as they are
    # Only how it is described changes: it still moves, and can be switched off.
    simulator.move(bad, DONE)
    await control(http, sim_server, "hostile", {"id": bad, "kind": None})
    async with http.post(sim_server.url, data=body) as response:
        plain = decode_response(await response.read(), zone=dt.UTC)
    assert [op["id"] for op in plain] == [first, bad, last]
    assert plain[1]["step"] == DONE


async def test_hostile_switches_refuse_what_they_do_not_know(
    http: aiohttp.ClientSession, sim_server: ServedSimulator, simulator: Simulator
) -> None:
    op_id = simulator.operations()[0]["id"]
    unknown = await control(http, sim_server, "hostile", {"id": op_id, "kind": "nasty"}, status=400)
    assert "unknown hostile kind" in unknown["error"]
    await control(http, sim_server, "hostile", {"id": 1, "kind": "huge_id"}, status=404)
    simulator.serve_hostile(op_id, "huge_id")
    await control(http, sim_server, "reset")
    assert simulator.switches.hostile == {}
