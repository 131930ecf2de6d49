"""``/ops mute``: a length from a minute to a week, or a time of day (UTC)."""

from __future__ import annotations

import datetime as dt

import pytest

from opsbot.slack.commands import parse_command
from opsbot.slack.grammar import Command, CommandError
from opsbot.slack.mute import mute_end


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("mute 2h", 7200), ("mute 30m", 1800), ("mute 1d", 86400), ("mute 1h30m", 5400)],
)
def test_a_length(text: str, seconds: int) -> None:
    assert parse_command(text) == Command("mute", mute_s=seconds)


def test_a_time_of_day() -> None:
    assert parse_command("mute until 18:05") == Command("mute", mute_until=(18, 5))


@pytest.mark.parametrize(
    "text", ["mute", "mute 2", "mute 2x", "mute 8d", "mute 0m", "mute until 25:00", "mute 2h 3h"]
)
def test_anything_else_is_refused_with_the_usage(text: str) -> None:
    with pytest.raises(CommandError) as refused:
        parse_command(text)
    assert "from 1m to 7d" in refused.value.message
    assert "/ops mute 2h" in refused.value.usage


def test_unmute_takes_nothing() -> None:
    assert parse_command("unmute") == Command("unmute")
    with pytest.raises(CommandError):
        parse_command("unmute now")


def test_a_time_of_day_already_past_today_is_tomorrows() -> None:
    now = dt.datetime(2026, 12, 2, 19, 0, tzinfo=dt.UTC).timestamp()
    later = dt.datetime(2026, 12, 2, 20, 30, tzinfo=dt.UTC).timestamp()
    tomorrow = dt.datetime(2026, 12, 3, 18, 0, tzinfo=dt.UTC).timestamp()

    assert mute_end(Command("mute", mute_until=(20, 30)), now) == later
    assert mute_end(Command("mute", mute_until=(18, 0)), now) == tomorrow
    assert mute_end(Command("mute", mute_s=60), now) == now + 60


def test_watch_with_a_broadcast_preference() -> None:
    assert parse_command("watch 123 broadcast=never") == Command(
        "watch", operation_ids=(123,), broadcast="never"
    )


def test_subscribe_with_only_and_broadcast() -> None:
    command = parse_command("subscribe type=domain_renew only=error,SUPPORT broadcast=failures")
    assert command.filters == {"type": "domain_renew"}
    assert command.only == ("ERROR", "SUPPORT")
    assert command.broadcast == "failures"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("watch 123 broadcast=sometimes", "`broadcast=` takes `always` or `failures` or `never`"),
        ("subscribe only=RUN", "`only=` takes `ERROR` or `SUPPORT` or `CANCEL` or `DONE`"),
        ("subscribe only=", "`only=` takes"),
    ],
)
def test_a_wrong_preference_is_refused_with_the_choices(text: str, said: str) -> None:
    with pytest.raises(CommandError) as refused:
        parse_command(text)
    assert said in refused.value.message
