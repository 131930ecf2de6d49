"""chat.postMessage, chat.postEphemeral, chat.update, chat.delete, as Slack answers them.

Channel access follows Slack's method pages: a channel the token's team does
not have, or a private one the bot is not in, is ``channel_not_found``; an
archived one ``is_archived``; a public one the bot has not joined is
``not_in_channel`` unless the app holds ``chat:write.public``. Ephemeral
messages are not in history, so chat.update and chat.delete cannot find
them: ``message_not_found`` ("No message exists with the requested
timestamp"), the answer a workspace gives for a ts it does not store.
"""

from __future__ import annotations

from typing import Any

from opsbot.workspace.calls import JSON, Call
from opsbot.workspace.content import Content, lacks_fallback, read_content
from opsbot.workspace.errors import SlackError
from opsbot.workspace.scopes import POST_ANYWHERE
from opsbot.workspace.state import Channel, Ephemeral, Message
from opsbot.workspace.workspace import Workspace


def post_message(call: Call) -> JSON:
    channel = writable_channel(call)
    content = _content(call)
    thread_ts = _thread_parent(call.workspace, channel, call.args.get("thread_ts"))
    message = Message(
        channel=channel.id,
        ts=call.workspace.next_ts(),
        user=call.bot.bot_user_id,
        text=content.text,
        blocks=content.blocks,
        attachments=content.attachments,
        bot_id=call.bot.bot_id,
        app_id=call.workspace.app.app_id,
        team=call.bot.team_id,
        thread_ts=thread_ts,
        reply_broadcast=thread_ts is not None and _flag(call.args.get("reply_broadcast")),
        metadata=call.args.get("metadata"),
    )
    store_message(call.workspace, message)
    return {"ok": True, "channel": channel.id, "ts": message.ts, "message": message.as_slack()}


def post_ephemeral(call: Call) -> JSON:
    channel = writable_channel(call)
    user = call.arg("user")
    if user not in channel.members:
        raise SlackError("user_not_in_channel")
    content = _content(call)
    ephemeral = Ephemeral(
        channel=channel.id,
        ts=call.workspace.next_ts(),
        user=user,
        text=content.text,
        blocks=content.blocks,
        attachments=content.attachments,
        thread_ts=call.args.get("thread_ts"),
        app_id=call.workspace.app.app_id,
    )
    store_ephemeral(call.workspace, ephemeral)
    return {"ok": True, "message_ts": ephemeral.ts}


def update(call: Call) -> JSON:
    message = _own_message(call, "cant_update_message")
    args = call.args
    merged = {
        "text": args.get("text", message.text),
        "blocks": args.get("blocks", message.blocks),
        "attachments": args.get("attachments", message.attachments),
    }
    content = read_content(merged, call.workspace.settings.limits)
    _warn_without_fallback(call.workspace, content, f"chat.update {message.channel}/{message.ts}")
    message.text, message.blocks, message.attachments = (
        content.text,
        content.blocks,
        content.attachments,
    )
    message.edited = {"user": call.bot.bot_user_id, "ts": call.workspace.next_ts()}
    call.workspace.publish("message.updated", channel=message.channel, ts=message.ts)
    return {
        "ok": True,
        "channel": message.channel,
        "ts": message.ts,
        "text": message.text,
        "message": message.as_slack(),
    }


def delete(call: Call) -> JSON:
    message = _own_message(call, "cant_delete_message")
    delete_message(call.workspace, message)
    return {"ok": True, "channel": message.channel, "ts": message.ts}


# --- shared with response_urls and acks ----------------------------------------------


def store_message(workspace: Workspace, message: Message) -> None:
    workspace.messages[(message.channel, message.ts)] = message
    parent = workspace.messages.get((message.channel, message.thread_ts or ""))
    if parent is not None:
        parent.replies.append(message.ts)
    workspace.publish(
        "message.posted", channel=message.channel, ts=message.ts, thread_ts=message.thread_ts
    )


def store_ephemeral(workspace: Workspace, ephemeral: Ephemeral) -> None:
    workspace.ephemerals[(ephemeral.channel, ephemeral.ts)] = ephemeral
    workspace.publish(
        "ephemeral.posted", channel=ephemeral.channel, ts=ephemeral.ts, user=ephemeral.user
    )


def post_as_app(workspace: Workspace, team_id: str, channel_id: str, content: Content) -> Message:
    """A message the app posts without chat.postMessage (an in_channel answer)."""
    bot = workspace.installation_of(team_id)
    message = Message(
        channel=channel_id,
        ts=workspace.next_ts(),
        user=bot.bot_user_id,
        text=content.text,
        blocks=content.blocks,
        attachments=content.attachments,
        bot_id=bot.bot_id,
        app_id=workspace.app.app_id,
        team=team_id,
    )
    store_message(workspace, message)
    return message


def post_privately(
    workspace: Workspace, channel_id: str, user_id: str, content: Content
) -> Ephemeral:
    """An ephemeral answer to ``user_id`` (a slash command's ack, a response_url post)."""
    ephemeral = Ephemeral(
        channel=channel_id,
        ts=workspace.next_ts(),
        user=user_id,
        text=content.text,
        blocks=content.blocks,
        attachments=content.attachments,
        app_id=workspace.app.app_id,
    )
    store_ephemeral(workspace, ephemeral)
    return ephemeral


def delete_message(workspace: Workspace, message: Message) -> None:
    del workspace.messages[(message.channel, message.ts)]
    parent = workspace.messages.get((message.channel, message.thread_ts or ""))
    if parent is not None and message.ts in parent.replies:
        parent.replies.remove(message.ts)
    workspace.publish("message.deleted", channel=message.channel, ts=message.ts)


def writable_channel(call: Call) -> Channel:
    """The channel ``call`` posts to, if the bot may post there."""
    channel = call.workspace.channel_for(call.bot, call.arg("channel"))
    if channel.is_private and not channel.bot_member:
        raise SlackError("channel_not_found")
    if channel.is_archived:
        raise SlackError("is_archived")
    if not channel.bot_member and POST_ANYWHERE not in call.bot.scopes:
        raise SlackError("not_in_channel")
    return channel


# --- helpers ---------------------------------------------------------------------------


def _content(call: Call) -> Content:
    content = read_content(call.args, call.workspace.settings.limits)
    _warn_without_fallback(call.workspace, content, f"{call.method} {call.args.get('channel')}")
    return content


def _warn_without_fallback(workspace: Workspace, content: Content, where: str) -> None:
    if lacks_fallback(content):
        workspace.warn("missing_text", f"{where}: blocks without a top-level text fallback")


def _thread_parent(workspace: Workspace, channel: Channel, thread_ts: Any) -> str | None:
    """The parent a reply goes under.

    chat.postMessage: "Avoid using a reply's ts value; use its parent instead."
    Slack's answer to a reply's ts or an unknown ts is not documented: the reply
    is filed under the parent (or the unknown ts) and a warning is recorded for
    tests to catch.
    """
    if not thread_ts:
        return None
    parent = workspace.messages.get((channel.id, str(thread_ts)))
    if parent is not None and parent.thread_ts is None:
        return parent.ts
    workspace.warn("thread_ts", f"thread_ts {thread_ts} is not a top-level message in {channel.id}")
    return str(thread_ts) if parent is None else parent.thread_ts


def _own_message(call: Call, not_ours: str) -> Message:
    channel = call.workspace.channel_for(call.bot, call.arg("channel"))
    ts = call.arg("ts")
    message = call.workspace.messages.get((channel.id, ts))
    if message is None:
        raise SlackError("message_not_found")
    if message.bot_id != call.bot.bot_id:
        raise SlackError(not_ours)
    return message


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")
