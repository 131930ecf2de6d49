"""Free TCP ports of 127.0.0.1 for the servers tests and benchmarks start."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port free at the moment (another process could take it before we bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
