"""Slack installations and OAuth state in Redis, tokens encrypted; a team's data deleted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation

from opsbot.config import Settings
from opsbot.slack_installations import RedisInstallationStore, RedisOAuthStateStore
from opsbot.store import keyspace
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.team_data import TeamData
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import Keyring, Vault
from tests.support.redis_probe import all_keys
from tests.support.secrets_scan import find_secrets_in_redis


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


@pytest.fixture
def vault() -> Vault:
    return Vault(Keyring.generate())


@pytest.fixture
def store(redis: RedisClient, vault: Vault) -> RedisInstallationStore:
    return RedisInstallationStore(redis, vault)


def installation(**overrides: Any) -> Installation:
    fields: dict[str, Any] = {
        "app_id": "A0APP",
        "team_id": "T0123",
        "team_name": "Ops",
        "bot_token": "xoxb-bot-token-1",
        "bot_id": "B0BOT",
        "bot_user_id": "U0BOT",
        "bot_scopes": "commands,chat:write",
        "bot_refresh_token": "xoxe-bot-refresh-1",
        "bot_token_expires_in": 43200,
        "user_id": "U0INSTALLER",
        "user_token": "xoxp-user-token-1",
        "user_scopes": "identify",
        "incoming_webhook_url": "https://hooks.slack.test/services/T0123/B1/secret",
        "incoming_webhook_channel": "#ops",
        "installed_at": 1_790_000_000.5,
        "custom_values": {"note": "kept"},
    }
    fields.update(overrides)
    return Installation(**fields)


async def stored_keys(redis: RedisClient) -> list[str]:
    return await all_keys(redis)


SECRETS = (
    "xoxb-bot-token-1",
    "xoxe-bot-refresh-1",
    "xoxp-user-token-1",
    "https://hooks.slack.test/services/T0123/B1/secret",
)


async def test_an_installation_round_trips_every_field(store: RedisInstallationStore) -> None:
    saved = installation()
    await store.async_save(saved)

    found = await store.async_find_installation(enterprise_id=None, team_id="T0123")
    assert found is not None
    assert found.to_dict() == saved.to_dict()
    assert found.custom_values == {"note": "kept"}

    bot = await store.async_find_bot(enterprise_id=None, team_id="T0123")
    assert bot is not None
    assert bot.to_dict() == saved.to_bot().to_dict()


async def test_no_token_is_stored_in_clear(
    store: RedisInstallationStore, redis: RedisClient
) -> None:
    await store.async_save(installation())
    assert len(await all_keys(redis)) == 3
    assert await find_secrets_in_redis(redis, SECRETS) == []


async def test_each_installing_user_has_an_installation_and_the_latest_bot_is_used(
    store: RedisInstallationStore,
) -> None:
    await store.async_save(installation(user_id="U0FIRST", user_token="xoxp-first"))
    await store.async_save(
        installation(
            user_id="U0SECOND",
            user_token="xoxp-second",
            bot_token="xoxb-bot-token-2",
            installed_at=1_790_000_100.0,
        )
    )

    first = await store.async_find_installation(
        enterprise_id=None, team_id="T0123", user_id="U0FIRST"
    )
    assert first is not None
    assert first.user_token == "xoxp-first"
    assert first.bot_token == "xoxb-bot-token-2", "a user's install gets the newest bot token"
    latest = await store.async_find_installation(enterprise_id=None, team_id="T0123")
    assert latest is not None
    assert latest.user_id == "U0SECOND"
    assert (
        await store.async_find_installation(enterprise_id=None, team_id="T0123", user_id="U0NOBODY")
        is None
    )


async def test_an_enterprise_workspace_install_is_found_only_with_its_enterprise(
    store: RedisInstallationStore,
) -> None:
    await store.async_save(installation(enterprise_id="E0ORG", enterprise_name="Org"))

    found = await store.async_find_installation(enterprise_id="E0ORG", team_id="T0123")
    assert found is not None
    assert found.enterprise_id == "E0ORG"
    assert await store.async_find_bot(enterprise_id="E0ORG", team_id="T0123") is not None
    assert await store.async_find_installation(enterprise_id=None, team_id="T0123") is None
    assert await store.async_find_bot(enterprise_id="E0OTHER", team_id="T0123") is None


async def test_an_org_wide_install_is_kept_under_its_enterprise(
    store: RedisInstallationStore, redis: RedisClient
) -> None:
    await store.async_save(
        installation(enterprise_id="E0ORG", team_id=None, is_enterprise_install=True)
    )

    found = await store.async_find_installation(
        enterprise_id="E0ORG", team_id="T0ANYWS", is_enterprise_install=True
    )
    assert found is not None
    assert found.is_enterprise_install
    assert found.bot_token == "xoxb-bot-token-1"
    bot = await store.async_find_bot(
        enterprise_id="E0ORG", team_id=None, is_enterprise_install=True
    )
    assert bot is not None
    assert all(key.startswith("opsbot:{E0ORG}:") for key in await stored_keys(redis))

    await store.async_delete_all(enterprise_id="E0ORG", team_id=None)
    assert await all_keys(redis) == []


async def test_a_bot_saved_alone_is_found(store: RedisInstallationStore) -> None:
    await store.async_save_bot(installation().to_bot())
    bot = await store.async_find_bot(enterprise_id=None, team_id="T0123")
    assert bot is not None
    assert bot.bot_refresh_token == "xoxe-bot-refresh-1"
    assert await store.async_find_installation(enterprise_id=None, team_id="T0123") is None


async def test_deleting_the_bot_leaves_the_installations(
    store: RedisInstallationStore,
) -> None:
    await store.async_save(installation())
    await store.async_delete_bot(enterprise_id=None, team_id="T0123")
    assert await store.async_find_bot(enterprise_id=None, team_id="T0123") is None
    found = await store.async_find_installation(enterprise_id=None, team_id="T0123")
    assert found is not None


async def test_a_revoked_user_token_goes_with_the_latest_install_it_is_in(
    store: RedisInstallationStore,
) -> None:
    await store.async_save(installation(user_id="U0FIRST", user_token="xoxp-first"))
    await store.async_save(installation(user_id="U0SECOND", user_token="xoxp-second"))

    await store.async_delete_installation(enterprise_id=None, team_id="T0123", user_id="U0SECOND")

    assert (
        await store.async_find_installation(enterprise_id=None, team_id="T0123", user_id="U0SECOND")
        is None
    )
    assert await store.async_find_installation(enterprise_id=None, team_id="T0123") is None
    assert (
        await store.async_find_installation(enterprise_id=None, team_id="T0123", user_id="U0FIRST")
        is not None
    )
    assert await store.async_find_bot(enterprise_id=None, team_id="T0123") is not None


async def test_delete_all_removes_every_installation_of_the_team_only(
    store: RedisInstallationStore, redis: RedisClient
) -> None:
    await store.async_save(installation(user_id="U0FIRST"))
    await store.async_save(installation(user_id="U0SECOND"))
    await store.async_save(installation(team_id="T0456"))

    await store.async_delete_all(enterprise_id=None, team_id="T0123")

    assert all(key.startswith("opsbot:{T0456}:") for key in await stored_keys(redis))
    assert await store.async_find_bot(enterprise_id=None, team_id="T0456") is not None


async def test_deleting_team_data_removes_every_key_of_that_team(
    store: RedisInstallationStore, redis: RedisClient, vault: Vault
) -> None:
    await store.async_save(installation(user_id="U0FIRST"))
    await store.async_save(installation(team_id="T0456"))
    await TeamKeyStore(redis, vault).set("T0123", "Gx7pQ2rT9vW4yZ1bC6dF8hJ3", "U0ADMIN")
    # More keys than one UNLINK batch holds.
    async with redis.pipeline() as pipe:
        for op_id in range(1200):
            pipe.set(keyspace.watch("T0123", op_id), "{}")
        await pipe.execute()

    deleted = await TeamData(redis).delete("T0123")

    assert deleted == 4 + 1200
    assert all(key.startswith("opsbot:{T0456}:") for key in await stored_keys(redis))


async def test_an_oauth_state_is_consumed_once(redis: RedisClient) -> None:
    states = RedisOAuthStateStore(redis)
    state = await states.async_issue()
    assert await states.async_consume(state)
    assert not await states.async_consume(state)


async def test_of_racing_callbacks_with_one_state_one_wins(redis: RedisClient) -> None:
    states = RedisOAuthStateStore(redis)
    state = await states.async_issue()
    results = await asyncio.gather(*(states.async_consume(state) for _ in range(10)))
    assert results.count(True) == 1


async def test_an_oauth_state_expires(redis: RedisClient) -> None:
    states = RedisOAuthStateStore(redis, expiration_seconds=1)
    state = await states.async_issue()
    assert 0 < await redis.pttl(keyspace.oauth_state(state)) <= 1000
    await asyncio.sleep(1.1)
    assert not await states.async_consume(state)


async def test_the_default_state_lifetime_is_ten_minutes(redis: RedisClient) -> None:
    state = await RedisOAuthStateStore(redis).async_issue()
    assert 590 <= await redis.ttl(keyspace.oauth_state(state)) <= 600


@pytest.mark.parametrize("state", ["", "never-issued", "../../etc", "x" * 500, "a}b:c"])
async def test_a_state_never_issued_is_refused(redis: RedisClient, state: str) -> None:
    assert not await RedisOAuthStateStore(redis).async_consume(state)
