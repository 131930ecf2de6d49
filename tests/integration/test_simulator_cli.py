"""``opsbot sim`` as a user runs it: a process answering the standard library's client."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import sys
import xmlrpc.client
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from opsbot.simulator import demo_key_for

OPSBOT = str(Path(sys.executable).parent / "opsbot")
KEY = "commandlinekey0123456789"
STARTUP_SECONDS = 30


class SimProcess:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.output: list[str] = []

    async def line_containing(self, text: str) -> str:
        assert self.process.stdout is not None
        while True:
            raw = await asyncio.wait_for(self.process.stdout.readline(), STARTUP_SECONDS)
            assert raw, f"opsbot sim ended before printing {text!r}: {self.output}"
            self.output.append(raw.decode())
            if text in self.output[-1]:
                return self.output[-1]

    async def url(self) -> str:
        line = await self.line_containing("serving ")
        return line.split("serving ", 1)[1].split(" ", 1)[0]

    async def stop(self, signum: signal.Signals) -> tuple[int, str, str]:
        self.process.send_signal(signum)
        stdout, stderr = await asyncio.wait_for(self.process.communicate(), STARTUP_SECONDS)
        self.output.append(stdout.decode())
        assert self.process.returncode is not None
        return self.process.returncode, "".join(self.output), stderr.decode()


StartSim = Callable[..., Awaitable[SimProcess]]


@pytest.fixture
async def start() -> AsyncIterator[StartSim]:
    started: list[SimProcess] = []

    async def start_sim(*args: str) -> SimProcess:
        process = await asyncio.create_subprocess_exec(
            OPSBOT,
            "sim",
            "--port",
            "0",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        started.append(SimProcess(process))
        return started[-1]

    yield start_sim
    for sim in started:
        if sim.process.returncode is None:
            sim.process.kill()
            await sim.process.wait()


def stdlib_call(url: str, method: str, *params: Any) -> Any:
    """One call with the standard library's synchronous client (run it in a thread)."""
    with xmlrpc.client.ServerProxy(url, allow_none=True, use_datetime=True) as proxy:
        result: Any = getattr(proxy, method)(*params)
        return result


async def test_sim_serves_the_stdlib_client_and_stops_on_sigterm(start: StartSim) -> None:
    sim = await start("--key", KEY, "--seed", "3", "--operations", "60", "--speed", "5")
    url = await sim.url()

    assert await asyncio.to_thread(stdlib_call, url, "operation.count", KEY) == 60
    two = {"id": [100100, 100101]}
    assert await asyncio.to_thread(stdlib_call, url, "operation.count", KEY, two) == 2
    info = await asyncio.to_thread(stdlib_call, url, "operation.info", KEY, 100100)
    assert info["id"] == 100100
    assert isinstance(info["date_created"], dt.datetime)
    unknown_key = "abcdefghijklmnopqrstuvwx"
    with pytest.raises(xmlrpc.client.Fault) as caught:
        await asyncio.to_thread(stdlib_call, url, "operation.count", unknown_key)
    assert caught.value.faultCode == 510150

    returncode, stdout, stderr = await sim.stop(signal.SIGTERM)

    assert returncode == 0
    assert "opsbot sim: stopped" in stdout
    assert KEY not in stdout + stderr


async def test_sim_without_keys_prints_its_demo_key_and_stops_on_sigint(start: StartSim) -> None:
    sim = await start("--seed", "8", "--operations", "5")
    url = await sim.url()
    line = await sim.line_containing("demo API key")

    key = line.rsplit(" ", 1)[1].strip()
    assert key == demo_key_for(8)
    assert await asyncio.to_thread(stdlib_call, url, "operation.count", key) == 5

    returncode, _, _ = await sim.stop(signal.SIGINT)
    assert returncode == 0


async def test_sim_refuses_a_malformed_key_without_printing_it(start: StartSim) -> None:
    sim = await start("--key", "Not-A-Valid-Key-at-all-0")

    stdout, stderr = await asyncio.wait_for(sim.process.communicate(), STARTUP_SECONDS)

    assert sim.process.returncode == 2
    assert "24 characters from [a-z0-9]" in stderr.decode()
    assert "Not-A-Valid" not in stdout.decode() + stderr.decode()


async def test_sim_writes_its_dates_on_the_clock_it_is_given(start: StartSim) -> None:
    # The standard library reads dateTime values as they are written: zone-less.
    paris = await start("--key", KEY, "--seed", "3", "--operations", "5")
    utc = await start("--key", KEY, "--seed", "3", "--operations", "5", "--timezone", "UTC")
    paris_url, utc_url = await paris.url(), await utc.url()
    assert "dates on Europe/Paris time" in await paris.line_containing("speed")
    assert "dates on UTC time" in await utc.line_containing("speed")

    on_paris = await asyncio.to_thread(stdlib_call, paris_url, "operation.info", KEY, 100100)
    on_utc = await asyncio.to_thread(stdlib_call, utc_url, "operation.info", KEY, 100100)

    # Same seed, same moment (to the seconds the two starts are apart): Paris is
    # one or two hours ahead of UTC.
    ahead = on_paris["date_created"] - on_utc["date_created"]
    assert dt.timedelta(minutes=59) < ahead < dt.timedelta(hours=2, minutes=1)
    for sim in (paris, utc):
        returncode, _, _ = await sim.stop(signal.SIGTERM)
        assert returncode == 0


async def test_sim_refuses_an_unknown_time_zone_in_one_line(start: StartSim) -> None:
    sim = await start("--timezone", "Europe/Atlantis")

    _, stderr = await asyncio.wait_for(sim.process.communicate(), STARTUP_SECONDS)

    assert sim.process.returncode == 2
    assert "--timezone must be an IANA time zone name" in stderr.decode()
    assert "'Europe/Atlantis'" in stderr.decode()
