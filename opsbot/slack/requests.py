"""Who is asking, from where: the few facts every handler reads from a payload."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Requester:
    team_id: str
    user_id: str
    channel_id: str | None
    trigger_id: str | None
    response_url: str | None
    enterprise_id: str | None = None
    # The message a clicked button sits in (a card's Unwatch needs it).
    message_ts: str | None = None

    @classmethod
    def of_command(cls, body: Mapping[str, Any]) -> Requester:
        return cls(
            team_id=str(body["team_id"]),
            user_id=str(body["user_id"]),
            channel_id=body.get("channel_id"),
            trigger_id=body.get("trigger_id"),
            response_url=body.get("response_url"),
            enterprise_id=body.get("enterprise_id") or None,
        )

    @classmethod
    def of_interaction(cls, body: Mapping[str, Any]) -> Requester:
        """Block actions and view submissions carry the same facts elsewhere."""
        team = body.get("team") or {}
        user = body.get("user") or {}
        channel = body.get("channel") or {}
        enterprise = body.get("enterprise") or {}
        return cls(
            team_id=str(team.get("id") or user.get("team_id") or ""),
            user_id=str(user.get("id") or ""),
            channel_id=channel.get("id"),
            trigger_id=body.get("trigger_id"),
            response_url=body.get("response_url"),
            enterprise_id=enterprise.get("id"),
            message_ts=_message_ts(body),
        )

    def opened_from(self, channel_id: str | None, response_url: str | None) -> Requester:
        """The same person, asking from where their modal was opened.

        A modal's payloads carry neither a channel nor a response_url: the
        modal keeps those of the click that opened it in its metadata, so the
        channel can be told and the clicked message redrawn.
        """
        return replace(self, channel_id=channel_id, response_url=response_url)


def _message_ts(body: Mapping[str, Any]) -> str | None:
    message = body.get("message") or {}
    ts = message.get("ts") or (body.get("container") or {}).get("message_ts")
    return str(ts) if ts else None
