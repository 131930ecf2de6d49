"""Guardrails as people see them: the ``/ops config`` modal, read back, and refusals.

The modal shows, per action, who may take it (everyone, or the user groups
and people chosen), the read-only channels, which actions need a second
person's approval and for how long a request waits. :func:`read_config`
turns a submitted view back into :class:`~opsbot.store.guardrails.Guardrails`
or the errors Slack shows under the inputs. A :class:`Refusal` says why a
person may not act, naming who may.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

from opsbot.slack_id import is_slack_id
from opsbot.store.guardrails import (
    ACTIONS,
    MAX_APPROVAL_MINUTES,
    Guardrails,
    WhoMay,
)
from opsbot.ui import ids
from opsbot.ui.render import Message, Modal, render_message, render_modal

# Slack's options list holds 100 entries; a workspace with more user groups
# shows the first 100 by handle.
MAX_GROUP_OPTIONS: Final = 100
VERBS: Final = {"cancel": "cancel", "relaunch": "relaunch"}
PAST: Final = {"cancel": "cancelled", "relaunch": "relaunched"}
NOUNS: Final = {"cancel": "cancel", "relaunch": "relaunch"}


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class UserGroup:
    """A user group as ``usergroups.list`` names it."""

    id: str
    handle: str


WHO_OPTIONS: Final = (
    Option(ids.CONFIG_EVERYONE, "Everyone in the workspace"),
    Option(ids.CONFIG_CHOSEN, "Only the groups and people chosen"),
)
APPROVAL_OPTIONS: Final = (
    Option("cancel", "Cancelling an operation"),
    Option("relaunch", "Relaunching an operation"),
)


@dataclass(frozen=True)
class ConfigSection:
    """One action's part of the modal."""

    action: str
    verb: str
    who_options: tuple[Option, ...]
    who_initial: Option
    group_options: tuple[Option, ...]
    groups_initial: tuple[Option, ...]
    people: tuple[str, ...]


def config_loading_modal() -> Modal:
    return render_modal("notice_modal.j2", title="Loading settings", text="Loading the settings…")


def config_modal(
    rules: Guardrails, groups: Sequence[UserGroup], *, groups_note: str | None = None
) -> Modal:
    """The settings as they are; ``groups`` are the workspace's user groups to choose from."""
    group_options = tuple(
        Option(group.id, f"@{group.handle}")
        for group in sorted(groups, key=lambda g: g.handle.lower())[:MAX_GROUP_OPTIONS]
        if is_slack_id(group.id)
    )
    return render_modal(
        "config_modal.j2",
        actions=[_section(rules, action, group_options) for action in ACTIONS],
        groups_note=groups_note,
        read_only=sorted(rules.read_only_channels),
        approval_options=APPROVAL_OPTIONS,
        approvals_initial=[o for o in APPROVAL_OPTIONS if o.value in rules.approvals],
        approval_minutes=rules.approval_minutes,
        max_minutes=MAX_APPROVAL_MINUTES,
    )


def _section(rules: Guardrails, action: str, group_options: tuple[Option, ...]) -> ConfigSection:
    who = rules.who_may_do(action)
    return ConfigSection(
        action=action,
        verb=VERBS[action],
        who_options=WHO_OPTIONS,
        who_initial=WHO_OPTIONS[0] if who.everyone else WHO_OPTIONS[1],
        group_options=group_options,
        # A group that no longer exists cannot be shown as chosen: it is dropped.
        groups_initial=tuple(o for o in group_options if o.value in who.groups),
        people=who.people,
    )


# --- reading it back --------------------------------------------------------------------


def read_config(view: Mapping[str, Any], previous: Guardrails) -> tuple[Guardrails, dict[str, str]]:
    """The rules a submitted config modal holds, and the errors to show under its inputs.

    A modal drawn without user groups (Slack would not list them) keeps the
    ``previous`` rules' groups, rather than dropping them unseen.
    """
    values = (view.get("state") or {}).get("values") or {}
    rules = Guardrails(
        read_only_channels=frozenset(_ids(_value(values, ids.BLOCK_READ_ONLY))),
        approvals=frozenset(
            a for a in _option_values(_value(values, ids.BLOCK_APPROVALS)) if a in ACTIONS
        ),
    )
    errors: dict[str, str] = {}
    for action in ACTIONS:
        who, error = _read_who(values, action, previous.who_may_do(action).groups)
        rules = rules.with_who_may(action, who)
        if error:
            errors[ids.config_block(action, "who")] = error
    minutes, error = _read_minutes(_value(values, ids.BLOCK_APPROVAL_MINUTES))
    if error:
        errors[ids.BLOCK_APPROVAL_MINUTES] = error
    return replace(rules, approval_minutes=minutes or rules.approval_minutes), errors


def _read_who(
    values: Mapping[str, Any], action: str, kept_groups: tuple[str, ...]
) -> tuple[WhoMay, str | None]:
    chosen = _option_values(_value(values, ids.config_block(action, "who")))
    groups_block = ids.config_block(action, "groups")
    groups = (
        _ids(_option_values(_value(values, groups_block)))
        if groups_block in values
        else list(kept_groups)
    )
    people = _ids(_value(values, ids.config_block(action, "people")))
    if ids.CONFIG_CHOSEN not in chosen:
        return WhoMay(), None
    if not groups and not people:
        verb = VERBS[action]
        return WhoMay(), f"Choose at least one user group or person who may {verb}, or Everyone."
    return WhoMay.only(groups=groups, people=people), None


def _read_minutes(value: Any) -> tuple[int, str | None]:
    wrong = f"A whole number of minutes from 1 to {MAX_APPROVAL_MINUTES}."
    try:
        minutes = int(str(value).strip())
    except ValueError:
        return 0, wrong
    if not 1 <= minutes <= MAX_APPROVAL_MINUTES:
        return 0, wrong
    return minutes, None


def _value(values: Mapping[str, Any], block_id: str) -> Any:
    """What the person entered in the block's input, whatever its element's key."""
    entered = (values.get(block_id) or {}).get(ids.ACTION_VALUE) or {}
    for key in _ENTERED_KEYS:
        if key in entered:
            return entered[key]
    return None


_ENTERED_KEYS: Final = (
    "selected_options",
    "selected_option",
    "selected_users",
    "selected_conversations",
    "value",
)


def _option_values(value: Any) -> list[str]:
    options = value if isinstance(value, list) else [value]
    return [str(o.get("value")) for o in options if isinstance(o, dict)]


def _ids(values: Any) -> list[str]:
    return [v for v in values or () if is_slack_id(v)] if isinstance(values, list) else []


def describe_changes(old: Guardrails, new: Guardrails) -> list[str]:
    """Each setting that changed, in words for the audit trail (ids, never names)."""
    changes = []
    for action in ACTIONS:
        if old.who_may_do(action) != new.who_may_do(action):
            changes.append(f"who may {VERBS[action]}: {_who_text(new.who_may_do(action))}")
    if old.read_only_channels != new.read_only_channels:
        changes.append(f"read-only channels: {_list(sorted(new.read_only_channels))}")
    if old.approvals != new.approvals or old.approval_minutes != new.approval_minutes:
        needing = _list(sorted(new.approvals))
        changes.append(f"approval needed for: {needing} ({new.approval_minutes} min)")
    return changes


def _who_text(who: WhoMay) -> str:
    if who.everyone:
        return "everyone"
    return _list([*(f"group {g}" for g in who.groups), *who.people])


def _list(items: Sequence[str]) -> str:
    return ", ".join(items) if items else "none"


def config_saved_modal(changes: Sequence[str]) -> Modal:
    text = "Saved. " + ("; ".join(changes) + "." if changes else "Nothing changed.")
    return render_modal("notice_modal.j2", title="Settings saved", text=text)


# --- refusals ----------------------------------------------------------------------------

RefusalKind = Literal["read_only", "not_listed", "unknown", "requester"]


@dataclass(frozen=True)
class Mention:
    id: str
    group: bool


@dataclass(frozen=True)
class Refusal:
    """Why a person may not take ``action`` here, and who may."""

    kind: RefusalKind
    action: str
    mentions: tuple[Mention, ...] = ()

    @classmethod
    def not_listed(cls, action: str, who: WhoMay) -> Refusal:
        mentions = (
            *(Mention(g, group=True) for g in who.groups if is_slack_id(g)),
            *(Mention(p, group=False) for p in who.people if is_slack_id(p)),
        )
        return cls("not_listed", action, mentions)

    @property
    def verb(self) -> str:
        return VERBS.get(self.action, self.action)

    @property
    def past(self) -> str:
        return PAST.get(self.action, self.action)

    @property
    def noun(self) -> str:
        return NOUNS.get(self.action, self.action)

    def plain(self) -> str:
        """The notification text: no mentions, nothing to escape."""
        if self.kind == "read_only":
            return f"Operations cannot be {self.past} from this channel."
        if self.kind == "unknown":
            return "Slack could not say whether you may; nothing was done."
        if self.kind == "requester":
            return f"Someone else must approve your {self.noun}."
        return f"You may not {self.verb} operations."


def not_allowed_message(refusal: Refusal) -> Message:
    return render_message("not_allowed.j2", refusal=refusal, text=refusal.plain())


def not_allowed_modal(refusal: Refusal) -> Modal:
    return render_modal("not_allowed_modal.j2", refusal=refusal)
