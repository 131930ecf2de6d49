"""Each team's API key: stored encrypted, shown only as who, when and a fingerprint."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from opsbot.config import Settings
from opsbot.store import keyspace
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import Keyring, Vault, VaultError
from tests.support.redis_probe import all_keys
from tests.support.secrets_scan import find_secrets_in_redis

API_KEY = "Gx7pQ2rT9vW4yZ1bC6dF8hJ3"


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


@pytest.fixture
def store(redis: RedisClient) -> TeamKeyStore:
    return TeamKeyStore(redis, Vault(Keyring.generate()))


async def test_a_team_without_a_key_has_none(store: TeamKeyStore) -> None:
    assert await store.get("T0123") is None
    assert await store.status("T0123") is None
    assert not await store.remove("T0123")


async def test_a_key_set_is_read_back_with_who_set_it_and_when(store: TeamKeyStore) -> None:
    before = dt.datetime.now(dt.UTC)
    await store.set("T0123", API_KEY, set_by="U0ADMIN")
    after = dt.datetime.now(dt.UTC)

    assert await store.get("T0123") == API_KEY
    status = await store.status("T0123")
    assert status is not None
    assert status.set_by == "U0ADMIN"
    assert status.set_at.tzinfo is not None
    assert before <= status.set_at <= after
    assert len(status.fingerprint) == 10
    assert status.fingerprint not in API_KEY


async def test_setting_again_replaces_the_key_and_its_fingerprint(store: TeamKeyStore) -> None:
    first = await store.set("T0123", API_KEY, set_by="U0ADMIN")
    second = await store.set("T0123", API_KEY[::-1], set_by="U0OTHER")
    assert await store.get("T0123") == API_KEY[::-1]
    assert second.fingerprint != first.fingerprint
    assert await store.status("T0123") == second


async def test_teams_do_not_share_keys_and_removal_is_per_team(store: TeamKeyStore) -> None:
    await store.set("T0123", API_KEY, set_by="U0ADMIN")
    await store.set("T0456", "another-key-of-24-chars!", set_by="U0ADMIN")
    assert await store.remove("T0123")
    assert await store.get("T0123") is None
    assert await store.get("T0456") == "another-key-of-24-chars!"


async def test_the_key_is_never_in_redis_in_clear(store: TeamKeyStore, redis: RedisClient) -> None:
    await store.set("T0123", API_KEY, set_by="U0ADMIN")
    assert await find_secrets_in_redis(redis, [API_KEY]) == []
    assert await all_keys(redis) == [keyspace.api_key("T0123")]


async def test_a_record_copied_to_another_team_does_not_decrypt(
    store: TeamKeyStore, redis: RedisClient
) -> None:
    await store.set("T0123", API_KEY, set_by="U0ADMIN")
    # DUMP and RESTORE, not COPY: on a cluster the two teams are in different slots.
    record = await redis.dump(keyspace.api_key("T0123"))
    assert record is not None
    await redis.restore(keyspace.api_key("T0456"), 0, record, replace=True)
    with pytest.raises(VaultError):
        await store.get("T0456")
