"""Every message opsbot renders passes the workspace's block rules (what Slack refuses)."""

from __future__ import annotations

from opsbot.workspace.blocks import blocks_text_length, message_problems, view_problems
from opsbot.workspace.settings import Limits
from tests.support.every_surface import draw_every_surface


def test_every_surface_passes_the_block_rules_and_the_block_text_limit() -> None:
    limit = Limits().message_blocks_text
    for drawn in draw_every_surface():
        if drawn.get("type") in ("modal", "home"):
            assert view_problems(drawn) == [], drawn.get("title")
            continue
        assert message_problems(drawn["blocks"]) == [], drawn["text"][:80]
        assert blocks_text_length(drawn["blocks"]) <= limit, drawn["text"][:80]
        assert len(drawn["text"]) <= Limits().message_text, drawn["text"][:80]
