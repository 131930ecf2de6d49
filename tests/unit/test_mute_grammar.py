"""``/ops mute``: a length from a minute to a week, or a time of day in the person's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from opsbot.slack.commands import parse_command
from opsbot.slack.grammar import Command, CommandError
from opsbot.slack.mute import mute_end
from opsbot.slack.person_zone import zone_in_profile


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


PARIS = ZoneInfo("Europe/Paris")


def test_a_time_of_day_is_read_in_the_persons_zone() -> None:
    now = dt.datetime(2026, 12, 2, 16, 30, tzinfo=dt.UTC).timestamp()  # 17:30 in Paris
    tonight = dt.datetime(2026, 12, 2, 17, 0, tzinfo=dt.UTC).timestamp()  # 18:00 in Paris
    tomorrow = dt.datetime(2026, 12, 3, 16, 0, tzinfo=dt.UTC).timestamp()  # 17:00 in Paris

    assert mute_end(Command("mute", mute_until=(18, 0)), now, PARIS) == tonight
    assert mute_end(Command("mute", mute_until=(17, 0)), now, PARIS) == tomorrow


def test_a_mute_across_the_change_to_summer_time_ends_at_the_time_asked() -> None:
    # Paris moves from UTC+1 to UTC+2 on 2026-03-29 at 02:00.
    evening_before = dt.datetime(2026, 3, 28, 22, 0, tzinfo=dt.UTC).timestamp()
    nine_in_summer_time = dt.datetime(2026, 3, 29, 7, 0, tzinfo=dt.UTC).timestamp()

    assert mute_end(Command("mute", mute_until=(9, 0)), evening_before, PARIS) == (
        nine_in_summer_time
    )


@pytest.mark.parametrize(
    ("profile", "offset_s"),
    [
        ({"tz": "America/New_York", "tz_offset": -18000}, None),
        ({"tz": "Mars/Olympus_Mons", "tz_offset": 19800}, 19800),
        ({"tz": "../../etc/passwd", "tz_offset": -3600}, -3600),
        ({"tz_offset": 3600}, 3600),
    ],
)
def test_the_zone_comes_from_the_profile_by_name_then_by_offset(
    profile: dict[str, object], offset_s: int | None
) -> None:
    zone = zone_in_profile(profile)
    if offset_s is None:
        assert zone == ZoneInfo("America/New_York")
    else:
        assert zone == dt.timezone(dt.timedelta(seconds=offset_s))


@pytest.mark.parametrize(
    "profile", [{}, {"tz": ""}, {"tz_offset": True}, {"tz_offset": 90000}, {"tz_offset": "1"}]
)
def test_without_a_usable_zone_the_profile_says_none(profile: dict[str, object]) -> None:
    assert zone_in_profile(profile) is None
