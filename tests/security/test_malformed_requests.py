"""Malformed requests to ``/slack/events`` get 401 or 400 and one short log line.

Before, bolt answered a non-numeric timestamp with a 500 and a traceback,
aiohttp answered a body that is not JSON (sent as JSON, or in ``payload=``)
with a 500 and a traceback, and bolt logged the whole body of every unsigned
request. Now an unsigned request is refused before it is read (401), and a
signed one Slack could not have sent gets 400; either way the log gets one
line of a few words, quoting nothing that was sent.

Against a real ``opsbot serve`` process, reading its log as an operator would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from opsbot.simulator import ServedSimulator
from tests.reliability.edge import keyed_serve, simulated_api
from tests.support.opsbot_app import SIGNING_SECRET
from tests.support.serve_process import ServeProcess
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import FORM_CONTENT_TYPE, JSON_CONTENT_TYPE, sign

FORGED = "not-the-signing-secret-at-all"
# What a refusal's log line may be at most: a few words, never the body.
SHORT_LINE = 200
DEEP = "[" * 200_000 + "]" * 200_000


@dataclass(frozen=True)
class Malformed:
    name: str
    body: bytes
    headers: dict[str, str]
    status: int
    # Signed when sent, with this secret: a signature made at import would be
    # stale (over 5 minutes old) by the time a long run reaches this test.
    signed_with: str | None = None

    def signed_headers(self) -> dict[str, str]:
        if self.signed_with is None:
            return self.headers
        return {**self.headers, **sign(self.body.decode(), self.signed_with)}


CASES = (
    Malformed(
        "a timestamp that is not a number",
        b"command=%2Fops&text=help",
        {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"},
        401,
    ),
    Malformed(
        "a timestamp of 400 digits",
        b"command=%2Fops&text=help",
        {"X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": "v0=00"},
        401,
    ),
    Malformed("no signature at all", b"command=%2Fops&text=help", {}, 401),
    Malformed(
        "a body that is not JSON, sent as JSON",
        b"{not json",
        {"Content-Type": JSON_CONTENT_TYPE},
        401,
        signed_with=FORGED,
    ),
    Malformed(
        "a broken payload= form",
        b"payload=%7Bnot",
        {"Content-Type": FORM_CONTENT_TYPE},
        401,
        signed_with=FORGED,
    ),
    Malformed(
        "a signed body that is not JSON, sent as JSON",
        b"{not json",
        {"Content-Type": JSON_CONTENT_TYPE},
        400,
        signed_with=SIGNING_SECRET,
    ),
    Malformed(
        "a signed, broken payload= form",
        b"payload=%7Bnot",
        {"Content-Type": FORM_CONTENT_TYPE},
        400,
        signed_with=SIGNING_SECRET,
    ),
    Malformed(
        "a signed payload that is a list",
        b"payload=%5B1%5D",
        {"Content-Type": FORM_CONTENT_TYPE},
        400,
        signed_with=SIGNING_SECRET,
    ),
    Malformed(
        "a signed JSON body nested 200,000 deep",
        DEEP.encode(),
        {"Content-Type": JSON_CONTENT_TYPE},
        400,
        signed_with=SIGNING_SECRET,
    ),
)


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        yield slack


@pytest.fixture
async def api() -> AsyncIterator[ServedSimulator]:
    async with simulated_api() as served:
        yield served


async def refusal_lines(opsbot: ServeProcess, mark: int) -> list[str]:
    """Lines logged since ``mark``, once the refusal's own has come."""
    await opsbot.wait_for_line(lambda line: "refused a request" in line, since=mark)
    return opsbot.lines_since(mark)


async def test_malformed_requests_get_401_or_400_and_one_short_log_line(
    fake_slack: FakeSlack, api: ServedSimulator, redis_url: str
) -> None:
    outcomes = {}
    async with (
        keyed_serve(fake_slack, api, redis_url) as opsbot,
        aiohttp.ClientSession() as http,
    ):
        for case in CASES:
            mark = len(opsbot.lines)
            headers = {"Content-Type": FORM_CONTENT_TYPE, **case.signed_headers()}
            url = f"{opsbot.base_url}/slack/events"
            async with http.post(url, data=case.body, headers=headers) as response:
                status = response.status
            lines = await refusal_lines(opsbot, mark)
            outcomes[case.name] = (status, len(lines), max(len(line) for line in lines))
        log = opsbot.log()

    assert outcomes == {case.name: (case.status, 1, outcomes[case.name][2]) for case in CASES}
    assert all(longest <= SHORT_LINE for _, _, longest in outcomes.values())
    assert "Traceback" not in log
    assert "{not json" not in log
    assert "command=" not in log
