"""The checks at the door of ``/slack/events``, one by one (opsbot/slack/inbound.py)."""

from __future__ import annotations

import time

import pytest

from opsbot.slack.inbound import Refusal, bolt_request, check_signature, read_fields
from tests.support.slack_requests import (
    FORM_CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    sign,
    slash_command_body,
)

SECRET = "signing-secret-for-inbound-tests"


def refusal(body: bytes, headers: dict[str, str], now: float | None = None) -> tuple[int, str]:
    with pytest.raises(Refusal) as refused:
        check_signature(headers, body, SECRET, time.time() if now is None else now)
    return refused.value.status, refused.value.reason


def test_a_request_signed_with_the_secret_within_five_minutes_passes() -> None:
    body = "command=%2Fops&text=help"
    check_signature(sign(body, SECRET), body.encode(), SECRET, time.time())


def test_signatures_are_checked_on_the_bytes_received() -> None:
    headers = sign("text=caf\u00e9", SECRET)
    assert refusal(b"text=caf\xe9", headers) == (401, "a bad signature")


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "no valid request timestamp"),
        ({"X-Slack-Request-Timestamp": "-12"}, "no valid request timestamp"),
        ({"X-Slack-Request-Timestamp": "1e9"}, "no valid request timestamp"),
        ({"X-Slack-Request-Timestamp": "\u0661\u0662"}, "no valid request timestamp"),
        ({"X-Slack-Request-Timestamp": "1" * 13}, "no valid request timestamp"),
        ({"X-Slack-Request-Timestamp": "1000000000"}, "a stale request timestamp"),
    ],
)
def test_timestamps_that_are_not_recent_seconds_are_refused(
    headers: dict[str, str], reason: str
) -> None:
    assert refusal(b"text=x", headers) == (401, reason)


def test_a_replayed_request_is_refused_after_five_minutes() -> None:
    body = "text=x"
    headers = sign(body, SECRET)
    later = float(headers["X-Slack-Request-Timestamp"]) + 301
    assert refusal(body.encode(), headers, now=later) == (401, "a stale request timestamp")


def test_a_form_that_mentions_payload_is_read_as_the_form_it_is() -> None:
    body = slash_command_body("list type=payload", response_url="https://hooks.example/1")

    text, fields = read_fields(body.encode(), FORM_CONTENT_TYPE)
    request = bolt_request(text, "", {"Content-Type": FORM_CONTENT_TYPE}, fields)

    assert fields["text"] == "list type=payload"
    assert request.body == fields
    assert (request.context.team_id, request.context.user_id) == ("T0123", "U0123")


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"\xff\xfe", FORM_CONTENT_TYPE, "a body that is not UTF-8"),
        (b"[1, 2]", JSON_CONTENT_TYPE, "a JSON body that is not a JSON object"),
        (b'{"a": ', FORM_CONTENT_TYPE, "a JSON body that is not JSON"),
        (b"payload=%22text%22", FORM_CONTENT_TYPE, "a payload field that is not a JSON object"),
    ],
)
def test_bodies_slack_would_not_send_are_refused_with_400(
    body: bytes, content_type: str, reason: str
) -> None:
    with pytest.raises(Refusal) as refused:
        read_fields(body, content_type)
    assert (refused.value.status, refused.value.reason) == (400, reason)
