"""Random text thrown at ``/ops``: always a 200 within 3 s and a private answer.

Whatever people type (quotes, unicode, escaped HTML, shell metacharacters,
thousands of characters), opsbot answers within Slack's three seconds and
tells them something privately: the answer rides on the ack, comes through
the response_url, or is a modal (``/ops key``, ``/ops relaunch``). It never
answers with a stack trace and never with silence.

Hypothesis and function-scoped fixtures do not mix, so one opsbot serves every
example: it is started inside the test on one event loop, and each example
runs on that loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from opsbot.simulator import Simulator, serve_simulator
from opsbot.slack import commands
from opsbot.slack.commands import parse_command
from opsbot.slack.grammar import CommandError
from tests.support.opsbot_app import SIGNING_SECRET, opsbot_env, running_opsbot
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import TEAM_ID, SlackClient, slash_command_body

# Slack gives up on a request not answered within 3 s.
SLACK_TIMEOUT_S = 3.0
# Slack caps a slash command's text at about 4000 characters.
MAX_TEXT = 4000

_VERBS = [*commands.SUBCOMMANDS, "", "frobnicate", "LIST", "Info"]
# Unbalanced quotes stop the parser early, so they get a strategy of their own
# rather than being sprinkled everywhere.
_QUOTES = ['"', "'", "“", "”", "‘"]
_NASTY = [
    "&lt;",
    "&gt;",
    "&amp;",
    "<!channel>",
    "<@U0123>",
    "$(rm -rf /)",
    "`id`",
    ";",
    "|",
    "&&",
    "\\",
    "*",
    "step=ERROR",
    "step=",
    "=",
    "id=1,2,3",
    "id=abc",
    "page=-1",
    "items_per_page=100000",
    'sort_by="date_created DESC"',
    ">date_created=2026-11-01",
    "<date_updated=yesterday",
    "type=domain_create",
    "nosuchfilter=1",
    "123",
    "-5",
    "99999999999999999999",
    "0x10",
    "\n",
    "\t",
    "🙂",
    "é",
    "中文",
    "\u200b",
    "\u202e",
]


# Words that make a valid command when they follow the right verb, so that
# examples reach the API and not only the parser.
_VALID = [
    "step=ERROR",
    "step=WAIT,BILL",
    "type=domain_create",
    "id=100100,100101",
    'sort_by="date_created DESC"',
    ">date_created=2020-01-01",
    "items_per_page=5",
    "page=2",
    "100100",
    "100150",
    "100499",
    "status",
    "remove",
]


def _command(verb: str, words: list[str]) -> str:
    return " ".join([verb, *words])


command_texts = st.one_of(
    # Commands that reach the API or Redis, and the same with stray words.
    st.builds(_command, st.sampled_from(_VERBS), st.lists(st.sampled_from(_VALID), max_size=3)),
    st.builds(
        _command, st.sampled_from(_VERBS), st.lists(st.sampled_from(_VALID + _NASTY), max_size=6)
    ),
    # Anything at all, and runs of hostile characters with quotes in them.
    st.text(max_size=200),
    st.lists(st.sampled_from(_NASTY + _QUOTES), min_size=1, max_size=12).map("".join),
    # Near Slack's limit on a command's length.
    st.builds(
        lambda verb, filler, size: f"{verb} {filler * MAX_TEXT}"[:size],
        st.sampled_from(_VERBS),
        st.sampled_from(["a", "step=ERROR ", '"', "é", "&lt;"]),
        st.integers(min_value=1000, max_value=MAX_TEXT),
    ),
)


@dataclass
class Harness:
    fake_slack: FakeSlack
    slack_client: SlackClient
    examples: itertools.count[int]


@contextlib.asynccontextmanager
async def serve_opsbot(
    simulator: Simulator, sim_key: str, redis_url: str
) -> AsyncIterator[Harness]:
    async with contextlib.AsyncExitStack() as stack:
        fake_slack = await stack.enter_async_context(FakeSlack())
        served = await stack.enter_async_context(serve_simulator(simulator))
        env = opsbot_env(slack_api_url=fake_slack.api_url, api_url=served.url, redis_url=redis_url)
        opsbot = await stack.enter_async_context(running_opsbot(env))
        await opsbot.set_team_key(TEAM_ID, sim_key)
        # The client gives up where Slack would: a late answer fails the example.
        session = await stack.enter_async_context(
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SLACK_TIMEOUT_S))
        )
        slack_client = await stack.enter_async_context(
            SlackClient(opsbot.base_url, SIGNING_SECRET, session=session, slack=fake_slack)
        )
        yield Harness(fake_slack, slack_client, itertools.count(1))


def _opens_a_modal(text: str) -> bool:
    """``/ops key``, ``/ops relaunch ID`` and ``/ops config`` answer with a modal."""
    try:
        command = parse_command(text)
    except CommandError:
        return False
    return (command.name == commands.KEY and command.key_action == "set") or (
        command.name in (commands.RELAUNCH, commands.CONFIG)
    )


async def answer_to(harness: Harness, text: str) -> dict[str, Any]:
    """Send ``/ops text``; return the private message or modal it got."""
    slack = harness.fake_slack
    n = next(harness.examples)
    name = f"fuzz-{n}"
    opened_before = len(slack.calls_to("views.open"))
    updated_before = len(slack.calls_to("views.update"))
    body = slash_command_body(text, response_url=slack.response_url(name))

    reply = await harness.slack_client.post(body)

    assert reply.status == 200, reply.text
    if reply.text:
        message: dict[str, Any] = reply.json()
        assert message["response_type"] == "ephemeral"
        return message
    if _opens_a_modal(text):
        # Opened at once, then filled (or refused) with views.update.
        [*_, opened] = await slack.wait_for("views.open", count=opened_before + 1)
        # With the trigger_id Slack issued for this very command.
        assert slack.workspace.triggers[opened.args["trigger_id"]].used
        assert opened.error is None
        [*_, updated] = await slack.wait_for("views.update", count=updated_before + 1)
        view: dict[str, Any] = updated.args["view"]
        return {"text": str(view["title"]["text"]), "view": view}
    [first, *_] = await slack.wait_for_responses(name)
    assert first["response_type"] == "ephemeral"
    return first


def test_any_text_gets_a_timely_private_answer(
    simulator: Simulator,
    sim_key: str,
    redis_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    with asyncio.Runner() as runner:
        harness_context = serve_opsbot(simulator, sim_key, redis_url)
        harness = runner.run(harness_context.__aenter__())
        try:

            @settings(
                max_examples=50,
                deadline=None,
                derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            )
            @given(text=command_texts)
            # Every way of answering is taken at least once: the ack, the
            # response_url (with the API or Redis behind it), and a modal.
            @example(text="list step=ERROR items_per_page=5")
            @example(text="info 100100")
            @example(text="cancel 100150")
            @example(text="count nosuchfilter=1")
            @example(text="key status")
            @example(text="key")
            @example(text="relaunch 100499")
            @example(text="watch 100100")
            def answered(text: str) -> None:
                answer = runner.run(answer_to(harness, text))
                assert str(answer.get("text") or "").strip(), answer

            answered()
        finally:
            runner.run(harness_context.__aexit__(None, None, None))

    # Bad input is answered in words, never with a traceback in the logs.
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert failures == []
