"""Every ``/ops`` command end to end: signed requests in, what Slack receives out.

opsbot runs for real (aiohttp on a free port) against the simulator, a real
Redis and FakeSlack. Help and parse errors must ride on the ack itself; every
other command is acked empty and answered through its response_url. The
simulator is the oracle: what a list or a count shows is checked against the
operations it holds.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pytest

from opsbot.api.operation import CANCELLABLE_STEPS, ERROR, can_relaunch
from opsbot.simulator import Simulator
from opsbot.ui.operations import MAX_PAGE_ROWS
from tests.support.opsbot_app import RunningOpsbot
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import (
    TEAM_ID,
    SlackClient,
    block_actions_body,
    slash_command_body,
)

JSON = dict[str, Any]
MESSAGE_BLOCK_LIMIT = 50

_names = (f"r{n}" for n in itertools.count(1))


# --- helpers ------------------------------------------------------------------------


async def acked(slack_client: SlackClient, fake_slack: FakeSlack, text: str) -> JSON:
    """Send ``/ops text``; return the ack's own body (help and parse errors)."""
    reply = await slack_client.post(
        slash_command_body(text, response_url=fake_slack.response_url(next(_names)))
    )
    assert reply.status == 200
    body: JSON = reply.json()
    return body


async def answered(
    slack_client: SlackClient, fake_slack: FakeSlack, text: str, *, count: int = 1
) -> list[JSON]:
    """Send ``/ops text``; check it is acked empty and return its response_url posts."""
    name = next(_names)
    reply = await slack_client.post(
        slash_command_body(text, response_url=fake_slack.response_url(name))
    )
    assert reply.status == 200
    assert reply.text == ""
    return await fake_slack.wait_for_responses(name, count=count)


def shown(message: JSON) -> str:
    """Everything a person can read in a message, for substring checks."""
    return json.dumps(message, ensure_ascii=False)


def rows(message: JSON) -> dict[int, list[str]]:
    """{operation id: the action_ids of its buttons}, in the message's order."""
    found: dict[int, list[str]] = {}
    for block in message.get("blocks", []):
        elements = block.get("elements", []) if block["type"] == "actions" else []
        ids = [element["value"] for element in elements if element["action_id"] == "op_info"]
        if ids:
            found[int(ids[0])] = [element["action_id"] for element in elements]
    return found


def page_button(message: JSON, action_id: str) -> JSON:
    for block in message["blocks"]:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["action_id"] == action_id:
                return dict(element)
    raise AssertionError(f"no {action_id} button in {message['text']!r}")


def operations_where(simulator: Simulator, **fields: Any) -> list[JSON]:
    return [
        operation
        for operation in simulator.operations()
        if all(operation[name] == value for name, value in fields.items())
    ]


def assert_private(message: JSON) -> None:
    assert message["response_type"] == "ephemeral"
    assert message["text"].strip()
    assert len(message["blocks"]) <= MESSAGE_BLOCK_LIMIT


# --- help and parse errors: on the ack, privately ---------------------------------------


@pytest.mark.parametrize("text", ["", "help", "  HELP  "])
@pytest.mark.usefixtures("opsbot")
async def test_help_rides_on_the_ack_privately(
    slack_client: SlackClient, fake_slack: FakeSlack, text: str
) -> None:
    body = await acked(slack_client, fake_slack, text)

    assert_private(body)
    for sub_command in ("list", "count", "info", "cancel", "relaunch", "watch", "key"):
        assert f"/ops {sub_command}" in shown(body)
    assert "/ops list step=ERROR type=domain_create" in shown(body)
    assert fake_slack.responses() == []
    # bolt checks its token with auth.test once; nothing else reaches Slack.
    assert {call.method for call in fake_slack.calls} <= {"auth.test"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("info abc", "operation id must be a number"),
        ("cancel 12x", "operation id must be a number"),
        ("info", "needs an operation id"),
        ("lsit step=ERROR", "Did you mean `list`"),
        ("list stpe=ERROR", "Did you mean `step`"),
        ("list step=EROR", "Did you mean `ERROR`"),
        ('list sort_by="date_created DESC', "A quote is not closed"),
        ("list items_per_page=lots", "items_per_page"),
        ("watches 3", "takes no arguments"),
    ],
)
@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_bad_command_is_answered_on_the_ack_with_what_would_be_right(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    text: str,
    expected: str,
) -> None:
    body = await acked(slack_client, fake_slack, text)

    assert_private(body)
    assert expected in shown(body)
    assert "Traceback" not in shown(body)
    assert simulator.calls == {}
    assert fake_slack.responses() == []


@pytest.mark.usefixtures("keyed_opsbot")
async def test_an_unknown_filter_lists_the_known_ones_closest_first(
    slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    body = await acked(slack_client, fake_slack, "count dommain=example.com")

    assert "unknown filter 'dommain'" in body["text"]
    known = body["text"].split("known filters:", 1)[1]
    assert known.strip().startswith("domain")
    assert "Did you mean `domain`" in shown(body)


# --- no key: say how to set one, never call the API ---------------------------------------


@pytest.mark.parametrize(
    "text", ["list", "list step=ERROR", "count", "info 100100", "cancel 100100", "relaunch 100100"]
)
@pytest.mark.usefixtures("opsbot")
async def test_without_a_key_every_api_command_says_how_to_set_one(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    text: str,
) -> None:
    [message] = await answered(slack_client, fake_slack, text)

    assert_private(message)
    assert "No operation API key is set" in message["text"]
    assert "`/ops key`" in shown(message)
    assert simulator.calls == {}
    assert fake_slack.calls_to("views.open") == []


# --- /ops list ----------------------------------------------------------------------------


@pytest.mark.usefixtures("keyed_opsbot")
async def test_list_shows_each_operation_with_the_buttons_its_step_and_type_allow(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    [message] = await answered(slack_client, fake_slack, f"list items_per_page={MAX_PAGE_ROWS}")

    assert_private(message)
    listed = rows(message)
    assert len(listed) == MAX_PAGE_ROWS
    first_page = f"Operations 1–{MAX_PAGE_ROWS} of {len(simulator.operations())}"
    assert message["text"].startswith(first_page)
    steps_seen = set()
    for op_id, buttons in listed.items():
        operation = simulator.operation(op_id)
        steps_seen.add(operation["step"])
        assert buttons[:2] == ["op_info", "op_watch"]
        assert ("op_cancel" in buttons) == (operation["step"] in CANCELLABLE_STEPS)
        relaunchable = can_relaunch(operation["type"], operation["step"])
        assert ("op_relaunch" in buttons) == relaunchable
        assert f"*#{op_id}*" in shown(message)
    # The first page of the seeded data mixes steps, so both rules were exercised.
    assert len(steps_seen) > 2


@pytest.mark.usefixtures("keyed_opsbot")
async def test_list_by_step_and_type_shows_only_matches_and_relaunch_in_error(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    matching = operations_where(simulator, step=ERROR, type="domain_create")

    [message] = await answered(slack_client, fake_slack, "list step=ERROR type=domain_create")

    assert f"of {len(matching)} matching step=ERROR type=domain_create" in message["text"]
    listed = rows(message)
    assert set(listed) == {operation["id"] for operation in matching}
    for buttons in listed.values():
        assert buttons == ["op_info", "op_watch", "op_cancel", "op_relaunch"]


@pytest.mark.usefixtures("keyed_opsbot")
async def test_list_by_ids_shows_exactly_those_operations(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    wanted = [operation["id"] for operation in simulator.operations()[7:10]]

    [message] = await answered(slack_client, fake_slack, f"list id={','.join(map(str, wanted))}")

    assert set(rows(message)) == set(wanted)
    assert message["text"].startswith("Operations 1–3 of 3")


@pytest.mark.usefixtures("keyed_opsbot")
async def test_list_sorted_newest_first_since_a_week(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    text = 'list ">date_created=7d" sort_by="date_created DESC" items_per_page=10'
    [message] = await answered(slack_client, fake_slack, text)

    dates = [simulator.operation(op_id)["date_created"] for op_id in rows(message)]
    assert dates
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == max(operation["date_created"] for operation in simulator.operations())
    # A minute of slack: opsbot and the simulator read "now" a moment apart.
    week_ago = simulator.now() - dt.timedelta(days=7, minutes=1)
    assert all(date > week_ago for date in dates)
    assert 'sort_by="date_created DESC"' in message["text"]


@pytest.mark.usefixtures("keyed_opsbot")
async def test_next_and_previous_page_keep_the_filters(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    total = len(operations_where(simulator, step=ERROR))
    [first] = await answered(slack_client, fake_slack, "list step=ERROR items_per_page=10")
    assert first["text"] == f"Operations 1–10 of {total} matching step=ERROR items_per_page=10"

    next_button = page_button(first, "list_page_next")
    await slack_client.post(
        block_actions_body(
            next_button["action_id"],
            next_button["value"],
            response_url=fake_slack.response_url("next"),
            message=first,
        )
    )
    [second] = await fake_slack.wait_for_responses("next")

    assert second["replace_original"] is True
    assert second["text"].startswith(f"Operations 11–20 of {total} matching step=ERROR")
    assert not set(rows(first)) & set(rows(second))
    assert all(simulator.operation(op_id)["step"] == ERROR for op_id in rows(second))

    previous_button = page_button(second, "list_page_previous")
    await slack_client.post(
        block_actions_body(
            previous_button["action_id"],
            previous_button["value"],
            response_url=fake_slack.response_url("previous"),
        )
    )
    [back] = await fake_slack.wait_for_responses("previous")
    assert back["replace_original"] is True
    assert rows(back) == rows(first)


@pytest.mark.usefixtures("keyed_opsbot")
async def test_paging_carries_date_and_sort_filters_through_the_button(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    text = 'list ">date_created=30d" sort_by="date_created DESC" items_per_page=5'
    [first] = await answered(slack_client, fake_slack, text)
    total = sum(
        simulator.now() - operation["date_created"] < dt.timedelta(days=30)
        for operation in simulator.operations()
    )
    assert total < len(simulator.operations())
    button = page_button(first, "list_page_next")

    await slack_client.post(
        block_actions_body(
            button["action_id"], button["value"], response_url=fake_slack.response_url("p2")
        )
    )
    [second] = await fake_slack.wait_for_responses("p2")

    # The relative date became a moment on the first page and stays that moment.
    assert second["text"] == first["text"].replace("1–5 of", "6–10 of")
    assert second["text"].startswith(f"Operations 6–10 of {total} matching &gt;date_created=")
    assert 'sort_by="date_created DESC"' in second["text"]
    first_dates = [simulator.operation(op_id)["date_created"] for op_id in rows(first)]
    second_dates = [simulator.operation(op_id)["date_created"] for op_id in rows(second)]
    assert max(second_dates) <= min(first_dates)
    assert not set(rows(first)) & set(rows(second))


@pytest.mark.usefixtures("keyed_opsbot")
async def test_an_empty_result_echoes_the_filters(
    slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    [message] = await answered(slack_client, fake_slack, "list domain=nowhere.example step=RUN")

    assert_private(message)
    assert message["text"] == "No operations match domain=nowhere.example step=RUN."
    assert rows(message) == {}


# --- /ops count and /ops info ---------------------------------------------------------------


@pytest.mark.usefixtures("keyed_opsbot")
async def test_count_agrees_with_the_simulator(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    expected = len(operations_where(simulator, step=ERROR, type="domain_renew"))

    [message] = await answered(slack_client, fake_slack, "count step=ERROR type=domain_renew")

    assert_private(message)
    assert message["text"] == f"{expected} operations match step=ERROR type=domain_renew"


@pytest.mark.usefixtures("keyed_opsbot")
async def test_info_shows_every_field_and_escapes_the_last_error(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    op_id = simulator.create(
        "domain_create",
        step=ERROR,
        domain="hostile.example",
        errortype="registry",
        last_error="<!channel> & <@U1> registry said no",
        params={"x-document_type": "passport"},
    )
    operation = simulator.operation(op_id)

    [message] = await answered(slack_client, fake_slack, f"info {op_id}")

    assert_private(message)
    text = shown(message)
    labels = ("ID", "Type", "Step", "ETA", "Created", "Started", "Updated", "Error type")
    for label in (*labels, "Session", "Source", "Infos", "Last error", "Parameters"):
        assert f"*{label}*" in text
    for value in (str(op_id), "domain_create", ERROR, "hostile.example", "registry"):
        assert value in text
    assert str(operation["session_id"]) in text
    assert operation["source"] in text
    assert f"product_action: {operation['infos']['product_action']}" in text
    assert "`x-document_type`: passport" in text
    assert "&lt;!channel&gt; &amp; &lt;@U1&gt; registry said no" in text
    assert "<!channel>" not in text
    assert "<@U1>" not in text
    assert rows(message)[op_id] == ["op_info", "op_watch", "op_cancel", "op_relaunch"]


@pytest.mark.parametrize("command", ["info", "cancel"])
@pytest.mark.usefixtures("keyed_opsbot")
async def test_an_unknown_id_is_named_in_a_not_found_answer(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    command: str,
) -> None:
    [message] = await answered(slack_client, fake_slack, f"{command} 4242")

    assert_private(message)
    assert "Operation *#4242* was not found" in shown(message)
    assert simulator.calls["operation.info"] == 1
    assert simulator.calls["operation.cancel"] == 0


async def test_a_key_the_api_refuses_is_answered_with_where_to_check_it(
    keyed_opsbot: RunningOpsbot, slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    # Well formed, but it opens no account (revoked since it was set, say).
    await keyed_opsbot.set_team_key(TEAM_ID, "zzzzzzzzzzzzzzzzzzzzzzzz")

    [message] = await answered(slack_client, fake_slack, "count step=ERROR")

    assert_private(message)
    assert "refused this workspace's key" in shown(message)
    assert "`/ops key status`" in shown(message)
    assert "Invalid API key" in shown(message)
