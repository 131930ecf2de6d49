"""Paging a large ``/ops list`` as a person does in the local workspace, which keeps Slack's rules.

Each click on Previous or Next comes with a response_url of its own, good for
5 posts, whose ``replace_original`` replaces the message that carried the
button and no other (docs.slack.dev/interactivity/handling-user-interaction).
A page in several messages would keep its other parts, stale, after a
click; a page is therefore one message, and paging on and on leaves the
person exactly one, showing the right rows, with buttons that still work.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from opsbot.simulator import Simulator
from opsbot.ui import ids
from opsbot.ui.operations import MAX_PAGE_ROWS
from opsbot.workspace import Interactions, Target
from opsbot.workspace.state import Ephemeral
from tests.support.opsbot_app import RunningOpsbot
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import CHANNEL_ID, USER_ID

JSON = dict[str, Any]
# Far more than one response_url's 5 posts.
CLICKS = 8


@pytest.fixture
def people(keyed_opsbot: RunningOpsbot, fake_slack: FakeSlack) -> Interactions:
    return fake_slack.people(f"{keyed_opsbot.base_url}/slack/events")


def shown_privately(fake_slack: FakeSlack) -> list[Ephemeral]:
    return fake_slack.workspace.ephemerals_for(USER_ID, CHANNEL_ID)


def listed(page: Ephemeral) -> list[int]:
    """The operations a page shows, in its order (each row's Info button)."""
    return [
        int(element["value"])
        for block in page.blocks or []
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == ids.ACTION_INFO
    ]


def paging_buttons(page: Ephemeral) -> set[str]:
    return {
        element["action_id"]
        for block in page.blocks or []
        if block["type"] == "actions"
        for element in block["elements"]
        if ids.ACTION_PAGE_PATTERN.match(element["action_id"])
    }


def api_page(simulator: Simulator, key: str, page: int) -> list[int]:
    """What the API lists on ``page`` of MAX_PAGE_ROWS rows, unfiltered."""
    options = {"page": page, "items_per_page": MAX_PAGE_ROWS}
    return [operation["id"] for operation in simulator.call("operation.list", (key, options))]


async def list_then_page(
    people: Interactions, fake_slack: FakeSlack, command: str
) -> tuple[Ephemeral, str]:
    """``/ops command`` typed; the one private answer once it arrived, and its text."""
    typed = await people.slash_command(USER_ID, CHANNEL_ID, command)
    assert typed.ok, typed.failure
    await fake_slack.until(lambda: len(shown_privately(fake_slack)) == 1, "the first page")
    [page] = shown_privately(fake_slack)
    return page, page.text


async def click(
    people: Interactions, fake_slack: FakeSlack, page: Ephemeral, action_id: str, expected: str
) -> Ephemeral:
    """Click ``action_id`` on ``page``; the page once its text starts with ``expected``."""
    clicked = await people.click(USER_ID, Target.message(CHANNEL_ID, page.ts), action_id)
    assert clicked.ok, clicked.failure

    def turned() -> bool:
        return any(shown.text.startswith(expected) for shown in shown_privately(fake_slack))

    await fake_slack.until(turned, f"a page starting {expected!r}", timeout=10)
    return next(shown for shown in shown_privately(fake_slack) if shown.ts == page.ts)


async def test_paging_a_large_list_many_times_keeps_one_message_with_the_right_rows(
    people: Interactions, fake_slack: FakeSlack, simulator: Simulator, sim_key: str
) -> None:
    total = len(simulator.operations())
    assert total > (CLICKS + 1) * MAX_PAGE_ROWS
    # Asked larger than one message holds: shown, and paged, by pages that fit.
    page, text = await list_then_page(people, fake_slack, "list items_per_page=100")
    shown = f"Operations 1–{MAX_PAGE_ROWS} of {total} matching items_per_page={MAX_PAGE_ROWS}"
    assert text == shown
    assert f"at most {MAX_PAGE_ROWS} operations" in json.dumps(page.blocks)
    assert listed(page) == api_page(simulator, sim_key, 0)

    for number in range(1, CLICKS + 1):
        first = number * MAX_PAGE_ROWS + 1
        page = await click(people, fake_slack, page, ids.ACTION_PAGE_NEXT, f"Operations {first}–")
        assert [shown.ts for shown in shown_privately(fake_slack)] == [page.ts]
        assert listed(page) == api_page(simulator, sim_key, number)
        assert paging_buttons(page) == {ids.ACTION_PAGE_PREVIOUS, ids.ACTION_PAGE_NEXT}

    back = (CLICKS - 1) * MAX_PAGE_ROWS + 1
    page = await click(people, fake_slack, page, ids.ACTION_PAGE_PREVIOUS, f"Operations {back}–")
    assert listed(page) == api_page(simulator, sim_key, CLICKS - 1)
    # One message, and nothing else: no part left behind, no note in its place.
    assert len(shown_privately(fake_slack)) == 1
    assert fake_slack.messages(CHANNEL_ID) == []
    assert fake_slack.warnings() == []


@pytest.mark.slow
@pytest.mark.parametrize("env_overrides", [{"OPSBOT_API_TIMEOUT": "20"}])
async def test_a_slow_page_replaces_its_working_note_and_keeps_its_buttons(
    people: Interactions, fake_slack: FakeSlack, simulator: Simulator, sim_key: str
) -> None:
    """Slower than the placeholder's delay: each click takes two posts of its response_url."""
    page, _ = await list_then_page(people, fake_slack, "list items_per_page=50")
    simulator.set_latency(1.5)

    for number in (1, 2, 3):
        first = number * MAX_PAGE_ROWS + 1
        page = await click(people, fake_slack, page, ids.ACTION_PAGE_NEXT, f"Operations {first}–")
        assert listed(page) == api_page(simulator, sim_key, number)
        assert paging_buttons(page) == {ids.ACTION_PAGE_PREVIOUS, ids.ACTION_PAGE_NEXT}

    working = [post for post in fake_slack.responses() if "Working on it" in json.dumps(post)]
    assert working
    assert len(shown_privately(fake_slack)) == 1
    assert fake_slack.warnings() == []
