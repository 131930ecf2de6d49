"""A message's content checked as Slack checks it, for every way a message is sent.

chat.postMessage, chat.update, chat.postEphemeral, a response_url post and a
slash command's ack all carry ``text`` / ``blocks`` / ``attachments``; they
share these rules and differ only in how they word a refusal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from opsbot.workspace.blocks import (
    blocks_text_length,
    message_problems,
    problems_as_messages,
    slack_length,
)
from opsbot.workspace.errors import SlackError, validation_error
from opsbot.workspace.settings import Limits


@dataclass(frozen=True)
class Content:
    text: str
    blocks: list[Any] | None
    attachments: list[Any] | None


def read_content(args: dict[str, Any], limits: Limits) -> Content:
    """The content ``args`` carry, or Slack's refusal of it."""
    blocks = _json_list(args.get("blocks"), "invalid_blocks_format")
    attachments = _json_list(args.get("attachments"), "invalid_attachments")
    text = args.get("text") or ""
    if not isinstance(text, str):
        raise SlackError("invalid_arguments")
    if not (text or blocks or attachments):
        raise SlackError("no_text")
    check_content(Content(text, blocks, attachments), limits)
    return Content(text, blocks, attachments)


def check_content(content: Content, limits: Limits) -> None:
    if slack_length(content.text) > limits.message_text:
        raise SlackError("msg_too_long")
    if content.blocks is None:
        return
    problems = message_problems(content.blocks)
    if problems:
        raise validation_error("invalid_blocks", problems_as_messages(problems))
    if blocks_text_length(content.blocks) > limits.message_blocks_text:
        raise SlackError("msg_blocks_too_long")


def lacks_fallback(content: Content) -> bool:
    """Blocks without a top-level ``text``: Slack posts it but warns.

    chat.postMessage: "we highly recommended that you include text to provide
    a fallback when using blocks"; it is the notification and what a screen
    reader says.
    """
    return bool(content.blocks) and not content.text.strip()


def _json_list(value: Any, error: str) -> list[Any] | None:
    # Form-encoded calls carry these as JSON strings.
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise SlackError(error) from None
    if value is None or isinstance(value, list):
        return value
    raise SlackError(error)
