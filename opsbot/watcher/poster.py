"""Delivering a team's outbox to Slack: cards, thread replies, notes.

Every post was queued in Redis (the team's outbox stream) in the same Lua
script that recorded its step change, so nothing is lost when a process dies.
The poster takes posts oldest first and, for each one:

1. makes sure the card exists: a card not posted yet (``ts`` "") is posted
   first and its ``ts`` recorded; the post itself waits for the next pass
   (a post of kind ``card`` asks for nothing more, and is done);
2. edits the card to show the current step (``chat.update``: idempotent,
   so it is simply done again after a crash);
3. posts the reply in the card's thread, by the post's kind
   (:class:`~opsbot.store.outbox.PostKind`): a step change, a note or a
   farewell, or the final step broadcast to the channel (``reply_broadcast``)
   mentioning the card's watchers;
4. once the last post of a watch that has ended (its final step, or a
   farewell) is out, finishes the watch;
5. deletes the outbox entry.

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

Pace: at most one message per channel per pass and about one a second per
channel (the channel's next post time is kept in Redis for every worker); a
429 from Slack blocks the channel for its Retry-After and ends the pass,
leaving the post in the outbox. A channel that is gone (``not_in_channel``,
``channel_not_found``, ``is_archived``) drops its cards.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.api.errors import ApiError
from opsbot.api.operation import DONE, Operation
from opsbot.clock import moment
from opsbot.logs import Repeats, log_text
from opsbot.store.outbox import Outbox, Post, PostKind
from opsbot.store.pacing import ChannelPacing
from opsbot.store.watches import Card, Watch, WatchStore
from opsbot.ui.watching import watch_card_message, watch_final_reply, watch_note, watch_step_reply
from opsbot.watcher.clients import TeamClients
from opsbot.watcher.intervals import ERROR_LOG_PERIOD_S

log = logging.getLogger(__name__)

SPACING_S: Final = 1.0
PAGE: Final = 500
# A post Slack keeps refusing for another reason is tried this many times, then dropped.
MAX_ATTEMPTS: Final = 5
RETRY_LATER_S: Final = 30.0
# Without a bot token (not installed, token revoked) the team's posts wait this long.
NO_CLIENT_RETRY_S: Final = 300.0
# A full page may leave posts behind it: the team comes back for them this soon.
BACKLOG_DELAY_S: Final = 0.1

CHANNEL_GONE: Final = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
TOKEN_REFUSED: Final = frozenset(
    {"not_authed", "invalid_auth", "token_revoked", "token_expired", "account_inactive"}
)
# chat.update on a card that was deleted or can no longer be edited: the reply still goes.
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


class Poster:
    def __init__(
        self,
        watches: WatchStore,
        outbox: Outbox,
        pacing: ChannelPacing,
        clients: TeamClients,
        *,
        spacing_s: float = SPACING_S,
        page: int = PAGE,
    ) -> None:
        self.watches = watches
        self.outbox = outbox
        self.pacing = pacing
        self.clients = clients
        self.spacing_s = spacing_s
        self.page = page
        # Slack down or refusing for hours says so once per team and period.
        self.errors = Repeats(log, ERROR_LOG_PERIOD_S)
        # Failed attempts per outbox entry, to give up on a post Slack always refuses.
        self.attempts: Counter[str] = Counter()

    async def deliver(
        self,
        team_id: str,
        now: float,
        *,
        polled: Mapping[int, Operation],
        farewells: Mapping[int, str],
        lookup: OperationLookup | None,
        holding: StillHolding,
    ) -> DeliveryResult:
        """One pass over the team's outbox (see the module doc)."""
        posts = await self._pending_with_farewells(team_id, farewells, now)
        if not posts:
            return DeliveryResult()
        client = await self.clients.for_team(team_id)
        if client is None:
            return DeliveryResult(retry_at=now + NO_CLIENT_RETRY_S)
        watches = await self.watches.get_many(team_id, {post.op_id for post in posts})
        operations = await _operations_for(posts, watches, polled, lookup)
        team_pass = _TeamPass(self, client, team_id, now, posts, watches, operations, holding)
        return await team_pass.run()

    async def _pending_with_farewells(
        self, team_id: str, farewells: Mapping[int, str], now: float
    ) -> list[Post]:
        """The outbox, after queuing each farewell not already waiting in it."""
        outbox = self.outbox
        posts = await outbox.pending(team_id, count=self.page)
        waiting = {post.op_id for post in posts if post.kind is PostKind.FAREWELL}
        missing = {op_id: text for op_id, text in farewells.items() if op_id not in waiting}
        if not missing:
            return posts
        for op_id, text in sorted(missing.items()):
            await outbox.add_farewell(team_id, op_id, text, moment(now))
        return await outbox.pending(team_id, count=self.page)


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
    result: DeliveryResult = field(default_factory=DeliveryResult)
    # Channels that take nothing more in this pass, and when they will.
    blocked: dict[str, float] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    # Posts still in the outbox, per operation.
    pending: Counter[int] = field(init=False)
    at: dt.datetime = field(init=False)
    # The page holds every pending post only when it is not full.
    whole_outbox: bool = field(init=False)

    def __post_init__(self) -> None:
        self.pending = Counter(post.op_id for post in self.posts)
        self.at = moment(self.now)
        self.whole_outbox = len(self.posts) < self.poster.page

    async def run(self) -> DeliveryResult:
        for post in self.posts:
            if post.channel in self.blocked:
                continue
            try:
                await self._deliver(post)
            except _Wait as wait:
                self.blocked[post.channel] = wait.ready_at
                self.result.wait_until(wait.ready_at)
            except _ChannelGone:
                self.gone.add(post.channel)
                await self._done(post)
            except _Stop as stop:
                self.result.wait_until(stop.retry_at)
                return self.result
        if not self.whole_outbox:
            self.result.wait_until(self.now + BACKLOG_DELAY_S)
        return self.result

    async def _deliver(self, post: Post) -> None:
        watch = self.watches.get(post.op_id)
        card = watch.card(post.channel) if watch is not None else None
        if watch is None or card is None or post.channel in self.gone:
            await self._done(post)  # unwatched, ended, or its channel is gone
            return
        await self._wait_for_channel(post.channel)
        if not card.ts:
            await self._post_card(watch, card, post)
            if post.kind is PostKind.CARD:
                await self._done(post)
            return  # the channel has had its message for this pass
        if post.kind is PostKind.CARD:
            await self._done(post)
            return
        ends = self._ends_watch(watch, post)
        await self._update_card(watch, card)
        await self._post(
            card.channel,
            self._reply_message(watch, post),
            post,
            thread_ts=card.ts,
            broadcast=post.kind is PostKind.FINAL,
        )
        if ends:
            # Before the outbox entry goes: a crash in between finds no watch
            # for the entry and drops it, instead of posting it twice.
            await self.poster.watches.finish(self.team_id, post.op_id)
            self.watches.pop(post.op_id, None)
        await self._done(post)

    def _ends_watch(self, watch: Watch, post: Post) -> bool:
        """Whether this is the last post of a watch that has ended (final step, farewell)."""
        if not (watch.final or post.kind is PostKind.FAREWELL) or self.pending[post.op_id] > 1:
            return False
        if not self.whole_outbox and self.posts[-1].op_id == post.op_id:
            # More of this watch's posts may lie past the page: they go first.
            raise _Wait(self.now + BACKLOG_DELAY_S)
        return True

    async def _done(self, post: Post) -> None:
        await self.poster.outbox.done(self.team_id, post.entry_id)
        self.pending[post.op_id] -= 1
        self.poster.attempts.pop(post.entry_id, None)

    async def _wait_for_channel(self, channel: str) -> None:
        ready_at = await self.poster.pacing.ready_at(self.team_id, channel)
        if ready_at > self.now:
            raise _Wait(ready_at)

    def _reply_message(self, watch: Watch, post: Post) -> dict[str, Any]:
        if post.kind is PostKind.FINAL:
            operation = self.operations.get(post.op_id)
            return watch_final_reply(watch, post, operation=operation, now=self.at)
        if post.kind in (PostKind.NOTE, PostKind.FAREWELL):
            return watch_note(post.text)
        return watch_step_reply(post, now=self.at)

    # --- Slack calls ---------------------------------------------------------------

    async def _post_card(self, watch: Watch, card: Card, post: Post) -> None:
        """Post the card ``post`` needs first; ``post`` itself waits for the next pass."""
        message = watch_card_message(watch, now=self.at, channel=card.channel)
        ts = await self._post(card.channel, message, post)
        await self.poster.watches.set_card_ts(self.team_id, watch.op_id, card.channel, ts)
        posted = replace(card, ts=ts)
        cards = tuple(posted if other.channel == card.channel else other for other in watch.cards)
        self.watches[watch.op_id] = replace(watch, cards=cards)

    async def _update_card(self, watch: Watch, card: Card) -> None:
        """Show the current step on the card; a failed edit never holds the reply back."""
        message = watch_card_message(watch, now=self.at, channel=card.channel)
        try:
            await self.client.chat_update(channel=card.channel, ts=card.ts, **_content(message))
        except SlackApiError as error:
            reason = _error_code(error)
            if reason not in CARD_NOT_EDITABLE:
                await self._refused_for_all(error, card.channel)
                self._log(
                    logging.INFO,
                    ("card not edited", reason),
                    "card of %s in %s not edited: %s",
                    watch.op_id,
                    card.channel,
                    log_text(reason),
                )
        except (aiohttp.ClientError, TimeoutError) as error:
            self._log(
                logging.INFO,
                ("card not edited", type(error).__name__),
                "card of %s not edited: %s",
                watch.op_id,
                type(error).__name__,
            )

    async def _post(
        self,
        channel: str,
        message: Mapping[str, Any],
        post: Post,
        *,
        thread_ts: str | None = None,
        broadcast: bool = False,
    ) -> str:
        """chat.postMessage for ``post``, then the channel's pause; returns the message's ts."""
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
            await self._failed(post)
            raise _Wait(self.now + RETRY_LATER_S) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            self._log(
                logging.INFO,
                ("post failed", type(error).__name__),
                "posting to %s failed (%s), again later",
                channel,
                type(error).__name__,
            )
            await self._failed(post)
            raise _Wait(self.now + RETRY_LATER_S) from None
        self.result.posts += 1
        await self._space(channel)
        return str(answer.get("ts", ""))

    async def _space(self, channel: str) -> None:
        ready_at = self.now + self.poster.spacing_s
        await self.poster.pacing.hold_until(self.team_id, channel, ready_at)
        self.blocked[channel] = ready_at
        self.result.wait_until(ready_at)

    async def _refused_for_all(self, error: SlackApiError, channel: str) -> None:
        """Raise for a refusal that is about more than one message; return for the others."""
        reason = _error_code(error)
        if error.response.status_code == 429 or reason == "ratelimited":
            retry_at = self.now + _retry_after(error)
            await self.poster.pacing.hold_until(self.team_id, channel, retry_at)
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

    async def _failed(self, post: Post) -> None:
        """Count a failed attempt; a post Slack always refuses is given up at last."""
        attempts = self.poster.attempts
        attempts[post.entry_id] += 1
        if attempts[post.entry_id] >= MAX_ATTEMPTS:
            log.error("giving up on a post to %s after %d attempts", post.channel, MAX_ATTEMPTS)
            await self._done(post)


def _content(message: Mapping[str, Any]) -> dict[str, Any]:
    return {"text": message["text"], "blocks": message["blocks"]}


def _error_code(error: SlackApiError) -> str:
    return str(error.response.get("error") or "unknown_error")


def _retry_after(error: SlackApiError) -> float:
    value = error.response.headers.get("Retry-After", "1")
    try:
        return max(float(value), 1.0)
    except (TypeError, ValueError):
        return 1.0
