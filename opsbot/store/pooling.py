"""A connection pool that lends a connection for the price of a list pop.

redis-py's waiting pool (``BlockingConnectionPool``) takes and returns
every connection under an ``asyncio.Condition``, inside a timeout, through
a deprecation wrapper, and records each move for its OpenTelemetry
metrics, which opsbot does not enable: about a fifth of the client's CPU
for one command (``bench/redis_round_trip.py``), a tenth of a worker's in
cProfile. Lending is pure Python between two awaits, so asyncio's single
thread already makes it atomic; this pool keeps only what it needs:

- a caller takes an idle connection, or a new one while fewer than
  ``max_connections`` are lent; past that it waits, up to ``timeout``
  seconds, and then fails with the ConnectionError redis-py's waiting pool
  raises (a semaphore counts the lent connections, so waiters are served
  in turn and a cancelled waiter gives its turn on);
- a connection comes back at once, without a lock: a task cancelled while
  returning one (a worker stopping) cannot drop it, and the pool closes
  every connection it ever lent when the client closes.

What it leaves out: redis-py's metrics, and its "connection released"
event, which only re-authenticates connections for a streaming credential
provider (opsbot authenticates with a password from ``REDIS_URL``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio.connection import AbstractConnection, ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError

# The message redis-py's waiting pool fails with, kept so logs read the same.
NO_CONNECTION = "No connection available."


class LendingPool(ConnectionPool):
    """A waiting pool without the bookkeeping opsbot does not use; see the module doc.

    A mixin first in the bases of a pool class (Sentinel's too); takes the
    waiting pool's ``timeout`` on top of redis-py's pool arguments.
    """

    def __init__(self, *args: Any, timeout: float = 20.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timeout = timeout
        self._room = asyncio.Semaphore(self.max_connections)

    # redis-py 5.3 deprecated the arguments; nothing of redis-py's passes any.
    async def get_connection(self) -> AbstractConnection:  # type: ignore[override]
        """An idle connection, or a new one; waits while every one is lent."""
        if self._room.locked():
            try:
                async with asyncio.timeout(self.timeout):
                    await self._room.acquire()
            except TimeoutError:
                raise RedisConnectionError(NO_CONNECTION) from None
        else:
            await self._room.acquire()  # free: returns without yielding
        connection = self.get_available_connection()  # type: ignore[no-untyped-call]
        try:
            # Connects a new one; reconnects one whose socket has unread data.
            await self.ensure_connection(connection)
        except BaseException:
            self._take_back(connection)
            raise
        lent: AbstractConnection = connection
        return lent

    async def release(self, connection: AbstractConnection) -> None:
        """Take a connection back; one the server asked to move is closed first."""
        try:
            if connection.should_reconnect():  # type: ignore[no-untyped-call]
                await connection.disconnect()
        finally:
            self._take_back(connection)

    def _take_back(self, connection: AbstractConnection) -> None:
        self._in_use_connections.discard(connection)
        self._available_connections.append(connection)
        self._room.release()
