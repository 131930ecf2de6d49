"""``opsbot serve`` as an operator runs it: a process of its own, its log lines collected.

Probes of load and of hostile clients need opsbot on its own event loop (the
test's loop drives the clients, the simulator and FakeSlack) and its real
HTTP server (connection handling, read timeouts). The process is started
with ``--no-watcher`` and the settings the test gives; nothing is inherited
from the test's environment but what a fresh shell has.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping

import aiohttp

from tests.support.ports import free_port

OPSBOT = (sys.executable, "-m", "opsbot.cli")
# Safety nets only: a start-up or a shutdown that hangs fails instead of blocking.
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 20.0


class ServeProcess:
    """A running ``opsbot serve --no-watcher``; ``lines`` is its log so far."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        stream = self.process.stderr
        assert stream is not None
        async for line in stream:
            self.lines.append(line.decode(errors="replace").rstrip())

    def log(self) -> str:
        return "\n".join(self.lines)

    def lines_since(self, mark: int) -> list[str]:
        """The lines logged after the first ``mark`` ones (``mark = len(serving.lines)``)."""
        return self.lines[mark:]

    async def wait_for_line(
        self, wanted: Callable[[str], bool], within: float = 10.0, *, since: int = 0
    ) -> str:
        """The first log line (after the first ``since``) ``wanted`` accepts.

        ``within`` seconds is a safety net, not a deadline the test is about.
        """
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for line in self.lines_since(since):
                if wanted(line):
                    return line
            await asyncio.sleep(0.05)
        raise AssertionError(f"no such log line; opsbot serve logged:\n{self.log()}")

    async def wait_until_healthy(self) -> None:
        async with asyncio.timeout(START_TIMEOUT_S), aiohttp.ClientSession() as session:
            while True:
                if self.process.returncode is not None:
                    await self._reader
                    raise AssertionError(f"opsbot serve exited at start-up:\n{self.log()}")
                with contextlib.suppress(aiohttp.ClientConnectionError):
                    async with session.get(f"{self.base_url}/healthz") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.1)

    async def stop(self) -> int:
        """SIGTERM, as a process manager sends it (SIGKILL if it hangs); the exit code."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(STOP_TIMEOUT_S):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        await self._reader
        assert self.process.returncode is not None
        return self.process.returncode


def fresh_env(settings: Mapping[str, str]) -> dict[str, str]:
    """A fresh shell's environment (PATH) plus ``settings``."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONUNBUFFERED": "1", **settings}


@contextlib.asynccontextmanager
async def serving(settings: Mapping[str, str]) -> AsyncIterator[ServeProcess]:
    """``opsbot serve --no-watcher`` on a free port with ``settings``, healthy, then stopped."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *OPSBOT,
        "serve",
        "--no-watcher",
        env=fresh_env({**settings, "PORT": str(port)}),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    served = ServeProcess(process, port)
    try:
        await served.wait_until_healthy()
        yield served
    finally:
        await served.stop()
