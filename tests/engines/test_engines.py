"""The test engines themselves: a Cluster that spreads keys over its masters,
a Sentinel set whose failover redis-py's Sentinel client follows, and no
process left behind, whatever happens to the test."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError

from tests.support.redis_engines import CLUSTER_SLOTS, ClusterEngine, SentinelEngine

pytestmark = pytest.mark.slow

# Each test runs with the engine it exercises (make test-engines).
on_cluster = pytest.mark.redis_engines("cluster")
on_sentinel = pytest.mark.redis_engines("sentinel")

REPO = Path(__file__).resolve().parents[2]


def owner_port(client: RedisCluster, key: str) -> int:
    node = client.get_node_from_key(key)
    assert node is not None
    return int(node.port)


@on_cluster
async def test_the_cluster_takes_writes_on_every_master(redis_cluster: ClusterEngine) -> None:
    assert re.fullmatch(
        r"redis\+cluster://127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+){2}", redis_cluster.url
    )
    async with redis_cluster.client(decode_responses=True) as client:
        # Team hash tags put each team's keys in one slot, teams on every master.
        keys = [f"opsbot:{{T{n}}}:x" for n in range(1, 31)]
        for key in keys:
            await client.set(key, key)
        assert [await client.get(key) for key in keys] == keys
        owners = {owner_port(client, key) for key in keys}
        thirds = {client.keyslot(key) * 3 // CLUSTER_SLOTS for key in keys}
        assert owners == {port for _, port in redis_cluster.master_addresses}
        assert thirds == {0, 1, 2}
        assert await client.delete(*keys) == len(keys)


@on_cluster
async def test_a_cluster_with_replicas_gives_each_master_one(tmp_path: Path) -> None:
    async with (
        ClusterEngine(tmp_path, masters=3, replicas=1) as cluster,
        cluster.client() as client,
    ):
        await client.set("opsbot:{T1}:x", "1")
        assert len(client.get_replicas()) == 3
        primaries = {int(node.port) for node in client.get_primaries()}
        assert primaries == {port for _, port in cluster.master_addresses}


async def write_until_it_lands(client: Redis, key: str, value: str) -> None:
    """What a client does across a failover: retry while the switch is under way."""
    deadline = time.monotonic() + 15
    while True:
        try:
            await client.set(key, value)
            return
        except (RedisConnectionError, ReadOnlyError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


@on_sentinel
async def test_a_failover_promotes_the_replica_and_the_client_follows(
    redis_sentinel: SentinelEngine,
) -> None:
    hosts = r"127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+){2}"
    assert re.fullmatch(rf"redis\+sentinel://{hosts}/mymaster/0", redis_sentinel.url)
    old = await redis_sentinel.primary()
    (replica,) = set(redis_sentinel.servers) - {old}
    async with redis_sentinel.client(decode_responses=True) as client:
        await client.set("opsbot:{T1}:x", "before")
        assert await redis_sentinel.failover() == replica
        await write_until_it_lands(client, "opsbot:{T1}:x", "after")
    async with Redis(host=replica[0], port=replica[1], decode_responses=True) as on_new:
        assert await on_new.get("opsbot:{T1}:x") == "after"
    async with Redis(host=old[0], port=old[1], decode_responses=True) as on_old:
        assert (await on_old.role())[0] == "slave"


@on_sentinel
async def test_the_sentinels_replace_a_crashed_primary(redis_sentinel: SentinelEngine) -> None:
    old = await redis_sentinel.primary()
    (replica,) = set(redis_sentinel.servers) - {old}
    async with redis_sentinel.client(decode_responses=True) as client:
        await client.set("opsbot:{T1}:x", "before")
        assert await redis_sentinel.kill_primary() == replica
        await write_until_it_lands(client, "opsbot:{T1}:x", "after")
        assert await client.get("opsbot:{T1}:x") == "after"


def alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie nobody reaped yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def fail_inside(engine: SentinelEngine, pids: list[int | None]) -> None:
    async with engine:
        pids.extend(process.pid for process in engine.processes)
        raise RuntimeError("a test fails")


@on_sentinel
async def test_a_failing_test_leaves_no_server_running(tmp_path: Path) -> None:
    pids: list[int | None] = []
    with pytest.raises(RuntimeError, match="a test fails"):
        await fail_inside(SentinelEngine(tmp_path), pids)
    assert len(pids) == 3
    assert not [pid for pid in pids if pid is not None and alive(pid)]


STARTS_A_CLUSTER_THEN_HANGS = """
import asyncio, sys
from pathlib import Path
from tests.support.redis_engines import ClusterEngine

async def main():
    cluster = ClusterEngine(Path(sys.argv[1]), masters=1)
    await cluster.start()
    print(*(process.pid for process in cluster.processes), flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
@on_cluster
def test_servers_die_with_a_test_process_killed_outright(tmp_path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", STARTS_A_CLUSTER_THEN_HANGS, str(tmp_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    ) as test_process:
        assert test_process.stdout is not None
        pids = [int(pid) for pid in test_process.stdout.readline().split()]
        assert pids
        assert all(alive(pid) for pid in pids)
        test_process.kill()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in pids if alive(pid)]
