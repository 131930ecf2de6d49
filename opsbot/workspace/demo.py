"""A ready-made workspace for a first look: one team, a few channels, a few people.

The playground and ``python -m opsbot.workspace`` start from it; tests build
their own with :class:`~opsbot.workspace.workspace.Workspace`'s setup API.
"""

from __future__ import annotations

from typing import Final

from opsbot.workspace.state import Installation
from opsbot.workspace.workspace import Role, Workspace

TEAM: Final = "T0DEMO"
CHANNEL: Final = "C0OPS"
# Where opsbot's audit trail goes in the playground (OPSBOT_AUDIT_CHANNEL).
ALERTS: Final = "C0ALERTS"
CHANNELS: Final = (CHANNEL, ALERTS, "C0RANDOM", "G0PRIVATE")
ONCALL: Final = "S0ONCALL"
PEOPLE: Final[tuple[tuple[str, str, Role], ...]] = (
    ("U0ADMIN", "ada", "admin"),
    ("U0MEMBER", "mia", "member"),
)


def populate(workspace: Workspace) -> Installation:
    """Add the demo team, its channels and people; install the app there."""
    workspace.add_team(TEAM, "Demo")
    workspace.add_channel(CHANNEL, TEAM, name="ops")
    workspace.add_channel(ALERTS, TEAM, name="alerts")
    workspace.add_channel("C0RANDOM", TEAM, name="random", bot_member=False)
    workspace.add_channel("G0PRIVATE", TEAM, name="ops-private", private=True)
    for user_id, name, role in PEOPLE:
        workspace.add_user(user_id, TEAM, name=name, role=role, channels=CHANNELS)
    # A user group to choose in `/ops config` (who may cancel, who may relaunch).
    workspace.add_usergroup(ONCALL, TEAM, handle="oncall", users=["U0ADMIN"])
    return workspace.install(TEAM, installer="U0ADMIN")
