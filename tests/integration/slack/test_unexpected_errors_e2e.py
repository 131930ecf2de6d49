"""No silence on an unexpected error: every listener ends in a private answer with a reference.

Each trigger is an exception nobody planned for, raised where it would be
in production: a button value Slack would never send (a forged click), a
store call failing after the API acted, a hostile API reply, a modal's
metadata that does not parse (before the ack), Redis gone before bolt can
even find the team's token (OAuth mode). Each must end in "Something went
wrong on our side (reference …)" where the person is looking, and that
reference in exactly one log line, without a traceback above DEBUG.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from opsbot.api.operation import ERROR, WAIT
from opsbot.simulator import ServedSimulator, Simulator
from opsbot.store.server import RedisServer
from tests.support.cancel_confirmation import confirm, open_confirmation
from tests.support.opsbot_app import (
    SIGNING_SECRET,
    RunningOpsbot,
    opsbot_env,
    running_opsbot,
)
from tests.support.redis_faults import private_redis, stopped
from tests.support.slack_api import JSON, FakeSlack
from tests.support.slack_requests import (
    SlackClient,
    block_actions_body,
    plain_text_state,
    slash_command_body,
    view_submission_body,
)
from tests.support.surfaces import all_text

REFERENCE = re.compile(r"\(reference ([0-9A-F]{8})\)")
UNEXPECTED = "Something went wrong on our side (reference "


def reference_in(text: str) -> str:
    found = REFERENCE.search(text)
    assert found is not None, text
    return found[1]


def assert_logged_once(caplog: pytest.LogCaptureFixture, reference: str) -> None:
    """One line above DEBUG names the reference, without a traceback; DEBUG has the traceback."""
    loud = [r for r in caplog.records if r.levelno > logging.DEBUG and reference in r.getMessage()]
    assert len(loud) == 1, [r.getMessage() for r in loud]
    [line] = loud
    assert line.exc_info is None
    assert "\n" not in line.getMessage()
    traceback = [
        r
        for r in caplog.records
        if r.name == "opsbot.slack.failures" and r.levelno == logging.DEBUG
        if reference in r.getMessage()
    ]
    assert [r.exc_info is not None for r in traceback] == [True]


def raising(message: str) -> Any:
    async def fail(*_args: object, **_kwargs: object) -> NoReturn:
        raise RuntimeError(message)

    return fail


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


# --- after the ack: the person is told privately ------------------------------------------


async def test_a_store_failing_after_the_api_acted_is_answered_with_a_reference(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    logged: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    op_id = simulator.create("domain_renew", step=WAIT)
    confirmation = await open_confirmation(slack_client, fake_slack, f"{op_id}", "c")
    monkeypatch.setattr(keyed_opsbot.services.audit, "record", raising("audit stream is gone"))

    answer = all_text(await confirm(slack_client, confirmation))

    assert simulator.calls["operation.cancel"] == 1
    assert UNEXPECTED in answer
    reference = reference_in(answer)
    assert_logged_once(logged, reference)
    assert "audit stream is gone" in "\n".join(r.getMessage() for r in logged.records)


@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_hostile_api_reply_ends_in_a_private_answer(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    logged: pytest.LogCaptureFixture,
) -> None:
    op_id = simulator.create("domain_renew", step=WAIT)
    simulator.garbage_next(1, "infinite_eta")

    body = slash_command_body(f"info {op_id}", response_url=fake_slack.response_url("info"))
    assert (await slack_client.post(body)).status == 200
    [answer] = await fake_slack.wait_for_responses("info")

    # Whatever reads the reply (a typed error, or the guard), the person is answered.
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("The operation API sent a reply that could not be read")
    assert not [r for r in logged.records if r.levelno > logging.DEBUG and r.exc_info]


# --- modals: the modal itself says it -----------------------------------------------------


async def test_a_relaunch_submit_whose_store_fails_shows_the_reference_in_the_modal(
    keyed_opsbot: RunningOpsbot,
    slack_client: SlackClient,
    simulator: Simulator,
    logged: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    op_id = simulator.create("domain_create", step=ERROR, domain="failing.es")
    monkeypatch.setattr(keyed_opsbot.services.team_keys, "get", raising("team keys unreadable"))
    metadata = json.dumps({"operation_id": op_id, "channel_id": "C0123", "response_url": ""})

    reply = await slack_client.post(
        view_submission_body(
            "relaunch",
            {"authinfo": {"value": plain_text_state("Code-123")}},
            private_metadata=metadata,
        )
    )

    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "update"
    shown = json.dumps(answer["view"])
    assert UNEXPECTED in shown
    assert_logged_once(logged, reference_in(shown))
    assert simulator.calls["operation.relaunch"] == 0


async def test_a_key_submit_whose_store_fails_shows_the_reference_in_the_modal(
    opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    sim_key: str,
    logged: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_slack.set_user("U0123", is_admin=True)
    monkeypatch.setattr(opsbot.services.team_keys, "set", raising("cannot write keys"))

    typed = {"api_key": {"value": plain_text_state(sim_key)}}
    reply = await slack_client.post(view_submission_body("api_key", typed))

    assert reply.status == 200
    shown = json.dumps(reply.json())
    assert UNEXPECTED in shown
    assert_logged_once(logged, reference_in(shown))


# --- before the ack: bolt's error handler answers on the ack ------------------------------


@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_modal_whose_metadata_does_not_parse_is_answered_on_the_ack(
    slack_client: SlackClient,
    logged: pytest.LogCaptureFixture,
) -> None:
    reply = await slack_client.post(
        view_submission_body("relaunch", {}, private_metadata="{not json")
    )

    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "update"
    assert_logged_once(logged, reference_in(json.dumps(answer["view"])))


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    with private_redis(tmp_path / "redis") as server:
        yield server


@pytest.fixture
async def oauth_opsbot(
    own_redis: RedisServer, fake_slack: FakeSlack, sim_server: ServedSimulator
) -> AsyncIterator[RunningOpsbot]:
    env = opsbot_env(
        slack_api_url=fake_slack.api_url,
        api_url=sim_server.url,
        redis_url=own_redis.url,
        oauth=True,
    )
    async with running_opsbot(env) as running:
        yield running


async def test_redis_gone_before_the_ack_is_answered_on_the_ack(
    oauth_opsbot: RunningOpsbot,
    own_redis: RedisServer,
    fake_slack: FakeSlack,
    logged: pytest.LogCaptureFixture,
) -> None:
    # In OAuth mode the team's token is looked up in Redis before any listener runs.
    await stopped(own_redis)
    async with SlackClient(oauth_opsbot.base_url, SIGNING_SECRET, slack=fake_slack) as client:
        reply = await client.post(slash_command_body("help", response_url="unused"))

    assert reply.status == 200
    answer: JSON = reply.json()
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith(UNEXPECTED)
    assert_logged_once(logged, reference_in(answer["text"]))


async def test_redis_gone_before_a_click_is_acked_is_told_privately(
    oauth_opsbot: RunningOpsbot,
    own_redis: RedisServer,
    fake_slack: FakeSlack,
    logged: pytest.LogCaptureFixture,
) -> None:
    await stopped(own_redis)
    async with SlackClient(oauth_opsbot.base_url, SIGNING_SECRET, slack=fake_slack) as client:
        body = block_actions_body("op_info", "1", response_url=fake_slack.response_url("c"))
        reply = await client.post(body)
    [answer] = await fake_slack.wait_for_responses("c")

    assert (reply.status, reply.text) == (200, "")
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith(UNEXPECTED)
    assert_logged_once(logged, reference_in(answer["text"]))
