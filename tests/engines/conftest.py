"""Real Redis deployments, started by the tests: a Cluster and a Sentinel set.

The cluster serves the whole session: it holds no client, so tests in their
own event loops use it, and nothing here changes its shape. A Sentinel set
is started per test, since its tests fail the primary over.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.support.redis_engines import ClusterEngine, SentinelEngine


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ClusterEngine]:
    """Three masters, no replicas."""
    async with ClusterEngine(tmp_path_factory.mktemp("cluster")) as cluster:
        yield cluster


@pytest.fixture
async def redis_sentinel(tmp_path: Path) -> AsyncIterator[SentinelEngine]:
    """A primary, a replica and three sentinels (quorum 2)."""
    async with SentinelEngine(tmp_path / "sentinel", sentinels=3) as deployment:
        yield deployment
