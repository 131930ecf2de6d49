"""Every Web API client opsbot builds waits out a short 429 and hands back a long one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError

from opsbot.slack_web import LONGEST_RETRY_AFTER_S, patiently, web_client
from tests.support.opsbot_app import BOT_TOKEN
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import CHANNEL_ID


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


async def test_a_short_retry_after_is_waited_out_inside_the_client(slack: FakeSlack) -> None:
    slack.rate_limit("chat.postMessage", retry_after=1, times=1)

    posted = await web_client(slack.api_url, BOT_TOKEN).chat_postMessage(
        channel=CHANNEL_ID, text="hi"
    )

    assert posted["ok"]
    assert [c.error for c in slack.calls_to("chat.postMessage")] == ["ratelimited", None]


async def test_a_long_retry_after_is_the_caller_s_to_schedule(slack: FakeSlack) -> None:
    """A watcher holding a team's lease must not sleep for long inside a client."""
    slack.rate_limit("chat.postMessage", retry_after=LONGEST_RETRY_AFTER_S + 27, times=1)

    with pytest.raises(SlackApiError) as refused:
        await web_client(slack.api_url, BOT_TOKEN).chat_postMessage(channel=CHANNEL_ID, text="hi")

    assert refused.value.response.status_code == 429
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_patiently_keeps_waiting_past_the_client_s_own_retries(slack: FakeSlack) -> None:
    client = web_client(slack.api_url, BOT_TOKEN)
    # 4 refusals: more than the client retries by itself (1 + 3 attempts).
    slack.rate_limit("chat.postMessage", retry_after=1, times=4)

    posted = await patiently(lambda: client.chat_postMessage(channel=CHANNEL_ID, text="card"))

    assert posted["ok"]
    assert len(slack.calls_to("chat.postMessage")) == 5
