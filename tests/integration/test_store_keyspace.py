"""Key layout: every key is opsbot:{tag}:…, and no secret is ever in Redis in clear."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation

from opsbot.config import Settings
from opsbot.slack_installations import RedisInstallationStore, RedisOAuthStateStore
from opsbot.store import keyspace
from opsbot.store.audit import AuditLog
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.locks import ActionLocks
from opsbot.store.rotation import rotate_keys
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import Keyring, Vault
from tests.support.redis_probe import all_keys
from tests.support.secrets_scan import find_secrets_in_redis

API_KEY = "Gx7pQ2rT9vW4yZ1bC6dF8hJ3"
BOT_TOKEN = "xoxb-1111-2222-abcdefghijkl"
USER_TOKEN = "xoxp-1111-3333-mnopqrstuvwx"
REFRESH_TOKEN = "xoxe-1-refresh-yzabcdefgh"
SECRETS = (API_KEY, BOT_TOKEN, USER_TOKEN, REFRESH_TOKEN)

TEAM_KEY = re.compile(r"opsbot:\{[A-Z0-9]+\}:.+")
OAUTH_KEY = re.compile(r"opsbot:\{oauth\}:state:[A-Za-z0-9_-]+")


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


async def stored_keys(redis: RedisClient) -> list[str]:
    return await all_keys(redis)


async def full_round(redis: RedisClient) -> None:
    """Everything the store layer writes: keys, installs, audit, lock, state, rotation."""
    old = Keyring.generate()
    vault = Vault(old)
    team_keys = TeamKeyStore(redis, vault)
    await team_keys.set("T0123", API_KEY, set_by="U0ADMIN")
    assert await team_keys.get("T0123") == API_KEY
    await team_keys.status("T0123")
    store = RedisInstallationStore(redis, vault)
    for team_id, enterprise_id, org_wide in (
        ("T0123", None, False),
        ("T0456", "E0ORG", False),
        (None, "E0ORG", True),
    ):
        await store.async_save(
            Installation(
                team_id=team_id,
                enterprise_id=enterprise_id,
                is_enterprise_install=org_wide,
                bot_token=BOT_TOKEN,
                bot_id="B0BOT",
                bot_user_id="U0BOT",
                bot_refresh_token=REFRESH_TOKEN,
                user_id="U0INSTALLER",
                user_token=USER_TOKEN,
            )
        )
    await AuditLog(redis).record("T0123", user_id="U0ADMIN", action="key_set")
    await AuditLog(redis).set_channel("T0123", "C0AUDIT")
    await ActionLocks(redis).acquire("T0123", 42)
    await RedisOAuthStateStore(redis).async_issue()
    rotated = Vault(Keyring((Keyring.generate().current_key, old.current_key)))
    report = await rotate_keys(redis, rotated)
    assert report.failed == 0
    assert report.rotated > 0


async def test_after_a_full_round_no_secret_is_in_redis_in_clear(redis: RedisClient) -> None:
    await full_round(redis)
    assert await find_secrets_in_redis(redis, SECRETS) == []


async def test_after_a_full_round_every_key_is_tagged(redis: RedisClient) -> None:
    await full_round(redis)
    stored = await stored_keys(redis)
    assert len(stored) > 10
    untagged = [key for key in stored if not (TEAM_KEY.fullmatch(key) or OAUTH_KEY.fullmatch(key))]
    assert untagged == []
    tags = {keyspace.team_of(key) for key in stored}
    assert tags == {"T0123", "T0456", "E0ORG", None}


async def test_the_scan_finds_a_secret_in_clear_in_every_kind_of_value(redis: RedisClient) -> None:
    await redis.set("opsbot:{T1}:string", f"token={BOT_TOKEN}")
    await redis.hset("opsbot:{T1}:hash", "field", API_KEY)
    await redis.rpush("opsbot:{T1}:list", "x", USER_TOKEN)
    await redis.sadd("opsbot:{T1}:set", REFRESH_TOKEN)
    await redis.zadd("opsbot:{T1}:zset", {API_KEY: 1.0})
    await redis.xadd("opsbot:{T1}:stream", {"detail": BOT_TOKEN})
    await redis.set(f"opsbot:{{T1}}:name:{API_KEY}", "clean")
    await redis.set("opsbot:{T1}:clean", "nothing here")

    found = await find_secrets_in_redis(redis, SECRETS)

    assert found == sorted(
        [
            "opsbot:{T1}:string",
            "opsbot:{T1}:hash",
            "opsbot:{T1}:list",
            "opsbot:{T1}:set",
            "opsbot:{T1}:zset",
            "opsbot:{T1}:stream",
            f"opsbot:{{T1}}:name:{API_KEY}",
        ]
    )


def test_team_keys_carry_the_team_as_a_hash_tag() -> None:
    built = [
        keyspace.api_key("T0123"),
        keyspace.bot("T0123"),
        keyspace.bot("T0123", "E0ORG"),
        keyspace.installation("T0123"),
        keyspace.user_installation("T0123", "U0456"),
        keyspace.audit("T0123"),
        keyspace.audit_channel("T0123"),
        keyspace.action_lock("T0123", 42),
        keyspace.watches("T0123"),
        keyspace.watch("T0123", 42),
        keyspace.subscriptions("T0123"),
    ]
    assert all(key.startswith("opsbot:{T0123}:") for key in built)
    assert len(set(built)) == len(built)
    assert all(keyspace.team_of(key) == "T0123" for key in built)


def test_the_shared_keys_have_their_own_tags() -> None:
    assert keyspace.schedule() == "opsbot:{schedule}:teams"
    assert keyspace.oauth_state("abc_DEF-1") == "opsbot:{oauth}:state:abc_DEF-1"
    assert keyspace.team_of(keyspace.schedule()) is None
    assert keyspace.team_of(keyspace.oauth_state("abc")) is None


def test_only_stored_secrets_are_recognised_for_rotation() -> None:
    assert keyspace.is_api_key(keyspace.api_key("T0123"))
    assert not keyspace.is_api_key(keyspace.audit("T0123"))
    for key in (
        keyspace.bot("T1"),
        keyspace.installation("T1", "E1"),
        keyspace.user_installation("T1", "U1"),
    ):
        assert keyspace.is_installation_record(key)
    for key in (
        keyspace.api_key("T1"),
        keyspace.audit("T1"),
        keyspace.watch("T1", 1),
        keyspace.schedule(),
    ):
        assert not keyspace.is_installation_record(key)


@pytest.mark.parametrize("hostile", ["", "t0123", "T0123}", "T1}:x:{T2", "T 1", "T*", "T1\n"])
def test_a_hostile_id_cannot_reach_another_key(hostile: str) -> None:
    with pytest.raises(ValueError, match="team id"):
        keyspace.team_tag(hostile)
    with pytest.raises(ValueError, match="user id"):
        keyspace.user_installation("T0123", hostile)
    with pytest.raises(ValueError, match="enterprise id"):
        keyspace.bot("T0123", hostile)


@pytest.mark.parametrize("op_id", [-1, True])
def test_an_operation_id_must_be_a_number(op_id: int) -> None:
    with pytest.raises(ValueError, match="operation id"):
        keyspace.action_lock("T0123", op_id)
