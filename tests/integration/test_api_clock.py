"""The API's clock: its dates carry no zone and are Paris time; opsbot reads and writes them so.

A server that writes its dates as the live service does (Paris wall time,
no zone) stands for the API; opsbot (the client, and a real ``opsbot serve``
for what a person sees) must show the true instants, and write its date
filters on the same clock. Read as UTC, every date was one or two hours off:
an operation created 30 minutes ago showed as "just now" (in the future),
and ``>date_created=24h`` asked for one or two hours too much.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from opsbot.api import xmlrpc
from opsbot.api.client import OperationClient
from opsbot.simulator import ManualClock, Simulator, serve_simulator
from tests.support.opsbot_app import SIGNING_SECRET, opsbot_env, running_opsbot
from tests.support.slack_api import JSON, FakeSlack
from tests.support.slack_requests import TEAM_ID, SlackClient, slash_command_body
from tests.support.surfaces import all_text

PARIS = ZoneInfo("Europe/Paris")
KEY = "parisclockkey0123456789a"


def paris_wall(moment: dt.datetime) -> str:
    """``moment`` as the live service writes it: Paris wall time, no zone."""
    return moment.astimezone(PARIS).strftime("%Y%m%dT%H:%M:%S")


@dataclass
class ParisApi:
    """Answers operation.info with one operation created at ``created``, written in Paris time."""

    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    url: str = ""
    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        # Read back with no conversion, to see the filters exactly as sent.
        method, params = xmlrpc.decode_call(body, zone=dt.UTC)
        self.calls.append((method, params))
        if method == "operation.count":
            return self.reply("<int>0</int>")
        if method == "operation.list":
            return self.reply("<array><data></data></array>")
        wall = paris_wall(self.created)
        return self.reply(
            "<struct><member><name>id</name><value><int>100123</int></value></member>"
            "<member><name>type</name><value><string>domain_renew</string></value></member>"
            "<member><name>step</name><value><string>RUN</string></value></member>"
            "<member><name>date_created</name><value>"
            f"<dateTime.iso8601>{wall}</dateTime.iso8601></value></member></struct>"
        )

    def reply(self, value_xml: str) -> web.Response:
        body = (
            "<?xml version='1.0'?><methodResponse><params><param><value>"
            f"{value_xml}</value></param></params></methodResponse>"
        )
        return web.Response(body=body.encode(), content_type="text/xml")


@pytest.fixture
async def paris_api() -> AsyncIterator[ParisApi]:
    api = ParisApi()
    app = web.Application()
    app.router.add_post("/xmlrpc/", api.handle)
    server = TestServer(app)
    await server.start_server()
    api.url = str(server.make_url("/xmlrpc/"))
    try:
        yield api
    finally:
        await server.close()


async def answer_to(url: str, redis_url: str, text: str) -> tuple[JSON, dt.datetime]:
    """A person's private answer to ``/ops text`` from opsbot serve, and when it was asked."""
    async with FakeSlack() as slack:
        env = opsbot_env(slack_api_url=slack.api_url, api_url=url, redis_url=redis_url)
        async with (
            running_opsbot(env) as opsbot,
            SlackClient(opsbot.base_url, SIGNING_SECRET, slack=slack) as client,
        ):
            await opsbot.set_team_key(TEAM_ID, KEY)
            asked = dt.datetime.now(dt.UTC)
            reply = await client.post(
                slash_command_body(text, response_url=slack.response_url("a"))
            )
            assert reply.status == 200
            [answer] = await slack.wait_for_responses("a", timeout=10)
    return answer, asked


# Reading ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "created",
    [
        dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 7, 15, 9, 30, tzinfo=dt.UTC),
        # The first and the second pass of the repeated hour: both are written
        # 02:30; opsbot reads the first (see from_api_clock).
        dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC),
    ],
)
async def test_the_client_reads_paris_dates_as_the_instants_they_are(
    paris_api: ParisApi, created: dt.datetime
) -> None:
    paris_api.created = created
    async with OperationClient(paris_api.url) as client:
        operation = await client.info(KEY, 100123)
    assert operation.date_created == created


async def test_a_person_sees_an_operation_created_30_minutes_ago_as_30_minutes_ago(
    paris_api: ParisApi, redis_url: str
) -> None:
    paris_api.created = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=30)

    answer, _ = await answer_to(paris_api.url, redis_url, "info 100123")

    text = all_text(answer)
    shown = paris_api.created.strftime("%Y-%m-%d %H:%M UTC")
    assert re.search(rf"{shown} \((30|31) min ago\)", text), text


# Writing ------------------------------------------------------------------------------


async def test_a_relative_filter_is_written_on_the_api_clock(
    paris_api: ParisApi, redis_url: str
) -> None:
    _, asked = await answer_to(paris_api.url, redis_url, "list >date_created=24h")

    [(_, listed)] = [call for call in paris_api.calls if call[0] == "operation.list"]
    sent = dt.datetime.fromisoformat(listed[1][">date_created"])
    expected = (asked - dt.timedelta(hours=24)).astimezone(PARIS).replace(tzinfo=None)
    assert abs(sent - expected) < dt.timedelta(seconds=30)


async def test_a_day_is_sent_as_the_day_the_api_reads_on_its_clock(
    paris_api: ParisApi, redis_url: str
) -> None:
    await answer_to(paris_api.url, redis_url, "count date_created=2026-11-01")

    [(_, counted)] = [call for call in paris_api.calls if call[0] == "operation.count"]
    assert counted[1] == {"date_created": "2026-11-01"}


# Against the simulator, which speaks the same clock ---------------------------------------


async def test_a_new_subscription_finds_nothing_created_before_it() -> None:
    # A subscription looks for >date_created=its start. Read on the wrong clock,
    # that start was one or two hours early, and a fresh subscription posted
    # cards for operations created before it.
    clock = ManualClock(dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC))
    simulator = Simulator(seed=2, operations=0, keys=[KEY], clock=clock)
    before = simulator.create("domain_renew", key=KEY)
    clock.advance(30 * 60)
    start = clock()
    clock.advance(60)
    after = simulator.create("domain_renew", key=KEY)

    async with serve_simulator(simulator) as served:
        async with OperationClient(served.url, api_zone=PARIS) as client:
            found = await client.list(KEY, {">date_created": start})
        async with OperationClient(served.url, api_zone=ZoneInfo("UTC")) as wrong_clock:
            found_on_the_wrong_clock = await wrong_clock.list(KEY, {">date_created": start})

    assert [operation.id for operation in found] == [after]
    assert {operation.id for operation in found_on_the_wrong_clock} == {before, after}
