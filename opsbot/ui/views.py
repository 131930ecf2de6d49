"""Operations, watches and subscriptions in the words the templates show.

A view model holds text and flags only, already worded (ages, ETAs, the
step's emoji) but not escaped: the templates escape every hole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from opsbot.api.list_reply import UnreadableItem
from opsbot.api.operation import Operation, is_final
from opsbot.ui import humanize
from opsbot.ui.echo import filters_text

if TYPE_CHECKING:
    from opsbot.store.subscriptions import Subscription
    from opsbot.store.watches import Announced, Watch

# A watch card names this many watchers, then "and N more".
WATCHERS_SHOWN: Final = 20
# A relaunch's announcement names this many changed fields, then "and N more".
CHANGED_NAMES_SHOWN: Final = 30


@dataclass(frozen=True)
class OperationView:
    """An operation in the words the templates show.

    A row the API sent but opsbot could not read (:meth:`unreadable`) has
    ``problem`` set, no buttons, and its id only when that much was readable.
    """

    id: int | None
    type: str
    step: str
    emoji: str
    domain: str | None
    label: str
    age: str
    errortype: str | None
    can_cancel: bool
    can_relaunch: bool
    problem: str | None = None

    @classmethod
    def of_row(cls, row: Operation | UnreadableItem, now: dt.datetime) -> OperationView:
        """A row of a list, readable or not."""
        if isinstance(row, UnreadableItem):
            return cls.unreadable(row)
        return cls.of(row, now)

    @classmethod
    def unreadable(cls, row: UnreadableItem) -> OperationView:
        return cls(
            id=row.op_id,
            type=humanize.MISSING,
            step=humanize.MISSING,
            emoji=":warning:",
            domain=None,
            label=humanize.MISSING,
            age=humanize.MISSING,
            errortype=None,
            can_cancel=False,
            can_relaunch=False,
            problem=row.reason,
        )

    @classmethod
    def of(cls, operation: Operation, now: dt.datetime) -> OperationView:
        return cls(
            id=operation.id,
            type=operation.type or humanize.MISSING,
            step=operation.step or humanize.MISSING,
            emoji=humanize.step_emoji(operation.step),
            domain=operation.domain,
            label=operation.domain or humanize.MISSING,
            age=humanize.age(operation.date_created, now),
            errortype=operation.errortype,
            can_cancel=operation.can_cancel,
            can_relaunch=operation.can_relaunch,
        )


@dataclass(frozen=True)
class AnnouncedView:
    """An action on an operation as its announcement says it: a relaunch (who,
    and the fields they changed) or a cancel (who), and who approved it."""

    # "relaunch" or "cancel" (opsbot.store.guardrails' actions).
    action: str
    user_id: str | None
    changed: tuple[str, ...]
    more_changed: int
    # Validated user id of who approved it, or None (no approval, or not an id).
    approved_by: str | None = None

    @classmethod
    def of(
        cls, action: str, user_id: str, changed: Sequence[str] = (), approved_by: str = ""
    ) -> AnnouncedView:
        """``changed``: field names only (a value can be a secret)."""
        return cls(
            action=action,
            user_id=humanize.slack_user_id(user_id),
            changed=tuple(changed[:CHANGED_NAMES_SHOWN]),
            more_changed=max(len(changed) - CHANGED_NAMES_SHOWN, 0),
            approved_by=humanize.slack_user_id(approved_by) if approved_by else None,
        )

    @classmethod
    def of_card(cls, announced: Announced | None) -> AnnouncedView | None:
        if announced is None:
            return None
        return cls.of(announced.action, announced.by, announced.changed, announced.approved_by)


@dataclass(frozen=True)
class WatchView:
    """A watched operation in the words a card or a list row shows."""

    id: int
    type: str
    label: str
    step: str
    emoji: str
    since: str | None
    eta: str | None
    expires: str
    is_final: bool
    watchers: tuple[str, ...]
    more_watchers: int
    # The channel's card's broadcast preference ("" without a channel).
    broadcast: str = ""
    # The channel's card announces an action (a relaunch, a cancel), which it keeps saying.
    announced: AnnouncedView | None = None

    @classmethod
    def of(cls, watch: Watch, now: dt.datetime, *, channel: str | None = None) -> WatchView:
        """``channel`` picks whose watchers are named; without it, everyone's."""
        watchers = watchers_of(watch, channel)
        card = watch.card(channel) if channel is not None else None
        return cls(
            id=watch.op_id,
            type=watch.type or humanize.MISSING,
            label=watch.label,
            step=watch.step or humanize.MISSING,
            emoji=humanize.step_emoji(watch.step),
            since=humanize.age(watch.step_at, now) if watch.step_at else None,
            eta=humanize.eta(watch.eta) if watch.eta is not None else None,
            expires=humanize.timestamp(watch.expires_at),
            is_final=is_final(watch.step),
            watchers=watchers[:WATCHERS_SHOWN],
            more_watchers=max(len(watchers) - WATCHERS_SHOWN, 0),
            broadcast=(card.broadcast or "always") if card is not None else "",
            announced=AnnouncedView.of_card(card.announced) if card is not None else None,
        )


def watchers_of(watch: Watch, channel: str | None) -> tuple[str, ...]:
    """Validated user ids (safe inside ``<@…>``) of one channel's card, or of every card."""
    cards = [card for card in watch.cards if channel is None or card.channel == channel]
    users = (humanize.slack_user_id(user) for card in cards for user in card.watchers)
    return tuple(dict.fromkeys(user for user in users if user))


WatchResult = Literal["started", "joined", "final", "not_found", "not_posted", "limit"]


@dataclass(frozen=True)
class WatchOutcome:
    """What ``/ops watch`` did with one id: ``detail`` is the final step, or why not posted.

    For a "limit" outcome, ``watched`` is how many operations the team
    watches and ``limit`` the most it may (``OPSBOT_MAX_WATCHES``).
    """

    op_id: int
    result: WatchResult
    detail: str = ""
    watched: int = 0
    limit: int = 0

    @property
    def emoji(self) -> str:
        """The final step's emoji (for a "final" outcome)."""
        return humanize.step_emoji(self.detail)


@dataclass(frozen=True)
class SubscriptionView:
    """A subscription in the words ``/ops subscriptions`` shows."""

    number: int
    filters: str
    created_by: str | None
    created: str
    last_seen: str

    @classmethod
    def of(cls, subscription: Subscription, now: dt.datetime) -> SubscriptionView:
        return cls(
            number=subscription.number,
            filters=filters_text(subscription.filters),
            created_by=humanize.slack_user_id(subscription.created_by),
            created=humanize.when(subscription.created_at, now),
            last_seen=humanize.when(subscription.last_seen, now),
        )
