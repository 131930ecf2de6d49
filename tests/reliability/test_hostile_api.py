"""Odd-but-valid replies from the API end in a clear answer, never deep inside opsbot.

A hostile XML-RPC server, written for the purpose, sends what a probe found
to end in an uncaught exception: an ``eta`` of ``<double>inf</double>`` or
nan (OverflowError), a date out of range, parameters nested 200,000 deep
(RecursionError when shown), a 3,000-digit id. They go through the real
client over HTTP, then through a real ``opsbot serve`` to a person's private
answer: ``/ops info`` says the API sent something opsbot cannot read, and
``/ops list`` shows that row as such beside the others. The simulator's
switches play an API that floods a page and one that sends a 9 MB fault.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from opsbot.api import xmlrpc
from opsbot.api.client import OperationClient
from opsbot.api.errors import ProtocolError
from opsbot.simulator import Simulator, serve_simulator
from opsbot.ui import ids
from tests.support.opsbot_app import SIGNING_SECRET, RunningOpsbot, opsbot_env, running_opsbot
from tests.support.slack_api import JSON, FakeSlack
from tests.support.slack_requests import TEAM_ID, SlackClient, slash_command_body
from tests.support.surfaces import all_text

KEY = "hostilekey0123456789abcd"
ANSWER_TIMEOUT_S = 20.0

Reply = Callable[[tuple[Any, ...]], bytes]


def reply_of(value_xml: str) -> bytes:
    return (
        "<?xml version='1.0'?><methodResponse><params><param><value>"
        f"{value_xml}</value></param></params></methodResponse>"
    ).encode()


def member(name: str, value_xml: str) -> str:
    return f"<member><name>{name}</name><value>{value_xml}</value></member>"


def operation_xml(op_id: str, *members: str) -> str:
    return (
        "<struct>"
        + member("id", op_id)
        + member("type", "<string>domain_renew</string>")
        + member("step", "<string>RUN</string>")
        + member("date_created", "<dateTime.iso8601>20260701T12:00:00</dateTime.iso8601>")
        + "".join(members)
        + "</struct>"
    )


def good(op_id: int) -> str:
    return operation_xml(f"<int>{op_id}</int>", member("eta", "<int>60</int>"))


def nested(depth: int) -> str:
    return "<array><data><value>" * depth + "<int>1</int>" + "</value></data></array>" * depth


# Each trigger: the operation 100200 as the API sends it, and what a person is told.
TRIGGERS: Mapping[str, tuple[str, str]] = {
    "eta-inf": (
        operation_xml("<int>100200</int>", member("eta", "<double>inf</double>")),
        "an eta that is not a number",
    ),
    "eta-nan": (
        operation_xml("<int>100200</int>", member("eta", "<double>nan</double>")),
        "an eta that is not a number",
    ),
    "date-out-of-range": (
        operation_xml(
            "<int>100200</int>",
            member(
                "date_updated", "<dateTime.iso8601>0001-01-01T00:00:00+01:00</dateTime.iso8601>"
            ),
        ),
        "a date_updated that is not a date",
    ),
    "params-200000-deep": (
        operation_xml(
            "<int>100200</int>",
            member("params", "<struct>" + member("deep", nested(200_000)) + "</struct>"),
        ),
        "values nested deeper than 32 levels",
    ),
    "id-of-3000-digits": (
        operation_xml("<int>" + "9" * 3000 + "</int>"),
        "an operation id out of range",
    ),
}


@dataclass
class HostileApi:
    """Answers each method with a scripted body; counts the calls."""

    replies: dict[str, bytes] = field(default_factory=dict)
    url: str = ""
    calls: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        method, _ = xmlrpc.decode_call(await request.read(), zone=dt.UTC)
        self.calls.append(method)
        return web.Response(body=self.replies[method], content_type="text/xml")


@pytest.fixture
async def hostile() -> AsyncIterator[HostileApi]:
    api = HostileApi()
    app = web.Application()
    app.router.add_post("/xmlrpc/", api.handle)
    server = TestServer(app)
    await server.start_server()
    api.url = str(server.make_url("/xmlrpc/"))
    try:
        yield api
    finally:
        await server.close()


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        yield slack


@contextlib.asynccontextmanager
async def opsbot_on(
    api_url: str, fake_slack: FakeSlack, redis_url: str, key: str
) -> AsyncIterator[tuple[RunningOpsbot, SlackClient]]:
    env = opsbot_env(slack_api_url=fake_slack.api_url, api_url=api_url, redis_url=redis_url)
    async with (
        running_opsbot(env) as opsbot,
        SlackClient(opsbot.base_url, SIGNING_SECRET, slack=fake_slack) as client,
    ):
        await opsbot.set_team_key(TEAM_ID, key)
        yield opsbot, client


async def answer_to(client: SlackClient, fake_slack: FakeSlack, text: str, name: str) -> JSON:
    """The private answer to ``/ops text`` (one post: a command gets no placeholder)."""
    reply = await client.post(slash_command_body(text, response_url=fake_slack.response_url(name)))
    assert reply.status == 200
    [answer] = await fake_slack.wait_for_responses(name, timeout=ANSWER_TIMEOUT_S)
    assert answer["response_type"] == "ephemeral"
    return answer


# The client -----------------------------------------------------------------------------


@pytest.mark.parametrize("trigger", TRIGGERS, ids=str)
async def test_each_trigger_is_a_protocol_error_from_the_client(
    hostile: HostileApi, trigger: str
) -> None:
    operation, said = TRIGGERS[trigger]
    hostile.replies["operation.info"] = reply_of(operation)
    hostile.replies["operation.list"] = reply_of(
        f"<array><data><value>{operation}</value></data></array>"
    )

    async with OperationClient(hostile.url) as client:
        with pytest.raises(ProtocolError) as from_info:
            await client.info(KEY, 100200)
        with pytest.raises(ProtocolError) as from_list:
            await client.list(KEY)

    for error in (from_info.value, from_list.value):
        assert error.message.startswith("the API sent something opsbot cannot read")
        assert said in error.message
        assert len(error.message) < 300


@pytest.mark.parametrize("trigger", TRIGGERS, ids=str)
async def test_a_list_can_be_read_row_by_row_around_a_bad_one(
    hostile: HostileApi, trigger: str
) -> None:
    bad, said = TRIGGERS[trigger]
    rows = "".join(f"<value>{row}</value>" for row in (good(100100), bad, good(100300)))
    hostile.replies["operation.list"] = reply_of(f"<array><data>{rows}</data></array>")

    async with OperationClient(hostile.url) as client:
        reply = await client.list_items(KEY, {"items_per_page": 20})

    assert [operation.id for operation in reply.operations] == [100100, 100300]
    [unreadable] = reply.unreadable
    assert unreadable.reason.startswith(said)
    assert unreadable.op_id == (None if trigger == "id-of-3000-digits" else 100200)


async def test_a_page_the_api_overfills_is_cut_to_what_was_asked(hostile: HostileApi) -> None:
    rows = "".join(f"<value>{good(100100 + n)}</value>" for n in range(1000))
    hostile.replies["operation.list"] = reply_of(f"<array><data>{rows}</data></array>")

    async with OperationClient(hostile.url) as client:
        page = await client.list_items(KEY, {"items_per_page": 20})
        strict = await client.list(KEY, {"items_per_page": 20})
        unasked = await client.list_items(KEY)

    assert [operation.id for operation in page.operations] == list(range(100100, 100120))
    assert page.more_than_asked
    assert [operation.id for operation in strict] == list(range(100100, 100120))
    assert len(unasked.operations) == 1000
    assert not unasked.more_than_asked


# A person's answer, through opsbot serve -----------------------------------------------


@pytest.mark.parametrize("trigger", TRIGGERS, ids=str)
async def test_ops_info_on_each_trigger_answers_in_plain_words(
    hostile: HostileApi, fake_slack: FakeSlack, redis_url: str, trigger: str
) -> None:
    operation, said = TRIGGERS[trigger]
    hostile.replies["operation.info"] = reply_of(operation)

    async with opsbot_on(hostile.url, fake_slack, redis_url, KEY) as (_, client):
        answer = await answer_to(client, fake_slack, "info 100200", "info")

    text = all_text(answer)
    assert "The operation API sent a reply that could not be read" in text
    assert f"the API sent something opsbot cannot read: {said}" in text
    assert "Something went wrong" not in text


@pytest.mark.parametrize("trigger", TRIGGERS, ids=str)
async def test_ops_list_shows_a_bad_row_as_unreadable_and_the_others(
    hostile: HostileApi, fake_slack: FakeSlack, redis_url: str, trigger: str
) -> None:
    bad, said = TRIGGERS[trigger]
    rows = "".join(f"<value>{row}</value>" for row in (good(100100), bad, good(100300)))
    hostile.replies["operation.list"] = reply_of(f"<array><data>{rows}</data></array>")
    hostile.replies["operation.count"] = reply_of("<int>3</int>")

    async with opsbot_on(hostile.url, fake_slack, redis_url, KEY) as (_, client):
        answer = await answer_to(client, fake_slack, "list", "list")

    text = all_text(answer)
    assert answer["text"].startswith("Operations 1–3 of 3")
    assert "*#100100*" in text
    assert "*#100300*" in text
    assert f"This row cannot be read: the API sent {said}" in text


# The simulator's hostile switches --------------------------------------------------------


@pytest.fixture
async def simulator_api() -> AsyncIterator[tuple[Simulator, str]]:
    simulator = Simulator(seed=4, operations=200, keys=[KEY])
    async with serve_simulator(simulator) as served:
        yield simulator, served.url


async def test_a_page_of_40000_rows_is_answered_with_the_rows_asked_for(
    simulator_api: tuple[Simulator, str], fake_slack: FakeSlack, redis_url: str
) -> None:
    simulator, url = simulator_api
    simulator.flood(40_000)

    async with opsbot_on(url, fake_slack, redis_url, KEY) as (_, client):
        answer = await answer_to(client, fake_slack, "list items_per_page=20", "list")

    assert answer["text"].startswith("Operations 1–20 of 200")
    assert "The API returned more rows than asked; showing 20." in all_text(answer)
    infos = [
        element
        for block in answer["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == ids.ACTION_INFO
    ]
    assert len(infos) == 20


async def test_a_9_mb_fault_is_answered_in_a_few_lines(
    simulator_api: tuple[Simulator, str], fake_slack: FakeSlack, redis_url: str
) -> None:
    simulator, url = simulator_api
    simulator.garbage_next(1, "hugefault")

    async with opsbot_on(url, fake_slack, redis_url, KEY) as (_, client):
        answer = await answer_to(client, fake_slack, "count", "count")

    text = all_text(answer)
    assert "The operation API returned an error" in text
    assert "The API said: Error on object : OBJECT_UNKNOWN (CAUSE_UNKNOWN) [xxxxxxxx" in text
    assert len(text) < 5000
