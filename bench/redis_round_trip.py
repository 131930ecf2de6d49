"""What one Redis round trip costs a worker's CPU, by connection pool.

Every team pass makes a few round trips to Redis (its opening pipeline, its
reschedule, its release), so the client's own work per round trip is paid
thousands of times a second. This measures it on a redis-server started
here, for the two pools a standalone client could use:

- redis-py's ``BlockingConnectionPool`` (a lock, a timeout and metrics
  bookkeeping for every connection lent);
- opsbot's ``LendingPool`` (:mod:`opsbot.store.pooling`), which the
  standalone and Sentinel clients use.

Both clients are otherwise built alike (hiredis packing, the reply parser,
timeouts, retries). Each round runs ``GETS`` single ``GET``s and
``PIPELINES`` pipelines of six commands (the shape of a pass's opening read)
per pool, in alternation, so machine noise hits both alike; figures are CPU
time (``time.process_time``) per round trip, median over the rounds.

Last line: ``redis_round_trip: get_us=G pipeline_us=P blocking_get_us=BG
blocking_pipeline_us=BP ratio=R`` (R = BG / G).
"""

from __future__ import annotations

import functools
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from redis.asyncio import BlockingConnectionPool, Redis  # noqa: E402

from opsbot.event_loop import run  # noqa: E402
from opsbot.store.connection import DEFAULT_OPTIONS, ScriptReadOnlyParser  # noqa: E402
from opsbot.store.packing import PackedConnection  # noqa: E402
from opsbot.store.pooling import LendingPool  # noqa: E402
from opsbot.store.server import RedisServer  # noqa: E402

GETS = 5_000
PIPELINES = 2_000
ROUNDS = 7
KEY = "opsbot:{Tbench}:probe"


def client(pool_class: type[BlockingConnectionPool] | type[LendingPool], port: int) -> Redis:
    pool = pool_class(
        connection_class=PackedConnection,
        parser_class=ScriptReadOnlyParser,
        host="127.0.0.1",
        port=port,
        **DEFAULT_OPTIONS.client_kwargs(),
        **DEFAULT_OPTIONS.pool_kwargs(),
    )
    return Redis.from_pool(pool)


async def cpu_us(times: int, call: Callable[[], Awaitable[object]]) -> float:
    started = time.process_time()
    for _ in range(times):
        await call()
    return (time.process_time() - started) * 1e6 / times


async def opening_read(redis: Redis) -> object:
    async with redis.pipeline(transaction=False) as pipe:
        pipe.get(KEY)
        pipe.get(KEY)
        pipe.hgetall(KEY + ":h")
        pipe.zrange(KEY + ":z", 0, -1)
        pipe.zcard(KEY + ":z")
        pipe.xrange(KEY + ":x", count=10)
        return await pipe.execute()


async def measure(port: int) -> dict[str, float]:
    clients = {
        "lending": client(LendingPool, port),
        "blocking": client(BlockingConnectionPool, port),
    }
    figures: dict[str, list[float]] = {}
    try:
        await clients["lending"].set(KEY, "1")
        for _ in range(ROUNDS):
            for name, redis in clients.items():
                get = await cpu_us(GETS, functools.partial(redis.get, KEY))
                pipeline = await cpu_us(PIPELINES, functools.partial(opening_read, redis))
                figures.setdefault(f"{name}_get", []).append(get)
                figures.setdefault(f"{name}_pipeline", []).append(pipeline)
    finally:
        for redis in clients.values():
            await redis.aclose()
    return {name: statistics.median(values) for name, values in figures.items()}


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        server = RedisServer(data_dir=Path(data_dir)).start()
        try:
            median = run(measure(server.port))
        finally:
            server.stop()
    for name in ("lending", "blocking"):
        print(
            f"{name:9} pool: {median[f'{name}_get']:.1f} µs a GET, "
            f"{median[f'{name}_pipeline']:.1f} µs a pipeline of six (CPU, median of {ROUNDS})"
        )
    ratio = median["blocking_get"] / median["lending_get"]
    print(
        f"redis_round_trip: get_us={median['lending_get']:.1f} "
        f"pipeline_us={median['lending_pipeline']:.1f} "
        f"blocking_get_us={median['blocking_get']:.1f} "
        f"blocking_pipeline_us={median['blocking_pipeline']:.1f} ratio={ratio:.2f}"
    )


if __name__ == "__main__":
    main()
