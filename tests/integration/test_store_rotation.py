"""rotate_keys moves every stored secret under the first key, once."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation

from opsbot.config import Settings
from opsbot.slack_installations import RedisInstallationStore
from opsbot.store import keyspace
from opsbot.store.approvals import ApprovalStore, Request
from opsbot.store.audit import AuditLog
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.rotation import UnreadableRecord, rotate_keys
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import Keyring, UnknownKeyError, Vault, VaultError
from tests.support.redis_probe import all_keys, recent_audit

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


async def test_the_fingerprint_stays_the_same_across_rotation(redis: RedisClient) -> None:
    old = Keyring.generate()
    old_vault = Vault(old)
    await store_everything(redis, old_vault)
    before = await TeamKeyStore(redis, old_vault).status("T0123")
    await AuditLog(redis).record(
        "T0123", user_id="U0ADMIN", action="key_set", target=before.fingerprint if before else ""
    )
    rotated_vault = Vault(Keyring((Keyring.generate().current_key, old.current_key)))

    report = await rotate_keys(redis, rotated_vault)

    assert report.complete
    after = await TeamKeyStore(redis, rotated_vault).status("T0123")
    assert before is not None
    assert after is not None
    assert after.fingerprint == before.fingerprint
    assert after.set_by == "U0ADMIN"
    # The audit stream named the key by the fingerprint status still shows...
    [audited, *_] = await recent_audit(redis, "T0123")
    assert audited.target == after.fingerprint
    # ...and the same key set again under the new keyring is named the same.
    again = await TeamKeyStore(redis, rotated_vault).set("T0123", API_KEYS["T0123"], "U0ADMIN")
    assert again.fingerprint == before.fingerprint
    assert API_KEYS["T0123"] not in after.fingerprint


async def test_a_second_rotation_changes_nothing(redis: RedisClient) -> None:
    old = Keyring.generate()
    await store_everything(redis, Vault(old))
    rotated_vault = Vault(Keyring((Keyring.generate().current_key, old.current_key)))
    await rotate_keys(redis, rotated_vault)
    snapshot = {key: await redis.dump(key) for key in await all_keys(redis)}

    again = await rotate_keys(redis, rotated_vault)

    assert (again.rotated, again.unchanged, again.failed) == (0, 8, 0)
    assert again.unreadable == []
    assert {key: await redis.dump(key) for key in await all_keys(redis)} == snapshot


async def test_records_under_a_lost_key_are_reported_unreadable_by_team_and_field(
    redis: RedisClient,
) -> None:
    lost = Vault(Keyring.generate())
    await TeamKeyStore(redis, lost).set("T0123", API_KEYS["T0123"], set_by="U0ADMIN")
    current = Vault(Keyring.generate())
    await TeamKeyStore(redis, current).set("T0456", API_KEYS["T0456"], set_by="U0ADMIN")

    report = await rotate_keys(redis, current)

    assert (report.rotated, report.unchanged, report.failed) == (0, 1, 0)
    assert report.unreadable == [UnreadableRecord("T0123", "api_key", "API key record")]
    assert not report.complete
    [line, summary] = report.lines()
    assert "team T0123" in line
    assert "api_key" in line
    assert "does not decrypt" in line
    assert summary == "rotated 0, unchanged 1, unreadable 1, failed 0"
    assert API_KEYS["T0123"] not in "\n".join(report.lines())
    with pytest.raises(UnknownKeyError):
        await TeamKeyStore(redis, current).get("T0123")


async def test_an_altered_record_under_the_current_key_is_unreadable_not_unchanged(
    redis: RedisClient,
) -> None:
    vault = Vault(Keyring.generate())
    await TeamKeyStore(redis, vault).set("T0123", API_KEYS["T0123"], set_by="U0ADMIN")
    key = keyspace.api_key("T0123")
    record = await redis.hget(key, "record")
    assert isinstance(record, str)
    version, kid, nonce, sealed = record.split(":")
    flipped = ("B" if sealed[0] == "A" else "A") + sealed[1:]
    await redis.hset(key, "record", ":".join((version, kid, nonce, flipped)))

    report = await rotate_keys(redis, vault)

    assert (report.rotated, report.unchanged, report.failed) == (0, 0, 0)
    assert report.unreadable == [UnreadableRecord("T0123", "api_key", "API key record")]


async def test_an_installation_token_that_does_not_decrypt_is_named_by_its_field(
    redis: RedisClient,
) -> None:
    old = Keyring.generate()
    await store_everything(redis, Vault(old))
    bot_key = keyspace.bot("T0456")
    document = json.loads(await redis.get(bot_key) or "{}")
    # Another team's token moved into this one's record: it does not decrypt here.
    other = json.loads(await redis.get(keyspace.bot("T0123")) or "{}")
    document["secrets"]["bot_token"] = other["secrets"]["bot_token"]
    await redis.set(bot_key, json.dumps(document))
    rotated_vault = Vault(Keyring((Keyring.generate().current_key, old.current_key)))

    report = await rotate_keys(redis, rotated_vault)

    assert report.unreadable == [UnreadableRecord("T0456", "bot_token", "Slack bot record")]
    assert report.rotated == 7
    assert "xoxb-" not in "\n".join(report.lines())


async def test_a_record_moved_between_teams_is_unreadable_not_a_rotation(
    redis: RedisClient,
) -> None:
    old = Keyring.generate()
    await TeamKeyStore(redis, Vault(old)).set("T0123", API_KEYS["T0123"], set_by="U0ADMIN")
    # DUMP and RESTORE, not RENAME: on a cluster the two teams are in different slots.
    record = await redis.dump(keyspace.api_key("T0123"))
    assert record is not None
    await redis.restore(keyspace.api_key("T0456"), 0, record, replace=True)
    await redis.delete(keyspace.api_key("T0123"))
    rotated_vault = Vault(Keyring((Keyring.generate().current_key, old.current_key)))

    report = await rotate_keys(redis, rotated_vault)

    assert [record.team_id for record in report.unreadable] == ["T0456"]
    assert report.rotated == 0
    with pytest.raises(VaultError):
        await TeamKeyStore(redis, rotated_vault).get("T0456")


async def waiting_relaunch(redis: RedisClient, vault: Vault) -> str:
    """A relaunch waiting for approval, its parameters encrypted with ``vault``: its id."""
    now = time.time()
    request = Request("relaunch", 7, "U0MIA", "C0OPS", params={"authinfo": "code-0123"})
    created = await ApprovalStore(redis, vault).create(
        "T0123", request, now=now, expires_at=now + 60
    )
    assert created is not None
    return created.id


async def test_a_relaunch_waiting_for_approval_keeps_its_parameters_readable(
    redis: RedisClient,
) -> None:
    old = Keyring.generate()
    approval_id = await waiting_relaunch(redis, Vault(old))
    new = Keyring.generate()
    rotated_vault = Vault(Keyring((new.current_key, old.current_key)))

    report = await rotate_keys(redis, rotated_vault)
    again = await rotate_keys(redis, rotated_vault)

    assert (report.rotated, report.unreadable) == (1, [])
    assert (again.rotated, again.unchanged) == (0, 1)
    params = await ApprovalStore(redis, Vault(new)).params("T0123", approval_id)
    assert params == {"authinfo": "code-0123"}


async def test_approval_parameters_under_a_lost_key_are_named(redis: RedisClient) -> None:
    await waiting_relaunch(redis, Vault(Keyring.generate()))

    report = await rotate_keys(redis, Vault(Keyring.generate()))

    assert report.unreadable == [
        UnreadableRecord("T0123", "relaunch_params", "approval request record")
    ]
    assert not report.complete
