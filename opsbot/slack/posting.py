"""Messages posted while answering someone, at the pace the watcher keeps too.

The watcher's poster and these answers share each channel's token bucket in
Redis (:mod:`opsbot.store.pacing`), so that ``opsbot serve`` and every worker
together stay within Slack's one post a second per channel. An answer waits
for its token a little, then goes anyway: a person is waiting for it, and
the poster, which always waits, leaves room after it. A 429 pauses the
channel for everyone.
"""

from __future__ import annotations

import time
from typing import Any, Final

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from opsbot.store.pacing import ChannelPacing

# An answer waits this long for its channel's token at most.
ANSWER_WAIT_S: Final = 2.0


async def post_paced(
    client: AsyncWebClient,
    pacing: ChannelPacing,
    team_id: str,
    channel: str,
    **message: Any,
) -> AsyncSlackResponse:
    """``chat.postMessage`` to ``channel`` once it has a token (or waited long enough)."""
    await pacing.wait_for_post(team_id, channel, time.time, at_most_s=ANSWER_WAIT_S)
    try:
        return await client.chat_postMessage(channel=channel, **message)
    except SlackApiError as error:
        if error.response.status_code == 429 or error.response.get("error") == "ratelimited":
            retry_after = _retry_after(error.response.headers.get("Retry-After"))
            await pacing.pause_channel(team_id, channel, time.time() + retry_after)
        raise


def _retry_after(value: Any) -> float:
    try:
        return max(float(value), 1.0)
    except (TypeError, ValueError):
        return 1.0
