"""Every number the local workspace enforces, as small typed settings.

The defaults are Slack's documented numbers; where Slack's pages are vague,
the stricter reading is taken, so an app that passes here is not refused by a
real workspace (the rule the issue sets). Tests shrink or stretch them to
make a rule fast and exact to show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True)
class Burst:
    """A token bucket: ``per_second`` on average, ``burst`` at once."""

    per_second: float
    burst: int


@dataclass(frozen=True)
class Window:
    """At most ``calls`` in any ``seconds`` (a sliding window)."""

    calls: int
    seconds: float = 60.0


# https://docs.slack.dev/apis/web-api/rate-limits ("Tier 1 1+ per minute ...
# Tier 4 100+ per minute"). "N+" is read as "N": the floor Slack promises.
TIER_1: Final = Window(1)
TIER_2: Final = Window(20)
TIER_3: Final = Window(50)
TIER_4: Final = Window(100)

# Each method's tier, from its reference page (docs.slack.dev/reference/methods/…).
# views.* pages say Tier 4; the design asks for Tier 3, the stricter of the two,
# so a workspace enforcing either never refuses what passes here.
METHOD_TIERS: Final[Mapping[str, Window]] = MappingProxyType(
    {
        "auth.test": TIER_4,
        "chat.update": TIER_3,
        "chat.delete": TIER_3,
        "chat.postEphemeral": TIER_4,
        "views.open": TIER_3,
        "views.update": TIER_3,
        "views.push": TIER_3,
        "views.publish": TIER_3,
        "users.info": TIER_4,
        "usergroups.list": TIER_2,
        "usergroups.users.list": TIER_2,
        "conversations.info": TIER_3,
        "conversations.open": TIER_3,
        "users.conversations": TIER_3,
        "oauth.v2.access": TIER_4,
        "apps.uninstall": TIER_4,
        "apps.connections.open": TIER_1,
    }
)


@dataclass(frozen=True)
class Rates:
    """How fast each method may be called before Slack answers HTTP 429.

    chat.postMessage is Slack's "special tier": "generally allows posting one
    message per second per channel, while also maintaining a workspace-wide
    limit"; "Short bursts >1 allowed. If you attempt bursts, there is no
    guarantee" (docs.slack.dev/apis/web-api/rate-limits). A burst of 2 is the
    smallest burst ">1". The workspace-wide number is not published; several
    hundred a minute is what Slack is known to allow, 300 is the low end.
    """

    post_per_channel: Burst = Burst(per_second=1.0, burst=2)
    post_per_team: Window = Window(calls=300)
    tiers: Mapping[str, Window] = field(default_factory=lambda: METHOD_TIERS)
    enabled: bool = True


@dataclass(frozen=True)
class Limits:
    """Time and count limits that are not rates."""

    # docs.slack.dev/interactivity/handling-user-interaction: ack within 3 s.
    ack_seconds: float = 3.0
    # docs.slack.dev/surfaces/modals: a trigger_id expires 3 seconds after it
    # is issued and can be exchanged once (views.open: expired_trigger_id,
    # exchanged_trigger_id).
    trigger_seconds: float = 3.0
    # response_url: "up to 5 times within 30 minutes".
    response_url_uses: int = 5
    response_url_seconds: float = 30 * 60
    # views.push: "After a modal is opened, the app is limited to pushing 2
    # additional views": a stack of 3.
    view_stack: int = 3
    # chat.update's msg_too_long: "The text field cannot exceed 4,000
    # characters." chat.postMessage only truncates past 40,000; the stricter
    # number is enforced on every message method.
    message_text: int = 4000
    # msg_blocks_too_long has no published threshold; it has been seen around
    # 12,000-13,000 characters of block text (slack-rules.md): the low end.
    message_blocks_text: int = 12_000


@dataclass(frozen=True)
class WorkspaceSettings:
    rates: Rates = field(default_factory=Rates)
    limits: Limits = field(default_factory=Limits)
