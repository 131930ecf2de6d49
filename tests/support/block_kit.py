"""Block Kit pieces for tests that build payloads by hand: text objects, options, sections."""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]


def plain(text: str) -> JSON:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> JSON:
    return {"type": "mrkdwn", "text": text}


def option(value: str, text: str | None = None) -> JSON:
    return {"text": plain(text or value), "value": value}


def section(text: str = "hello") -> JSON:
    return {"type": "section", "text": mrkdwn(text)}
