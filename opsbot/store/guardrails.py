"""Each team's guardrails: who may cancel, who may relaunch, where, and with whose approval.

The rules as values, with their JSON form; :mod:`opsbot.store.guardrail_store`
keeps them in Redis (this module does no I/O, so ``ui`` may build and read
them). The default value is the behaviour before guardrails existed:
everyone may act everywhere, with nobody's approval. Every id is checked to
be a Slack id when read from JSON, so a damaged document can grant nothing
it does not name plainly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from opsbot.slack_id import is_slack_id

# The actions guardrails apply to; they are also the audit stream's action names.
CANCEL: Final = "cancel"
RELAUNCH: Final = "relaunch"
ACTIONS: Final = (CANCEL, RELAUNCH)

DEFAULT_APPROVAL_MINUTES: Final = 30
MAX_APPROVAL_MINUTES: Final = 24 * 60


@dataclass(frozen=True)
class WhoMay:
    """Who may take one action: everyone, or only these user groups and people."""

    everyone: bool = True
    groups: tuple[str, ...] = ()
    people: tuple[str, ...] = ()

    @classmethod
    def only(cls, *, groups: Iterable[str] = (), people: Iterable[str] = ()) -> WhoMay:
        return cls(False, _ids(groups), _ids(people))

    def as_json(self) -> dict[str, Any]:
        return {"everyone": self.everyone, "groups": list(self.groups), "people": list(self.people)}

    @classmethod
    def from_json(cls, data: Any) -> WhoMay:
        if not isinstance(data, Mapping) or data.get("everyone", True) is not False:
            return cls()
        return cls.only(groups=data.get("groups") or (), people=data.get("people") or ())


@dataclass(frozen=True)
class Guardrails:
    """A team's rules; the default value is "everyone, everywhere, no approval"."""

    who_may: Mapping[str, WhoMay] = field(default_factory=dict)
    # Channels where operations may be looked at and watched, not acted on.
    read_only_channels: frozenset[str] = frozenset()
    # Actions that need a second person's approval before they run.
    approvals: frozenset[str] = frozenset()
    approval_minutes: int = DEFAULT_APPROVAL_MINUTES

    def who_may_do(self, action: str) -> WhoMay:
        return self.who_may.get(action, WhoMay())

    def with_who_may(self, action: str, rule: WhoMay) -> Guardrails:
        return replace(self, who_may={**self.who_may, action: rule})

    def needs_approval(self, action: str) -> bool:
        return action in self.approvals

    def as_json(self) -> dict[str, Any]:
        return {
            "who_may": {action: self.who_may_do(action).as_json() for action in ACTIONS},
            "read_only_channels": sorted(self.read_only_channels),
            "approvals": sorted(self.approvals),
            "approval_minutes": self.approval_minutes,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Guardrails:
        rules = data.get("who_may")
        rules = rules if isinstance(rules, Mapping) else {}
        return cls(
            who_may={action: WhoMay.from_json(rules.get(action)) for action in ACTIONS},
            read_only_channels=frozenset(_ids(data.get("read_only_channels") or ())),
            approvals=frozenset(a for a in data.get("approvals") or () if a in ACTIONS),
            approval_minutes=_minutes(data.get("approval_minutes")),
        )


def _ids(values: Iterable[Any]) -> tuple[str, ...]:
    """The Slack ids among ``values``, in order, each once."""
    return tuple(dict.fromkeys(v for v in values if is_slack_id(v)))


def _minutes(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return min(value, MAX_APPROVAL_MINUTES)
    return DEFAULT_APPROVAL_MINUTES
