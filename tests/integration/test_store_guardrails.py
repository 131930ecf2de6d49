"""Guardrails and remembered group members, in a real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from opsbot.config import Settings
from opsbot.store import keyspace
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.group_members import GroupMembers
from opsbot.store.guardrail_store import GuardrailStore
from opsbot.store.guardrails import CANCEL, MAX_APPROVAL_MINUTES, RELAUNCH, Guardrails, WhoMay

TEAM = "T0123"


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


async def test_a_team_without_rules_lets_everyone_act_everywhere(redis: RedisClient) -> None:
    rules = await GuardrailStore(redis).get(TEAM)

    assert rules == Guardrails()
    assert rules.who_may_do(CANCEL) == WhoMay()
    assert rules.who_may_do(CANCEL).everyone
    assert not rules.needs_approval(RELAUNCH)


async def test_rules_are_stored_per_team_and_the_old_ones_returned(redis: RedisClient) -> None:
    store = GuardrailStore(redis)
    rules = Guardrails(
        read_only_channels=frozenset({"C0READ"}),
        approvals=frozenset({RELAUNCH}),
        approval_minutes=10,
    ).with_who_may(CANCEL, WhoMay.only(groups=["S0ONCALL"], people=["U0ADA"]))

    replaced = await store.set(TEAM, rules)
    replaced_again = await store.set(TEAM, Guardrails())

    assert replaced == Guardrails()
    assert replaced_again.who_may_do(CANCEL) == rules.who_may_do(CANCEL)
    assert replaced_again.read_only_channels == {"C0READ"}
    assert replaced_again.approvals == {RELAUNCH}
    assert replaced_again.approval_minutes == 10
    assert await store.get("T0OTHER") == Guardrails()


async def test_a_damaged_document_grants_nothing_it_does_not_name(redis: RedisClient) -> None:
    key = keyspace.guardrails(TEAM)
    await redis.set(
        key,
        '{"who_may": {"cancel": {"everyone": false, "groups": ["S0OK", "x}:evil"], '
        '"people": [7, "U0OK"]}}, "approvals": ["cancel", "delete"], "approval_minutes": 99999}',
    )

    rules = await GuardrailStore(redis).get(TEAM)

    assert rules.who_may_do(CANCEL) == WhoMay(False, ("S0OK",), ("U0OK",))
    assert rules.approvals == {CANCEL}
    assert rules.approval_minutes == MAX_APPROVAL_MINUTES


async def test_a_document_that_does_not_parse_reads_as_the_default(redis: RedisClient) -> None:
    await redis.set(keyspace.guardrails(TEAM), "{not json")

    assert await GuardrailStore(redis).get(TEAM) == Guardrails()


async def test_group_members_are_remembered_briefly(redis: RedisClient) -> None:
    members = GroupMembers(redis, ttl_s=60)

    before = await members.get(TEAM, "S0ONCALL")
    await members.put(TEAM, "S0ONCALL", ["U0ADA", "U0MIA", "not an id"])
    ttl = await redis.ttl(keyspace.group_members(TEAM, "S0ONCALL"))

    assert before is None
    assert await members.get(TEAM, "S0ONCALL") == frozenset({"U0ADA", "U0MIA"})
    assert 0 < ttl <= 60


def test_keys_are_tagged_with_the_team_and_refuse_a_hostile_group_id() -> None:
    assert keyspace.guardrails(TEAM).startswith("opsbot:{T0123}:")
    assert keyspace.group_members(TEAM, "S0A").startswith("opsbot:{T0123}:")
    with pytest.raises(ValueError, match="user group id"):
        keyspace.group_members(TEAM, "S0}:x")
