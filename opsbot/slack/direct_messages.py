"""The person's direct message with the app: where answers go when there is no channel.

The Home tab has no channel and no response_url, and ``/ops watch 123 dm``
asks for a watch's card and outcome to go to the person rather than the
channel. Both use the bot's DM with the person, opened with
conversations.open (``im:write``).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookResponse

from opsbot.slack.interaction import Interaction

log = logging.getLogger(__name__)


async def direct_message_interaction(asked: Interaction) -> Interaction | None:
    """``asked``, answering in the person's DM with the app; None if Slack refuses it."""
    channel = await open_direct_message(asked.client, asked.user_id)
    if channel is None:
        return None
    requester = dataclasses.replace(asked.requester, channel_id=channel, response_url=None)
    return dataclasses.replace(
        asked, requester=requester, respond=DirectMessageRespond(asked.client, channel)
    )


async def open_direct_message(client: AsyncWebClient, user_id: str) -> str | None:
    """The id of the bot's DM with ``user_id`` (conversations.open, im:write), or None."""
    try:
        opened = await client.conversations_open(users=user_id)
    except SlackApiError as error:
        log.info("could not open a direct message: %s", error.response.get("error"))
        return None
    return str((opened.get("channel") or {}).get("id") or "") or None


class DirectMessageRespond(AsyncRespond):
    """``respond`` for an interaction without a response_url: new messages in a DM.

    Private answers are posted in the person's DM with the app, which only
    they see; ``replace_original`` has no message to replace, so each
    answer is a new message.
    """

    def __init__(self, client: AsyncWebClient, channel: str) -> None:
        super().__init__(response_url=None)
        self._client = client
        self._channel = channel

    async def __call__(  # type: ignore[override]
        self, text: str | dict[str, Any] = "", blocks: Any = None, **_ignored: Any
    ) -> WebhookResponse:
        await self._client.chat_postMessage(channel=self._channel, text=str(text), blocks=blocks)
        return WebhookResponse(url="", status_code=200, body="ok", headers={})
