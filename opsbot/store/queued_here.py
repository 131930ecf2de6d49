"""What this process queued in each team's outbox: whether a pass's first read of it still holds.

A team pass reads its outbox's head with everything else it reads first
(:mod:`opsbot.store.pass_opening`), so that a quiet pass, which queues
nothing, reads nothing more before it delivers. Whether the pass queued
something since is not left to the pass to remember, site by site: every
store method that adds to a team's outbox or card-edit queue counts it here
first, and the poster reads both again when the team's count moved since the
opening (:class:`~opsbot.store.pass_opening.DeliveryOpener`). A post another
process queued meanwhile waits for the team's next pass, which the wake-up
that came with it brings forward.
"""

from __future__ import annotations

from typing import Final


class QueuedHere:
    """Per team, how many times this process added to its outbox or card-edit queue."""

    def __init__(self) -> None:
        # One small int per team this process ever wrote for: as many as teams.
        self._counts: dict[str, int] = {}

    def count(self, team_id: str) -> int:
        return self._counts.get(team_id, 0)

    def add(self, team_id: str) -> None:
        """Count a write about to go (before it goes: one that fails may still have run)."""
        self._counts[team_id] = self._counts.get(team_id, 0) + 1


# One per process, whichever store instance writes: no writer can count
# elsewhere than where the poster looks.
QUEUED_HERE: Final = QueuedHere()
