"""Every message and modal opsbot shows: one function per surface.

Each function turns API objects into the plain words its template lays out
(``templates/<surface>.j2``) and renders it. What comes back is ready for
Slack: a message is ``{"text": fallback, "blocks": [...]}``, a modal is a view
for views.open / views.update. Escaping and Slack's limits are applied by
:mod:`opsbot.slack.render` and :mod:`opsbot.slack.limits`, never here.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from opsbot.api.catalog import GENERIC_GROUP, RelaunchParameter
from opsbot.api.errors import ApiError
from opsbot.api.filters import describe_options, is_calendar_day
from opsbot.api.operation import (
    CANCELLABLE_STEPS,
    DONE,
    ERROR,
    STEPS,
    Operation,
    can_relaunch,
    is_final,
)
from opsbot.api.secret_params import is_secret_parameter
from opsbot.clock import utc_now
from opsbot.slack import humanize, limits
from opsbot.slack.render import render_message, render_modal

if TYPE_CHECKING:
    from opsbot.store.outbox import Post
    from opsbot.store.subscriptions import Subscription
    from opsbot.store.watches import Watch

# A list row is a section and a row of buttons; a list message keeps one
# block for its heading and one for "continued below" or Previous/Next.
_ROW_BLOCKS: Final = 2
ROWS_PER_MESSAGE: Final = (limits.MESSAGE_BLOCKS - 2) // _ROW_BLOCKS
# The relaunch modal's summary, explanation and "add a field" menu.
_RELAUNCH_FIXED_BLOCKS: Final = 3
MAX_RELAUNCH_INPUTS: Final = limits.MODAL_BLOCKS - _RELAUNCH_FIXED_BLOCKS
PARAMS_SHOWN: Final = 20
INFOS_SHOWN: Final = 10
SUGGESTIONS_SHOWN: Final = 10
CHANGED_NAMES_SHOWN: Final = 30
# A watch card names this many watchers, then "and N more".
WATCHERS_SHOWN: Final = 20
# The final reply mentions every watcher up to this: a mention is ~14
# characters, so they fit in one section beside the rest.
WATCHERS_MENTIONED: Final = 100
# `/ops watches` and `/ops subscriptions`: rows per section, and sections at most.
LIST_ROWS_PER_SECTION: Final = 5
WATCHES_SHOWN: Final = (limits.MESSAGE_BLOCKS - 3) * LIST_ROWS_PER_SECTION
SUBSCRIPTIONS_SHOWN: Final = (limits.MESSAGE_BLOCKS - 3) * LIST_ROWS_PER_SECTION
_HIDDEN_VALUE: Final = "(hidden)"


class KeyStatus(Protocol):
    """What the vault knows about a team's key (never the key itself)."""

    @property
    def set_by(self) -> str: ...
    @property
    def set_at(self) -> dt.datetime: ...
    @property
    def fingerprint(self) -> str: ...


@dataclass(frozen=True)
class OperationView:
    """An operation in the words the templates show."""

    id: int
    type: str
    step: str
    emoji: str
    domain: str | None
    label: str
    age: str
    errortype: str | None
    can_cancel: bool
    can_relaunch: bool

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
class Choice:
    """An option of a select: what Slack sends back, and what a person reads."""

    value: str
    label: str


@dataclass(frozen=True)
class ChoiceGroup:
    label: str
    options: tuple[Choice, ...]


@dataclass(frozen=True)
class RelaunchInput:
    """One input of the relaunch modal; its block_id is ``name``."""

    name: str
    kind: Literal["select", "date", "text"]
    hint: str
    placeholder: str
    options: tuple[Choice, ...] = ()
    initial_option: Choice | None = None
    initial: str | None = None


@dataclass(frozen=True)
class RelaunchMetadata:
    """What the relaunch modal carries in private_metadata, as JSON."""

    operation_id: int
    channel_id: str | None = None
    response_url: str | None = None

    def to_json(self) -> str:
        fields: dict[str, Any] = {"operation_id": self.operation_id}
        if self.channel_id:
            fields["channel_id"] = self.channel_id
        if self.response_url:
            fields["response_url"] = self.response_url
        return json.dumps(fields, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> RelaunchMetadata:
        fields = json.loads(text)
        return cls(
            operation_id=int(fields["operation_id"]),
            channel_id=fields.get("channel_id"),
            response_url=fields.get("response_url"),
        )


@dataclass(frozen=True)
class ListedPage:
    """A page of ``/ops list`` as shown: enough to draw it again.

    ``filters`` are those the person chose, as JSON carries them, without
    ``page``; ``total`` the count shown in its heading; ``ids`` its rows, in
    the order they were shown.
    """

    filters: Mapping[str, Any]
    page: int
    total: int | None
    ids: tuple[int, ...]


CancelSource = Literal["info", "list"]


@dataclass(frozen=True)
class CancelButtonValue:
    """What a Cancel button carries: the operation, and where it was clicked.

    Slack does not send back an ephemeral message with a click on it, so the
    message a Cancel was clicked in can be redrawn only from this value:
    ``{"id": N, "on": "info"}`` on an info card, ``{"id": N, "on": "list",
    "list": {"filters", "page", "total", "ids"}}`` on a list row. A bare id (``"N"``)
    is a Cancel whose message is not redrawn (a cancel report in a channel,
    a list row whose page would not fit in a button).
    """

    op_id: int
    source: CancelSource | None = None
    listed: ListedPage | None = None

    def to_value(self) -> str:
        if self.source is None:
            return str(self.op_id)
        fields: dict[str, Any] = {"id": self.op_id, "on": self.source}
        if self.listed is not None:
            fields["list"] = {
                "filters": self.listed.filters,
                "page": self.listed.page,
                "total": self.listed.total,
                "ids": list(self.listed.ids),
            }
        return json.dumps(fields, separators=(",", ":"))

    @classmethod
    def parse(cls, value: str) -> CancelButtonValue:
        """The value as a button carries it; ValueError when it is not one of ours."""
        try:
            fields = json.loads(value)
            if isinstance(fields, int) and not isinstance(fields, bool):
                return cls(fields)
            op_id = int(fields["id"])
            if fields.get("on") == "info":
                return cls(op_id, "info")
            listed = fields["list"] if fields.get("on") == "list" else None
            if listed is None:
                return cls(op_id)
            page = ListedPage(
                filters=dict(listed["filters"]),
                page=int(listed["page"]),
                total=None if listed["total"] is None else int(listed["total"]),
                ids=tuple(int(row_id) for row_id in listed["ids"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ValueError(f"not a Cancel button value: {value[:100]!r}") from None
        return cls(op_id, "list", page)


# Help, errors and placeholders.


def help_message() -> dict[str, Any]:
    return render_message("help.j2")


def error_message(
    text: str, *, hint: str | None = None, suggestions: Sequence[str] = ()
) -> dict[str, Any]:
    return render_message(
        "error.j2",
        text=_or(text, "Something went wrong."),
        hint=hint,
        suggestions=list(suggestions[:SUGGESTIONS_SHOWN]),
    )


def working_message(what: str) -> dict[str, Any]:
    return render_message("working.j2", what=what)


def notice_message(text: str) -> dict[str, Any]:
    """A short message that is neither an error nor a result."""
    return render_message("notice.j2", text=_or(text, "Done."))


def notice_modal(title: str, text: str) -> dict[str, Any]:
    """A modal that only says something, e.g. while relaunching or when not allowed."""
    return render_modal("notice_modal.j2", title=_or(title, "opsbot"), text=_or(text, "Done."))


def api_error_message(
    error: ApiError,
    *,
    op_id: int | None = None,
    action: Literal["cancel", "relaunch"] | None = None,
    step: str | None = None,
) -> dict[str, Any]:
    """An API failure in plain words; ``action`` and ``step`` make a wrong-step error precise."""
    allowed = {"cancel": _either(CANCELLABLE_STEPS), "relaunch": ERROR}
    return render_message(
        "api_error.j2",
        kind=error.kind.value,
        operation_id=op_id,
        action=action,
        step=step,
        allowed=allowed.get(action) if action else None,
        message=error.message or "no details",
        code=error.code,
    )


# The API key.


def key_required_message() -> dict[str, Any]:
    return render_message("key_required.j2")


def key_modal(*, error: str | None = None) -> dict[str, Any]:
    return render_modal("key_modal.j2", error=error)


def key_status_message(
    status: KeyStatus | None, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    if status is None:
        return render_message("key_status.j2", is_set=False)
    return render_message(
        "key_status.j2",
        is_set=True,
        set_by=humanize.slack_user_id(status.set_by),
        set_at=humanize.when(status.set_at, now or utc_now()),
        fingerprint=status.fingerprint,
    )


# Looking at operations.


def list_message(
    operations: Sequence[Operation],
    *,
    filters: Mapping[str, Any],
    page: int,
    items_per_page: int,
    total: int | None,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """One page of ``/ops list``, split into as many messages as Slack's block limit needs.

    ``page`` is the API's page number (0 is the first).
    """
    chunks, context = _list_layout(
        operations, filters=filters, page=page, items_per_page=items_per_page, total=total, now=now
    )
    return [
        render_message(
            "list.j2", rows=chunk, part=number, cancelled_id=None, cancelled_by=None, **context
        )
        for number, chunk in enumerate(chunks, start=1)
    ]


def list_after_cancel_message(
    operations: Sequence[Operation],
    *,
    cancelled_id: int,
    user_id: str,
    filters: Mapping[str, Any],
    page: int,
    items_per_page: int,
    total: int | None,
    now: dt.datetime,
) -> dict[str, Any] | None:
    """The message of a page that holds ``cancelled_id``, noting who cancelled it.

    It replaces the list message the Cancel was clicked in: the same part of
    the page as :func:`list_message` draws. None when no row is ``cancelled_id``.
    """
    chunks, context = _list_layout(
        operations, filters=filters, page=page, items_per_page=items_per_page, total=total, now=now
    )
    for number, chunk in enumerate(chunks, start=1):
        if any(row.id == cancelled_id for row in chunk):
            return render_message(
                "list.j2",
                rows=chunk,
                part=number,
                cancelled_id=cancelled_id,
                cancelled_by=humanize.slack_user_id(user_id),
                **context,
            )
    return None


def _list_layout(
    operations: Sequence[Operation],
    *,
    filters: Mapping[str, Any],
    page: int,
    items_per_page: int,
    total: int | None,
    now: dt.datetime,
) -> tuple[list[list[OperationView]], dict[str, Any]]:
    """A page's rows cut into messages, and what every message of it shows."""
    rows = [OperationView.of(operation, now) for operation in operations]
    chunks = [
        rows[start : start + ROWS_PER_MESSAGE] for start in range(0, len(rows), ROWS_PER_MESSAGE)
    ]
    previous_value, next_value, too_long = _page_buttons(
        filters, page=page, items_per_page=items_per_page, total=total, shown=len(rows)
    )
    first_number = page * items_per_page + 1
    context = {
        "total": total,
        "first_number": first_number,
        "last_number": first_number + len(rows) - 1,
        "page_number": page + 1,
        "page_count": _page_count(total, items_per_page),
        "filters": humanize.filters_text(_without_page(filters)),
        "previous_value": previous_value,
        "next_value": next_value,
        "paging_too_long": too_long,
        "parts": max(len(chunks), 1),
        "cancel_values": _list_cancel_values(rows, filters, page, total),
    }
    return chunks or [[]], context


def _list_cancel_values(
    rows: Sequence[OperationView], filters: Mapping[str, Any], page: int, total: int | None
) -> dict[int, str]:
    """Each cancellable row's Cancel value: the page, so that a cancel can redraw it."""
    ids = tuple(row.id for row in rows)
    listed = ListedPage(humanize.jsonable(_without_page(filters)), page, total, ids)
    values = {}
    for row in rows:
        if row.can_cancel:
            value = CancelButtonValue(row.id, "list", listed).to_value()
            # Too long for Slack: the cancel still works, the list is just not redrawn.
            values[row.id] = value if _fits_a_button(value) else str(row.id)
    return values


def count_message(count: int, filters: Mapping[str, Any]) -> dict[str, Any]:
    return render_message(
        "count.j2",
        count=f"{count:,}",
        plural=count != 1,
        filters=humanize.filters_text(_without_page(filters)),
    )


def info_message(
    operation: Operation, *, now: dt.datetime, cancelled_by: str | None = None
) -> dict[str, Any]:
    """A card with every field of the API's OperationListReturn.

    ``cancelled_by``: the user who just cancelled it from this card, named on it.
    """
    params = sorted(
        (str(name), _param_text(str(name), value)) for name, value in operation.params.items()
    )
    infos = sorted(
        (str(name), humanize.value_text(value))
        for name, value in operation.infos.items()
        if value not in (None, "", {}, [])
    )
    return render_message(
        "info.j2",
        row=OperationView.of(operation, now),
        facts=_facts(operation, now),
        infos=infos[:INFOS_SHOWN],
        params=params[:PARAMS_SHOWN],
        more_params=max(len(params) - PARAMS_SHOWN, 0),
        last_error=_code_block_safe(operation.last_error) if operation.last_error else None,
        cancelled=cancelled_by is not None,
        cancelled_by=humanize.slack_user_id(cancelled_by),
        cancel_value=CancelButtonValue(operation.id, "info").to_value(),
    )


def _facts(operation: Operation, now: dt.datetime) -> list[tuple[str, str]]:
    view = OperationView.of(operation, now)
    return [
        ("ID", str(operation.id)),
        ("Type", view.type),
        ("Step", f"{view.emoji} {view.step}"),
        ("ETA", humanize.eta(operation.eta)),
        ("Created", humanize.when(operation.date_created, now)),
        ("Started", humanize.when(operation.date_start, now)),
        ("Updated", humanize.when(operation.date_updated, now)),
        ("Error type", operation.errortype or humanize.MISSING),
        ("Session", humanize.value_text(operation.session_id)),
        ("Source", operation.source or humanize.MISSING),
    ]


# Cancelling.


def cancel_confirm_message(
    operation: Operation, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    return render_message(
        "cancel_confirm.j2",
        row=OperationView.of(operation, now or utc_now()),
        cancellable_steps=_either(CANCELLABLE_STEPS),
    )


def cancel_result_message(
    operation: Operation, *, user_id: str, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The message after a cancel: ``operation`` as it is now, and who cancelled it."""
    return render_message(
        "cancel_result.j2",
        row=OperationView.of(operation, now or utc_now()),
        user_id=humanize.slack_user_id(user_id),
    )


# Relaunching.


def relaunch_loading_modal(
    op_id: int, *, channel_id: str | None = None, response_url: str | None = None
) -> dict[str, Any]:
    metadata = RelaunchMetadata(op_id, channel_id, response_url)
    return render_modal("relaunch_loading.j2", operation_id=op_id, metadata=metadata.to_json())


def relaunch_modal(
    operation: Operation,
    fields: Sequence[RelaunchParameter],
    *,
    extra_choices: Sequence[RelaunchParameter],
    channel_id: str | None = None,
    response_url: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The relaunch form: one optional input per field, and a menu to add any of ``extra_choices``.

    Fields beyond what a modal holds move to the menu, so none is lost.
    """
    chosen = _unique(fields)
    shown = chosen[:MAX_RELAUNCH_INPUTS]
    shown_names = {parameter.name for parameter in shown}
    addable = [
        parameter
        for parameter in _unique([*chosen[MAX_RELAUNCH_INPUTS:], *extra_choices])
        if parameter.name not in shown_names
    ]
    add_options, add_groups = _add_field_menu(addable)
    metadata = RelaunchMetadata(operation.id, channel_id, response_url)
    return render_modal(
        "relaunch_modal.j2",
        row=OperationView.of(operation, now or utc_now()),
        metadata=metadata.to_json(),
        last_error=" ".join(operation.last_error.split()) if operation.last_error else None,
        inputs=[
            _relaunch_input(parameter, operation.params.get(parameter.name)) for parameter in shown
        ],
        add_options=add_options,
        add_groups=add_groups,
        not_shown=len(chosen) - len(shown),
    )


def relaunched_message(
    operation_id: int, *, user_id: str, params: Mapping[str, str]
) -> dict[str, Any]:
    """Who relaunched, and which fields changed: names only, since values can be secrets."""
    changed = sorted(name for name, value in params.items() if value not in (None, ""))
    return render_message(
        "relaunched.j2",
        operation_id=operation_id,
        user_id=humanize.slack_user_id(user_id),
        changed=changed[:CHANGED_NAMES_SHOWN],
        more_changed=max(len(changed) - CHANGED_NAMES_SHOWN, 0),
    )


def _relaunch_input(parameter: RelaunchParameter, current: Any) -> RelaunchInput:
    name = parameter.name
    current_text = _prefill_text(current)
    notes = []
    if current_text is not None and is_secret_parameter(name):
        notes.append("A value is set; it is not shown. Type a new one to replace it.")
        current_text = None
    if current_text is not None and len(current_text) > limits.INPUT_INITIAL_VALUE:
        notes.append("The current value is too long to show here.")
        current_text = None
    hint = " · ".join(text for text in (parameter.hint, *notes) if text)
    if parameter.input_kind == "select" and parameter.values:
        select = _select_input(parameter, hint, current_text)
        if select is not None:
            return select
    elif parameter.input_kind == "date" and (current_text is None or is_calendar_day(current_text)):
        return RelaunchInput(name, "date", hint, "YYYY-MM-DD", initial=current_text)
    # The placeholder shows the catalog's hint while the input is empty; the
    # hint line repeats it when a current value hides the placeholder.
    hint_line = hint if current_text is not None or notes else ""
    return RelaunchInput(name, "text", hint_line, parameter.hint, initial=current_text)


def _select_input(
    parameter: RelaunchParameter, hint: str, current: str | None
) -> RelaunchInput | None:
    """A static_select, or None when the current value cannot be one of its options."""
    options = [Choice(value.value, value.label) for value in parameter.values]
    initial = next((option for option in options if option.value == current), None)
    if current is not None and initial is None:
        if limits.slack_length(current) > limits.OPTION_VALUE:
            return None
        initial = Choice(current, f"{current} (current)")
    if initial is not None:
        # First, so that capping the list at Slack's 100 options keeps it.
        options = [initial, *(option for option in options if option != initial)]
    return RelaunchInput(
        parameter.name,
        "select",
        hint,
        "",
        options=tuple(options[: limits.OPTIONS]),
        initial_option=initial,
    )


def _add_field_menu(
    parameters: Sequence[RelaunchParameter],
) -> tuple[list[Choice], list[ChoiceGroup]]:
    """Flat options when they fit in one select, else grouped by registry (most relevant first)."""
    choices = [Choice(parameter.name, parameter.name) for parameter in parameters]
    if len(choices) <= limits.OPTIONS:
        return choices, []
    groups: dict[str, list[Choice]] = {}
    for parameter, choice in zip(parameters, choices, strict=True):
        groups.setdefault(parameter.group, []).append(choice)
    if len(groups) > limits.OPTION_GROUPS:
        return choices[: limits.OPTIONS], []
    return [], [
        ChoiceGroup(_group_label(group), tuple(options[: limits.OPTIONS]))
        for group, options in groups.items()
    ]


def _group_label(group: str) -> str:
    return "Any domain" if group == GENERIC_GROUP else group


# Audit.


def audit_message(
    *, user_id: str, action: str, target: str, outcome: str, at: dt.datetime
) -> dict[str, Any]:
    return render_message(
        "audit.j2",
        user_id=humanize.slack_user_id(user_id),
        action=action,
        target=target,
        outcome=outcome,
        at=humanize.timestamp(at),
    )


# Watching: cards, thread replies, and the lists of watches and subscriptions.


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

    @classmethod
    def of(cls, watch: Watch, now: dt.datetime, *, channel: str | None = None) -> WatchView:
        """``channel`` picks whose watchers are named; without it, everyone's."""
        watchers = _watchers(watch, channel)
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
        )


WatchResult = Literal["started", "joined", "final", "not_found", "not_posted"]


@dataclass(frozen=True)
class WatchOutcome:
    """What ``/ops watch`` did with one id: ``detail`` is the final step, or why not posted."""

    op_id: int
    result: WatchResult
    detail: str = ""

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
            filters=describe_options(subscription.filters),
            created_by=humanize.slack_user_id(subscription.created_by),
            created=humanize.when(subscription.created_at, now),
            last_seen=humanize.when(subscription.last_seen, now),
        )


def watch_card_message(
    watch: Watch, *, now: dt.datetime, channel: str | None = None
) -> dict[str, Any]:
    """The card in a channel: type, label, step, who watches; Unwatch until the final step.

    Give ``channel`` to name that channel's watchers only (a card lives in one channel).
    """
    return render_message("watch_card.j2", row=WatchView.of(watch, now, channel=channel))


def watch_step_reply(post: Post, *, now: dt.datetime) -> dict[str, Any]:
    """A reply in the card's thread: old step → new step, and when."""
    return render_message(
        "watch_step.j2",
        operation_id=post.op_id,
        old=post.old or humanize.MISSING,
        new=post.new or humanize.MISSING,
        emoji=humanize.step_emoji(post.new),
        at=humanize.when(post.at, now),
    )


def watch_final_reply(
    watch: Watch, post: Post, *, operation: Operation | None, now: dt.datetime
) -> dict[str, Any]:
    """The final step, for reply_broadcast: mentions the watchers of ``post``'s channel.

    ``operation`` (as last polled) brings errortype and last_error; the
    Relaunch button shows where the type and step allow it.
    """
    operation_type = operation.type if operation is not None else watch.type
    # A DONE operation may still carry the error of an earlier, relaunched run.
    last_error = operation.last_error if operation is not None and post.new != DONE else None
    errortype = operation.errortype if operation is not None and post.new != DONE else None
    return render_message(
        "watch_final.j2",
        row=WatchView.of(watch, now, channel=post.channel),
        old=post.old or humanize.MISSING,
        step=post.new or humanize.MISSING,
        emoji=humanize.step_emoji(post.new),
        at=humanize.when(post.at, now),
        mentions=_watchers(watch, post.channel)[:WATCHERS_MENTIONED],
        errortype=errortype,
        last_error=_code_block_safe(last_error) if last_error else None,
        can_relaunch=can_relaunch(operation_type, post.new),
    )


def watch_note(text: str) -> dict[str, Any]:
    """A note in a card's thread (paused, expired, no longer visible…)."""
    return render_message("watch_note.j2", text=_or(text, "Note."))


def watch_unwatched_card(watch: Watch, *, user_id: str, now: dt.datetime) -> dict[str, Any]:
    """The card once someone unwatched it here: the last step seen, and a Watch button."""
    return render_message(
        "watch_unwatched.j2",
        row=WatchView.of(watch, now),
        user_id=humanize.slack_user_id(user_id),
    )


def watch_outcomes_message(outcomes: Sequence[WatchOutcome]) -> dict[str, Any]:
    """The private answer to ``/ops watch`` or a Watch click: one line per operation."""
    return render_message("watch_outcomes.j2", outcomes=list(outcomes))


def unwatch_message(op_id: int, *, removed: bool) -> dict[str, Any]:
    if removed:
        return notice_message(f":no_bell: Operation {op_id} is no longer watched in this channel.")
    return error_message(
        f"Operation {op_id} is not watched in this channel.",
        hint="`/ops watches` lists what this channel follows.",
    )


def watches_message(
    watches: Sequence[Watch],
    *,
    now: dt.datetime,
    channel: str | None = None,
    paused: str | None = None,
) -> dict[str, Any]:
    """``/ops watches``: the channel's watches with their current steps.

    ``paused``: why the team's watches are paused, if they are.
    """
    rows = [
        WatchView.of(watch, now, channel=channel)
        for watch in sorted(watches, key=lambda watch: watch.op_id)
    ]
    shown = rows[:WATCHES_SHOWN]
    return render_message(
        "watches.j2",
        total=len(rows),
        sections=_batched(shown, LIST_ROWS_PER_SECTION),
        more=len(rows) - len(shown),
        paused=paused,
    )


def subscribed_message(subscription: Subscription) -> dict[str, Any]:
    """The private answer to ``/ops subscribe``: the subscription's number."""
    return render_message(
        "subscribed.j2",
        number=subscription.number,
        filters=describe_options(subscription.filters),
    )


def subscriptions_message(
    subscriptions: Sequence[Subscription], *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """``/ops subscriptions``: this channel's subscriptions, by number."""
    moment = now or utc_now()
    rows = [
        SubscriptionView.of(subscription, moment)
        for subscription in sorted(subscriptions, key=lambda subscription: subscription.number)
    ]
    shown = rows[:SUBSCRIPTIONS_SHOWN]
    return render_message(
        "subscriptions.j2",
        total=len(rows),
        sections=_batched(shown, LIST_ROWS_PER_SECTION),
        more=len(rows) - len(shown),
    )


def unsubscribe_message(number: int, *, removed: bool) -> dict[str, Any]:
    if removed:
        return notice_message(
            f"Subscription {number} is ended: no more cards for its new operations."
        )
    return error_message(
        f"This channel has no subscription number {number}.",
        hint="`/ops subscriptions` lists this channel's subscriptions with their numbers.",
    )


def _watchers(watch: Watch, channel: str | None) -> tuple[str, ...]:
    """Validated user ids (safe inside ``<@…>``) of one channel's card, or of every card."""
    cards = [card for card in watch.cards if channel is None or card.channel == channel]
    users = (humanize.slack_user_id(user) for card in cards for user in card.watchers)
    return tuple(dict.fromkeys(user for user in users if user))


def _batched(rows: Sequence[Any], size: int) -> list[list[Any]]:
    return [list(rows[start : start + size]) for start in range(0, len(rows), size)]


# Small helpers.


def _or(text: str, default: str) -> str:
    """``text``, or ``default`` when it has nothing visible: Slack refuses blank text."""
    return text if text.strip() else default


def _either(steps: Iterable[str]) -> str:
    """Steps in their natural order, as "BILL, WAIT or ERROR"."""
    ordered = [step for step in STEPS if step in set(steps)]
    return ordered[0] if len(ordered) == 1 else f"{', '.join(ordered[:-1])} or {ordered[-1]}"


def _without_page(filters: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in filters.items() if name != "page"}


def _page_count(total: int | None, items_per_page: int) -> int | None:
    if total is None:
        return None
    return max(1, math.ceil(total / max(items_per_page, 1)))


def _page_buttons(
    filters: Mapping[str, Any], *, page: int, items_per_page: int, total: int | None, shown: int
) -> tuple[str | None, str | None, bool]:
    """The Previous and Next buttons' values (None: no such page), and whether they cannot fit."""
    has_next = (page + 1) * items_per_page < total if total is not None else shown >= items_per_page
    targets = (page - 1 if page > 0 else None, page + 1 if has_next else None)
    base = humanize.jsonable(_without_page(filters))
    values = [
        None
        if target is None
        else json.dumps({"filters": base, "page": target}, separators=(",", ":"))
        for target in targets
    ]
    if any(value is not None and not _fits_a_button(value) for value in values):
        return None, None, True
    return values[0], values[1], False


def _fits_a_button(value: str) -> bool:
    return len(value) <= limits.BUTTON_VALUE


def _param_text(name: str, value: Any) -> str:
    if is_secret_parameter(name) and value not in (None, ""):
        return _HIDDEN_VALUE
    return humanize.value_text(value)


def _code_block_safe(text: str) -> str:
    # A ``` inside the text would close our code block early.
    return text.replace("```", "`\u200b`\u200b`")


def _prefill_text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value)
    return text if text.strip() else None


def _unique(parameters: Iterable[RelaunchParameter]) -> list[RelaunchParameter]:
    seen: set[str] = set()
    unique = []
    for parameter in parameters:
        if parameter.name not in seen:
            seen.add(parameter.name)
            unique.append(parameter)
    return unique
