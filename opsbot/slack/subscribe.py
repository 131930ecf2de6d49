"""Following a kind of operation: ``/ops subscribe``, ``subscriptions`` and ``unsubscribe``.

A subscription belongs to a channel; the watcher looks for its new
operations and gives each a card and a thread there. This module only adds,
lists and removes subscriptions, and answers privately.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from opsbot.clock import utc_now
from opsbot.slack.grammar import Command, CommandError
from opsbot.slack.interaction import Interaction
from opsbot.store.subscriptions import SubscriptionLimitReached
from opsbot.ui.watching import (
    subscribed_message,
    subscription_limit_message,
    subscriptions_message,
    unsubscribe_message,
)

# Options the watcher sets itself when it looks for a subscription's new
# operations, or that cannot match a new one: refused, with the reason.
_NOT_FOR_SUBSCRIPTIONS: Final[Mapping[str, str]] = {
    "id": "new operations have ids nobody knows yet; `/ops watch ID` follows known ones",
    ">date_created": "a subscription always looks from the last time it looked",
    "sort_by": "new operations are always taken oldest first",
    "page": "a subscription sees every new operation, not a page of them",
    "items_per_page": "a subscription sees every new operation, not a page of them",
}


async def subscribe_command(asked: Interaction, command: Command) -> None:
    _refuse_what_the_watcher_sets(command.filters)
    # Asked only now, so a refused filter is said first.
    if await asked.team_key_or_ask() is None:
        return
    now = utc_now()
    try:
        subscription = await asked.services.subscriptions.add(
            asked.team_id,
            channel=asked.channel,
            filters=command.filters,
            created_by=asked.user_id,
            now=now,
            broadcast=command.broadcast,
            only=command.only,
        )
    except SubscriptionLimitReached as limit:
        await asked.tell(subscription_limit_message(limit.count, limit.limit))
        return
    # The watcher only visits teams on the schedule: put this one there now.
    await asked.services.schedule.wake(asked.team_id, now.timestamp())
    await asked.tell(subscribed_message(subscription))


def _refuse_what_the_watcher_sets(filters: Mapping[str, Any]) -> None:
    for name, why in _NOT_FOR_SUBSCRIPTIONS.items():
        if name in filters:
            raise CommandError(f"`{name}` cannot be used in a subscription: {why}.")


async def subscriptions_command(asked: Interaction, _command: Command) -> None:
    subscriptions = await asked.services.subscriptions.list(asked.team_id, asked.channel)
    await asked.tell(subscriptions_message(subscriptions, now=utc_now()))


async def unsubscribe_command(asked: Interaction, command: Command) -> None:
    number = command.subscription
    assert number is not None  # the grammar requires it
    # Numbers are per team: only this channel's own subscriptions can be ended here.
    own = await asked.services.subscriptions.list(asked.team_id, asked.channel)
    removed = False
    if any(subscription.number == number for subscription in own):
        removed = await asked.services.subscriptions.remove(asked.team_id, number)
    await asked.tell(unsubscribe_message(number, removed=removed))
