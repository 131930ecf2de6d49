"""Answering after the ack: through ``respond`` (response_url).

A "working…" placeholder is shown only where the answer can replace it: in
the message whose button was clicked, when the answer redraws that message
(paging, Cancel). ``replace_original`` acts on the message that carried the
clicked component and on nothing else (docs.slack.dev/interactivity/
handling-user-interaction; bolt-python #1268): after a slash command, or a
click answered in a new message (Info on a public card), a placeholder
could never be replaced and would stay behind looking like the answer, and
replacing would turn the clicked message itself into the answer.

Slack takes at most :data:`RESPONSE_URL_USES` posts on one response_url, the
placeholder included; an answer longer than that ends with a note on what
was left out rather than posts Slack would refuse.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Final

from slack_bolt.context.respond.async_respond import AsyncRespond

from opsbot.slack import failures
from opsbot.slack.ack_budget import within_budget
from opsbot.ui.common import notice_message, working_message
from opsbot.ui.render import Message

PLACEHOLDER_DELAY_S: Final = 1.0
RESPONSE_URL_USES: Final = 5


async def respond_privately(respond: AsyncRespond, message: Message, *, replace: bool) -> None:
    await respond(
        text=message["text"],
        blocks=message.get("blocks"),
        response_type="ephemeral",
        replace_original=replace,
    )


async def answer_when_ready(
    respond: AsyncRespond,
    work: Awaitable[Sequence[Message]],
    *,
    what: str,
    replace: bool = False,
) -> None:
    """Post the messages ``work`` produces.

    With ``replace`` the first one replaces the clicked message (after a
    placeholder in its place if ``work`` is slow); the rest follow as new
    private messages. When ``work`` fails unexpectedly, the answer says so,
    with the log line's reference.
    """
    answer = failures.or_failure(work, what, lambda ref: [failures.unexpected_message(ref)])
    uses_left = RESPONSE_URL_USES
    if replace:
        done, task = await within_budget(answer, PLACEHOLDER_DELAY_S)
        if not done:
            await respond_privately(respond, working_message(what), replace=True)
            uses_left -= 1
        result = await task
    else:
        result = await answer
    messages = _within_uses(result, uses_left)
    for index, message in enumerate(messages):
        await respond_privately(respond, message, replace=replace and index == 0)


def _within_uses(messages: Sequence[Message], uses: int) -> Sequence[Message]:
    """``messages`` if they fit in ``uses`` posts, else those that fit and a note."""
    if len(messages) <= uses:
        return messages
    kept = messages[: uses - 1]
    left_out = len(messages) - len(kept)
    note = notice_message(
        f"{left_out} more messages were not sent: Slack lets an app answer a command "
        f"only {RESPONSE_URL_USES} times."
    )
    return [*kept, note]
