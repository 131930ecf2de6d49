"""Delivering a team's outbox to Slack: cards, thread replies, notes.

Every post was queued in Redis (the team's outbox stream) in the same Lua
script that recorded its step change, so nothing is lost when a process dies.
The poster orders each channel's posts in lanes, merging an operation's step
changes still waiting into one reply (:mod:`opsbot.watcher.lanes`), and for
each delivery:

1. makes sure the card exists: a card not posted yet (``ts`` "") is posted
   first and its ``ts`` recorded; the delivery itself waits for the next
   token (a delivery of kind ``card`` asks for nothing more, and is done);
2. queues the card's edit to show the current step (:mod:`opsbot.store.card_edits`:
   the newest edit of a card wins, made at Slack's ``chat.update`` pace);
3. posts the reply in the card's thread, by the delivery's kind
   (:class:`~opsbot.store.outbox.PostKind`): step changes (a path when
   several were merged), a note or a farewell, or the final step broadcast
   to the channel (``reply_broadcast``) mentioning the card's watchers;
4. once the last post of a watch that has ended (its final step, or a
   farewell) is out, finishes the watch;
5. deletes the delivery's outbox entries (one XDEL).

Then it makes the card edits waiting, as many as the team's edit bucket allows.

The duplicate window
--------------------
A post is deleted from the outbox only after Slack answered ``ok``. If the
process dies, or Redis cannot be reached, between Slack's answer and that
delete (one Redis round trip, well under a millisecond, unless Redis is down
at that moment), the post is still in the outbox and the next worker posts
it again: that one message appears twice in its thread. The same holds for a
card posted just before its ``ts`` could be recorded, and for a message whose
answer from Slack never came (a timeout): it is sent again, and Slack may
have kept the first one. Since a worker posts one message at a time per
team, a worker killed at any moment repeats at most one message per team it
held. A worker that lost its lease (frozen longer than the lease) checks the
lease before every message, so two workers never deliver the same outbox
together beyond one message each. Redis itself, if it crashes (rather than
stops), loses what it had not yet written to disk: with the default
``appendfsync everysec``, about the last second, whose posts may then go
twice. No step change is ever lost, and outside these windows each is posted
exactly once.

Pace: every message takes a token from its channel's bucket in Redis
(:mod:`opsbot.store.pacing`, shared with every worker and ``opsbot serve``);
a channel without one takes nothing more in this pass. A 429 from Slack
pauses the channel for its Retry-After for everyone and ends the pass,
leaving the post in the outbox. A channel that is gone (``not_in_channel``,
``channel_not_found``, ``is_archived``) drops its cards.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.api.errors import ApiError
from opsbot.api.operation import CANCEL, DONE, ERROR, SUPPORT, Operation
from opsbot.clock import moment
from opsbot.logs import Repeats, log_text
from opsbot.store.bursts import Bursts, Summary
from opsbot.store.card_edits import BATCH as EDITS_PER_PASS
from opsbot.store.card_edits import SUMMARY_EDIT, CardEdit, CardEdits
from opsbot.store.guardrail_store import GuardrailStore
from opsbot.store.mutes import NOT_MUTED, MutedChannels, Mutes
from opsbot.store.outbox import Outbox, Post, PostKind
from opsbot.store.pacing import ChannelPacing
from opsbot.store.pass_opening import DeliveryOpener, OutboxHead
from opsbot.store.watches import ALWAYS, FAILURES, Card, Watch, WatchStore
from opsbot.ui.burst_summary import burst_summary_message
from opsbot.ui.watching import watch_card_message, watch_final_reply, watch_note, watch_step_reply
from opsbot.watcher.burst_mode import BurstMode, outcome_of
from opsbot.watcher.clients import TeamClients
from opsbot.watcher.intervals import ERROR_LOG_PERIOD_S
from opsbot.watcher.lanes import Delivery, channel_queues

log = logging.getLogger(__name__)

PAGE: Final = 500
# A post Slack keeps refusing for another reason is tried this many times, then dropped.
MAX_ATTEMPTS: Final = 5
RETRY_LATER_S: Final = 30.0
# Without a bot token (not installed, token revoked) the team's posts wait this long.
NO_CLIENT_RETRY_S: Final = 300.0
# A full page may leave posts behind it: the team comes back for them this soon.
BACKLOG_DELAY_S: Final = 0.1
# A team with nothing to post reads its mutes at least this often (see MuteLooks).
MUTES_LOOK_AGAIN_S: Final = 30.0

# What a card set to broadcast "failures" broadcasts.
FAILURE_STEPS: Final = frozenset({ERROR, SUPPORT, CANCEL})
CHANNEL_GONE: Final = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
TOKEN_REFUSED: Final = frozenset(
    {"not_authed", "invalid_auth", "token_revoked", "token_expired", "account_inactive"}
)
# chat.update on a card that was deleted or can no longer be edited: the edit is dropped.
CARD_NOT_EDITABLE: Final = frozenset(
    {"message_not_found", "cant_update_message", "edit_window_closed"}
)

OperationLookup = Callable[[Sequence[int]], Awaitable[Mapping[int, Operation]]]
StillHolding = Callable[[], Awaitable[bool]]


@dataclass
class DeliveryResult:
    posts: int = 0  # Slack messages posted: cards, replies, notes
    # When posts left in the outbox can go; None when the outbox is empty.
    retry_at: float | None = None

    def wait_until(self, when: float) -> None:
        self.retry_at = when if self.retry_at is None else min(self.retry_at, when)


@dataclass(frozen=True)
class FromCycle:
    """What the team's poll cycle learnt that its delivery uses."""

    # Operations as polled now, for the final replies (errortype, last_error).
    polled: Mapping[int, Operation] = field(default_factory=dict)
    # Watches to end, with the farewell each card's thread gets.
    farewells: Mapping[int, str] = field(default_factory=dict)
    # Watches read just now (those that changed step): not read again.
    watches: Mapping[int, Watch] = field(default_factory=dict)
    # The outbox's head and the edits waiting as the pass opened, when the
    # pass queued nothing since: not read again.
    outbox: OutboxHead | None = None


class _Stop(Exception):
    """End the pass now; the post stays in the outbox."""

    def __init__(self, retry_at: float) -> None:
        super().__init__()
        self.retry_at = retry_at


class _Wait(Exception):
    """This channel takes nothing more in this pass; its posts stay in the outbox."""

    def __init__(self, ready_at: float) -> None:
        super().__init__()
        self.ready_at = ready_at


class _ChannelGone(Exception):
    """Slack says the channel is gone, or the bot is out of it: its cards are dropped."""


class MuteLooks:
    """When to read a team's mutes again, while it has nothing to post.

    With posts or card edits waiting they are read at every pass: a muted
    channel gets no broadcast and no new card. Without, only a mute's end
    matters (its summary is posted then): the mutes are read again at the
    end this worker saw coming, and at least every :data:`MUTES_LOOK_AGAIN_S`
    for one it has not seen (set, or ended, by a person meanwhile), whose
    summary then comes that much later at most. Reading them at every pass
    was one Redis command a pass, for mutes that are rare.
    """

    def __init__(self) -> None:
        # Per team: when to read its mutes next, and the next mute's end seen.
        self._next: dict[str, tuple[float, float | None]] = {}

    def due(self, team_id: str, now: float) -> bool:
        look, _ = self._next.get(team_id, (now, None))
        return now >= look

    def next_end(self, team_id: str) -> float | None:
        """The end of the team's next mute, as last read (the team comes back for it)."""
        return self._next.get(team_id, (0.0, None))[1]

    def read(self, team_id: str, now: float, muted: MutedChannels) -> None:
        end = muted.next_end
        look = now + MUTES_LOOK_AGAIN_S
        self._next[team_id] = (look if end is None else min(end, look), end)


class Poster:
    def __init__(  # noqa: PLR0913 - the stores and clients it delivers with, and its clock
        self,
        watches: WatchStore,
        outbox: Outbox,
        pacing: ChannelPacing,
        clients: TeamClients,
        card_edits: CardEdits,
        *,
        opener: DeliveryOpener,
        page: int = PAGE,
        clock: Callable[[], float] = time.time,
        burst_mode: BurstMode | None = None,
        mutes: Mutes | None = None,
        guardrails: GuardrailStore | None = None,
    ) -> None:
        self.watches = watches
        self.outbox = outbox
        self.pacing = pacing
        self.clients = clients
        self.card_edits = card_edits
        self.opener = opener
        self.page = page
        # None: every outcome is broadcast, however long the queue.
        self.burst_mode = burst_mode
        # None: no channel is ever muted.
        self.mutes = mutes
        # None: no channel is read-only (final replies keep their Relaunch button).
        self.guardrails = guardrails
        # Tokens are taken at the moment of each call, not the pass's start.
        self.clock = clock
        # Slack down or refusing for hours says so once per team and period.
        self.errors = Repeats(log, ERROR_LOG_PERIOD_S)
        # Failed attempts per outbox entry, to give up on a post Slack always refuses.
        self.attempts: Counter[str] = Counter()
        self.mute_looks = MuteLooks()

    async def deliver(
        self,
        team_id: str,
        now: float,
        cycle: FromCycle,
        *,
        lookup: OperationLookup | None,
        holding: StillHolding,
    ) -> DeliveryResult:
        """One pass over the team's outbox, then its card edits (see the module doc)."""
        polled = cycle.polled
        posts, edits = await self._pending_with_farewells(team_id, cycle, now)
        if not (posts or edits or self.mute_looks.due(team_id, now)):
            return DeliveryResult(retry_at=self.mute_looks.next_end(team_id))
        muted = await self.mutes.channels(team_id, now) if self.mutes else NOT_MUTED
        self.mute_looks.read(team_id, now, muted)
        if not posts and not edits and not muted.ended:
            # A mute's end brings its summary: the team must come back then.
            return DeliveryResult(retry_at=muted.next_end)
        client = await self.clients.for_team(team_id)
        if client is None:
            return DeliveryResult(retry_at=now + NO_CLIENT_RETRY_S)
        known, wanted = cycle.watches, {post.op_id for post in posts}
        watches = {op_id: watch for op_id, watch in known.items() if op_id in wanted}
        watches.update(await self.watches.get_many(team_id, wanted - set(known)))
        operations = await _operations_for(posts, watches, polled, lookup)
        team_pass = _TeamPass(
            self, client, team_id, now, posts, watches, operations, holding, muted
        )
        team_pass.read_only = await self._read_only_channels(team_id, posts)
        return await team_pass.run(edits)

    async def _read_only_channels(self, team_id: str, posts: Iterable[Post]) -> frozenset[str]:
        """The team's read-only channels, where a final reply draws no Relaunch button;
        asked of Redis only when a final reply is about to go."""
        if self.guardrails is None or not any(post.kind is PostKind.FINAL for post in posts):
            return frozenset()
        return (await self.guardrails.get(team_id)).read_only_channels

    async def _pending_with_farewells(
        self, team_id: str, cycle: FromCycle, now: float
    ) -> tuple[list[Post], int]:
        """The outbox, after queuing each farewell not already waiting in it; the edits waiting."""
        outbox, farewells = self.outbox, cycle.farewells
        posts, edits = await self.opener.read(team_id, self.page, cycle.outbox)
        waiting = {post.op_id for post in posts if post.kind is PostKind.FAREWELL}
        missing = {op_id: text for op_id, text in farewells.items() if op_id not in waiting}
        if not missing:
            return posts, edits
        for op_id, text in sorted(missing.items()):
            await outbox.add_farewell(team_id, op_id, text, moment(now))
        return await outbox.pending(team_id, count=self.page), edits


async def _operations_for(
    posts: Iterable[Post],
    watches: Mapping[int, Watch],
    polled: Mapping[int, Operation],
    lookup: OperationLookup | None,
) -> dict[int, Operation]:
    """The operations whose final reply shows their error: as polled, or looked up."""
    operations = dict(polled)
    ended_badly = {post.op_id for post in posts if post.kind is PostKind.FINAL and post.new != DONE}
    missing = sorted((ended_badly & set(watches)) - set(operations))
    if missing and lookup is not None:
        try:
            operations.update(await lookup(missing))
        except ApiError as error:
            # The reply goes without errortype and last_error rather than wait.
            log.info("could not look up %d ended operations: %s", len(missing), error.kind.value)
    return operations


@dataclass
class _TeamPass:
    """One delivery pass over one team's outbox."""

    poster: Poster
    client: AsyncWebClient
    team_id: str
    now: float
    posts: list[Post]
    watches: dict[int, Watch]
    operations: Mapping[int, Operation]
    holding: StillHolding
    muted: MutedChannels
    result: DeliveryResult = field(default_factory=DeliveryResult)
    gone: set[str] = field(default_factory=set)
    # Channels /ops config made read-only: no Relaunch button in what goes there.
    read_only: frozenset[str] = frozenset()
    # Post tokens taken from each channel's bucket and not yet used.
    tokens: Counter[str] = field(default_factory=Counter)
    # Deliveries left per channel: how many tokens to ask its bucket for at once.
    left: Counter[str] = field(default_factory=Counter)
    # How many card edits wait in Redis (those of earlier passes, and those
    # queued in this one, counted once per card at most): while none does, an
    # edit is made at once, with no queue.
    edits_waiting: int = 0
    # A 429 (or a refused token) met by an edit made at once: no more edits this pass.
    edits_stopped: bool = False
    # The watch each card was last shown with in this pass: an operation with
    # several deliveries in a channel (a step change, then a note) would
    # render the same card again, and edit it again with the same content.
    shown: dict[tuple[int, str], Watch] = field(default_factory=dict)
    # Posts still in the outbox, per operation.
    pending: Counter[int] = field(init=False)
    at: dt.datetime = field(init=False)
    # The page holds every pending post only when it is not full.
    whole_outbox: bool = field(init=False)

    def __post_init__(self) -> None:
        self.pending = Counter(post.op_id for post in self.posts)
        self.at = moment(self.now)
        self.whole_outbox = len(self.posts) < self.poster.page

    async def run(self, edits: int) -> DeliveryResult:
        """Deliver the posts, then make as many of the ``edits`` waiting as the pace allows."""
        self.edits_waiting = edits
        if self.muted.next_end is not None:
            self.result.wait_until(self.muted.next_end)
        try:
            for channel in self.muted.ended:
                await self._end_mute(channel)
            for deliveries in channel_queues(self.posts).values():
                await self._channel(deliveries)
            await self._edit_cards()
        except _Stop as stop:
            self.result.wait_until(stop.retry_at)
            return self.result
        if not self.whole_outbox:
            self.result.wait_until(self.now + BACKLOG_DELAY_S)
        return self.result

    async def _channel(self, deliveries: Sequence[Delivery]) -> None:
        """One channel's deliveries in lane order, until its bucket is empty."""
        quiet = deliveries[0].channel in self.muted.muted
        try:
            told = frozenset() if quiet else await self._summarize(deliveries)
        except _Wait as wait:
            self.result.wait_until(wait.ready_at)
            return
        except _ChannelGone:
            self.gone.add(deliveries[0].channel)
            told = frozenset()
        for index, delivery in enumerate(deliveries):
            self.left[delivery.channel] = len(deliveries) - index
            try:
                await self._deliver(delivery, told=delivery.op_id in told, quiet=quiet)
            except _Wait as wait:
                self.result.wait_until(wait.ready_at)
                return
            except _ChannelGone:
                self.gone.add(delivery.channel)
                await self._done(delivery)

    async def _summarize(self, deliveries: Sequence[Delivery]) -> frozenset[int]:
        """Burst mode (:mod:`opsbot.watcher.burst_mode`): the operations its summary tells."""
        burst_mode = self.poster.burst_mode
        if burst_mode is None:
            return frozenset()
        update = await burst_mode.update(self.team_id, deliveries, self.watches, self.now)
        if update is None:
            return frozenset()
        summary = update.summary
        if summary.open and (update.changed or not summary.ts):
            await self._publish(summary)
        return frozenset(summary.outcomes)

    async def _publish(self, summary: Summary) -> None:
        """Post the summary, the channel's first message of the pass, or have it edited."""
        message = burst_summary_message(summary)
        if summary.ts:
            edit = _edit(SUMMARY_EDIT, summary.channel, summary.ts, message)
            await self._queue_edit(edit, at=summary.since)
            return
        summary.ts = await self._post(summary.channel, message, None)
        await self._bursts().posted(self.team_id, summary.channel, summary.ts)

    async def _outcome_only(
        self, watch: Watch, card: Card, delivery: Delivery, *, quiet: bool
    ) -> None:
        """An outcome subscription's card: one message when it ends in a step it wants.

        Nothing else is posted for it, not even the card; the message is the
        final reply, with its details and Relaunch button, in the channel.
        """
        ends = self._ends_watch(watch, delivery)
        wanted = delivery.kind is PostKind.FINAL and delivery.last.new in card.only
        if wanted and quiet:
            await self._note_quietly(watch, delivery)
        elif wanted:
            message = self._reply_message(watch, delivery, mention=True)
            await self._post(card.channel, message, delivery)
        if ends:
            await self.poster.watches.finish(self.team_id, delivery.op_id)
            self.watches.pop(delivery.op_id, None)
        await self._done(delivery)

    async def _note_quietly(self, watch: Watch, delivery: Delivery) -> None:
        """An outcome told in its thread only, for the mute's summary."""
        outcome = outcome_of(delivery, {watch.op_id: watch})
        if outcome is not None and self.poster.mutes is not None:
            await self.poster.mutes.note(self.team_id, delivery.channel, outcome)

    def _bursts(self) -> Bursts:
        burst_mode = self.poster.burst_mode
        assert burst_mode is not None  # only burst mode publishes a summary
        return burst_mode.bursts

    async def _end_mute(self, channel: str) -> None:
        """The channel's mute is over: one summary of what ended meanwhile, then it is forgotten."""
        mutes = self.poster.mutes
        assert mutes is not None  # only mutes end
        mute = await mutes.get(self.team_id, channel)
        if mute is not None and mute.outcomes and channel not in self.gone:
            summary = Summary(channel, since=mute.since, outcomes=mute.outcomes)
            message = burst_summary_message(summary, muted_by=mute.by)
            try:
                await self._post(channel, message, None)
            except _Wait as wait:
                self.result.wait_until(wait.ready_at)
                return
            except _ChannelGone:
                self.gone.add(channel)
        await mutes.forget(self.team_id, channel)

    async def _deliver(self, delivery: Delivery, *, told: bool, quiet: bool = False) -> None:
        """Deliver one; ``told``: burst mode's summary has its outcome (no broadcast);
        ``quiet``: the channel is muted (no broadcast, no new card, the outcome noted)."""
        watch = self.watches.get(delivery.op_id)
        card = watch.card(delivery.channel) if watch is not None else None
        if watch is None or card is None or delivery.channel in self.gone:
            await self._done(delivery)  # unwatched, ended, or its channel is gone
            return
        if card.only:
            await self._outcome_only(watch, card, delivery, quiet=quiet)
            return
        if not card.ts:
            if quiet:
                return  # no new card while the channel is muted: it waits in the outbox
            watch, card = await self._post_card(watch, card, delivery)
        if delivery.kind is PostKind.CARD:
            await self._done(delivery)
            return
        ends = self._ends_watch(watch, delivery)
        await self._post(
            card.channel,
            self._reply_message(watch, delivery, mention=not (told or quiet)),
            delivery,
            thread_ts=card.ts,
            broadcast=delivery.kind is PostKind.FINAL
            and not (told or quiet)
            and broadcasts(card, delivery.last.new),
        )
        if quiet and delivery.kind is PostKind.FINAL:
            await self._note_quietly(watch, delivery)
        await self._show_step(watch, card)
        if ends:
            # Before the outbox entries go: a crash in between finds no watch
            # for them and drops them, instead of posting twice.
            await self.poster.watches.finish(self.team_id, delivery.op_id)
            self.watches.pop(delivery.op_id, None)
        await self._done(delivery)

    def _ends_watch(self, watch: Watch, delivery: Delivery) -> bool:
        """Whether this is the last post of a watch that has ended (final step, farewell)."""
        if not (watch.final or delivery.kind is PostKind.FAREWELL):
            return False
        if self.pending[delivery.op_id] > len(delivery.posts):
            return False
        if not self.whole_outbox and self.posts[-1].op_id == delivery.op_id:
            # More of this watch's posts may lie past the page: they go first.
            raise _Wait(self.now + BACKLOG_DELAY_S)
        return True

    async def _done(self, delivery: Delivery) -> None:
        await self.poster.outbox.done(self.team_id, *(post.entry_id for post in delivery.posts))
        for post in delivery.posts:
            self.pending[post.op_id] -= 1
            self.poster.attempts.pop(post.entry_id, None)

    def _reply_message(self, watch: Watch, delivery: Delivery, *, mention: bool) -> dict[str, Any]:
        post, steps = delivery.last, delivery.steps
        earlier = steps[:-1] if steps and steps[-1] is post else ()
        if post.kind is PostKind.FINAL:
            operation = self.operations.get(post.op_id)
            return watch_final_reply(
                watch,
                post,
                operation=operation,
                now=self.at,
                earlier=earlier,
                mention=mention,
                read_only=post.channel in self.read_only,
            )
        if post.kind in (PostKind.NOTE, PostKind.FAREWELL):
            return watch_note(post.text)
        return watch_step_reply(post, now=self.at, earlier=earlier)

    # --- Slack calls ---------------------------------------------------------------

    async def _post_card(self, watch: Watch, card: Card, delivery: Delivery) -> tuple[Watch, Card]:
        """Post the card ``delivery`` needs first; the watch and card as they are now."""
        message = watch_card_message(watch, now=self.at, channel=card.channel)
        ts = await self._post(card.channel, message, delivery)
        await self.poster.watches.set_card_ts(self.team_id, watch.op_id, card.channel, ts)
        posted = replace(card, ts=ts)
        cards = tuple(posted if other.channel == card.channel else other for other in watch.cards)
        self.watches[watch.op_id] = watch = replace(watch, cards=cards)
        return watch, posted

    async def _show_step(self, watch: Watch, card: Card) -> None:
        """Have the card show the current step, at Slack's edit pace (the newest edit wins).

        While no edit of the team waits, the card is edited at once if the
        team's edit bucket has a token: queuing it and taking it off again
        would cost Redis seven commands more per step change. Otherwise it
        joins the queue, and so do the pass's later edits, so that no edit
        overtakes an older one of the same card.
        """
        shown = (watch.op_id, card.channel)
        if self.shown.get(shown) is watch:
            return  # edited, or queued, with this very content already
        message = watch_card_message(watch, now=self.at, channel=card.channel)
        edit = _edit(watch.op_id, card.channel, card.ts, message)
        if self.edits_waiting or not await self._edit_at_once(edit):
            await self._queue_edit(edit, at=self.now)
        self.shown[shown] = watch

    async def _edit_at_once(self, edit: CardEdit) -> bool:
        """Edit the card now if the team's edit bucket has a token; False: queue it."""
        ready = await self.poster.pacing.take_edit(self.team_id, self.poster.clock())
        return not ready and await self._edit_now(edit)

    async def _edit_now(self, edit: CardEdit) -> bool:
        """Edit the card in the middle of a delivery: False when the edit is to be queued.

        A refusal that stops the team's edits (a 429, the token refused) is
        kept for the end of the pass: the delivery's post is out, and its
        outbox entries must go before anything stops.
        """
        try:
            return await self._edit_card(edit)
        except _Stop as stop:
            self.result.wait_until(stop.retry_at)
            self.edits_stopped = True
            return False

    async def _queue_edit(self, edit: CardEdit, *, at: float) -> None:
        message = {"text": edit.text, "blocks": edit.blocks}
        added = await self.poster.card_edits.queue(
            self.team_id, op_id=edit.op_id, channel=edit.channel, ts=edit.ts, message=message, at=at
        )
        self.edits_waiting += int(added)

    async def _edit_cards(self) -> None:
        """Make the card edits waiting (those queued in this pass too) while tokens last.

        The tokens are taken first, in one call, and only as many edits are
        read as were given: a queue of a hundred cards at Tier 3's pace would
        otherwise be read and decoded whole at every pass, for one edit.
        """
        if self.edits_stopped or not self.edits_waiting:
            return
        wanted = min(self.edits_waiting, EDITS_PER_PASS)
        taken = await self.poster.pacing.take_edits(self.team_id, self.poster.clock(), wanted)
        if taken.count < self.edits_waiting:
            # More wait for the pace (or past this pass's share).
            self.result.wait_until(taken.ready_at or self.now + BACKLOG_DELAY_S)
        if not taken.count:
            return
        for edit in await self.poster.card_edits.waiting(self.team_id, taken.count):
            if await self._edit_card(edit):
                await self.poster.card_edits.done(self.team_id, edit)

    async def _edit_card(self, edit: CardEdit) -> bool:
        """chat.update one card; False when it is to be tried again."""
        if edit.channel in self.gone:
            return True
        try:
            await self.client.chat_update(
                channel=edit.channel, ts=edit.ts, text=edit.text, blocks=edit.blocks
            )
        except SlackApiError as error:
            return await self._edit_refused(edit, error)
        except (aiohttp.ClientError, TimeoutError) as error:
            self._log(
                logging.INFO,
                ("card not edited", type(error).__name__),
                "card of %s not edited: %s",
                edit.op_id,
                type(error).__name__,
            )
            self.result.wait_until(self.now + RETRY_LATER_S)
            return False
        return True

    async def _edit_refused(self, edit: CardEdit, error: SlackApiError) -> bool:
        reason = _error_code(error)
        if _is_rate_limited(error):
            retry_at = self.now + _retry_after(error)
            await self.poster.pacing.pause_edits(self.team_id, retry_at)
            raise _Stop(retry_at)
        if reason in CHANNEL_GONE:
            dropped = await self.poster.watches.drop_channel(self.team_id, edit.channel)
            log.info("channel %s is gone (%s): %d cards dropped", edit.channel, reason, dropped)
            self.gone.add(edit.channel)
            return True
        if reason in TOKEN_REFUSED:
            await self._refused_for_all(error, edit.channel)
        self._log(
            logging.INFO,
            ("card not edited", reason),
            "card of %s in %s not edited: %s",
            edit.op_id,
            edit.channel,
            log_text(reason),
        )
        # A card deleted or too old to edit never will be; others are tried again.
        return reason in CARD_NOT_EDITABLE or self._given_up(edit.field)

    async def _post(
        self,
        channel: str,
        message: Mapping[str, Any],
        delivery: Delivery | None,
        *,
        thread_ts: str | None = None,
        broadcast: bool = False,
    ) -> str:
        """chat.postMessage for ``delivery`` once its channel has a token; returns the ts."""
        await self._take_token(channel)
        if not await self.holding():
            log.warning("team %s: lease lost, its outbox is the new holder's", self.team_id)
            raise _Stop(self.now + BACKLOG_DELAY_S)
        in_thread: dict[str, Any] = {}
        if thread_ts is not None:
            in_thread["thread_ts"] = thread_ts
        if broadcast:
            in_thread["reply_broadcast"] = True
        try:
            answer = await self.client.chat_postMessage(
                channel=channel, **_content(message), **in_thread
            )
        except SlackApiError as error:
            await self._refused_for_all(error, channel)
            reason = _error_code(error)
            self._log(
                logging.WARNING,
                ("post refused", reason),
                "Slack refused a post to %s: %s",
                channel,
                log_text(reason),
            )
            await self._failed(delivery)
            raise _Wait(self.now + RETRY_LATER_S) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            self._log(
                logging.INFO,
                ("post failed", type(error).__name__),
                "posting to %s failed (%s), again later",
                channel,
                type(error).__name__,
            )
            await self._failed(delivery)
            raise _Wait(self.now + RETRY_LATER_S) from None
        self.result.posts += 1
        return str(answer.get("ts", ""))

    async def _take_token(self, channel: str) -> None:
        """A post token for ``channel``, or :class:`_Wait` until its bucket has one.

        Tokens are asked for the channel's deliveries left, in one call: the
        bucket gives as many as it holds (its burst at most), and those not
        used by the end of the pass are simply not used.
        """
        if not self.tokens[channel]:
            wanted = max(self.left[channel], 1)
            taken = await self.poster.pacing.take_posts(
                self.team_id, channel, self.poster.clock(), wanted
            )
            if not taken.count:
                raise _Wait(taken.ready_at)
            self.tokens[channel] = taken.count
        self.tokens[channel] -= 1

    async def _refused_for_all(self, error: SlackApiError, channel: str) -> None:
        """Raise for a refusal that is about more than one message; return for the others."""
        reason = _error_code(error)
        if _is_rate_limited(error):
            retry_at = self.now + _retry_after(error)
            await self.poster.pacing.pause_channel(self.team_id, channel, retry_at)
            self._log(
                logging.INFO,
                ("ratelimited",),
                "Slack rate-limits team %s for %.0f s",
                self.team_id,
                retry_at - self.now,
            )
            raise _Stop(retry_at)
        if reason in CHANNEL_GONE:
            dropped = await self.poster.watches.drop_channel(self.team_id, channel)
            log.info("channel %s is gone (%s): %d cards dropped", channel, reason, dropped)
            raise _ChannelGone
        if reason in TOKEN_REFUSED:
            self._log(
                logging.WARNING,
                ("token refused", reason),
                "Slack refuses team %s's token (%s)",
                self.team_id,
                reason,
            )
            raise _Stop(self.now + NO_CLIENT_RETRY_S)

    def _log(self, level: int, kind: tuple[str, ...], message: str, *args: object) -> None:
        """A line that may come back at every pass: once per team, kind and period."""
        self.poster.errors.log(level, (self.team_id, *kind), self.now, message, *args)

    async def _failed(self, delivery: Delivery | None) -> None:
        """Count a failed attempt; a post Slack always refuses is given up at last."""
        if delivery is not None and self._given_up(delivery.posts[0].entry_id):
            log.error("giving up on a post to %s after %d attempts", delivery.channel, MAX_ATTEMPTS)
            await self._done(delivery)

    def _given_up(self, key: str) -> bool:
        attempts = self.poster.attempts
        attempts[key] += 1
        if attempts[key] < MAX_ATTEMPTS:
            return False
        attempts.pop(key, None)
        return True


def broadcasts(card: Card, step: str) -> bool:
    """Whether the card's final reply in ``step`` goes to the channel too (its preference)."""
    preference = card.broadcast or ALWAYS
    return preference == ALWAYS or (preference == FAILURES and step in FAILURE_STEPS)


def _edit(op_id: int, channel: str, ts: str, message: Mapping[str, Any]) -> CardEdit:
    """A card edit not read from the queue (``stored`` is only for those that were)."""
    return CardEdit(op_id, channel, ts, message["text"], message["blocks"], stored="")


def _content(message: Mapping[str, Any]) -> dict[str, Any]:
    return {"text": message["text"], "blocks": message["blocks"]}


def _error_code(error: SlackApiError) -> str:
    return str(error.response.get("error") or "unknown_error")


def _is_rate_limited(error: SlackApiError) -> bool:
    return error.response.status_code == 429 or _error_code(error) == "ratelimited"


def _retry_after(error: SlackApiError) -> float:
    value = error.response.headers.get("Retry-After", "1")
    try:
        return max(float(value), 1.0)
    except (TypeError, ValueError):
        return 1.0
