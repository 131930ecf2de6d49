"""The watch surfaces rendered with hostile and oversized data, validated as Slack would.

Cards, thread replies, notes and the lists of watches and subscriptions must
pass ``tests.support.surfaces.assert_message_ok``: only mentions of the
watchers' validated ids stay live.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsbot.api.operation import FINAL_STEPS, RELAUNCHABLE_TYPES, STEPS, Operation
from opsbot.store.guardrails import CANCEL, RELAUNCH
from opsbot.store.outbox import Post, PostKind
from opsbot.store.subscriptions import Subscription
from opsbot.store.watches import Announced, Card, Watch
from opsbot.ui import ids, limits, views, watching
from opsbot.ui.views import WatchOutcome
from tests.support.surfaces import HOSTILE, NOW, all_text, assert_message_ok, mentions

CHANNEL = "C0HERE"
OTHER_CHANNEL = "C0THERE"
HERE_WATCHERS = ("U0ALICE", "U0BOB")
THERE_WATCHERS = ("U0CAROL",)
# What a hostile store or API could hold where a user id is expected.
BAD_USER_IDS = ("<!channel>", "u0lower", "U1> <!here", "")


def _card(channel: str, watchers: Iterable[str], ts: str = "1700000000.000100") -> Card:
    users = tuple(watchers)
    return Card(channel=channel, ts=ts, watchers=users, started_by=users[0] if users else "")


def _watch(
    op_id: int = 123,
    *,
    type: str = "domain_create",
    label: str = "example.es",
    step: str = "RUN",
    eta: int | None = 300,
    cards: Sequence[Card] | None = None,
) -> Watch:
    return Watch(
        team_id="T0123",
        op_id=op_id,
        type=type,
        label=label,
        step=step,
        step_at=NOW - dt.timedelta(minutes=5),
        created_at=NOW - dt.timedelta(hours=1),
        expires_at=NOW + dt.timedelta(days=7),
        eta=eta,
        cards=tuple(
            cards
            if cards is not None
            else (_card(CHANNEL, HERE_WATCHERS), _card(OTHER_CHANNEL, THERE_WATCHERS))
        ),
    )


def _post(
    op_id: int = 123, *, old: str = "RUN", new: str = "DONE", kind: PostKind = PostKind.FINAL
) -> Post:
    return Post(
        entry_id="1700000000000-0",
        op_id=op_id,
        channel=CHANNEL,
        kind=kind,
        old=old,
        new=new,
        at=NOW - dt.timedelta(seconds=20),
        text="",
    )


def _operation(
    *, type: str = "domain_create", step: str = "ERROR", text: str | None = HOSTILE
) -> Operation:
    return Operation.from_api(
        {"id": 123, "type": type, "step": step, "errortype": text, "last_error": text}
    )


def _subscription(
    number: int, filters: dict[str, Any], created_by: str = "U0ALICE"
) -> Subscription:
    return Subscription(
        number=number,
        channel=CHANNEL,
        filters=filters,
        created_by=created_by,
        created_at=NOW - dt.timedelta(days=2),
        last_seen=NOW - dt.timedelta(minutes=1),
    )


# --- checks -------------------------------------------------------------------------------


def _buttons(message: dict[str, Any]) -> dict[str, str]:
    """{action_id: value} of the message's buttons."""
    return {
        element["action_id"]: element["value"]
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }


# --- the card -------------------------------------------------------------------------------


def test_the_card_shows_type_label_step_and_this_channels_watchers_with_unwatch() -> None:
    message = watching.watch_card_message(_watch(), now=NOW, channel=CHANNEL)

    assert_message_ok(message, may_mention=HERE_WATCHERS)
    text = all_text(message)
    assert message["text"] == "Operation 123 (domain_create example.es): RUN"
    assert "*#123*  `domain_create`  example.es" in text
    assert ":gear: *RUN* since 5 min ago" in text
    assert "ETA in 5 min" in text
    assert "Watched by <@U0ALICE>, <@U0BOB>" in text
    assert "2026-03-08 12:00 UTC" in text  # when the watch expires
    assert mentions(message) == {"<@U0ALICE>", "<@U0BOB>"}
    assert _buttons(message) == {
        ids.ACTION_INFO: "123",
        ids.ACTION_UNWATCH: "123",
        ids.ACTION_BROADCAST: "123",
    }


def test_a_card_without_a_channel_names_every_watcher_once() -> None:
    cards = (_card(CHANNEL, ("U0ALICE", "U0BOB")), _card(OTHER_CHANNEL, ("U0BOB", "U0CAROL")))
    message = watching.watch_card_message(_watch(cards=cards), now=NOW)

    assert_message_ok(message, may_mention=("U0ALICE", "U0BOB", "U0CAROL"))
    assert all_text(message).count("<@U0BOB>") == 1


def test_a_card_never_turns_a_bad_user_id_into_markup_and_caps_the_watchers() -> None:
    many = tuple(f"U{n:04d}" for n in range(views.WATCHERS_SHOWN + 7))
    cards = (_card(CHANNEL, (*BAD_USER_IDS, *many)),)
    message = watching.watch_card_message(_watch(cards=cards), now=NOW, channel=CHANNEL)

    assert_message_ok(message, may_mention=many)
    assert len(mentions(message)) == views.WATCHERS_SHOWN
    assert "and 7 more" in all_text(message)


def test_a_card_of_hostile_data_is_escaped_and_fits() -> None:
    watch = _watch(type=HOSTILE * 20, label=HOSTILE * 200, step=HOSTILE, eta=-(10**9))
    message = watching.watch_card_message(watch, now=NOW, channel=CHANNEL)

    assert_message_ok(message, may_mention=HERE_WATCHERS)
    assert "&lt;!channel&gt;" in all_text(message)


@pytest.mark.parametrize("step", sorted(FINAL_STEPS))
def test_a_card_at_its_final_step_says_it_ended_and_has_no_unwatch(step: str) -> None:
    message = watching.watch_card_message(_watch(step=step), now=NOW, channel=CHANNEL)

    assert_message_ok(message)
    assert "no longer watched" in all_text(message)
    assert "ETA" not in all_text(message)
    assert _buttons(message) == {ids.ACTION_INFO: "123"}


def test_a_card_with_nothing_known_but_the_id_still_renders() -> None:
    watch = _watch(type="", label="", step="", eta=None, cards=())
    message = watching.watch_card_message(watch, now=NOW, channel=CHANNEL)

    assert_message_ok(message)
    assert message["text"] == "Operation 123 (—): —"
    assert "Watched here" in all_text(message)


def test_an_unwatched_card_names_who_and_offers_to_watch_again() -> None:
    message = watching.watch_unwatched_card(_watch(), user_id="U0BOB", now=NOW)

    assert_message_ok(message, may_mention=["U0BOB"])
    assert "No longer watched here (unwatched by <@U0BOB>)" in all_text(message)
    assert "*RUN*" in all_text(message)
    assert _buttons(message) == {ids.ACTION_INFO: "123", ids.ACTION_WATCH: "123"}


def test_an_unwatched_card_with_a_bad_user_id_mentions_nobody() -> None:
    message = watching.watch_unwatched_card(_watch(label=HOSTILE), user_id="<!channel>", now=NOW)

    assert_message_ok(message)
    assert "unwatched by" not in all_text(message)


# --- a relaunch's or a cancel's announcement, once it is the card -------------------------


def _announced_watch(announced: Announced, step: str = "RUN") -> Watch:
    card = dataclasses.replace(_card(CHANNEL, HERE_WATCHERS), announced=announced)
    return _watch(step=step, cards=[card, _card(OTHER_CHANNEL, THERE_WATCHERS)])


ANNOUNCED_LINES = [
    (
        Announced(RELAUNCH, "U0ALICE", ("authinfo", "x-ca_owner_name")),
        ":repeat: <@U0ALICE> relaunched operation *#123* with new values for "
        "`authinfo`, `x-ca_owner_name`.",
        "relaunched",
    ),
    (
        Announced(CANCEL, "U0ALICE"),
        ":no_entry_sign: <@U0ALICE> cancelled operation *#123*.",
        "cancelled",
    ),
]


@pytest.mark.parametrize("step", ["BILL", "WAIT", "RUN", "DONE", "CANCEL"])
@pytest.mark.parametrize(("announced", "line", "done"), ANNOUNCED_LINES, ids=["relaunch", "cancel"])
def test_an_announcing_card_keeps_its_line_at_every_step(
    step: str, announced: Announced, line: str, done: str
) -> None:
    watch = _announced_watch(announced, step)

    message = watching.watch_card_message(watch, now=NOW, channel=CHANNEL)

    assert_message_ok(message, may_mention=HERE_WATCHERS)
    first, *rest = message["blocks"]
    assert first["text"]["text"] == line
    assert f"*{step}*" in all_text({"blocks": rest})
    plain = watching.watch_card_message(_watch(step=step), now=NOW, channel=CHANNEL)
    assert rest == plain["blocks"]
    assert message["text"] == f"Operation 123 (domain_create example.es), {done}: {step}"
    # The other channel's card is a plain one.
    other = watching.watch_card_message(watch, now=NOW, channel=OTHER_CHANNEL)
    assert done not in all_text(other)


def test_an_approved_relaunch_card_names_who_approved_and_escapes_what_it_was_given() -> None:
    many = tuple(f"field_{n:02}" for n in range(40))
    watch = _announced_watch(Announced(RELAUNCH, "U0ALICE", (HOSTILE, *many), approved_by="U0BOB"))

    message = watching.watch_card_message(watch, now=NOW, channel=CHANNEL)

    assert_message_ok(message, may_mention=[*HERE_WATCHERS, "U0BOB"])
    line = message["blocks"][0]["text"]["text"]
    assert line.endswith(" and 11 more, approved by <@U0BOB>.")
    assert "&lt;!channel&gt;" in line


@pytest.mark.parametrize("bad", BAD_USER_IDS)
@pytest.mark.parametrize(
    ("action", "said"),
    [
        (RELAUNCH, ":repeat: Someone relaunched operation *#123* without changing its parameters."),
        (CANCEL, ":no_entry_sign: Someone cancelled operation *#123*."),
    ],
    ids=["relaunch", "cancel"],
)
def test_an_announcing_card_with_a_bad_user_id_mentions_nobody(
    bad: str, action: str, said: str
) -> None:
    watch = _announced_watch(Announced(action, bad, (), approved_by=bad))

    message = watching.watch_card_message(watch, now=NOW, channel=CHANNEL)

    assert_message_ok(message, may_mention=HERE_WATCHERS)
    assert message["blocks"][0]["text"]["text"] == said


def test_an_unwatched_relaunch_card_still_says_who_relaunched() -> None:
    watch = _announced_watch(Announced(RELAUNCH, "U0ALICE", ("authinfo",)))

    message = watching.watch_unwatched_card(watch, user_id="U0BOB", now=NOW, channel=CHANNEL)

    assert_message_ok(message, may_mention=["U0ALICE", "U0BOB"])
    text = all_text(message)
    assert "<@U0ALICE> relaunched operation *#123* with new values for `authinfo`" in text
    assert "unwatched by <@U0BOB>" in text


def test_an_approved_cancel_card_names_who_asked_and_who_approved() -> None:
    watch = _announced_watch(Announced(CANCEL, "U0ALICE", approved_by="U0DAVE"))

    message = watching.watch_card_message(watch, now=NOW, channel=CHANNEL)

    assert_message_ok(message, may_mention=[*HERE_WATCHERS, "U0DAVE"])
    line = message["blocks"][0]["text"]["text"]
    assert line == ":no_entry_sign: <@U0ALICE> cancelled operation *#123*, approved by <@U0DAVE>."


def test_an_unwatched_cancel_card_still_says_who_cancelled_and_approved() -> None:
    watch = _announced_watch(Announced(CANCEL, "U0ALICE", approved_by="U0DAVE"))

    message = watching.watch_unwatched_card(watch, user_id="U0BOB", now=NOW, channel=CHANNEL)

    assert_message_ok(message, may_mention=["U0ALICE", "U0BOB", "U0DAVE"])
    text = all_text(message)
    assert "<@U0ALICE> cancelled operation *#123*, approved by <@U0DAVE>." in text
    assert "unwatched by <@U0BOB>" in text


# --- thread replies ---------------------------------------------------------------------------


def test_a_step_reply_says_old_to_new_and_when() -> None:
    message = watching.watch_step_reply(_post(old="WAIT", new="RUN", kind=PostKind.STEP), now=NOW)

    assert_message_ok(message)
    assert message["text"] == "Operation 123: WAIT → RUN"
    assert ":gear: *WAIT* → *RUN* · 2026-03-01 11:59 UTC (just now)" in all_text(message)


def test_a_step_reply_of_hostile_steps_is_escaped() -> None:
    message = watching.watch_step_reply(
        _post(old=HOSTILE * 10, new=HOSTILE, kind=PostKind.STEP), now=NOW
    )

    assert_message_ok(message)
    assert "&lt;!here&gt;" in all_text(message)


def test_the_final_reply_mentions_the_watchers_of_its_channel_only() -> None:
    message = watching.watch_final_reply(_watch(), _post(new="DONE"), operation=None, now=NOW)

    assert_message_ok(message, may_mention=HERE_WATCHERS)
    assert message["text"] == "<@U0ALICE> <@U0BOB> Operation 123 (domain_create example.es) is done"
    assert "<@U0ALICE> <@U0BOB>" in message["blocks"][0]["text"]["text"]
    assert "*RUN* → *DONE*" in all_text(message)
    assert "<@U0CAROL>" not in all_text(message)
    assert _buttons(message) == {ids.ACTION_INFO: "123"}


def test_an_error_reply_carries_errortype_and_last_error_escaped_and_relaunch() -> None:
    relaunchable = sorted(RELAUNCHABLE_TYPES)[0]
    watch = _watch(type=relaunchable)
    operation = _operation(type=relaunchable, text=HOSTILE * 100)

    message = watching.watch_final_reply(watch, _post(new="ERROR"), operation=operation, now=NOW)

    assert_message_ok(message, may_mention=HERE_WATCHERS)
    text = all_text(message)
    assert "failed (*ERROR*)" in text
    assert "*Error type*\n&lt;!channel&gt;" in text
    assert "*Last error*\n```&lt;!channel&gt;" in text
    [last_error] = [block for block in message["blocks"] if "Last error" in all_text(block)]
    # The data's own fences cannot close the code block early.
    assert all_text(last_error).count("```") == 2
    assert _buttons(message) == {ids.ACTION_INFO: "123", ids.ACTION_RELAUNCH: "123"}


def test_an_error_reply_offers_relaunch_only_where_the_type_allows() -> None:
    operation = _operation(type="vm_create")
    message = watching.watch_final_reply(
        _watch(type="vm_create"), _post(new="ERROR"), operation=operation, now=NOW
    )

    assert_message_ok(message, may_mention=HERE_WATCHERS)
    assert ids.ACTION_RELAUNCH not in _buttons(message)


def test_an_error_reply_without_the_operation_still_offers_relaunch_by_the_watched_type() -> None:
    message = watching.watch_final_reply(
        _watch(type="domain_create"), _post(new="ERROR"), operation=None, now=NOW
    )

    assert_message_ok(message, may_mention=HERE_WATCHERS)
    assert "Last error" not in all_text(message)
    assert ids.ACTION_RELAUNCH in _buttons(message)


def test_a_done_reply_shows_no_stale_error() -> None:
    operation = _operation(step="DONE")
    message = watching.watch_final_reply(_watch(), _post(new="DONE"), operation=operation, now=NOW)

    assert_message_ok(message, may_mention=HERE_WATCHERS)
    assert "Last error" not in all_text(message)
    assert "Error type" not in all_text(message)


@pytest.mark.parametrize(
    ("step", "said"),
    [("DONE", "is done"), ("ERROR", "failed"), ("CANCEL", "was cancelled"), ("SUPPORT", "needs")],
)
def test_each_final_step_is_said_in_words(step: str, said: str) -> None:
    message = watching.watch_final_reply(_watch(), _post(new=step), operation=None, now=NOW)

    assert_message_ok(message, may_mention=HERE_WATCHERS)
    assert said in message["text"]


def test_a_final_reply_mentions_every_watcher_the_card_could_not_name() -> None:
    many = tuple(f"U{n:04d}" for n in range(watching.WATCHERS_MENTIONED))
    watch = _watch(cards=(_card(CHANNEL, many),))
    message = watching.watch_final_reply(watch, _post(new="DONE"), operation=None, now=NOW)

    assert_message_ok(message, may_mention=many)
    assert len(mentions(message["blocks"])) == watching.WATCHERS_MENTIONED
    assert all(f"<@{user}>" in message["text"] for user in many)


def test_a_final_reply_with_bad_watcher_ids_mentions_only_valid_ones() -> None:
    watch = _watch(cards=(_card(CHANNEL, (*BAD_USER_IDS, "U0ALICE")),))
    message = watching.watch_final_reply(watch, _post(new="CANCEL"), operation=None, now=NOW)

    assert_message_ok(message, may_mention=["U0ALICE"])
    assert mentions(message) == {"<@U0ALICE>"}


def test_a_note_is_escaped() -> None:
    message = watching.watch_note(f"Operation 123 is no longer visible to this key. {HOSTILE}")

    assert_message_ok(message)
    assert message["text"].startswith("Operation 123 is no longer visible to this key.")


@settings(max_examples=50, deadline=None)
@given(
    type=st.text(),
    label=st.text(),
    old=st.text(),
    new=st.sampled_from([*STEPS, ""]) | st.text(),
    last_error=st.none() | st.text(),
    watchers=st.lists(st.text(max_size=12), max_size=30),
)
def test_any_data_gives_valid_safe_cards_and_replies(
    type: str, label: str, old: str, new: str, last_error: str | None, watchers: list[str]
) -> None:
    watch = _watch(type=type, label=label, step=new, cards=(_card(CHANNEL, watchers),))
    post = _post(old=old, new=new)
    operation = _operation(type=type, step=new, text=last_error)

    assert_message_ok(
        watching.watch_card_message(watch, now=NOW, channel=CHANNEL), may_mention=watchers
    )
    assert_message_ok(watching.watch_step_reply(post, now=NOW))
    assert_message_ok(
        watching.watch_final_reply(watch, post, operation=operation, now=NOW),
        may_mention=watchers,
    )
    assert_message_ok(watching.watch_note(label))


# --- private answers to /ops watch and unwatch -------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "expected_text", "shown"),
    [
        (WatchOutcome(7, "started"), "Watching 1 of 1 operation", "its card is posted"),
        (
            WatchOutcome(7, "joined"),
            "Operation 7 is already watched in this channel: you will be mentioned when it ends.",
            "you are added to the people mentioned",
        ),
        (
            WatchOutcome(7, "final", "DONE"),
            "Operation 7 is already DONE: there is nothing to watch.",
            ":white_check_mark: *#7* is already *DONE*",
        ),
        (WatchOutcome(7, "not_found"), "Operation 7 was not found.", "`/ops list`"),
        (
            WatchOutcome(7, "not_posted", "not_in_channel"),
            "Operation 7 is not watched: I cannot post in this channel.",
            "(not_in_channel)",
        ),
        (
            WatchOutcome(7, "limit", watched=500, limit=500),
            "Operation 7 is not watched: this team watches 500 operations, its limit is 500. "
            "/ops unwatch frees one.",
            "`/ops unwatch ID`",
        ),
    ],
)
def test_one_watch_outcome_in_words(outcome: WatchOutcome, expected_text: str, shown: str) -> None:
    message = watching.watch_outcomes_message([outcome])

    assert_message_ok(message)
    assert message["text"] == expected_text
    assert shown in all_text(message)


def test_many_watch_outcomes_are_one_message_with_a_line_each() -> None:
    results = ["started", "joined", "final", "not_found", "not_posted"]
    outcomes = [
        WatchOutcome(n, results[n % 5], HOSTILE)  # type: ignore[arg-type]
        for n in range(1, 21)
    ]

    message = watching.watch_outcomes_message(outcomes)

    assert_message_ok(message)
    assert message["text"] == "Watching 8 of 20 operations"
    for n in range(1, 21):
        assert f"*#{n}*" in all_text(message)


def test_already_final_names_the_step() -> None:
    message = watching.watch_outcomes_message([WatchOutcome(123, "final", "CANCEL")])

    assert_message_ok(message)
    assert message["text"] == "Operation 123 is already CANCEL: there is nothing to watch."


def test_unwatch_answers() -> None:
    done = watching.unwatch_message(5, removed=True)
    missing = watching.unwatch_message(5, removed=False)

    assert_message_ok(done)
    assert_message_ok(missing)
    assert "Operation 5 is no longer watched in this channel." in done["text"]
    assert missing["text"] == "Operation 5 is not watched in this channel."
    assert "`/ops watches`" in all_text(missing)


# --- /ops watches ---------------------------------------------------------------------------------


def test_watches_lists_each_operation_with_its_step_and_this_channels_watchers() -> None:
    watches = [_watch(2, step="WAIT"), _watch(1, type="vm_create", label="", step="BILL")]
    message = watching.watches_message(watches, now=NOW, channel=CHANNEL)

    assert_message_ok(message, may_mention=HERE_WATCHERS)
    text = all_text(message)
    assert message["text"] == "2 operations watched in this channel"
    assert text.index("*#1*") < text.index("*#2*")
    assert "• *#1*  `vm_create` · :receipt: *BILL* since 5 min ago · <@U0ALICE>, <@U0BOB>" in text
    assert "*#2*  `domain_create`  example.es · :hourglass_flowing_sand: *WAIT*" in text
    assert "<@U0CAROL>" not in text


def test_no_watches_says_how_to_start() -> None:
    message = watching.watches_message([], now=NOW)

    assert_message_ok(message)
    assert message["text"] == "Nothing is watched in this channel."
    assert "`/ops watch ID`" in all_text(message)


def test_paused_watches_say_why_and_what_resumes_them() -> None:
    message = watching.watches_message([_watch()], now=NOW, channel=CHANNEL, paused=HOSTILE)

    assert_message_ok(message, may_mention=HERE_WATCHERS)
    assert "Paused: &lt;!channel&gt;" in all_text(message)
    assert "`/ops key`" in all_text(message)


def test_a_thousand_hostile_watches_fit_in_one_message_with_a_count_of_the_rest() -> None:
    watches = [
        _watch(n, type=HOSTILE, label=HOSTILE * 5, cards=(_card(CHANNEL, HERE_WATCHERS * 3),))
        for n in range(1, 1001)
    ]

    message = watching.watches_message(watches, now=NOW, channel=CHANNEL)

    assert_message_ok(message, may_mention=HERE_WATCHERS)
    assert message["text"] == "1000 operations watched in this channel"
    # As many as Slack's block text takes (msg_blocks_too_long), fewer than the blocks would.
    assert 0 < _rows_shown(message, 1000) < watching.WATCHES_SHOWN


def test_a_list_of_watches_holds_as_many_as_slack_s_block_text_takes() -> None:
    """235 short rows fit Slack's blocks but not its block text (about 19,000 characters)."""
    watches = [_watch(n, cards=(_card(CHANNEL, ["U0ALICE"]),)) for n in range(1, 1001)]

    message = watching.watches_message(watches, now=NOW, channel=CHANNEL)

    assert_message_ok(message, may_mention=["U0ALICE"])
    assert 0 < _rows_shown(message, 1000) < watching.WATCHES_SHOWN
    # Full: one more row (about 80 characters) would not have fitted.
    room = limits.MESSAGE_BLOCKS_TEXT - limits.blocks_text_length(message["blocks"])
    assert 0 <= room < 2 * 80


def test_a_few_watches_are_all_shown() -> None:
    watches = [_watch(n, cards=(_card(CHANNEL, ["U0ALICE"]),)) for n in range(1, 31)]

    message = watching.watches_message(watches, now=NOW, channel=CHANNEL)

    assert "more not shown" not in all_text(message)
    assert all(f"*#{n}*" in all_text(message) for n in range(1, 31))


def _rows_shown(message: dict[str, Any], total: int) -> int:
    """Rows a list shows, by its one "… and N more not shown" line."""
    [more] = re.findall(r"… and (\d+) more not shown", all_text(message))
    return total - int(more)


# --- subscriptions --------------------------------------------------------------------------------


def test_subscribed_gives_the_number_and_the_filters() -> None:
    subscription = _subscription(3, {"type": "domain_create", "step": "ERROR"})
    message = watching.subscribed_message(subscription)

    assert_message_ok(message)
    assert message["text"] == (
        "Subscription 3: this channel gets a card for every new operation "
        "matching type=domain_create step=ERROR"
    )
    assert "`/ops unsubscribe 3`" in all_text(message)


def test_a_subscription_without_filters_follows_everything() -> None:
    message = watching.subscribed_message(_subscription(1, {}))

    assert_message_ok(message)
    assert message["text"] == "Subscription 1: this channel gets a card for every new operation"


def test_subscriptions_are_listed_by_number_with_filters_author_and_last_look() -> None:
    subscriptions = [
        _subscription(4, {"step": "ERROR"}, created_by="<!channel>"),
        _subscription(2, {"type": "domain_create", "id": [1, 2]}),
    ]

    message = watching.subscriptions_message(subscriptions, now=NOW)

    assert_message_ok(message, may_mention=["U0ALICE"])
    text = all_text(message)
    assert message["text"] == "2 subscriptions in this channel"
    assert "*2.* `type=domain_create id=1,2` · by <@U0ALICE> on 2026-02-27 12:00 UTC" in text
    assert "*4.* `step=ERROR` · by an unknown user" in text
    assert text.index("*2.*") < text.index("*4.*")
    assert "cards for operations created after 2026-03-01 11:59 UTC (1 min ago)" in text
    assert "`/ops unsubscribe N`" in text


def test_no_subscriptions_says_how_to_make_one() -> None:
    message = watching.subscriptions_message([], now=NOW)

    assert_message_ok(message)
    assert message["text"] == "This channel has no subscriptions."
    assert "`/ops subscribe type=domain_create`" in all_text(message)


def test_many_hostile_subscriptions_fit() -> None:
    subscriptions = [_subscription(n, {"domain": HOSTILE * 10}) for n in range(1, 400)]

    message = watching.subscriptions_message(subscriptions, now=NOW)

    assert_message_ok(message, may_mention=["U0ALICE"])
    assert 0 < _rows_shown(message, 399) < watching.SUBSCRIPTIONS_SHOWN


def test_unsubscribe_answers() -> None:
    done = watching.unsubscribe_message(2, removed=True)
    missing = watching.unsubscribe_message(2, removed=False)

    assert_message_ok(done)
    assert_message_ok(missing)
    assert done["text"].startswith("Subscription 2 is ended")
    assert missing["text"] == "This channel has no subscription number 2."


def test_the_watch_limit_says_how_many_the_limit_and_how_to_free_some() -> None:
    message = watching.watch_outcomes_message([WatchOutcome(9, "limit", watched=501, limit=500)])

    assert_message_ok(message)
    text = all_text(message)
    assert "watches 501 operations" in text
    assert "500 is its limit" in text
    assert "OPSBOT_MAX_WATCHES" in text
    assert "`/ops unwatch ID`" in text
    assert "`/ops watches`" in text


def test_the_subscription_limit_says_how_many_the_limit_and_how_to_free_some() -> None:
    message = watching.subscription_limit_message(20, 20)

    assert_message_ok(message)
    text = all_text(message)
    assert "this team has 20 subscriptions" in text
    assert "20 is its limit" in text
    assert "OPSBOT_MAX_SUBSCRIPTIONS" in text
    assert "`/ops unsubscribe NUMBER`" in text
    assert "`/ops subscriptions`" in text


def test_a_cancel_report_that_cannot_be_followed_says_why_in_its_thread() -> None:
    message = watching.watch_limit_note(500)

    assert_message_ok(message)
    assert "500 operations" in all_text(message)
    assert "`/ops unwatch ID`" in all_text(message)
