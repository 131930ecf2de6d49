"""Burst mode: a channel whose queue is long gets one summary instead of a broadcast each.

When a channel's queue would take longer than the threshold to drain at its
pace, every outcome waiting in it goes into the channel's summary message
(:mod:`opsbot.store.bursts`), posted once and edited as more end; the
replies carry on in their threads at the pace Slack allows, without
broadcasts or mentions (the summary mentions the watchers once). Once the
queue is short again the summary is closed, and the channel is back to a
broadcast per outcome; the outcomes it told are still not broadcast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from opsbot.store.bursts import Bursts, Outcome, Summary
from opsbot.store.outbox import PostKind
from opsbot.store.watches import Watch
from opsbot.ui.views import watchers_of
from opsbot.watcher.lanes import Delivery


@dataclass(frozen=True)
class Update:
    """What a channel's summary says after a pass, and whether its message must change."""

    summary: Summary
    changed: bool


@dataclass(frozen=True)
class BurstMode:
    bursts: Bursts
    threshold_s: float
    posts_per_s: float

    def is_long(self, queue: Sequence[Delivery]) -> bool:
        """Whether the channel's queue would take longer than the threshold to drain."""
        return len(queue) / self.posts_per_s > self.threshold_s

    async def update(
        self,
        team_id: str,
        queue: Sequence[Delivery],
        watches: Mapping[int, Watch],
        now: float,
    ) -> Update | None:
        """The channel's summary after adding the outcomes waiting; None when it has none."""
        finals = [delivery for delivery in queue if delivery.kind is PostKind.FINAL]
        long = self.is_long(queue)
        if not (long or finals):
            return None  # nothing to summarize, nothing to hold back from broadcast
        channel = queue[0].channel
        summary = await self.bursts.get(team_id, channel)
        if not long:
            if summary.open:
                await self.bursts.close(team_id, channel)
                summary.closed = True
            return Update(summary, changed=False) if summary.since else None
        if not summary.open:
            summary = await self.bursts.open(team_id, channel, since=now)
        new = [
            outcome
            for delivery in finals
            if delivery.op_id not in summary.outcomes
            and (outcome := outcome_of(delivery, watches)) is not None
        ]
        await self.bursts.add(team_id, channel, new)
        summary.outcomes.update((outcome.op_id, outcome) for outcome in new)
        return Update(summary, changed=bool(new))


def outcome_of(delivery: Delivery, watches: Mapping[int, Watch]) -> Outcome | None:
    """A final delivery as a summary's line (None when its watch or card is gone)."""
    watch = watches.get(delivery.op_id)
    card = watch.card(delivery.channel) if watch is not None else None
    if watch is None or card is None:
        return None
    return Outcome(
        op_id=watch.op_id,
        step=delivery.last.new,
        type=watch.type,
        label=watch.label,
        card_ts=card.ts,
        watchers=tuple(watchers_of(watch, delivery.channel)),
    )
