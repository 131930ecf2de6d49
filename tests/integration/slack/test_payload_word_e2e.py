"""The word "payload" in a slash command is just a word.

bolt's body parser takes any form body containing "payload" for an
interactivity payload; opsbot reads the body itself and gives bolt the
fields (opsbot/slack/inbound.py). The last test watches bolt: when it fails,
bolt reads such bodies right and the workaround can go.
"""

from __future__ import annotations

import pytest
from slack_bolt.request.internals import parse_body

from opsbot.simulator import Simulator
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import (
    FORM_CONTENT_TYPE,
    Sender,
    SlackClient,
    slash_command_body,
)


@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_filter_with_the_word_payload_is_answered(
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
) -> None:
    simulator.create("payload", step="RUN")
    body = slash_command_body("list type=payload", response_url=fake_slack.response_url("l"))

    reply = await slack_client.post(body)
    [answer] = await fake_slack.wait_for_responses("l")

    assert (reply.status, reply.text) == (200, "")
    assert answer["text"].startswith("Operations 1–1 of 1 matching type=payload")


@pytest.mark.usefixtures("opsbot")
async def test_a_command_from_a_channel_named_payload_ops_is_answered(
    slack_client: SlackClient,
) -> None:
    body = slash_command_body(
        "help", response_url="unused", sender=Sender(channel_name="payload-ops")
    )

    reply = await slack_client.post(body)

    assert reply.status == 200
    assert reply.json()["text"].startswith("How to use /ops")


def test_bolt_still_misreads_a_form_mentioning_payload__drop_our_workaround_when_this_fails() -> (
    None
):
    """When bolt reads this body as the form it is, inbound.bolt_request's override can go."""
    body = slash_command_body("list type=payload", response_url="https://hooks.example/1")

    assert parse_body(body, FORM_CONTENT_TYPE) == {}
