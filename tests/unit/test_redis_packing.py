"""Commands written by hiredis are byte for byte what redis-py's own writer sends."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio.connection import Connection
from redis.exceptions import DataError

from opsbot.store.packing import PackedConnection

CASES: list[tuple[Any, ...]] = [
    ("SET", "opsbot:{T1}:k", "é ü 日本", b"\x00\xff bytes"),
    ("ZADD", "opsbot:{T1}:watches", 1733150000.123, "42", 0.1, "7", float("inf"), "8"),
    ("HMGET", "opsbot:{T1}:watch:1", *[f"field{n}" for n in range(200)]),
    ("EVALSHA", "a" * 40, 3, "k1", "k2", "k3", -5, 2**63, 1e-7, -0.0),
    ("CONFIG GET", "maxmemory"),  # a name of two words is sent as two
    (b"SCRIPT LOAD", "return 1"),
    ("SET", "k", "x" * 100_000),  # past redis-py's buffer cut-off
    ("SET", "k", memoryview(b"view")),  # hiredis refuses it: redis-py writes it
]


def written(connection: Connection, args: tuple[Any, ...]) -> bytes:
    return b"".join(bytes(chunk) for chunk in connection.pack_command(*args))


@pytest.mark.parametrize("args", CASES)
def test_hiredis_writes_what_redis_py_writes(args: tuple[Any, ...]) -> None:
    assert written(PackedConnection(), args) == written(Connection(), args)


def test_a_command_hiredis_writes_is_one_buffer() -> None:
    """What the speed is for: no per-argument joins, one buffer to send."""
    packed = PackedConnection().pack_command("HMGET", "k", *[f"f{n}" for n in range(100)])
    assert len(packed) == 1


def test_what_redis_py_refuses_is_still_refused() -> None:
    with pytest.raises(DataError):
        PackedConnection().pack_command("SET", "k", True)
