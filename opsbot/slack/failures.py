"""Unexpected errors: one log line with a reference, and the same reference told privately.

Every listener ends in an answer. What a handler expects (an API fault, a
bad filter) it answers itself; anything else (Redis gone after the ack, an
exception nobody foresaw) ends here: the log gets one line naming where and
a short reference (the traceback goes to DEBUG under the same reference),
and the person gets "Something went wrong on our side (reference …)" in
the place they are looking: a private message, the modal they submitted, or
the ack itself.

Three ways in, for the three moments an error can happen:

- :func:`reported`: the block after an ack; the person is told through the
  ``tell`` they give (a private message, a modal update), or nobody is when
  no person is waiting (an Events API event).
- :func:`or_failure`: a piece of work whose failure becomes a value to
  show (the placeholder's replacement, a modal's next view).
- :func:`register`: bolt's global error handler, for whatever still escapes
  a listener or a middleware. Before the ack, it turns bolt's 500 into an
  answer Slack shows. bolt forgets an ack when the listener raises right
  after it (``slack_bolt/listener/asyncio_runner.py`` resets
  ``ack.response``), so listeners guard everything after their ack with
  :func:`reported` rather than rely on this handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from typing import Any, Final, TypeVar

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.ui.common import error_message, notice_modal
from opsbot.ui.render import Message, Modal

log = logging.getLogger(__name__)

T = TypeVar("T")
# Says the reference to the person waiting, wherever they are looking.
Tell = Callable[[str], Awaitable[object]]

REFERENCE_BYTES: Final = 4
# An exception's text can quote anything (a reply, a path): kept short, on one line.
DESCRIPTION_CHARS: Final = 300
MODAL_TITLE: Final = "Something went wrong"


def new_reference() -> str:
    """Eight characters a person can read out, unique enough to find one log line."""
    return secrets.token_hex(REFERENCE_BYTES).upper()


def log_unexpected(error: BaseException, where: str) -> str:
    """Log ``error`` once (the traceback at DEBUG) and return its reference."""
    reference = new_reference()
    log.error("unexpected error in %s (reference %s): %s", where, reference, describe(error))
    log.debug("traceback of reference %s", reference, exc_info=error)
    return reference


def describe(error: BaseException) -> str:
    """The error's class and text on one short line."""
    text = f"{type(error).__name__}: {error}"
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= DESCRIPTION_CHARS else text[:DESCRIPTION_CHARS] + "…"


def unexpected_text(reference: str) -> str:
    return (
        f"Something went wrong on our side (reference {reference}). Please try again; "
        "if it keeps happening, give this reference to whoever runs opsbot."
    )


def unexpected_message(reference: str) -> Message:
    return error_message(unexpected_text(reference))


def unexpected_modal(reference: str) -> Modal:
    return notice_modal(MODAL_TITLE, unexpected_text(reference))


@contextlib.asynccontextmanager
async def reported(where: str, tell: Tell | None) -> AsyncIterator[None]:
    """Any exception in the block is logged and ``tell`` says its reference; none escapes.

    Use it only after the ack: before it, the exception must reach bolt's
    error handler, which alone can still answer on the HTTP response.
    """
    try:
        yield
    except Exception as error:
        reference = log_unexpected(error, where)
        if tell is not None:
            await _tell_quietly(tell, reference)


async def or_failure(work: Awaitable[T], where: str, failure: Callable[[str], T]) -> T:
    """What ``work`` gives, or ``failure(reference)`` once an unexpected error is logged."""
    try:
        return await work
    except Exception as error:
        return failure(log_unexpected(error, where))


def in_modal(client: AsyncWebClient, view_id: str) -> Tell:
    """Say the reference in the modal the person is looking at."""

    async def tell(reference: str) -> None:
        await client.views_update(view_id=view_id, view=unexpected_modal(reference))

    return tell


async def _tell_quietly(tell: Tell, reference: str) -> None:
    try:
        await tell(reference)
    except Exception as error:
        # Slack itself is failing us: the log line is all that is left.
        log.warning("could not tell about reference %s: %s", reference, describe(error))


# --- bolt's global error handler -------------------------------------------------------


def register(app: AsyncApp) -> None:
    app.error(on_error)


async def on_error(
    error: Exception,
    body: Mapping[str, Any],
    response: BoltResponse | None,
    respond: AsyncRespond | None,
) -> BoltResponse | None:
    """The answer to a request whose listener (or a middleware) raised.

    ``response`` is None once the request was acked: the person can then only
    be told through ``respond``.
    """
    reference = log_unexpected(error, _where(body))
    if response is not None:
        answer = _answer_on_ack(body, reference)
        if answer is not None:
            return answer
    if respond is not None:
        # Not awaited here while the ack waits on this handler: told in the background.
        _in_background(_tell_quietly(_responder(respond), reference))
    # A click or an event: Slack wants an empty 200 (a 500 makes it retry an event).
    return None if response is None else BoltResponse(status=200, body="")


def _answer_on_ack(body: Mapping[str, Any], reference: str) -> BoltResponse | None:
    """The ack that carries the answer itself, for what can carry one."""
    if body.get("command"):
        message = unexpected_message(reference)
        answer = {"response_type": "ephemeral", "text": message["text"]}
        return BoltResponse(status=200, body={**answer, "blocks": message["blocks"]})
    if body.get("type") == "view_submission":
        view = unexpected_modal(reference)
        return BoltResponse(status=200, body={"response_action": "update", "view": view})
    return None


# Tasks told in the background, kept until done (the loop holds only weak references).
_telling: set[asyncio.Task[None]] = set()


def _in_background(telling: Coroutine[Any, Any, None]) -> None:
    task = asyncio.ensure_future(telling)
    _telling.add(task)
    task.add_done_callback(_telling.discard)


def _responder(respond: AsyncRespond) -> Tell:
    async def tell(reference: str) -> None:
        message = unexpected_message(reference)
        await respond(text=message["text"], blocks=message["blocks"], response_type="ephemeral")

    return tell


def _where(body: Mapping[str, Any]) -> str:
    """What was being answered, in a few words that quote nothing a person typed."""
    command = body.get("command")
    if command:
        return f"the {str(command)[:30]} command"
    kind = str(body.get("type") or "request")[:30]
    return f"a {kind} request"
