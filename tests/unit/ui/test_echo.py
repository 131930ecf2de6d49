"""Filters shown back to a person: the same words everywhere, never the page."""

from __future__ import annotations

import datetime as dt

from opsbot.api.filters import parse_filter_words
from opsbot.ui.echo import button_filters, filters_text, without_page
from opsbot.ui.operations import count_message, list_message
from tests.support.surfaces import NOW

FILTERS = {"step": "ERROR", "sort_by": "date_created DESC", "id": [1, 2], "page": 3}


def test_the_page_is_dropped_and_nothing_else() -> None:
    assert without_page(FILTERS) == {"step": "ERROR", "sort_by": "date_created DESC", "id": [1, 2]}
    assert without_page({}) == {}


def test_filters_are_echoed_as_words_that_parse_back() -> None:
    text = filters_text(FILTERS)
    assert text == 'step=ERROR sort_by="date_created DESC" id=1,2'
    assert parse_filter_words(text) == without_page(FILTERS)
    assert filters_text({"page": 2}) == ""


def test_count_and_list_echo_the_same_words() -> None:
    echo = filters_text(FILTERS)
    count = count_message(4, FILTERS)
    page = list_message([], filters=FILTERS, page=3, items_per_page=20, total=4, now=NOW)
    assert count["text"] == f"4 operations match {echo}"
    assert page["text"] == f"No operations match {echo} on page 4."


def test_buttons_carry_dates_as_iso_text_and_no_page() -> None:
    moment = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    carried = button_filters({">date_created": moment, "id": (1, 2), "page": 1})
    assert carried == {">date_created": "2026-03-01T12:00:00+00:00", "id": [1, 2]}
