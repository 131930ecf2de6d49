"""response_url: where the app answers an interaction after its ack.

docs.slack.dev/interactivity/handling-user-interaction: a response_url can be
used "up to 5 times within 30 minutes". ``replace_original`` and
``delete_original`` act on the message that carried the component the person
clicked (``block_actions``); a slash command has no such message, so
"replace" posts a new message instead (bolt-python #1268, bolt-js #2287): it
is done, and recorded as a warning for tests that check no "Working on it…"
is left behind. ``response_type: in_channel`` posts to the channel for
everyone, anything else is ephemeral to the person. Refusals are HTTP errors
with Slack's short text (``used_url``, ``expired_url``, ``no_text``,
``invalid_blocks``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from opsbot.workspace.chat import delete_message, post_as_app, post_privately
from opsbot.workspace.content import Content, lacks_fallback, read_content
from opsbot.workspace.errors import SlackError
from opsbot.workspace.state import Ephemeral, Message, ResponseUrl
from opsbot.workspace.workspace import Workspace

RESPONSE_PATH = "/response/"


class Refused(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


def response_handler(workspace: Workspace) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def answer(request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.text())
            if not isinstance(body, dict):
                raise Refused(400, "invalid_payload")
            respond(workspace, request.match_info["id"], body)
        except json.JSONDecodeError:
            return web.Response(status=400, text="invalid_payload")
        except Refused as refused:
            workspace.publish("response_url.refused", reason=refused.text)
            return web.Response(status=refused.status, text=refused.text)
        if workspace.faults.latency:
            await asyncio.sleep(workspace.faults.latency)
        return web.Response(text="ok")

    return answer


def respond(workspace: Workspace, url_id: str, body: dict[str, Any]) -> None:
    """Apply one post to a response_url, or raise :class:`Refused` as Slack would."""
    url = _usable(workspace, url_id)
    if _flag(body.get("delete_original")):
        _delete_original(workspace, url)
    else:
        content = _content(workspace, body)
        if _flag(body.get("replace_original")) and url.source is not None:
            _replace_original(workspace, url, content)
        else:
            _post_new(workspace, url, content, body)
    url.uses += 1
    url.posts.append(body)
    workspace.publish("response_url.used", url=url_id, uses=url.uses)


def _usable(workspace: Workspace, url_id: str) -> ResponseUrl:
    url = workspace.response_urls.get(url_id)
    limits = workspace.settings.limits
    if url is None or workspace.clock() - url.issued_at > limits.response_url_seconds:
        raise Refused(404, "expired_url")
    try:
        workspace.installation_of(url.team_id)
    except KeyError:
        # Uninstalled since: the app's answers go nowhere.
        raise Refused(404, "expired_url") from None
    if url.uses >= limits.response_url_uses:
        raise Refused(404, "used_url")
    return url


def _content(workspace: Workspace, body: dict[str, Any]) -> Content:
    try:
        content = read_content(body, workspace.settings.limits)
    except SlackError as error:
        raise Refused(400, error.error) from None
    if lacks_fallback(content):
        workspace.warn("missing_text", "response_url post: blocks without a text fallback")
    return content


def _delete_original(workspace: Workspace, url: ResponseUrl) -> None:
    if url.source is None:
        workspace.warn("delete_without_original", "delete_original after a slash command")
        return
    channel, ts, ephemeral = url.source
    if ephemeral:
        if workspace.ephemerals.pop((channel, ts), None) is None:
            raise Refused(404, "message_not_found")
        workspace.publish("ephemeral.deleted", channel=channel, ts=ts, user=url.user_id)
        return
    message = workspace.messages.get((channel, ts))
    if message is None:
        raise Refused(404, "message_not_found")
    delete_message(workspace, message)


def _replace_original(workspace: Workspace, url: ResponseUrl, content: Content) -> None:
    assert url.source is not None
    channel, ts, ephemeral = url.source
    original: Message | Ephemeral | None = (
        workspace.ephemerals.get((channel, ts))
        if ephemeral
        else workspace.messages.get((channel, ts))
    )
    if original is None:
        raise Refused(404, "message_not_found")
    original.text, original.blocks, original.attachments = (
        content.text,
        content.blocks,
        content.attachments,
    )
    kind = "ephemeral.updated" if ephemeral else "message.updated"
    workspace.publish(kind, channel=channel, ts=ts, user=url.user_id)


def _post_new(
    workspace: Workspace, url: ResponseUrl, content: Content, body: dict[str, Any]
) -> None:
    if _flag(body.get("replace_original")):
        workspace.warn(
            "replace_without_original",
            "replace_original after a slash command posts a new message",
        )
    if body.get("response_type") == "in_channel":
        post_as_app(workspace, url.team_id, url.channel_id, content)
    else:
        post_privately(workspace, url.channel_id, url.user_id, content)


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
