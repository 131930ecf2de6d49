"""Redis connections that write their commands with hiredis, in C.

redis-py's asyncio connection writes every command in Python, joining the
bytes written so far again for each argument: an ``HMGET`` of a hundred
fields or a ``ZADD`` of a hundred scores costs it quadratic copying, and on
the watcher's hot path (a few dozen commands per team pass) it was the
largest single cost of a worker. redis-py's synchronous client already
writes with ``hiredis.pack_command`` when hiredis is installed; its asyncio
client does not. These classes do, for every deployment opsbot connects to.

hiredis writes a str as UTF-8 (opsbot's encoding), an int and a float as
redis-py does (``repr``); anything else it refuses (a bool, a memoryview,
an enum) is written by redis-py as before, with redis-py's own checks.
"""

from __future__ import annotations

from typing import Any

import hiredis
from redis.asyncio.connection import (
    AbstractConnection,
    Connection,
    SSLConnection,
    UnixDomainSocketConnection,
)
from redis.asyncio.sentinel import SentinelManagedConnection, SentinelManagedSSLConnection


class HiredisPacking(AbstractConnection):
    """A connection whose commands are written by ``hiredis.pack_command``."""

    def pack_command(self, *args: Any) -> list[bytes]:
        try:
            return [hiredis.pack_command(_name_split(args))]
        except TypeError:
            return super().pack_command(*args)


def _name_split(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """``("CONFIG GET", "x")`` as Redis wants it: ``("CONFIG", "GET", "x")`` (as redis-py does)."""
    name = args[0]
    if isinstance(name, str) and " " in name:
        return tuple(name.split()) + args[1:]
    if isinstance(name, bytes) and b" " in name:
        return tuple(name.split()) + args[1:]
    return args


class PackedConnection(HiredisPacking, Connection):
    """TCP."""


class PackedSSLConnection(HiredisPacking, SSLConnection):
    """TCP with TLS."""


class PackedUnixConnection(HiredisPacking, UnixDomainSocketConnection):
    """A Unix socket (the embedded server's)."""


class PackedSentinelConnection(HiredisPacking, SentinelManagedConnection):
    """To the primary the sentinels name."""


class PackedSentinelSSLConnection(HiredisPacking, SentinelManagedSSLConnection):
    """To the primary the sentinels name, with TLS."""
