"""How every Redis client opsbot makes behaves, whatever the deployment behind ``REDIS_URL``.

The connection factory (:mod:`opsbot.store.connection`) chooses *where* to
connect; this module says *how*: how many connections a process may open,
how long a caller waits for one, how long a connect or a reply may take,
and which failures are retried.

- **A bounded pool that waits.** redis-py's default asyncio pool raises
  ``MaxConnectionsError`` the moment its cap is reached; a burst of Slack
  requests then fails instead of queueing. The blocking pool makes a caller
  wait up to :data:`POOL_TIMEOUT_S` for a connection another caller returns.
- **Timeouts on every socket.** A Redis that hangs (stopped, swapping, a
  network partition that drops packets) would otherwise hold every request
  that touches it for as long as it hangs.
- **Retries only where nothing can have run twice.** A connection refused or
  reset (a restarting Redis) is retried with jittered backoff. A reply that
  timed out is not: the command may have run, and running ``SET NX`` or
  ``XADD`` again would take a lock we already hold or add an entry twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from opsbot.config import Settings

# Five retries with jittered backoff capped at 1 s give a restarting Redis
# about two seconds, short enough that a Slack request still gets its answer
# in time; jitter keeps many workers from reconnecting in lockstep.
RETRIES: Final = 5
BACKOFF_BASE_S: Final = 0.05
BACKOFF_CAP_S: Final = 1.0
CONNECT_TIMEOUT_S: Final = 5.0
# Every command opsbot sends answers in well under a millisecond on a healthy
# server (no blocking commands, scripts bounded by a batch); two seconds is
# far beyond a latency spike and short enough to give up on a hung server.
SOCKET_TIMEOUT_S: Final = 2.0
# How long a caller waits for a pooled connection before failing. A burst of
# 200 slash commands drains in about 2 s on a busy 2-core machine, waiters
# are not served strictly in turn, and a hung server frees every connection
# within the socket timeout anyway: 10 s leaves a wide margin and still bounds
# the wait.
POOL_TIMEOUT_S: Final = 10.0
HEALTH_CHECK_INTERVAL_S: Final = 30


@dataclass(frozen=True)
class ClientOptions:
    """Pool size and wait, socket timeouts and retries, for any kind of deployment."""

    max_connections: int
    pool_timeout_s: float = POOL_TIMEOUT_S
    connect_timeout_s: float = CONNECT_TIMEOUT_S
    socket_timeout_s: float = SOCKET_TIMEOUT_S

    @classmethod
    def from_settings(cls, settings: Settings) -> ClientOptions:
        return cls(max_connections=settings.redis_max_connections)

    def connection_kwargs(self) -> dict[str, Any]:
        """What each connection is built with; replies decoded to ``str``."""
        retry = Retry(
            ExponentialWithJitterBackoff(base=BACKOFF_BASE_S, cap=BACKOFF_CAP_S),
            retries=RETRIES,
            supported_errors=(RedisConnectionError,),
        )
        return {
            "decode_responses": True,
            "retry": retry,
            "socket_connect_timeout": self.connect_timeout_s,
            "socket_timeout": self.socket_timeout_s,
            "health_check_interval": HEALTH_CHECK_INTERVAL_S,
        }

    def client(self, url: str) -> Redis:
        """A standalone client on ``url`` (redis://, rediss://, unix://) over a waiting pool."""
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=self.max_connections,
            timeout=self.pool_timeout_s,
            **self.connection_kwargs(),
        )
        # The client owns the pool: closing it closes every connection.
        return Redis.from_pool(pool)
