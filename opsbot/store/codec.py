"""How values read from Redis are turned into text.

Every store module reads replies through these, so that a reply is text
whether or not the client decodes replies itself.
"""

from __future__ import annotations

from collections.abc import Mapping


def decoded(value: bytes | str) -> str:
    """A reply as text, whether or not the client decodes replies itself."""
    return value.decode() if isinstance(value, bytes) else value


def decoded_map(reply: Mapping[bytes | str, bytes | str] | None) -> dict[str, str]:
    """A hash or stream entry reply as text (an absent one as empty)."""
    return {decoded(name): decoded(value) for name, value in (reply or {}).items()}
