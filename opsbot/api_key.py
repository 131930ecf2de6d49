"""The shape of an operation API key, defined once.

The service's own fault text says it: ``^[a-z0-9]{24}$``. The key modal
accepts only this shape, the simulator checks it, and anything that echoes
what a person typed, or writes a log line, hides words of this shape: a
key pasted into the wrong place must not be repeated back.
"""

from __future__ import annotations

import re
from typing import Final

API_KEY_LENGTH: Final = 24
API_KEY_ALPHABET: Final = "abcdefghijklmnopqrstuvwxyz0123456789"
API_KEY_PATTERN: Final = f"[a-z0-9]{{{API_KEY_LENGTH}}}"
API_KEY_SHAPE: Final = f"{API_KEY_LENGTH} characters from [a-z0-9]"
API_KEY_FORMAT: Final = re.compile(API_KEY_PATTERN)
HIDDEN_KEY: Final = "a word that looks like an API key (not shown)"

# A key-shaped word standing alone, not part of a longer word.
_ANYWHERE: Final = re.compile(rf"(?<![A-Za-z0-9]){API_KEY_PATTERN}(?![A-Za-z0-9])")


def looks_like_api_key(text: str) -> bool:
    return API_KEY_FORMAT.fullmatch(text) is not None


def hide_api_keys(text: str, marker: str = HIDDEN_KEY) -> str:
    """``text`` with every key-shaped word replaced by ``marker``."""
    return _ANYWHERE.sub(marker, text)
