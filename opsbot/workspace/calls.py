"""A Web API call as a method implementation sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opsbot.workspace.errors import SlackError
from opsbot.workspace.state import Installation
from opsbot.workspace.workspace import Workspace

JSON = dict[str, Any]


@dataclass(frozen=True)
class Call:
    workspace: Workspace
    method: str
    args: JSON
    token: str | None
    # The bot's installation, for methods called with a bot token.
    installation: Installation | None = None

    @property
    def bot(self) -> Installation:
        assert self.installation is not None, f"{self.method} is called with a bot token"
        return self.installation

    def arg(self, name: str) -> str:
        """A required string argument; Slack answers ``invalid_arguments`` without it."""
        value = self.args.get(name)
        if not isinstance(value, str) or not value:
            raise SlackError(
                "invalid_arguments",
                fields={
                    "response_metadata": {"messages": [f"[ERROR] missing required field: {name}"]}
                },
            )
        return value
