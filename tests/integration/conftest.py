"""Fixtures for talking to the simulated operation API over real HTTP.

``simulator`` holds time still (a :class:`ManualClock` started at the real
now): operations move only when a test moves ``sim_clock`` or calls
``simulator.move``, so no test races the simulated time. ``sim_server``
serves it on a free port of 127.0.0.1; its ``url`` is the XML-RPC endpoint,
its ``control_url`` the switches. ``sim_rpc`` makes bare XML-RPC calls to it
with the project's codec, for tests of the simulator itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from opsbot.api.xmlrpc import decode_response, encode_call, from_api_clock, to_api_clock
from opsbot.simulator import ManualClock, ServedSimulator, Simulator, serve_simulator

SIM_KEY = "simulatorkey0123456789ab"


def as_carried(operation: dict[str, Any], zone: dt.tzinfo) -> dict[str, Any]:
    """``operation`` as a client reads it back: its dates through the API's clock.

    The wire's dates have no offset, so a date in the hour repeated when
    summer time ends reads as its first occurrence (see ``from_api_clock``).
    The simulator dates its operations back from the real now, so on some
    days a record falls in that hour and only this form compares equal.
    """
    carried = dict(operation)
    for name, value in operation.items():
        if isinstance(value, dt.datetime):
            carried[name] = from_api_clock(to_api_clock(value, zone), zone)
    return carried


def in_repeated_hour(value: dt.datetime, zone: dt.tzinfo) -> bool:
    """Whether ``value`` falls in the hour the API's clock shows twice (summer time ending).

    The wire cannot tell its two occurrences apart, so two dates in it may
    read back in either order.
    """
    wall = value.astimezone(zone).replace(tzinfo=None)
    first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    return first.utcoffset() != second.utcoffset()


@pytest.fixture
def sim_key() -> str:
    """A well-formed key the ``simulator`` fixture accepts."""
    return SIM_KEY


@pytest.fixture
def sim_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def simulator(sim_key: str, sim_clock: ManualClock) -> Simulator:
    return Simulator(seed=1, keys=[sim_key], clock=sim_clock)


@pytest.fixture
async def sim_server(simulator: Simulator) -> AsyncIterator[ServedSimulator]:
    async with serve_simulator(simulator) as served:
        yield served


class RawRpc:
    """Bare XML-RPC calls over aiohttp with the project's codec (not the client)."""

    def __init__(self, session: aiohttp.ClientSession, served: ServedSimulator) -> None:
        self.session = session
        self.url = served.url
        # The simulator's clock, as a client set to the same zone would read it.
        self.zone = served.simulator.zone

    async def call(self, method: str, *params: Any) -> Any:
        body = encode_call(method, params, zone=self.zone)
        return decode_response(await self.post(body), zone=self.zone)

    async def post(self, body: bytes) -> bytes:
        async with self.session.post(
            self.url, data=body, headers={"Content-Type": "text/xml"}
        ) as response:
            return await response.read()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


@pytest.fixture
def sim_rpc(http: aiohttp.ClientSession, sim_server: ServedSimulator) -> RawRpc:
    return RawRpc(http, sim_server)
