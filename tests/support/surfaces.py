"""Checks that a rendered message or modal is what Slack would accept and show safely.

Each message and modal must parse with slack_sdk's block models (which raise
on limit violations) and round-trip unchanged (no misspelled key), pass
check_limits, keep every ``<`` and ``&`` of data escaped (only mentions of
the user ids a test names stay live), and a message carries a plain-text
fallback.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from opsbot.api.operation import Operation
from opsbot.ui import limits
from opsbot.workspace.blocks import problems_as_messages, view_problems
from tests.support.limits import check_limits

NOW: Final = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
# Data as hostile as an API error or a user could make it.
HOSTILE: Final = (
    '<!channel> <!here> <@U1> <#C1|general> <https://evil.example|click> &lt; &amp; "quoted" '
    "back\\slash \n new line ünïcødé 公司 😀 ```fence``` *bold* {{ hole }}"
)
_LIVE_MARKUP: Final = re.compile(r"<[^>]*>")
_AMPERSAND: Final = re.compile(r"&(?!amp;|lt;|gt;)")


def texts(payload: Any) -> Iterator[str]:
    """Every text Slack shows: "text" of text objects, and the fallback."""
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from texts(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from texts(item)


def action_ids(blocks: Iterable[Any] | None) -> list[str]:
    """The ``action_id`` of each element of the actions blocks, in order."""
    return [
        element["action_id"]
        for block in blocks or []
        if isinstance(block, dict) and block["type"] == "actions"
        for element in block["elements"]
    ]


def all_text(payload: Any) -> str:
    return "\n".join(texts(payload))


def mentions(payload: Any) -> set[str]:
    """Every live ``<…>`` markup in the texts."""
    return {markup for text in texts(payload) for markup in _LIVE_MARKUP.findall(text)}


def assert_message_ok(message: dict[str, Any], *, may_mention: Iterable[str] = ()) -> None:
    """Valid for Slack, within its limits, and nothing live but mentions of ``may_mention``."""
    assert set(message) == {"text", "blocks"}
    assert message["text"].strip()
    assert 0 < len(message["blocks"]) <= limits.MESSAGE_BLOCKS
    assert check_limits(message, "message") == []
    for block in message["blocks"]:
        parsed = Block.parse(block)
        assert parsed is not None
        assert parsed.to_dict() == block
    assert_nothing_live_from_data(message, may_mention=may_mention)


def assert_modal_ok(view: dict[str, Any], *, may_mention: Iterable[str] = ()) -> None:
    assert check_limits(view, "modal") == []
    assert View(**view).to_dict() == view
    assert_nothing_live_from_data(view, may_mention=may_mention)


def assert_home_ok(
    view: dict[str, Any], *, may_mention: Iterable[str] = (), may_link: Iterable[str] = ()
) -> None:
    """A Home tab: within the limits, accepted by the workspace's block rules, and
    nothing live but mentions of ``may_mention`` and links to channels ``may_link``."""
    assert view["type"] == "home"
    assert 0 < len(view["blocks"]) <= limits.HOME_BLOCKS
    assert check_limits(view, "home") == []
    assert View(**view).to_dict() == view
    assert problems_as_messages(view_problems(view)) == []
    links = [f"#{channel}" for channel in may_link]
    assert_nothing_live_from_data(view, may_mention=[*may_mention, *links])


def assert_nothing_live_from_data(payload: Any, *, may_mention: Iterable[str] = ()) -> None:
    """Only ``<@U…>`` for each id of ``may_mention`` (a ``#C…`` there allows ``<#C…>``)."""
    allowed = {f"<{user}>" if user.startswith("#") else f"<@{user}>" for user in may_mention}
    assert mentions(payload) <= allowed, f"live markup {mentions(payload) - allowed}"
    for text in texts(payload):
        assert not _AMPERSAND.search(text), f"unescaped & in {text!r}"


ACTOR: Final = "UACTOR1"


def sample_operation(
    operation_id: int = 123,
    *,
    domain: str = "example.es",
    params: Mapping[str, Any] | None = None,
    **fields: Any,
) -> Operation:
    """An operation with every field set, hostile where the API gives text.

    ``fields`` replace the API's own (``type``, ``step``, ``last_error``, ``eta``,
    ``errortype``…); ``domain`` goes in params and infos, beside ``params``.
    """
    return Operation.from_api(
        {
            "id": operation_id,
            "type": "domain_create",
            "step": "ERROR",
            "date_created": NOW - dt.timedelta(hours=3),
            "date_start": NOW - dt.timedelta(hours=2, minutes=59),
            "date_updated": NOW - dt.timedelta(minutes=5),
            "eta": -1_863_666,
            "errortype": HOSTILE,
            "last_error": HOSTILE,
            "params": {"domain": domain, **(params or {})},
            "infos": {"label": domain, "product_action": "create", "extras": {"k": HOSTILE}},
            "session_id": 2920674,
            "source": HOSTILE,
            **fields,
        }
    )
