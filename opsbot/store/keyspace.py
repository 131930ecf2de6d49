"""Every Redis key opsbot uses, built here and only here.

All keys start with ``opsbot:`` and carry a hash tag in braces. Everything
that belongs to one Slack team is tagged with that team's id
(``opsbot:{T0123}:…``), so it lives in one Redis Cluster slot and a Lua
script or MULTI over several of the team's keys is legal on a cluster. The
rule every script follows: it touches the keys of one tag only.

Some tags are not a team:

- ``{schedule}``: the watcher's schedule (a sorted set of teams, with their
  leases and wake-ups) spans all teams, so it cannot be tagged by any one of
  them. Scripts over it touch only ``{schedule}`` keys; a team's own keys are
  then read separately.
- ``{oauth}``: an OAuth state is issued before Slack tells us which team is
  installing, so no team tag is known yet.
- ``{approvals}``: the approval requests of every team waiting to expire,
  swept by any worker; like the schedule, no script touches it together
  with a team's keys.
- ``{health}``: the key the health check deletes (it never exists) to learn
  that Redis takes writes.

For an org-wide (Enterprise Grid) installation Slack gives no team id; its
keys are tagged with the enterprise id (``E…``) instead, which is what
"team id" means below for such an installation.

Ids are checked before they go into a key: Slack ids are upper-case letters
and digits, so a hostile id cannot inject ``}`` or ``:`` and reach another
team's slot or key.
"""

from __future__ import annotations

import re
from typing import Final

from opsbot.slack_id import is_slack_id

PREFIX: Final = "opsbot:"

_OAUTH_STATE = re.compile(r"[A-Za-z0-9_-]{1,128}")
_NO_ENTERPRISE: Final = "none"


def check_slack_id(value: str, what: str = "team id") -> str:
    """Return ``value`` if it looks like a Slack id (``T0123``), else raise ValueError."""
    if not is_slack_id(value):
        raise ValueError(f"{what} must be upper-case letters and digits, like T0123ABCD")
    return value


def team_tag(team_id: str) -> str:
    """``opsbot:{T0123}``: the prefix of every key of that team."""
    return f"{PREFIX}{{{check_slack_id(team_id)}}}"


def team_pattern(team_id: str) -> str:
    """A SCAN pattern matching every key of that team (ids hold no glob characters)."""
    return f"{team_tag(team_id)}:*"


def team_of(key: str) -> str | None:
    """The team id in a team key's hash tag, or None for keys of another tag."""
    if not key.startswith(PREFIX + "{"):
        return None
    tag, _, _ = key[len(PREFIX) + 1 :].partition("}")
    return tag if is_slack_id(tag) else None


# Per-team API key: one hash {record, set_by, set_at, fingerprint}.


def api_key(team_id: str) -> str:
    return f"{team_tag(team_id)}:apikey"


# Slack installations, laid out like slack_sdk's file store: the latest bot,
# the latest installation, and the latest installation of each installing
# user. The enterprise id is part of the key so that a lookup with another
# enterprise finds nothing, as in slack_sdk's own stores.


def _installation_prefix(team_id: str, enterprise_id: str | None) -> str:
    enterprise = (
        _NO_ENTERPRISE if enterprise_id is None else check_slack_id(enterprise_id, "enterprise id")
    )
    return f"{team_tag(team_id)}:install:{enterprise}"


def bot(team_id: str, enterprise_id: str | None = None) -> str:
    return f"{_installation_prefix(team_id, enterprise_id)}:bot"


def installation(team_id: str, enterprise_id: str | None = None) -> str:
    """The latest installation of the workspace (or org)."""
    return f"{_installation_prefix(team_id, enterprise_id)}:installer"


def user_installation(team_id: str, user_id: str, enterprise_id: str | None = None) -> str:
    """The latest installation by one user."""
    user = check_slack_id(user_id, "user id")
    return f"{_installation_prefix(team_id, enterprise_id)}:installer:{user}"


def user_installations_pattern(team_id: str, enterprise_id: str | None = None) -> str:
    return f"{_installation_prefix(team_id, enterprise_id)}:installer:*"


def team_enterprise(team_id: str) -> str:
    """The Enterprise Grid org a team's installation was stored under (absent: none)."""
    return f"{team_tag(team_id)}:enterprise"


def is_installation_record(key: str) -> bool:
    """True for the keys :func:`bot`, :func:`installation` and :func:`user_installation` build."""
    parts = key.split(":")
    return (
        team_of(key) is not None
        and len(parts) >= 5
        and parts[2] == "install"
        and (parts[4:] == ["bot"] or parts[4] == "installer")
    )


def is_api_key(key: str) -> bool:
    team = team_of(key)
    return team is not None and key == api_key(team)


# Audit and short locks.


def audit(team_id: str) -> str:
    """A capped stream of who did what (cancel, relaunch, key changes)."""
    return f"{team_tag(team_id)}:audit"


def audit_channel(team_id: str) -> str:
    """The channel id ``/ops audit #channel`` chose for the team's audit lines; absent: none."""
    return f"{team_tag(team_id)}:audit:channel"


def action_lock(team_id: str, op_id: int) -> str:
    """Held for a few seconds while one cancel/relaunch of an operation runs."""
    return f"{team_tag(team_id)}:lock:action:{_operation_id(op_id)}"


# Guardrails: who may act, where, and with whose approval.


def guardrails(team_id: str) -> str:
    """JSON: the team's rules from ``/ops config``; absent means everyone, everywhere."""
    return f"{team_tag(team_id)}:guardrails"


def group_members(team_id: str, group_id: str) -> str:
    """JSON list of a user group's members, kept a minute (Slack asks them at Tier 2)."""
    group = check_slack_id(group_id, "user group id")
    return f"{team_tag(team_id)}:usergroup:{group}:members"


# Approval requests (a second pair of eyes). An approval id is 16 hex digits
# we issued; checked like any id before it goes into a key.

_APPROVAL_ID = re.compile(r"[0-9a-f]{16}")
_ACTION = re.compile(r"[a-z]{1,32}")


def check_approval_id(value: str) -> str:
    if not isinstance(value, str) or not _APPROVAL_ID.fullmatch(value):
        raise ValueError("approval id must be 16 hex digits")
    return value


def approval(team_id: str, approval_id: str) -> str:
    """Hash: one request waiting for (or given) a second person's approval."""
    return f"{team_tag(team_id)}:approval:{check_approval_id(approval_id)}"


def is_approval(key: str) -> bool:
    """True for the keys :func:`approval` builds (a request, holding encrypted parameters)."""
    parts = key.split(":")
    return (
        team_of(key) is not None
        and len(parts) == 4
        and parts[2] == "approval"
        and _APPROVAL_ID.fullmatch(parts[3]) is not None
    )


def approval_pending(team_id: str, action: str, op_id: int) -> str:
    """The id of the pending request for ``action`` on an operation: one at a time."""
    if not _ACTION.fullmatch(action):
        raise ValueError("action must be lower-case letters")
    return f"{team_tag(team_id)}:approval:pending:{action}:{_operation_id(op_id)}"


def approvals_due() -> str:
    """Sorted set of every team's pending requests ("T…:id") by expiry, for the sweep.

    It spans teams, so it has its own tag, like the schedule's keys."""
    return f"{PREFIX}{{approvals}}:due"


# The watcher's keys (watches, outbox, subscriptions, pauses, pacing, schedule).
# Operation ids are integers and channel ids Slack ids, both checked, so no
# id can carry a ``:`` or ``}`` into a key.


def watches(team_id: str) -> str:
    """Sorted set: each watched operation still polled, by its next poll due (epoch s)."""
    return f"{team_tag(team_id)}:watches"


def watch_expiries(team_id: str) -> str:
    """Sorted set: every stored watch (polled or awaiting its final posts), by its expiry."""
    return f"{team_tag(team_id)}:expiries"


def watch(team_id: str, op_id: int) -> str:
    """Hash: one watched operation (type, label, last seen step, dates, eta)."""
    return f"{team_tag(team_id)}:watch:{_operation_id(op_id)}"


def cards(team_id: str, op_id: int) -> str:
    """Hash: channel id → the JSON card posted there for one watched operation."""
    return f"{team_tag(team_id)}:cards:{_operation_id(op_id)}"


def outbox(team_id: str) -> str:
    """Stream: posts recorded with a step change and not yet delivered to Slack."""
    return f"{team_tag(team_id)}:outbox"


def subscriptions(team_id: str) -> str:
    """Hash: subscription number → JSON (channel, filters, creator, dates)."""
    return f"{team_tag(team_id)}:subscriptions"


def subscriptions_counter(team_id: str) -> str:
    """The last subscription number handed out."""
    return f"{team_tag(team_id)}:subscriptions:next"


def paused(team_id: str) -> str:
    """Why the team's watches are paused; absent while they run."""
    return f"{team_tag(team_id)}:paused"


def channel_bucket(team_id: str, channel_id: str) -> str:
    """Hash: the token bucket of posts to that channel (tokens, updated, paused_until)."""
    channel = check_slack_id(channel_id, "channel id")
    return f"{team_tag(team_id)}:channel:{channel}:bucket"


def edit_bucket(team_id: str) -> str:
    """Hash: the token bucket of the team's ``chat.update`` calls (Tier 3)."""
    return f"{team_tag(team_id)}:edits:bucket"


def burst(team_id: str, channel_id: str) -> str:
    """Hash: burst mode's summary of that channel (its message, and what it tells)."""
    channel = check_slack_id(channel_id, "channel id")
    return f"{team_tag(team_id)}:channel:{channel}:burst"


def mutes(team_id: str) -> str:
    """Sorted set: each muted channel of the team, by when its mute ends (epoch s)."""
    return f"{team_tag(team_id)}:mutes"


def mute(team_id: str, channel_id: str) -> str:
    """Hash: one channel's mute (until, by, since) and the outcomes it kept quiet."""
    channel = check_slack_id(channel_id, "channel id")
    return f"{team_tag(team_id)}:channel:{channel}:mute"


def card_edits(team_id: str) -> str:
    """Hash: ``op:channel`` → the JSON of the newest card edit not yet made."""
    return f"{team_tag(team_id)}:edits:cards"


def card_edits_queue(team_id: str) -> str:
    """Sorted set: the ``op:channel`` of each waiting card edit, by when it was first queued."""
    return f"{team_tag(team_id)}:edits:queue"


def home_refreshes(team_id: str) -> str:
    """Sorted set: people whose Home tab shows a watch that changed step, by when it changed."""
    return f"{team_tag(team_id)}:home:refresh"


def home_viewers(team_id: str) -> str:
    """Sorted set: people who opened the app's Home tab, by when they last did."""
    return f"{team_tag(team_id)}:home:viewers"


def home_published(team_id: str, user_id: str) -> str:
    """Set for a few seconds after a person's Home tab is published: the debounce."""
    user = check_slack_id(user_id, "user id")
    return f"{team_tag(team_id)}:home:published:{user}"


def schedule() -> str:
    """One sorted set of teams by next due time, shared by every team (see module doc)."""
    return f"{PREFIX}{{schedule}}:teams"


def schedule_leases() -> str:
    """Hash: team id → the token of the worker holding that team's lease."""
    return f"{PREFIX}{{schedule}}:leases"


def schedule_wakes() -> str:
    """Hash: team id → the earliest wake-up asked while the team was leased."""
    return f"{PREFIX}{{schedule}}:wakes"


def health_probe() -> str:
    """Never written: ``GET /healthz`` deletes it, a write a replica refuses."""
    return f"{PREFIX}{{health}}:probe"


# OAuth state (see module doc for why it has no team tag).


def oauth_state(state: str) -> str:
    """Raise ValueError for a state we could not have issued (it comes from a URL)."""
    if not isinstance(state, str) or not _OAUTH_STATE.fullmatch(state):
        raise ValueError("OAuth state must be 1 to 128 url-safe characters")
    return f"{PREFIX}{{oauth}}:state:{state}"


def _operation_id(op_id: int) -> int:
    if isinstance(op_id, bool) or not isinstance(op_id, int) or op_id < 0:
        raise ValueError("operation id must be a non-negative integer")
    return op_id
