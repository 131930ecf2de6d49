"""``opsbot worker`` as a process of its own, for tests and benchmarks.

:func:`worker_env` points a worker where a test's settings point (nothing
inherited from the caller's OPSBOT_/SLACK_/REDIS_ variables), and
:class:`WorkerProcess` runs it, collecting its log lines as they come.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from opsbot.config import Settings


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of an ``opsbot worker`` process pointed where ``settings`` point."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("OPSBOT_", "SLACK_", "REDIS_"))
    }
    env = {
        **inherited,
        "OPSBOT_API_URL": settings.api_url,
        "OPSBOT_API_TIMEOUT": f"{settings.api_timeout_s:g}",
        "SLACK_API_URL": settings.slack_api_url,
        "REDIS_URL": settings.redis_url or "",
        "OPSBOT_POLL_INTERVAL": f"{settings.poll_interval_s:g}",
        "OPSBOT_ENCRYPTION_KEYS": ",".join(settings.encryption_keys),
        "OPSBOT_DATA_DIR": str(settings.data_dir),
        "PYTHONUNBUFFERED": "1",
    }
    if settings.slack.bot_token:
        env["SLACK_BOT_TOKEN"] = settings.slack.bot_token
    env.update(extra)
    return env


# Run as ``python -c PROFILED OUT -m opsbot.cli worker``: cProfile on CPU time,
# not wall time (on a shared machine a process waits for a core, which wall
# time would count), over the measured window only: SIGUSR1 starts it,
# SIGUSR2 stops it and writes the statistics to OUT.
PROFILED = """
import cProfile, runpy, signal, sys, time
profile = cProfile.Profile(time.process_time)
out, module, sys.argv = sys.argv[1], sys.argv[3], [sys.argv[3], *sys.argv[4:]]
def stop(*_):
    profile.disable()
    profile.dump_stats(out)
signal.signal(signal.SIGUSR1, lambda *_: profile.enable())
signal.signal(signal.SIGUSR2, stop)
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


def profiler_args(profile_dir: Path | None, name: str) -> tuple[str, ...]:
    """Run a worker under cProfile, writing its statistics to ``profile_dir/name.prof``
    (``WorkerProcess``'s ``python_args``); nothing without a ``profile_dir``."""
    if profile_dir is None:
        return ()
    return ("-c", PROFILED, str(profile_dir / f"{name}.prof"))


class WorkerProcess:
    """``opsbot worker`` in a subprocess; its log lines are collected as they come."""

    def __init__(
        self, env: dict[str, str], name: str = "worker", python_args: tuple[str, ...] = ()
    ) -> None:
        """``python_args``: given to the interpreter before ``-m opsbot.cli`` (a profiler)."""
        self.env = env
        self.name = name
        self.python_args = python_args
        self.lines: list[str] = []
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    @property
    def process(self) -> asyncio.subprocess.Process:
        assert self._process is not None, "not started"
        return self._process

    async def start(self) -> WorkerProcess:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            *self.python_args,
            "-m",
            "opsbot.cli",
            "worker",
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        stream = self.process.stderr
        assert stream is not None
        async for line in stream:
            self.lines.append(line.decode(errors="replace").rstrip())

    def cycle_lines(self) -> list[str]:
        return [line for line in self.lines if "opsbot.watcher: cycle:" in line]

    async def wait_for_line(self, wanted: Callable[[str], bool], within: float = 30.0) -> str:
        """The first log line ``wanted`` accepts, waiting for it ``within`` seconds at most."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for line in self.lines:
                if wanted(line):
                    return line
            if self.process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.name}: no such log line; it logged:\n" + "\n".join(self.lines))

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.process.kill()

    async def wait(self, within: float = 30.0) -> int:
        async with asyncio.timeout(within):
            code = await self.process.wait()
            if self._reader is not None:
                await self._reader
        return code

    async def stop(self) -> None:
        """SIGTERM (SIGKILL if it hangs) and wait: a test never leaves a worker behind."""
        if self._process is None or self._process.returncode is not None:
            if self._reader is not None:
                await self._reader
            return
        self.terminate()
        try:
            await self.wait(within=20)
        except TimeoutError:
            self.kill()
            await self.wait()
