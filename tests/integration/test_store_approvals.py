"""Approval requests in a real Redis: decided once, never by the requester, expired on time."""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from collections.abc import AsyncIterator

import pytest

from opsbot.config import Settings
from opsbot.store import keyspace
from opsbot.store.approvals import (
    APPROVED,
    DENIED,
    EXPIRED,
    PENDING,
    ApprovalStore,
    Request,
)
from opsbot.store.connection import RedisClient, open_redis
from opsbot.store.vault import Keyring, Vault

TEAM = "T0123"
SECRET = "transfer-code-0123456789"


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    async with open_redis(Settings(redis_url=redis_url)) as client:
        yield client


@pytest.fixture
def store(redis: RedisClient) -> ApprovalStore:
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    return ApprovalStore(redis, Vault(Keyring.parse(key)))


def relaunch(requester: str = "U0MIA", op_id: int = 42) -> Request:
    return Request(
        action="relaunch",
        op_id=op_id,
        requester=requester,
        channel="C0OPS",
        op_type="domain_transfer_in",
        label="example.com",
        step="ERROR",
        params={"authinfo": SECRET, "duration": "2"},
        shown_params={"authinfo": "••••••", "duration": "2"},
    )


async def test_a_request_reads_back_with_its_parameters_encrypted_at_rest(
    store: ApprovalStore, redis: RedisClient
) -> None:
    now = time.time()
    created = await store.create(TEAM, relaunch(), now=now, expires_at=now + 1800)
    assert created is not None
    await store.set_card(TEAM, created.id, "1700000000.000100")

    read = await store.get(TEAM, created.id)
    raw = await redis.hgetall(keyspace.approval(TEAM, created.id))

    assert read is not None
    assert (read.state, read.ts, read.request.op_id) == (PENDING, "1700000000.000100", 42)
    assert read.request.shown_params == {"authinfo": "••••••", "duration": "2"}
    assert await store.params(TEAM, created.id) == {"authinfo": SECRET, "duration": "2"}
    assert SECRET not in str(raw)
    assert await redis.ttl(keyspace.approval(TEAM, created.id)) > 1800


async def test_of_many_approvers_at_once_exactly_one_wins(store: ApprovalStore) -> None:
    now = time.time()
    created = await store.create(TEAM, relaunch(), now=now, expires_at=now + 60)
    assert created is not None

    decisions = await asyncio.gather(
        *(
            store.decide(TEAM, created.id, state=APPROVED, by=f"U0APPROVER{n}", now=now)
            for n in range(10)
        ),
        store.decide(TEAM, created.id, state=DENIED, by="U0DENIER", now=now),
    )

    assert sum(decision.changed for decision in decisions) == 1
    winner = next(decision for decision in decisions if decision.changed)
    losers = {decision.state for decision in decisions if not decision.changed}
    assert losers == {winner.state}
    read = await store.get(TEAM, created.id)
    assert read is not None
    assert read.state == winner.state
    assert read.decided_by.startswith("U0")


async def test_the_requester_cannot_decide(store: ApprovalStore) -> None:
    now = time.time()
    created = await store.create(TEAM, relaunch("U0MIA"), now=now, expires_at=now + 60)
    assert created is not None

    decision = await store.decide(TEAM, created.id, state=APPROVED, by="U0MIA", now=now)

    assert (decision.changed, decision.state) == (False, "requester")
    read = await store.get(TEAM, created.id)
    assert read is not None
    assert read.pending


async def test_a_late_decision_expires_the_request_instead(store: ApprovalStore) -> None:
    now = time.time()
    created = await store.create(TEAM, relaunch(), now=now, expires_at=now + 60)
    assert created is not None

    decision = await store.decide(TEAM, created.id, state=APPROVED, by="U0ADA", now=now + 61)

    assert (decision.changed, decision.state) == (True, EXPIRED)
    assert not decision.won(APPROVED)


async def test_the_sweep_sees_only_what_is_due_until_told_its_card_is_done(
    store: ApprovalStore,
) -> None:
    now = time.time()
    soon = await store.create(TEAM, relaunch(op_id=1), now=now, expires_at=now + 60)
    later = await store.create(TEAM, relaunch(op_id=2), now=now, expires_at=now + 600)
    assert soon is not None
    assert later is not None

    early = await store.due(now + 30)
    early_decision = await store.decide(TEAM, soon.id, state=EXPIRED, by="", now=now + 30)
    due = await store.due(now + 61)
    expired = await store.decide(TEAM, soon.id, state=EXPIRED, by="", now=now + 61)
    await store.forget_due(TEAM, soon.id)

    assert early == []
    assert (early_decision.changed, early_decision.state) == (False, PENDING)
    assert due == [(TEAM, soon.id)]
    assert expired.won(EXPIRED)
    assert await store.due(now + 61) == []
    assert await store.due(now + 601) == [(TEAM, later.id)]


async def test_an_unknown_request_is_missing(store: ApprovalStore) -> None:
    decision = await store.decide(TEAM, "0123456789abcdef", state=APPROVED, by="U0A", now=0)

    assert (decision.changed, decision.state) == (False, "missing")
    assert await store.get(TEAM, "0123456789abcdef") is None


def test_approval_keys_are_tagged_and_ids_checked() -> None:
    assert keyspace.approval(TEAM, "0123456789abcdef").startswith("opsbot:{T0123}:")
    assert keyspace.approvals_due().startswith("opsbot:{approvals}:")
    with pytest.raises(ValueError, match="approval id"):
        keyspace.approval(TEAM, "0123}:evil")


async def test_one_pending_request_per_action_and_operation(
    store: ApprovalStore, redis: RedisClient
) -> None:
    now = time.time()
    first = await store.create(TEAM, relaunch(), now=now, expires_at=now + 60)
    assert first is not None

    twice = await asyncio.gather(
        *(store.create(TEAM, relaunch(), now=now, expires_at=now + 60) for _ in range(5))
    )
    other = await store.create(TEAM, relaunch(op_id=43), now=now, expires_at=now + 60)
    await store.decide(TEAM, first.id, state=DENIED, by="U0ADA", now=now)
    again = await store.create(TEAM, relaunch(), now=now, expires_at=now + 60)

    assert twice == [None] * 5
    assert other is not None
    assert again is not None
    due = await store.due(now + 61)
    assert sorted(approval_id for _, approval_id in due) == sorted([first.id, other.id, again.id])
    assert await redis.get(keyspace.approval_pending(TEAM, "relaunch", 42)) == again.id
