"""Filter words and option dicts: what is accepted, what is sent, what is said when wrong."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsbot.api.catalog import KNOWN_STEPS, LIST_OPTIONS, SORT_FIELDS
from opsbot.api.filters import (
    MAX_INT,
    CheckedFilters,
    FilterError,
    closest_names,
    describe_options,
    on_api_clock,
    parse_filter_words,
    validate_options,
)

NOW = dt.datetime(2026, 11, 10, 12, 30, 15, tzinfo=dt.UTC)
PROPERTY = settings(derandomize=True, max_examples=300, deadline=None)


def parse(words: str | list[str]) -> CheckedFilters:
    return parse_filter_words(words, now=NOW)


def error_of(words: str | list[str]) -> FilterError:
    with pytest.raises(FilterError) as caught:
        parse(words)
    return caught.value


# -- each kind of filter ---------------------------------------------------------


def test_no_words_no_filters() -> None:
    assert parse("") == {}
    assert parse("   ") == {}
    assert parse([]) == {}


def test_int_filters_become_ints() -> None:
    assert parse("contact_id=12 disk_id=3 iface_id=4 mbox_id=5 paas_id=6 site_id=7 vm_id=8") == {
        "contact_id": 12,
        "disk_id": 3,
        "iface_id": 4,
        "mbox_id": 5,
        "paas_id": 6,
        "site_id": 7,
        "vm_id": 8,
    }


def test_int_or_array_filters_take_one_number_or_several() -> None:
    assert parse("id=42") == {"id": 42}
    assert parse("id=1,2,3") == {"id": [1, 2, 3]}
    assert parse("cert_id=7,8") == {"cert_id": [7, 8]}
    assert parse(["id=1, 2"]) == {"id": [1, 2]}


def test_string_filters_keep_their_text_dotted_names_included() -> None:
    assert parse("domain=example.es vm.hostname=web-1 cert.hostname=*.example.com") == {
        "domain": "example.es",
        "vm.hostname": "web-1",
        "cert.hostname": "*.example.com",
    }
    assert parse("disk.name=data paas.name=shop site.name=blog") == {
        "disk.name": "data",
        "paas.name": "shop",
        "site.name": "blog",
    }


def test_filter_names_are_not_case_sensitive() -> None:
    assert parse("ID=5 Step=error VM.Hostname=web") == {
        "id": 5,
        "step": "ERROR",
        "vm.hostname": "web",
    }


def test_step_is_normalised_to_upper_case() -> None:
    for step in KNOWN_STEPS:
        assert parse(f"step={step.lower()}") == {"step": step}


def test_known_and_unknown_types_are_both_accepted_in_lower_case() -> None:
    assert parse("type=domain_create") == {"type": "domain_create"}
    assert parse("type=Brand_New_Type") == {"type": "brand_new_type"}


def test_sort_by_takes_a_field_and_an_optional_order() -> None:
    assert parse("sort_by=date_created") == {"sort_by": "date_created"}
    assert parse('sort_by="date_created DESC"') == {"sort_by": "date_created DESC"}
    assert parse("sort_by='vm.hostname desc'") == {"sort_by": "vm.hostname DESC"}
    assert parse('sort_by="ID asc"') == {"sort_by": "id"}
    assert parse(["sort_by=  step   Desc "]) == {"sort_by": "step DESC"}


def test_page_and_items_per_page_at_their_bounds() -> None:
    assert parse("page=0 items_per_page=1") == {"page": 0, "items_per_page": 1}
    assert parse("page=2147483647 items_per_page=500") == {
        "page": MAX_INT,
        "items_per_page": 500,
    }


def test_shell_quoting_keeps_spaces_in_one_value() -> None:
    assert parse("""domain="a b" site.name='it''s' cert.hostname=a\\ b""") == {
        "domain": "a b",
        "site.name": "its",
        "cert.hostname": "a b",
    }


def test_a_list_of_words_is_taken_as_already_split() -> None:
    assert parse(["sort_by=date_created DESC", "domain=a b"]) == {
        "sort_by": "date_created DESC",
        "domain": "a b",
    }


def test_a_value_may_contain_equals_signs() -> None:
    assert parse("domain=a=b") == {"domain": "a=b"}


# -- dates --------------------------------------------------------------------------


# -- checked once -----------------------------------------------------------------


def test_checked_filters_are_made_only_by_the_checks() -> None:
    with pytest.raises(TypeError):
        CheckedFilters({"step": "whatever"})
    checked = parse("step=error id=1,2")
    assert isinstance(checked, CheckedFilters)
    assert isinstance(validate_options({"step": "error"}), CheckedFilters)
    assert dict(checked) == checked.as_dict() == {"step": "ERROR", "id": [1, 2]}


def test_checked_filters_are_not_checked_again() -> None:
    checked = parse(">date_created=7d")
    later = NOW + dt.timedelta(days=1)
    # A relative date is not counted back again from another now.
    assert validate_options(checked, now=later) is checked


def test_defaults_are_checked_and_never_override_what_was_chosen() -> None:
    checked = parse("step=ERROR page=2")
    paged = checked.with_defaults({"page": 0, "items_per_page": 20})
    assert isinstance(paged, CheckedFilters)
    assert list(paged.items()) == [("page", 2), ("items_per_page", 20), ("step", "ERROR")]
    with pytest.raises(FilterError, match="items_per_page"):
        checked.with_defaults({"items_per_page": 0})
    assert checked.without("page", "id") == {"step": "ERROR"}
    assert checked == {"step": "ERROR", "page": 2}  # unchanged


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("2026-11-01", "2026-11-01 00:00:00"),
        ('"2026-11-01 12:00"', "2026-11-01 12:00:00"),
        ("2026-11-01T12:00:00", "2026-11-01 12:00:00"),
        ("2026-11-01T12:00:00+02:00", "2026-11-01 10:00:00"),
        ("2026-11-01T23:30:00-01:00", "2026-11-02 00:30:00"),
        ("2026-11-01T12:00:00Z", "2026-11-01 12:00:00"),
        ("2026-11-01T12:00:00.999999", "2026-11-01 12:00:00"),
        ("30m", "2026-11-10 12:00:15"),
        ("24h", "2026-11-09 12:30:15"),
        ("7d", "2026-11-03 12:30:15"),
        ("2w", "2026-10-27 12:30:15"),
        ("7D", "2026-11-03 12:30:15"),
        ('"7 d"', "2026-11-03 12:30:15"),
        ("0h", "2026-11-10 12:30:15"),
    ],
)
def test_dates_are_sent_as_utc_strings(written: str, sent: str) -> None:
    assert parse(f">date_created={written}") == {">date_created": sent}


def test_every_date_filter_takes_dates() -> None:
    date_names = [name for name, option in LIST_OPTIONS.items() if option.is_date]
    words = [f"{name}=1d" for name in date_names]
    assert parse(words) == dict.fromkeys(date_names, "2026-11-09 12:30:15")


def test_relative_dates_count_back_from_an_aware_now_in_another_zone() -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    now = dt.datetime(2026, 11, 10, 13, 30, tzinfo=paris)
    assert parse_filter_words("<date_updated=1h", now=now) == {
        "<date_updated": "2026-11-10 11:30:00"
    }


def test_a_naive_now_is_taken_as_utc() -> None:
    now = dt.datetime(2026, 11, 10, 12, 0)
    assert parse_filter_words("date_start=1d", now=now) == {"date_start": "2026-11-09 12:00:00"}


def test_without_now_relative_dates_count_back_from_the_clock() -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    sent = parse_filter_words(">date_created=0m")[">date_created"]
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert before <= dt.datetime.fromisoformat(sent) <= after


# -- what is said when something is wrong ---------------------------------------


def test_unknown_filter_lists_the_known_ones_closest_first() -> None:
    error = error_of("stp=ERROR")
    assert error.suggestions == ("step",)
    assert error.message.startswith("unknown filter 'stp'; known filters: step, <date_created, ")
    listed = error.message.split("known filters: ")[1].split(", ")
    assert sorted(listed) == sorted(LIST_OPTIONS)
    assert str(error) == error.message
    assert isinstance(error, ValueError)


def test_unknown_filter_suggests_every_close_name() -> None:
    assert error_of("hostname=web").suggestions[:2] == ("vm.hostname", "cert.hostname")
    assert error_of("created=2026-11-01").suggestions[0] == "date_created"
    assert error_of("qqqq=1").suggestions == ()


def test_a_word_without_equals_says_how_filters_are_written() -> None:
    assert error_of("ERROR").message == (
        "'ERROR' is not a filter: filters are written name=value, like step=ERROR"
    )
    assert error_of("=5").message.startswith("'=5' is not a filter")


def test_an_unquoted_sort_order_says_to_quote() -> None:
    assert error_of("sort_by=date_created DESC").message == (
        'put sort_by\'s value in quotes: sort_by="date_created DESC"'
    )


def test_an_unquoted_time_says_to_quote() -> None:
    assert error_of(">date_created=2026-11-01 12:00").message == (
        'put a date with a time in quotes: >date_created="2026-11-01 12:00"'
    )


def test_unbalanced_quotes_are_reported() -> None:
    assert error_of('sort_by="date_created DESC').message == (
        "could not read the filters (no closing quotation): close every quote, "
        'for example sort_by="date_created DESC"'
    )
    assert "no escaped character" in error_of("domain=a\\").message


def test_a_repeated_filter_is_refused() -> None:
    assert error_of("step=ERROR STEP=DONE").message == (
        "filter 'step' is given twice; give it once"
    )


@pytest.mark.parametrize("value", ["abc", "1.5", "", "1e3", "٣"])
def test_an_int_filter_needs_a_number(value: str) -> None:
    assert error_of(f"contact_id={value}").message == (
        "contact_id must be a number, for example contact_id=123"
    )


def test_numbers_must_fit_the_api() -> None:
    assert error_of("vm_id=-1").message == "vm_id must be from 0 to 2147483647"
    assert error_of("vm_id=2147483648").message == "vm_id must be from 0 to 2147483647"
    assert error_of("id=1,2147483648").message == "id must be from 0 to 2147483647"


@pytest.mark.parametrize("value", ["1,,2", "1,x", ",", "1,"])
def test_an_id_list_needs_numbers_between_commas(value: str) -> None:
    assert error_of(f"id={value}").message == (
        "id must be a number or numbers separated by commas, for example id=1,2,3"
    )


def test_page_and_items_per_page_bounds_are_explained() -> None:
    assert error_of("page=-1").message == "page must be from 0 to 2147483647"
    assert error_of("page=x").message == "page must be a number, for example page=1"
    assert error_of("items_per_page=0").message == (
        "items_per_page must be from 1 to 500 (the API refuses more than 500 items a page)"
    )
    assert error_of("items_per_page=501").message == (
        "items_per_page must be from 1 to 500 (the API refuses more than 500 items a page)"
    )


def test_unknown_step_lists_the_steps_closest_first() -> None:
    error = error_of("step=EROR")
    assert error.suggestions == ("ERROR",)
    assert error.message == (
        "unknown step 'EROR'; known steps: ERROR, BILL, WAIT, RUN, DONE, CANCEL, SUPPORT"
    )
    assert error_of("step=nothing").suggestions == ()


def test_unknown_sort_field_lists_the_fields_closest_first() -> None:
    error = error_of("sort_by=creatd")
    assert error.suggestions[0] == "date_created"
    assert error.message.startswith("unknown sort field 'creatd'; known sort fields: date_created")
    assert sorted(error.message.split("fields: ")[1].split(", ")) == sorted(SORT_FIELDS)
    assert error_of('sort_by="creatd DESC"').suggestions[0] == "date_created"


@pytest.mark.parametrize("value", ['"id DOWN"', '"id DESC extra"', '" "', '"DESC id"'])
def test_a_malformed_sort_by_shows_the_form(value: str) -> None:
    assert error_of(f"sort_by={value}").message == (
        "sort_by is a field, optionally followed by DESC or ASC, "
        'for example sort_by="date_created DESC"'
    )


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026-02-30", "7y", "1.5d", "12:00"])
def test_an_unreadable_date_lists_the_forms(value: str) -> None:
    assert error_of(f">date_created={value}").message == (
        f"'{value}' is not a date for >date_created; write 2026-11-01, \"2026-11-01 12:00\", "
        "2026-11-01T12:00:00+02:00, or how long ago: 30m, 24h, 7d, 2w"
    )


def test_a_date_out_of_range_is_reported() -> None:
    assert error_of("date_start=999999999w").message == (
        "date_start=999999999w is out of the range of dates"
    )
    assert error_of("date_start=0001-01-01T00:00:00+01:00").message == (
        "date_start=0001-01-01T00:00:00+01:00 is out of the range of dates"
    )


def test_text_filters_refuse_empty_values_and_control_characters() -> None:
    assert (
        error_of("domain=").message == "domain needs a text value, for example domain=example.com"
    )
    assert error_of("type=").message == "type needs a text value, for example type=domain_create"
    assert error_of("sort_by=").message == (
        'sort_by needs a text value, for example sort_by="date_created DESC"'
    )
    assert error_of("vm.hostname=").message == (
        "vm.hostname needs a text value, for example vm.hostname=web1"
    )
    assert error_of(["domain=a\x00b"]).message == "domain contains a control character; remove it"


def test_long_input_is_cut_short_in_messages() -> None:
    message = error_of("x" * 500 + "=1").message
    assert "'" + "x" * 39 + "…'" in message
    assert "x" * 41 not in message


# -- options from code ----------------------------------------------------------


def test_validate_options_accepts_converted_values() -> None:
    opts = {
        "id": [1, 2],
        "cert_id": (3, 4),
        "vm_id": 5,
        "step": "error",
        "page": 1,
        "items_per_page": "20",
        ">date_created": dt.datetime(2026, 11, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        "<date_created": dt.datetime(2026, 11, 2, 8, 15, 30, 999),
        "date_updated": dt.date(2026, 11, 3),
        "date_start": "24h",
        "sort_by": "id DESC",
    }
    assert validate_options(opts, now=NOW) == {
        "id": [1, 2],
        "cert_id": [3, 4],
        "vm_id": 5,
        "step": "ERROR",
        "page": 1,
        "items_per_page": 20,
        ">date_created": "2026-11-01 10:00:00",
        "<date_created": "2026-11-02 08:15:30",
        "date_updated": "2026-11-03 00:00:00",
        "date_start": "2026-11-09 12:30:15",
        "sort_by": "id DESC",
    }


def test_validate_options_returns_a_new_dict() -> None:
    opts = {"step": "error"}
    assert validate_options(opts) == {"step": "ERROR"}
    assert opts == {"step": "error"}


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        ({"vm_id": True}, "vm_id must be a number, for example vm_id=123"),
        ({"vm_id": 1.0}, "vm_id must be a number, for example vm_id=123"),
        ({"vm_id": None}, "vm_id must be a number, for example vm_id=123"),
        ({"id": []}, "id must be a number or numbers separated by commas, for example id=1,2,3"),
        (
            {"id": [1, "x"]},
            "id must be a number or numbers separated by commas, for example id=1,2,3",
        ),
        ({"id": [1, 2**31]}, "id must be from 0 to 2147483647"),
        ({"domain": 5}, "domain needs a text value, for example domain=example.com"),
        ({"step": None}, "step needs a text value, for example step=ERROR"),
        (
            {"items_per_page": 1000},
            "items_per_page must be from 1 to 500 (the API refuses more than 500 items a page)",
        ),
        ({"step": "ERROR", "STEP": "DONE"}, "filter 'step' is given twice; give it once"),
    ],
)
def test_validate_options_errors(opts: dict[str, Any], message: str) -> None:
    with pytest.raises(FilterError) as caught:
        validate_options(opts, now=NOW)
    assert caught.value.message == message


def test_validate_options_refuses_a_value_that_is_not_a_date() -> None:
    with pytest.raises(FilterError) as caught:
        validate_options({"date_start": 1234}, now=NOW)
    assert caught.value.message.startswith("'1234' is not a date for date_start; write ")


def test_validate_options_names_unknown_keys() -> None:
    with pytest.raises(FilterError) as caught:
        validate_options({"itemsperpage": 5})
    assert caught.value.suggestions[0] == "items_per_page"


# -- helpers for callers ----------------------------------------------------------


def test_closest_names_orders_by_likeness_and_respects_the_limit() -> None:
    candidates = ["domain_create", "domain_renew", "vm_create", "disk_create"]
    assert closest_names("domain_creat", candidates)[0] == "domain_create"
    assert "domain_renew" not in closest_names("vm_create", candidates)
    assert closest_names("CREATE", candidates)[0] == "vm_create"
    assert set(closest_names("create", candidates)) == {"domain_create", "vm_create", "disk_create"}
    assert closest_names("create", candidates, limit=1) == ("vm_create",)
    assert closest_names("create", candidates, limit=0) == ()
    assert closest_names("zzz", candidates) == ()


def test_describe_options_echoes_filters_as_words() -> None:
    opts = parse(
        'step=error type=domain_create id=1,2 sort_by="date_created DESC" >date_created=7d'
    )
    assert describe_options(opts) == (
        'step=ERROR type=domain_create id=1,2 sort_by="date_created DESC" '
        '>date_created="2026-11-03 12:30:15"'
    )
    assert describe_options({}) == ""


def test_describe_options_quotes_what_the_shell_would_split() -> None:
    opts = {"domain": 'say "hi"', "site.name": "it's", "disk.name": "back\\slash"}
    assert parse(describe_options(opts)) == opts


# -- properties ---------------------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=30)
NUMBER = st.integers(min_value=0, max_value=MAX_INT)
DATE = st.datetimes(
    min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59)
).map(lambda moment: moment.replace(microsecond=0).isoformat(sep=" "))


def value_strategy(name: str) -> st.SearchStrategy[Any]:
    """Valid, already-normalised values for one option, as validate_options returns them."""
    option = LIST_OPTIONS[name]
    special: dict[str, st.SearchStrategy[Any]] = {
        "step": st.sampled_from(KNOWN_STEPS),
        "type": st.one_of(
            st.sampled_from(LIST_OPTIONS["type"].values),
            TEXT.map(str.lower).filter(lambda t: t == t.lower()),
        ),
        "sort_by": st.builds(
            lambda field, desc: f"{field} DESC" if desc else field,
            st.sampled_from(SORT_FIELDS),
            st.booleans(),
        ),
        "page": NUMBER,
        "items_per_page": st.integers(min_value=1, max_value=500),
    }
    if name in special:
        return special[name]
    if option.is_date:
        return DATE
    if option.type == "int_or_int_array":
        # A one-item list is written "5", which reads back as 5: the same filter.
        return st.one_of(NUMBER, st.lists(NUMBER, min_size=2, max_size=5))
    return NUMBER if option.type == "int" else TEXT


VALID_OPTIONS = st.fixed_dictionaries(
    {}, optional={name: value_strategy(name) for name in LIST_OPTIONS}
)


@PROPERTY
@given(VALID_OPTIONS)
def test_valid_options_written_as_words_read_back_the_same(opts: dict[str, Any]) -> None:
    assert parse(describe_options(opts)) == opts


@PROPERTY
@given(VALID_OPTIONS)
def test_validating_valid_options_changes_nothing(opts: dict[str, Any]) -> None:
    assert validate_options(opts, now=NOW) == opts


def parse_or_error(text: str) -> CheckedFilters | FilterError:
    try:
        return parse(text)
    except FilterError as error:
        return error


def assert_parsed_or_explained(text: str) -> None:
    """Either a clear FilterError, or options that are stable when checked again."""
    result = parse_or_error(text)
    if isinstance(result, FilterError):
        assert result.message
    else:
        assert validate_options(result, now=NOW) == result
        assert parse(describe_options(result)) == result


@PROPERTY
@given(st.text())
def test_any_text_parses_or_raises_filter_error(text: str) -> None:
    assert_parsed_or_explained(text)


NEAR_MISS_WORDS = st.lists(
    st.builds(
        lambda name, sep, value: f"{name}{sep}{value}",
        st.sampled_from([*LIST_OPTIONS, "stp", "ID", ""]),
        st.sampled_from(["=", "=", "=", "==", " = ", ""]),
        st.one_of(
            st.text(max_size=12),
            st.from_regex(r"-?[0-9]{1,12}(,[0-9]{0,3}){0,3}", fullmatch=True),
            st.from_regex(r"[0-9]{1,10}[mhdwy]", fullmatch=True),
            st.sampled_from(['"date_created DESC"', "'", '"', "2026-11-01T25:00", "ERROR"]),
        ),
    ),
    max_size=3,
).map(" ".join)


@PROPERTY
@given(NEAR_MISS_WORDS)
def test_near_miss_filters_parse_or_raise_filter_error(text: str) -> None:
    assert_parsed_or_explained(text)


ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.lists(st.one_of(st.integers(), st.text(max_size=5)), max_size=3),
    st.dates(),
    st.datetimes(
        timezones=st.one_of(
            st.none(),
            st.builds(
                dt.timezone,
                st.timedeltas(min_value=dt.timedelta(hours=-23), max_value=dt.timedelta(hours=23)),
            ),
        )
    ),
)


@PROPERTY
@given(st.dictionaries(st.sampled_from([*LIST_OPTIONS, "nope"]), ANY_VALUE, max_size=4))
def test_any_option_dict_validates_or_raises_filter_error(opts: dict[str, Any]) -> None:
    try:
        checked = validate_options(opts, now=NOW)
    except FilterError as error:
        assert error.message  # noqa: PT017 - the property is "FilterError, never another"
        return
    assert validate_options(checked, now=NOW) == checked


def test_a_bare_day_on_an_exact_date_filter_means_that_whole_day() -> None:
    from opsbot.api.filters import parse_filter_words

    options = parse_filter_words(["date_created=2026-11-01", ">date_updated=2026-11-01"])
    assert options["date_created"] == "2026-11-01"
    assert options[">date_updated"] == "2026-11-01 00:00:00"


# -- on the API's clock -----------------------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("now", "written", "sent"),
    [
        # Winter (UTC+1) and summer (UTC+2).
        (dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC), "24h", "2026-01-14 13:00:00"),
        (dt.datetime(2026, 7, 15, 12, 0, tzinfo=dt.UTC), "24h", "2026-07-14 14:00:00"),
        # Across the spring change (March 29, 2026): a day back is still winter.
        (dt.datetime(2026, 3, 29, 12, 0, tzinfo=dt.UTC), "24h", "2026-03-28 13:00:00"),
        (dt.datetime(2026, 3, 29, 12, 0, tzinfo=dt.UTC), "1h", "2026-03-29 13:00:00"),
        (dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC), "30m", "2026-03-29 03:00:00"),
        (dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC), "31m", "2026-03-29 01:59:00"),
        (dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC), "0m", "2026-03-29 03:30:00"),
        # Across the autumn change (October 25, 2026), and in its repeated hour:
        # 00:30 and 01:30 UTC are both 02:30 on Paris's wall clock.
        (dt.datetime(2026, 10, 25, 12, 0, tzinfo=dt.UTC), "24h", "2026-10-24 14:00:00"),
        (dt.datetime(2026, 10, 25, 12, 0, tzinfo=dt.UTC), "1h", "2026-10-25 12:00:00"),
        (dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC), "0m", "2026-10-25 02:30:00"),
        (dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC), "0m", "2026-10-25 02:30:00"),
    ],
)
def test_relative_dates_are_sent_on_the_api_clock(
    now: dt.datetime, written: str, sent: str
) -> None:
    checked = parse_filter_words(f">date_created={written}", now=now)
    assert on_api_clock(checked, PARIS) == {">date_created": sent}


def test_dates_with_a_time_are_moved_and_a_bare_day_is_the_api_day() -> None:
    checked = parse_filter_words(
        ["date_created=2026-11-01", ">date_updated=2026-07-01 12:00", "step=ERROR", "id=1,2"]
    )
    assert on_api_clock(checked, PARIS) == {
        "date_created": "2026-11-01",
        ">date_updated": "2026-07-01 14:00:00",
        "step": "ERROR",
        "id": [1, 2],
    }
    assert on_api_clock(checked, dt.UTC) == checked.as_dict()


@pytest.mark.parametrize("written", ["0001-01-01T23:00:00", "9999-12-31T01:00:00", "0001-01-01"])
def test_a_date_too_close_to_the_ends_of_time_for_any_zone_is_refused(written: str) -> None:
    with pytest.raises(FilterError, match="out of the range of dates"):
        parse_filter_words(f">date_created={written}")
