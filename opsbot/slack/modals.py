"""Modals that open at once and fill in later, and submissions answered within the ack.

The relaunch form and the cancel confirmation both open a "looking…" view
on the click's trigger_id (usable once, within 3 s), then show what the API
said with ``views.update``; both answer a submission in its ack when the
work is quick enough, and with a "working" view then ``views.update`` when
it is not. (A message shown in a modal: :func:`opsbot.ui.common.message_modal`.)
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.slack import failures
from opsbot.slack.ack_budget import within_budget
from opsbot.ui.common import notice_modal

log = logging.getLogger(__name__)

View = dict[str, Any]
T = TypeVar("T")

# not_found: the person closed the modal; hash_conflict: it was redrawn meanwhile
# (docs.slack.dev/reference/methods/views.update): nothing is left to correct.
_MODAL_MOVED_ON: Final = frozenset({"not_found", "hash_conflict"})


async def update_view(
    client: AsyncWebClient, view_id: str, view_hash: str | None, view: View, *, again: str
) -> None:
    """Show ``view`` in the modal; if Slack refuses it, show why instead.

    A modal left as it was would say "Fetching…" forever. ``again``: the
    command that opens it anew, named in that explanation.
    """
    try:
        await client.views_update(view_id=view_id, hash=view_hash, view=view)
    except SlackApiError as error:
        reason = str(error.response.get("error") or "no reason given")
        if reason in _MODAL_MOVED_ON:
            log.info("modal not updated: %s", reason)
            return
        log.warning("Slack refused a modal: %s", reason)
        await _show_refusal(client, view_id, reason, again)


async def _show_refusal(client: AsyncWebClient, view_id: str, reason: str, again: str) -> None:
    text = (
        f"Slack would not show this form ({reason}). Close it and try "
        f"`{again}` again; if it happens again, tell whoever runs opsbot."
    )
    try:
        # Without a hash: whatever the modal shows now, this replaces it.
        await client.views_update(view_id=view_id, view=notice_modal("Form not shown", text))
    except SlackApiError as error:
        log.warning("the modal could not say so: %s", error.response.get("error"))


async def ack_when_done(  # noqa: PLR0913 - the submission, its work, and how to show it
    ack: AsyncAck,
    client: AsyncWebClient,
    view_id: str,
    work: Awaitable[T],
    *,
    where: str,
    failed: Callable[[str], T],
    acked: Callable[[T], Awaitable[None]],
    pending: View,
    finally_shown: Callable[[T], View],
    again: str,
) -> None:
    """Ack a submission with ``work``'s outcome (``acked``), or with ``pending`` and show
    ``finally_shown(outcome)`` once ``work`` is over.

    Redis, the API and Slack are all asked inside the ack's budget; the work
    is never cancelled, so nothing is done twice. ``where``/``failed``: an
    unexpected error is logged under ``where`` and shown as ``failed(reference)``.
    """
    in_time, call = await within_budget(failures.or_failure(work, where, failed))
    if in_time:
        await acked(call.result())
        return
    await ack(response_action="update", view=pending)
    # Past the ack, the modal is the only place left to say anything.
    async with failures.reported(where, failures.in_modal(client, view_id)):
        await update_view(client, view_id, None, finally_shown(await call), again=again)
