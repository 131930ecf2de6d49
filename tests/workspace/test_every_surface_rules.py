"""Every surface opsbot draws passes the workspace's block rules: Slack would take it.

``tests/support/every_surface.py`` calls every builder of ``opsbot.ui``
once; each message's blocks and each modal or Home tab go through the same
checks the workspace applies to chat.postMessage and views.* calls.
"""

from __future__ import annotations

from typing import Any

import pytest

from opsbot.workspace.blocks import (
    blocks_text_length,
    message_problems,
    problems_as_messages,
    view_problems,
)
from opsbot.workspace.settings import Limits
from tests.support.every_surface import draw_every_surface


def _name(payload: dict[str, Any]) -> str:
    return str(payload.get("type") or payload.get("text", ""))[:60]


@pytest.mark.parametrize("payload", draw_every_surface(), ids=_name)
def test_slack_would_take_it(payload: dict[str, Any]) -> None:
    if payload.get("type") in ("modal", "home"):
        problems = view_problems(payload)
    else:
        problems = message_problems(payload["blocks"])

    assert problems_as_messages(problems) == []


def test_the_home_tab_is_among_them() -> None:
    assert [p for p in draw_every_surface() if p.get("type") == "home"]


def test_every_message_fits_slacks_block_text_and_text_limits() -> None:
    """Beyond each block's own limits: the whole message's block text and its ``text``."""
    limits = Limits()
    for drawn in draw_every_surface():
        if drawn.get("type") in ("modal", "home"):
            continue
        assert blocks_text_length(drawn["blocks"]) <= limits.message_blocks_text, _name(drawn)
        assert len(drawn["text"]) <= limits.message_text, _name(drawn)
