"""The Home tab, checked as Slack would: limits, the workspace's block rules, escaping."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from opsbot.slack.commands import help_sections
from opsbot.store.subscriptions import Subscription
from opsbot.store.watches import Card, Watch
from opsbot.ui import ids
from opsbot.ui.home import (
    FAILED_SHOWN,
    WATCHES_SHOWN,
    FailedOperations,
    HomeContent,
    home_view,
)
from opsbot.ui.limits import HOME_BLOCKS
from tests.support.surfaces import HOSTILE, NOW, all_text, assert_home_ok, sample_operation

ME = "U0ME"
OTHER = "U0OTHER"
CHANNEL = "C0OPS"


@dataclasses.dataclass(frozen=True)
class _Key:
    set_by: str = OTHER
    set_at: dt.datetime = NOW
    fingerprint: str = "a1b2c3d4"
    readable: bool = True


def _watch(op_id: int, *cards: Card, label: str = "example.com") -> Watch:
    return Watch(
        team_id="T0123",
        op_id=op_id,
        type="domain_renew",
        label=label,
        step="RUN",
        step_at=NOW - dt.timedelta(minutes=5),
        created_at=NOW,
        expires_at=NOW + dt.timedelta(days=7),
        eta=60,
        cards=cards or (Card(CHANNEL, "1.1", (ME,), ME),),
    )


def _content(**changes: Any) -> HomeContent:
    content = HomeContent(
        user_id=ME,
        watches=[_watch(1)],
        failed=FailedOperations(count=3, newest=[sample_operation(7)]),
        subscriptions=[Subscription(1, CHANNEL, {"type": "domain_create"}, OTHER, NOW, NOW)],
        key=_Key(),
        grammar=help_sections(),
    )
    return dataclasses.replace(content, **changes)


def _ok(view: dict[str, Any]) -> None:
    assert_home_ok(view, may_mention=[ME, OTHER], may_link=[CHANNEL])


def test_every_part_is_shown_and_slack_would_take_it() -> None:
    view = home_view(_content(), now=NOW)

    _ok(view)
    text = all_text(view)
    assert "*#1* `domain_renew` example.com\n*RUN* since 5 min ago · ETA in 1 min" in text
    assert f"in <#{CHANNEL}>" in text
    assert "*:x: Operations in ERROR*: 3 · the 1 newest" in text
    assert "*1.* <#C0OPS> · `type=domain_create` · by <@U0OTHER>" in text
    assert "fingerprint `a1b2c3d4`" in text
    assert "`/ops list [filters]`" in text


def test_the_grammar_is_the_table_of_sub_commands() -> None:
    text = all_text(home_view(_content(), now=NOW))

    for title, lines in help_sections():
        assert f"*{title}*" in text
        for form, _meaning in lines:
            assert f"`{form}`" in text


def test_failed_operations_have_info_and_relaunch_only_where_allowed() -> None:
    relaunchable = sample_operation(7, type="domain_create")
    not_relaunchable = sample_operation(8, type="hosting_vm_create")
    failed = FailedOperations(count=2, newest=[relaunchable, not_relaunchable])

    allowed = home_view(_content(failed=failed), now=NOW)
    refused = home_view(_content(failed=failed, may_relaunch=False), now=NOW)

    assert _buttons(allowed) == [
        [(ids.ACTION_HOME_INFO, "7"), (ids.ACTION_HOME_RELAUNCH, "7")],
        [(ids.ACTION_HOME_INFO, "8")],
    ]
    assert _buttons(refused) == [[(ids.ACTION_HOME_INFO, "7")], [(ids.ACTION_HOME_INFO, "8")]]


def test_hostile_text_from_the_api_and_people_pings_nobody() -> None:
    hostile_card = Card(CHANNEL, "1.1", (ME, HOSTILE), ME)
    content = _content(
        watches=[_watch(1, hostile_card, label=HOSTILE)],
        failed=FailedOperations(problem=HOSTILE),
        subscriptions=[Subscription(1, HOSTILE, {"type": HOSTILE}, HOSTILE, NOW, NOW)],
        key=_Key(set_by=HOSTILE, fingerprint=HOSTILE),
        paused=HOSTILE,
    )

    _ok(home_view(content, now=NOW))


def test_as_much_as_a_team_can_hold_stays_within_100_blocks() -> None:
    many_watches = [_watch(op_id) for op_id in range(1, 501)]
    many_failed = [sample_operation(op_id, type="domain_create") for op_id in range(1, 60)]
    many_subscriptions = [
        Subscription(n, CHANNEL, {"type": "domain_create"}, OTHER, NOW, NOW) for n in range(1, 21)
    ]
    content = _content(
        watches=many_watches,
        failed=FailedOperations(count=12_000, newest=many_failed),
        subscriptions=many_subscriptions,
        paused="no API key",
    )

    view = home_view(content, now=NOW)

    _ok(view)
    assert len(view["blocks"]) <= HOME_BLOCKS
    text = all_text(view)
    assert f"…and {500 - WATCHES_SHOWN} more" in text
    assert len(_buttons(view)) == FAILED_SHOWN
    assert "…and 5 more." in text


def test_a_watch_in_direct_messages_says_so() -> None:
    in_dm = Card("DU0ME", "2.2", (ME,), ME)
    elsewhere = Card("C0ELSE", "3.3", (OTHER,), OTHER)

    text = all_text(home_view(_content(watches=[_watch(4, in_dm, elsewhere)]), now=NOW))

    assert "in your direct messages" in text
    assert "C0ELSE" not in text


def test_nothing_to_show_says_how_to_start() -> None:
    content = _content(watches=[], failed=FailedOperations(count=0), subscriptions=[], key=None)

    view = home_view(content, now=NOW)

    _ok(view)
    text = all_text(view)
    assert "`/ops watch 123 dm`" in text
    assert ":white_check_mark: None right now." in text
    assert "No API key is set" in text
    assert "None. `/ops subscribe type=domain_create`" in text


def test_an_unreadable_key_is_shown_as_one_to_set_again() -> None:
    text = all_text(home_view(_content(key=_Key(readable=False)), now=NOW))

    assert "*cannot be read any more*" in text
    assert "a1b2c3d4" not in text


def _buttons(view: dict[str, Any]) -> list[list[tuple[str, str]]]:
    return [
        [(element["action_id"], element["value"]) for element in block["elements"]]
        for block in view["blocks"]
        if block["type"] == "actions"
    ]
