"""Who is asking, from where: the few fields every handler reads from a payload."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Requester:
    team_id: str
    user_id: str
    channel_id: str | None
    trigger_id: str | None
    response_url: str | None

    @classmethod
    def of_command(cls, body: Mapping[str, Any]) -> Requester:
        return cls(
            team_id=str(body["team_id"]),
            user_id=str(body["user_id"]),
            channel_id=body.get("channel_id"),
            trigger_id=body.get("trigger_id"),
            response_url=body.get("response_url"),
        )

    @classmethod
    def of_interaction(cls, body: Mapping[str, Any]) -> Requester:
        """Block actions and view submissions carry the same facts elsewhere."""
        team = body.get("team") or {}
        user = body.get("user") or {}
        channel = body.get("channel") or {}
        return cls(
            team_id=str(team.get("id") or user.get("team_id") or ""),
            user_id=str(user.get("id") or ""),
            channel_id=channel.get("id"),
            trigger_id=body.get("trigger_id"),
            response_url=body.get("response_url"),
        )
