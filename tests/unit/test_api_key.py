"""The API key's shape, and that nothing echoes a word of that shape."""

from __future__ import annotations

import pytest

from opsbot.api.filters import FilterError, parse_filter_words
from opsbot.api_key import HIDDEN_KEY, hide_api_keys, looks_like_api_key

KEY = "abcdefghijklmnopqrstuvwx"


def test_the_shape_is_24_lowercase_letters_and_digits() -> None:
    assert looks_like_api_key(KEY)
    assert looks_like_api_key("0123456789abcdef01234567")
    assert not looks_like_api_key(KEY.upper())
    assert not looks_like_api_key(KEY + "y")
    assert not looks_like_api_key(KEY[:-1])


def test_key_shaped_words_are_hidden_but_longer_words_kept() -> None:
    assert hide_api_keys(f"key={KEY}, again '{KEY}'") == f"key={HIDDEN_KEY}, again '{HIDDEN_KEY}'"
    longer = KEY + "yz"
    assert hide_api_keys(longer) == longer


@pytest.mark.parametrize("words", [[KEY], [f"id={KEY}"], [f"stpe={KEY}"], [f"sort_by={KEY}"]])
def test_a_key_pasted_as_a_filter_is_not_repeated(words: list[str]) -> None:
    with pytest.raises(FilterError) as error:
        parse_filter_words(words)
    assert KEY not in error.value.message
    assert all(KEY not in suggestion for suggestion in error.value.suggestions)
