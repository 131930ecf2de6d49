"""A team's subscriptions, answered with one ``operation.list`` a cycle where their filters allow.

Each subscription wants the operations created since it last looked that
match its filters. Asking the API once per subscription costs one call per
subscription per cycle; instead the subscriptions of a team are *grouped*
by the filters only the API can apply (``step``, ``vm.hostname``, the
``*_id`` options…), and each group asks once: from a little before the
oldest ``last_seen`` of its members, sorted by creation. A member's ``type``
is matched here, on the operations returned, so every subscription by type
alone (the usual kind) shares one call, however many there are; when every
member of a group wants the same type, the API filters on it too.

The answer is read page by page (at most :data:`MAX_PAGES` a cycle): a full
page may stop in the middle of a second, so the operations of its last
second are left for the next page, asked from the newest second kept (or,
when a whole page shares one second, the same query's next page). Each
member gets its new operations, those created after its own ``last_seen``
(less the overlap) and not matched already, and its ``last_seen`` moves on
to what the group has seen, matched or not, so that the group's next query
starts from there.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from opsbot.api.client import OperationClient
from opsbot.api.list_reply import ListReply, UnreadableItem
from opsbot.api.operation import Operation
from opsbot.logs import Repeats, log_text
from opsbot.store.subscriptions import SUBSCRIPTION_OVERLAP, Subscription
from opsbot.watcher.reading import BATCH

log = logging.getLogger("opsbot.watcher")

# Pages one group reads in one cycle; what is left waits for the next cycle.
MAX_PAGES: Final = 5
# Filters matched on the operations returned, rather than sent to the API.
_LOCAL: Final = "type"


@dataclass(frozen=True)
class Group:
    """Subscriptions that share one query: the same filters for the API."""

    server_filters: dict[str, Any]
    members: tuple[Subscription, ...]

    def query(self, since: dt.datetime, page: int) -> dict[str, Any]:
        options: dict[str, Any] = {**self.server_filters}
        types = {_wanted_type(member) for member in self.members}
        if len(types) == 1 and None not in types:
            options[_LOCAL] = types.pop()
        options.update({">date_created": since, "sort_by": "date_created"})
        options["items_per_page"] = BATCH
        if page:
            options["page"] = page
        return options

    @property
    def start(self) -> dt.datetime:
        return min(member.last_seen for member in self.members) - SUBSCRIPTION_OVERLAP


@dataclass
class Page:
    """One page of a group's answer: its settled operations, and what was seen up to."""

    settled: list[Operation]
    seen_until: dt.datetime | None
    # The next query: from this date, this page (None: this was the last page).
    next_since: dt.datetime | None = None
    next_page: int = 0
    # Items of the answer that are no operation opsbot can read: skipped.
    unreadable: tuple[UnreadableItem, ...] = ()


def groups_of(subscriptions: Sequence[Subscription]) -> list[Group]:
    """The subscriptions grouped by the filters only the API applies."""
    grouped: dict[str, list[Subscription]] = {}
    filters: dict[str, dict[str, Any]] = {}
    for subscription in subscriptions:
        server = {name: value for name, value in subscription.filters.items() if name != _LOCAL}
        token = json.dumps(server, sort_keys=True, default=str)
        grouped.setdefault(token, []).append(subscription)
        filters[token] = server
    return [Group(filters[token], tuple(members)) for token, members in grouped.items()]


async def read_page(
    api: OperationClient, key: str, group: Group, since: dt.datetime, page: int
) -> Page:
    """One page of the group's answer, from ``since``."""
    reply = await api.list_items(key, group.query(since, page))
    return replace(_paged(reply, since, page), unreadable=reply.unreadable)


def report_unreadable(page: Page, report: Repeats, team_id: str, now: float) -> None:
    """One log line per team and period for the items a page had to skip."""
    for item in page.unreadable:
        report.log(
            logging.WARNING,
            (team_id, "subscription item unreadable"),
            now,
            "team %s: a new operation (id %s) skipped by its subscriptions: %s",
            team_id,
            item.op_id if item.op_id is not None else "unreadable",
            log_text(item.reason),
        )


def new_for(member: Subscription, settled: Sequence[Operation]) -> list[Operation]:
    """The operations of ``settled`` that are new to ``member``, oldest first."""
    since = member.last_seen - SUBSCRIPTION_OVERLAP
    # The API's dates are whole seconds: one of the subscription's own second is new.
    start = member.created_at.replace(microsecond=0)
    wanted = _wanted_type(member)
    return [
        operation
        for operation in settled
        if operation.id not in member.recent_ids
        and (wanted is None or operation.type.lower() == wanted.lower())
        and (operation.date_created is None or operation.date_created >= start)
        and (operation.date_created is None or operation.date_created > since)
    ]


def _paged(reply: ListReply, since: dt.datetime, page: int) -> Page:
    """What a page settles, and where the next one starts.

    A full page may stop in the middle of a second: the operations of that
    last second are left for the next query, which starts from the newest
    second kept. A full page all of one second is taken whole, and the next
    query asks for the same page after it.
    """
    found = sorted(reply.operations, key=_created)
    dated = [operation.date_created for operation in found if operation.date_created]
    if reply.items < BATCH:
        return Page(found, max(dated, default=None))
    last = dated[-1] if dated else None
    earlier = [operation for operation in found if operation.date_created != last]
    if not earlier or last is None:
        return Page(found, last, next_since=since, next_page=page + 1)
    seen_until = max(operation.date_created or since for operation in earlier)
    return Page(earlier, seen_until, next_since=seen_until)


def _created(operation: Operation) -> tuple[bool, dt.datetime, int]:
    date = operation.date_created
    return (date is None, date or dt.datetime.min.replace(tzinfo=dt.UTC), operation.id)


def _wanted_type(subscription: Subscription) -> str | None:
    wanted = subscription.filters.get(_LOCAL)
    return wanted if isinstance(wanted, str) else None
