"""Fixtures shared by every suite: a real Redis, on the deployments opsbot supports.

``redis_url`` is a real Redis whose URL the test hands to opsbot, on one of
three engines:

- ``standalone``: a ``redis-server`` this session starts on a free port (and
  stops), or the one ``REDIS_URL`` names;
- ``cluster``: three masters sharing the slots (``redis+cluster://``);
- ``sentinel``: a primary, a replica and three sentinels (``redis+sentinel://``).

The cluster and Sentinel sets are started by the session from the same
redis-server binary, the first time a test asks for them. Plain ``pytest``
(``make test``) runs on ``standalone``; ``--redis-engines=cluster,sentinel``
(``make test-engines``) runs the engine suites (the stores, the watcher, the
reliability tests) on those engines, and the tests marked
``redis_engines(...)`` that need one of them for themselves (a failover).

Whatever the engine, a test leaves Redis as it found it by deleting only the
keys it created (:mod:`tests.support.redis_cleanup`): no database is ever
flushed, so the suite can run on a Redis it did not start.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Final

import pytest
import pytest_asyncio
import uvloop

from opsbot.config import redis_target
from opsbot.store.connection import connect
from opsbot.store.server import RedisServer
from tests.support.redis_cleanup import remove_new, snapshot
from tests.support.redis_engines import ClusterEngine, SentinelEngine

STANDALONE: Final = "standalone"
CLUSTER: Final = "cluster"
SENTINEL: Final = "sentinel"
ENGINES: Final = (STANDALONE, CLUSTER, SENTINEL)
# The suites whose tests that take ``redis_url`` run once per engine selected.
ENGINE_SUITES: Final = (
    "tests/integration/test_store_",
    "tests/integration/test_watching.py",
    "tests/integration/watcher/",
    "tests/reliability/",
)
_ENGINE_URL_FIXTURES: Final = {
    STANDALONE: "redis_server",
    CLUSTER: "redis_cluster_url",
    SENTINEL: "redis_sentinel_url",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--redis-engines",
        default=STANDALONE,
        help=f"comma-separated Redis engines to run the engine suites on ({', '.join(ENGINES)})",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Every test's loop is the kind opsbot's commands run on (opsbot.event_loop);
    # the standard loop is tried by the worker process's test. A policy rather
    # than pytest-asyncio's loop-factory hook: the hook parametrizes every test,
    # and the session's Redis Cluster and Sentinel set were started again for each.
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    config.addinivalue_line(
        "markers", "redis_engines(*names): runs only when one of these engines is selected"
    )


def selected_engines(config: pytest.Config) -> list[str]:
    names = [name.strip() for name in str(config.getoption("--redis-engines")).split(",")]
    unknown = [name for name in names if name not in ENGINES]
    if unknown or not names:
        raise pytest.UsageError(f"--redis-engines takes {', '.join(ENGINES)}; not {unknown}")
    return names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "redis_url" not in metafunc.fixturenames:
        return
    relative = Path(metafunc.definition.path).relative_to(metafunc.config.rootpath).as_posix()
    if relative.startswith(ENGINE_SUITES):
        metafunc.parametrize(
            "redis_engine", selected_engines(metafunc.config), indirect=True, scope="session"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run what the engines selected call for, and nothing twice across make targets.

    Without ``standalone`` (``make test-engines``) only the engine runs are
    kept; a test marked ``redis_engines`` runs only with one of its engines.
    """
    engines = set(selected_engines(config))
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        (kept if _runs(item, engines) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _runs(item: pytest.Item, engines: set[str]) -> bool:
    marker = item.get_closest_marker("redis_engines")
    if marker is not None:
        return bool(engines & set(marker.args))
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "redis_engine" in callspec.params:
        return True
    return STANDALONE in engines


@pytest.fixture(scope="session")
def redis_engine(request: pytest.FixtureRequest) -> str:
    """The engine of this run of the test (``standalone`` outside the engine suites)."""
    return str(getattr(request, "param", STANDALONE))


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The standalone engine: ``REDIS_URL``, or a redis-server of this session."""
    external = os.environ.get("REDIS_URL")
    if external:
        yield external
        return
    server = RedisServer(data_dir=Path(tmp_path_factory.mktemp("redis"))).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ClusterEngine]:
    """Three masters, no replicas, for the whole session (nothing changes its shape)."""
    async with ClusterEngine(tmp_path_factory.mktemp("cluster")) as cluster:
        yield cluster


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def shared_sentinel(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[SentinelEngine]:
    """A primary, a replica and three sentinels for the whole session; never failed over.

    A test that fails a primary over starts a set of its own (``redis_sentinel``).
    """
    async with SentinelEngine(tmp_path_factory.mktemp("sentinel"), sentinels=3) as deployment:
        yield deployment


@pytest.fixture(scope="session")
def redis_cluster_url(redis_cluster: ClusterEngine) -> str:
    return redis_cluster.url


@pytest.fixture(scope="session")
def redis_sentinel_url(shared_sentinel: SentinelEngine) -> str:
    return shared_sentinel.url


@pytest.fixture
async def redis_sentinel(tmp_path: Path) -> AsyncIterator[SentinelEngine]:
    """A Sentinel set of this test's own, to fail over: a primary, a replica, three sentinels."""
    async with SentinelEngine(tmp_path / "sentinel", sentinels=3) as deployment:
        yield deployment


@pytest.fixture
def engine_url(request: pytest.FixtureRequest, redis_engine: str) -> str:
    """The URL of this test's engine, starting the engine the first time (sync: see below)."""
    # Looked up here, in a plain fixture, so that only the engines a run
    # selects are started; an async fixture could not start a session one.
    return str(request.getfixturevalue(_ENGINE_URL_FIXTURES[redis_engine]))


@pytest.fixture
async def redis_url(engine_url: str) -> AsyncIterator[str]:
    """A Redis for one test; afterwards, the keys the test created are deleted, and only those."""
    async with connect(redis_target(engine_url)) as client:
        before = await snapshot(client)
    yield engine_url
    async with connect(redis_target(engine_url)) as client:
        await remove_new(client, before)
