"""A Slack request being answered: who asked, from where, and how to answer them.

Every listener builds one :class:`Interaction` at the edge (the ``/ops``
listener, :func:`on_button`, a modal's submission) and hands it to its
handler, like bolt's own context object: the services, the Web API client,
the :class:`~opsbot.slack.requests.Requester`, how to answer privately, the
team's API key, and the audit record.

The checks many handlers share are declared, not repeated: a handler's
:class:`Guards` say whether it needs a channel or the team's key, and
:meth:`Interaction.admitted` answers the person when one is missing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.services import Services
from opsbot.slack import failures, replies, who_may_act
from opsbot.slack.audit_trail import Entry, record_action
from opsbot.slack.posting import post_paced
from opsbot.slack.requests import Requester
from opsbot.store import audit, guardrails
from opsbot.store.vault import VaultError
from opsbot.ui.common import error_message
from opsbot.ui.guardrails import not_allowed_message
from opsbot.ui.payloads import OperationButtonValue, PayloadError
from opsbot.ui.render import Message
from opsbot.ui.team_key import key_required_message, key_unreadable_message

log = logging.getLogger(__name__)

Action = Mapping[str, Any]

IN_A_CHANNEL: Final = "Use this in a channel: watches and subscriptions belong to one."


@dataclass(frozen=True)
class Guards:
    """What a handler needs before it runs; the person is told when it is missing."""

    in_channel: bool = False
    needs_key: bool = False
    # The guarded action (cancel, relaunch): the team's guardrails must let the person take it.
    acts: str | None = None
    # The request carries the action out: group membership is asked of Slack afresh.
    decides: bool = False


NO_GUARDS: Final = Guards()
NEEDS_KEY: Final = Guards(needs_key=True)
IN_CHANNEL: Final = Guards(in_channel=True)
IN_CHANNEL_WITH_KEY: Final = Guards(in_channel=True, needs_key=True)
# /ops cancel, the Cancel button and /ops relaunch ask first (a question, a
# modal, a form): a recent copy of group membership is enough; the answer that
# cancels ("Cancel operation") is checked with Slack asked again.
MAY_CANCEL: Final = Guards(needs_key=True, acts=guardrails.CANCEL)
CANCELS: Final = Guards(needs_key=True, acts=guardrails.CANCEL, decides=True)
MAY_RELAUNCH: Final = Guards(needs_key=True, acts=guardrails.RELAUNCH)


@dataclass(frozen=True)
class Interaction:
    """One request being answered. ``respond`` is None for modal submissions."""

    services: Services
    client: AsyncWebClient
    requester: Requester
    respond: AsyncRespond | None = None
    api_key: str | None = dataclasses.field(default=None, repr=False)

    @property
    def team_id(self) -> str:
        return self.requester.team_id

    @property
    def user_id(self) -> str:
        return self.requester.user_id

    @property
    def channel(self) -> str:
        """The channel asked from; only for handlers guarded with ``in_channel``."""
        assert self.requester.channel_id is not None, "guard the handler with in_channel"
        return self.requester.channel_id

    @property
    def key(self) -> str:
        """The team's API key; only for handlers guarded with ``needs_key``."""
        assert self.api_key is not None, "guard the handler with needs_key"
        return self.api_key

    def with_key(self, key: str) -> Interaction:
        return dataclasses.replace(self, api_key=key)

    async def admitted(self, guards: Guards) -> Interaction | None:
        """This interaction (with the key when needed), or None once told what is missing."""
        if guards.in_channel and not self.requester.channel_id:
            await self.tell(error_message(IN_A_CHANNEL))
            return None
        if guards.acts is not None and not await self.may(guards.acts, fresh=guards.decides):
            return None
        if not guards.needs_key:
            return self
        key = await self.team_key_or_ask()
        return None if key is None else self.with_key(key)

    async def may(self, action: str, *, fresh: bool) -> bool:
        """Whether the guardrails let the person take ``action`` here; if not, they are told."""
        refused = await who_may_act.refusal(
            self.services, self.client, self.requester, action, fresh=fresh
        )
        if refused is not None:
            await self.tell(not_allowed_message(refused))
        return refused is None

    async def read_only_here(self) -> bool:
        """Whether the channel asked from is read-only (no Cancel or Relaunch drawn there)."""
        return await who_may_act.in_read_only_channel(self.services, self.requester)

    async def team_key_or_ask(self) -> str | None:
        """The team's API key; without a usable one, tell the person how to set it
        (again, when the stored one does not decrypt) and return None."""
        try:
            key = await self.services.team_keys.get(self.team_id)
        except VaultError:
            await self.tell(key_unreadable_message())
            return None
        if key is None:
            await self.tell(key_required_message())
        return key

    # --- answering ---------------------------------------------------------------------

    async def tell(self, message: Message, *, replace: bool = False) -> None:
        """Answer privately; ``replace`` the message the request came from."""
        await replies.respond_privately(self._respond(), message, replace=replace)

    async def answer_when_ready(
        self, work: Awaitable[Sequence[Message]], *, what: str, replace: bool = False
    ) -> None:
        """Answer privately with what ``work`` gives, with a placeholder if it is slow."""
        await replies.answer_when_ready(self._respond(), work, what=what, replace=replace)

    def reporting_failures(self, where: str) -> contextlib.AbstractAsyncContextManager[None]:
        """After the ack: an unexpected error in the block is told privately, with a reference."""
        return failures.reported(where, self._tell_failure)

    async def _tell_failure(self, reference: str) -> None:
        await self.tell(failures.unexpected_message(reference))

    async def post_in_channel(self, message: Message) -> tuple[str, str] | None:
        """Say it where the team can see it: (channel, ts), or None when the bot may not."""
        if not self.requester.channel_id:
            return None
        try:
            reply = await post_paced(
                self.client,
                self.services.pacing,
                self.team_id,
                self.requester.channel_id,
                text=message["text"],
                blocks=message["blocks"],
            )
        except SlackApiError as error:
            log.info("could not post in the channel: %s", error.response.get("error"))
            return None
        return str(reply["channel"]), str(reply["ts"])

    async def open_modal(self, view: dict[str, Any], *, command: str) -> dict[str, Any] | None:
        """views.open; when Slack refuses (an expired trigger, say), tell the person
        privately and name the ``command`` that would open it again."""
        try:
            opened = await self.client.views_open(trigger_id=self.requester.trigger_id, view=view)
        except SlackApiError as error:
            reason = error.response.get("error") or "no reason given"
            text = f"Slack would not open the form ({reason}). Try `{command}` again."
            await self.tell(error_message(text))
            return None
        view_opened: dict[str, Any] = opened["view"]
        return view_opened

    async def record(
        self, action: str, *, target: str = "", outcome: str = audit.OK, detail: str = ""
    ) -> None:
        """Who did what: the audit stream, and the audit channel when one is set."""
        entry = Entry(action, target, outcome, detail)
        await record_action(self.services, self.client, self.requester, entry)

    def _respond(self) -> AsyncRespond:
        assert self.respond is not None, "a modal submission has no response_url to answer on"
        return self.respond


ButtonHandler = Callable[[Interaction, Action], Awaitable[None]]


def on_button(
    app: AsyncApp,
    services: Services,
    action_id: str | re.Pattern[str],
    handler: ButtonHandler,
    guards: Guards = NO_GUARDS,
) -> None:
    """Listen for a button: ack at once, then run ``handler`` once ``guards`` hold."""

    async def listener(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        asked = Interaction(services, client, Requester.of_interaction(body), respond)
        async with asked.reporting_failures(f"the {_name(action_id)} button"):
            admitted = await asked.admitted(guards)
            if admitted is not None:
                await handler(admitted, body["actions"][0])

    app.action(action_id)(listener)


def _name(action_id: str | re.Pattern[str]) -> str:
    return action_id if isinstance(action_id, str) else action_id.pattern


OperationHandler = Callable[[Interaction, int], Awaitable[None]]
BROKEN_BUTTON: Final = "This button is broken; run the command again."


def on_operation_button(
    app: AsyncApp,
    services: Services,
    action_id: str,
    handler: OperationHandler,
    guards: Guards = NO_GUARDS,
) -> None:
    """Listen for a button whose value is an operation id, parsed here at the edge."""

    async def with_operation(asked: Interaction, action: Action) -> None:
        try:
            button = OperationButtonValue.parse(action.get("value"))
        except PayloadError:
            await asked.tell(error_message(BROKEN_BUTTON))
            return
        await handler(asked, button.op_id)

    on_button(app, services, action_id, with_operation, guards)
