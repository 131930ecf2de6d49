"""Requests waiting for a second person's approval, decided once.

Each request is a hash, ``opsbot:{T…}:approval:<id>``: the action (cancel,
relaunch), the operation and what the card shows of it, who asked, where the
card is, when it expires, and, for a relaunch, the parameters asked for,
encrypted (they may hold a transfer code). Its ``state`` is ``pending``
until one script (:data:`~opsbot.store.scripts.DECIDE_APPROVAL`) moves it,
once, to ``approved``, ``denied`` or ``expired``: of two approvers clicking
at once, or one clicking twice, exactly one is told it won, and only that
one runs the action.

Expiry does not wait for anyone to click: every pending request is also in
``opsbot:{approvals}:due`` (team and id, by expiry), which the watcher sweeps
(:mod:`opsbot.watcher.approval_expiry`) to mark expired requests and update
their cards, whichever process asked and whether or not it still runs. That
set spans teams, so it has its own tag; no script touches it together with
a team's keys.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from opsbot.clock import moment
from opsbot.store import keyspace, scripts
from opsbot.store.codec import decoded, decoded_map, int_or_none
from opsbot.store.connection import RedisClient
from opsbot.store.vault import Vault

PENDING: Final = "pending"
APPROVED: Final = "approved"
DENIED: Final = "denied"
EXPIRED: Final = "expired"
# The script's refusals: the decider is the requester; there is no such request.
REQUESTER: Final = "requester"
MISSING: Final = "missing"
PARAMS_PURPOSE: Final = "relaunch_params"
# A decided request is kept this long after its expiry, for its card to be redrawn.
KEEP_S: Final = 24 * 3600


@dataclass(frozen=True)
class Request:
    """What a person asks for: the action, on which operation, from where."""

    action: str
    op_id: int
    requester: str
    channel: str
    op_type: str = ""
    label: str = ""
    step: str = ""
    # For a relaunch: the parameters to send; never stored in clear.
    params: Mapping[str, str] = field(default_factory=dict, repr=False)
    # What the card shows of them (secret values already masked).
    shown_params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Approval:
    id: str
    team_id: str
    request: Request
    state: str
    created_at: dt.datetime
    expires_at: dt.datetime
    ts: str = ""
    decided_by: str = ""

    @property
    def pending(self) -> bool:
        return self.state == PENDING


@dataclass(frozen=True)
class Decision:
    """The script's answer: the request's state now, and whether this call set it.

    ``state`` may differ from the one asked for: a click after the expiry
    expires the request instead, and ``requester`` (or ``missing``) means
    nothing changed because the requester may not decide, or no such request.
    """

    changed: bool
    state: str

    def won(self, wanted: str) -> bool:
        return self.changed and self.state == wanted


class ApprovalStore:
    def __init__(self, redis: RedisClient, vault: Vault) -> None:
        self._redis = redis
        self._vault = vault
        self._create = redis.register_script(scripts.CREATE_APPROVAL)
        self._decide = redis.register_script(scripts.DECIDE_APPROVAL)

    async def create(
        self, team_id: str, request: Request, *, now: float, expires_at: float
    ) -> Approval | None:
        """Store a pending request; None when one for that action and operation is pending.

        One pending request per action and operation, so a double click on
        Cancel posts one card. The sweep's entry is written first: a process
        that dies before the request is stored leaves an entry the sweep drops.
        """
        approval_id = secrets.token_hex(8)
        due = _due_member(team_id, approval_id)
        await self._redis.zadd(keyspace.approvals_due(), {due: expires_at})
        created = await self._create(
            keys=[
                keyspace.approval_pending(team_id, request.action, request.op_id),
                keyspace.approval(team_id, approval_id),
            ],
            args=[
                approval_id,
                int(expires_at) + 1,
                int(expires_at + KEEP_S),
                *self._fields(team_id, request, now=now, expires_at=expires_at),
            ],
        )
        if not int(created):
            await self._redis.zrem(keyspace.approvals_due(), due)
            return None
        return Approval(approval_id, team_id, request, PENDING, moment(now), moment(expires_at))

    def _fields(
        self, team_id: str, request: Request, *, now: float, expires_at: float
    ) -> list[str]:
        sealed = self._vault.encrypt(team_id, PARAMS_PURPOSE, json.dumps(dict(request.params)))
        fields = {
            "action": request.action,
            "op_id": str(request.op_id),
            "requester": request.requester,
            "channel": request.channel,
            "op_type": request.op_type,
            "label": request.label,
            "step": request.step,
            "params": sealed,
            "shown_params": json.dumps(dict(request.shown_params)),
            "state": PENDING,
            "created_at": repr(now),
            "expires_at": repr(expires_at),
            "ts": "",
            "decided_by": "",
        }
        return [item for pair in fields.items() for item in pair]

    async def set_card(self, team_id: str, approval_id: str, ts: str) -> None:
        await self._redis.hset(keyspace.approval(team_id, approval_id), "ts", ts)

    async def get(self, team_id: str, approval_id: str) -> Approval | None:
        fields = decoded_map(await self._redis.hgetall(keyspace.approval(team_id, approval_id)))
        return _approval(team_id, approval_id, fields) if fields else None

    async def params(self, team_id: str, approval_id: str) -> dict[str, str]:
        """The parameters a relaunch was asked with, decrypted (VaultError if they do not)."""
        sealed = await self._redis.hget(keyspace.approval(team_id, approval_id), "params")
        if sealed is None:
            return {}
        return _params(self._vault.decrypt(team_id, PARAMS_PURPOSE, decoded(sealed)))

    async def decide(
        self, team_id: str, approval_id: str, *, state: str, by: str, now: float
    ) -> Decision:
        """Move a pending request to ``state`` (approved, denied, expired), once.

        The request stays in the sweep's set until :meth:`forget_due`: whoever
        changed it calls that once its card shows the decision, so a process
        that dies in between leaves the card to the sweep.
        """
        key = keyspace.approval(team_id, approval_id)
        action, op_id = await self._redis.hmget(key, ["action", "op_id"])
        op = int_or_none(decoded(op_id)) if op_id is not None else None
        if action is None or op is None:
            return Decision(False, MISSING)
        pending = keyspace.approval_pending(team_id, decoded(action), op)
        reply = await self._decide(keys=[key, pending], args=[state, by, repr(now), approval_id])
        return Decision(bool(int(reply[0])), decoded(reply[1]))

    async def due(self, now: float, limit: int = 50) -> list[tuple[str, str]]:
        """(team, id) of requests whose time is up, oldest first."""
        members = await self._redis.zrangebyscore(keyspace.approvals_due(), "-inf", now, 0, limit)
        pairs = (_split_member(member) for member in members if isinstance(member, bytes | str))
        return [pair for pair in pairs if pair is not None]

    async def forget_due(self, team_id: str, approval_id: str) -> None:
        await self._redis.zrem(keyspace.approvals_due(), _due_member(team_id, approval_id))


def _due_member(team_id: str, approval_id: str) -> str:
    return f"{keyspace.check_slack_id(team_id)}:{keyspace.check_approval_id(approval_id)}"


def _split_member(member: bytes | str) -> tuple[str, str] | None:
    team_id, _, approval_id = decoded(member).partition(":")
    try:
        keyspace.check_slack_id(team_id)
        keyspace.check_approval_id(approval_id)
    except ValueError:
        return None
    return team_id, approval_id


def _params(document: str) -> dict[str, str]:
    try:
        parsed = json.loads(document)
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    return {str(k): str(v) for k, v in parsed.items()}


def _approval(team_id: str, approval_id: str, fields: Mapping[str, str]) -> Approval:
    request = Request(
        action=fields.get("action", ""),
        op_id=int_or_none(fields.get("op_id", "")) or 0,
        requester=fields.get("requester", ""),
        channel=fields.get("channel", ""),
        op_type=fields.get("op_type", ""),
        label=fields.get("label", ""),
        step=fields.get("step", ""),
        shown_params=_params(fields.get("shown_params", "{}")),
    )
    return Approval(
        id=approval_id,
        team_id=team_id,
        request=request,
        state=fields.get("state", ""),
        created_at=moment(_epoch(fields.get("created_at"))),
        expires_at=moment(_epoch(fields.get("expires_at"))),
        ts=fields.get("ts", ""),
        decided_by=fields.get("decided_by", ""),
    )


def _epoch(text: str | None) -> float:
    try:
        return float(text or 0)
    except ValueError:
        return 0.0


def reseal(vault: Vault, team_id: str, sealed: str) -> str | None:
    """The request's parameters under the current key, or None when they are already.

    Decrypted either way, so that parameters which do not decrypt raise
    VaultError rather than pass for unchanged (``opsbot rotate-keys``).
    """
    params = vault.decrypt(team_id, PARAMS_PURPOSE, sealed)
    if not vault.needs_rotation(sealed):
        return None
    return vault.encrypt(team_id, PARAMS_PURPOSE, params)
