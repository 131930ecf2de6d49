"""rotate_keys moves every stored secret under the first key, once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation

from opsbot.config import Settings
from opsbot.store import keyspace
from opsbot.store.audit import AuditLog
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.installations import RedisInstallationStore
from opsbot.store.rotation import rotate_keys
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import Keyring, UnknownKeyError, Vault, VaultError
from tests.support.redis_probe import all_keys

API_KEYS = {"T0123": "Gx7pQ2rT9vW4yZ1bC6dF8hJ3", "T0456": "Mn5bV8cX2zL4kJ7hG9fD3sA1"}


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


def installation(team_id: str) -> Installation:
    return Installation(
        team_id=team_id,
        bot_token=f"xoxb-{team_id}",
        bot_id="B0BOT",
        bot_user_id="U0BOT",
        user_id="U0INSTALLER",
        user_token=f"xoxp-{team_id}",
    )


async def store_everything(redis: RedisClient, vault: Vault) -> None:
    for team_id, api_key in API_KEYS.items():
        await TeamKeyStore(redis, vault).set(team_id, api_key, set_by="U0ADMIN")
        await RedisInstallationStore(redis, vault).async_save(installation(team_id))
        await AuditLog(redis).record(team_id, user_id="U0ADMIN", action="key_set")


async def test_every_secret_moves_to_the_first_key_and_still_reads(redis: RedisClient) -> None:
    old = Keyring.generate()
    await store_everything(redis, Vault(old))
    new = Keyring.generate()
    rotated_vault = Vault(Keyring((new.current_key, old.current_key)))

    report = await rotate_keys(redis, rotated_vault)

    # Per team: the API key, the bot, the latest and the per-user installation.
    assert (report.rotated, report.unchanged, report.failed) == (8, 0, 0)
    only_new = Vault(new)
    for team_id, api_key in API_KEYS.items():
        assert await TeamKeyStore(redis, only_new).get(team_id) == api_key
        found = await RedisInstallationStore(redis, only_new).async_find_installation(
            enterprise_id=None, team_id=team_id, user_id="U0INSTALLER"
        )
        assert found is not None
        assert (found.bot_token, found.user_token) == (f"xoxb-{team_id}", f"xoxp-{team_id}")


async def test_the_fingerprint_follows_the_new_key(redis: RedisClient) -> None:
    old = Keyring.generate()
    await store_everything(redis, Vault(old))
    rotated_vault = Vault(Keyring((Keyring.generate().current_key, old.current_key)))

    await rotate_keys(redis, rotated_vault)

    status = await TeamKeyStore(redis, rotated_vault).status("T0123")
    assert status is not None
    assert status.fingerprint == rotated_vault.fingerprint("T0123", API_KEYS["T0123"])
    assert status.set_by == "U0ADMIN"


async def test_a_second_rotation_changes_nothing(redis: RedisClient) -> None:
    old = Keyring.generate()
    await store_everything(redis, Vault(old))
    rotated_vault = Vault(Keyring((Keyring.generate().current_key, old.current_key)))
    await rotate_keys(redis, rotated_vault)
    snapshot = {key: await redis.dump(key) for key in await all_keys(redis)}

    again = await rotate_keys(redis, rotated_vault)

    assert (again.rotated, again.unchanged, again.failed) == (0, 8, 0)
    assert {key: await redis.dump(key) for key in await all_keys(redis)} == snapshot


async def test_records_under_a_lost_key_are_reported_by_key_name(redis: RedisClient) -> None:
    lost = Vault(Keyring.generate())
    await TeamKeyStore(redis, lost).set("T0123", API_KEYS["T0123"], set_by="U0ADMIN")
    current = Vault(Keyring.generate())
    await TeamKeyStore(redis, current).set("T0456", API_KEYS["T0456"], set_by="U0ADMIN")

    report = await rotate_keys(redis, current)

    assert (report.rotated, report.unchanged, report.failed) == (0, 1, 1)
    assert report.failed_keys == [keyspace.api_key("T0123")]
    assert API_KEYS["T0123"] not in str(report)
    with pytest.raises(UnknownKeyError):
        await TeamKeyStore(redis, current).get("T0123")


async def test_a_record_moved_between_teams_is_a_failure_not_a_rotation(redis: RedisClient) -> None:
    old = Keyring.generate()
    await TeamKeyStore(redis, Vault(old)).set("T0123", API_KEYS["T0123"], set_by="U0ADMIN")
    # DUMP and RESTORE, not RENAME: on a cluster the two teams are in different slots.
    record = await redis.dump(keyspace.api_key("T0123"))
    assert record is not None
    await redis.restore(keyspace.api_key("T0456"), 0, record, replace=True)
    await redis.delete(keyspace.api_key("T0123"))
    rotated_vault = Vault(Keyring((Keyring.generate().current_key, old.current_key)))

    report = await rotate_keys(redis, rotated_vault)

    assert report.failed_keys == [keyspace.api_key("T0456")]
    with pytest.raises(VaultError):
        await TeamKeyStore(redis, rotated_vault).get("T0456")
