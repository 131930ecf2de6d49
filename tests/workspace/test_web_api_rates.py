"""Rate limits answered over HTTP: 429 with Retry-After, as slack_sdk reads them."""

from __future__ import annotations

import pytest
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryState
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.workspace import Burst, ManualClock, Rates, Window, Workspace, WorkspaceSettings
from tests.workspace.conftest import CHANNEL, MEMBER, PRIVATE, refusal


@pytest.fixture
def settings() -> WorkspaceSettings:
    return WorkspaceSettings(
        rates=Rates(
            post_per_channel=Burst(per_second=1.0, burst=2),
            tiers={"chat.update": Window(calls=3, seconds=60), "users.info": Window(calls=5)},
        )
    )


async def test_the_third_post_in_a_second_is_429_with_retry_after(
    client: AsyncWebClient, workspace: Workspace, clock: ManualClock
) -> None:
    await client.chat_postMessage(channel=CHANNEL, text="1")
    await client.chat_postMessage(channel=CHANNEL, text="2")

    answer = await refusal(client.chat_postMessage(channel=CHANNEL, text="3"))

    assert answer.status_code == 429
    assert answer["error"] == "ratelimited"
    assert answer.headers["Retry-After"] == "1"
    assert [m.text for m in workspace.history(CHANNEL)] == ["1", "2"]
    clock.advance(1)
    await client.chat_postMessage(channel=CHANNEL, text="3")


async def test_thread_replies_count_as_posts_to_the_channel(client: AsyncWebClient) -> None:
    card = await client.chat_postMessage(channel=CHANNEL, text="card")
    await client.chat_postMessage(channel=CHANNEL, text="step", thread_ts=card["ts"])

    answer = await refusal(
        client.chat_postMessage(channel=CHANNEL, text="step", thread_ts=card["ts"])
    )

    assert answer.status_code == 429


async def test_another_channel_is_not_held_up(client: AsyncWebClient) -> None:
    for text in ("1", "2"):
        await client.chat_postMessage(channel=CHANNEL, text=text)

    await client.chat_postMessage(channel=PRIVATE, text="elsewhere")


async def test_chat_update_is_limited_per_workspace_per_minute(
    client: AsyncWebClient, clock: ManualClock
) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL, text="card")
    for n in range(3):
        await client.chat_update(channel=CHANNEL, ts=posted["ts"], text=str(n))
        clock.advance(10)

    answer = await refusal(client.chat_update(channel=CHANNEL, ts=posted["ts"], text="4"))

    assert (answer.status_code, answer.headers["Retry-After"]) == (429, "30")


async def test_users_info_by_its_tier(client: AsyncWebClient) -> None:
    for _ in range(5):
        await client.users_info(user=MEMBER)

    answer = await refusal(client.users_info(user=MEMBER))

    assert answer.status_code == 429


async def test_slack_sdks_retry_handler_reads_retry_after(
    client: AsyncWebClient, workspace: Workspace, clock: ManualClock
) -> None:
    """What opsbot's clients should do: slack_sdk's handler waits Retry-After, then retries.

    The wait is made on the workspace's clock instead of asyncio.sleep.
    """

    class WaitOnTheClock(AsyncRateLimitErrorRetryHandler):
        async def prepare_for_next_attempt_async(
            self,
            *,
            state: RetryState,
            request: HttpRequest,
            response: HttpResponse | None = None,
            error: Exception | None = None,
        ) -> None:
            del request, error  # the same signature as the handler it replaces
            assert response is not None
            headers = {key.lower(): value for key, value in response.headers.items()}
            clock.advance(int(headers["retry-after"][0]))
            state.next_attempt_requested = True
            state.increment_current_attempt()

    retrying = AsyncWebClient(
        token=client.token,
        base_url=client.base_url,
        retry_handlers=[WaitOnTheClock(max_retry_count=1)],
    )
    for text in ("1", "2", "3"):
        await retrying.chat_postMessage(channel=CHANNEL, text=text)

    assert [m.text for m in workspace.history(CHANNEL)] == ["1", "2", "3"]
