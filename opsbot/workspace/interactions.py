"""What people do in the workspace, delivered to the app the way Slack delivers it.

The Python API a test or a web page drives: ``slash_command``, ``click``,
``type_in``, ``submit``, ``close``, ``suggest``, ``open_home``, ``event``.
Each builds Slack's payload, issues what Slack issues with it (a trigger_id,
a response_url), delivers it signed over HTTP or in a Socket Mode envelope,
waits for the ack (3 seconds) and applies it. The :class:`Outcome` says what
the person saw: the ack, or Slack's failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiohttp

from opsbot.workspace import payloads
from opsbot.workspace.acks import (
    SubmissionResult,
    apply_command_ack,
    apply_submission_ack,
    suggested_options,
)
from opsbot.workspace.delivery import Ack, Delivery, HttpTransport, Transport
from opsbot.workspace.payloads import Actor, Issued
from opsbot.workspace.socket_mode import SocketModeHub
from opsbot.workspace.state import View
from opsbot.workspace.view_state import (
    find_element,
    input_element,
    missing_required,
    option_for,
    value_for,
)
from opsbot.workspace.views import close_view
from opsbot.workspace.workspace import Workspace, dm_channel_id

JSON = dict[str, Any]


@dataclass(frozen=True)
class Target:
    """Where a person acts: a message (channel and ts) or a view."""

    channel: str | None = None
    ts: str | None = None
    view_id: str | None = None

    @classmethod
    def message(cls, channel: str, ts: str) -> Target:
        return cls(channel=channel, ts=ts)

    @classmethod
    def view(cls, view_id: str) -> Target:
        return cls(view_id=view_id)


@dataclass
class Outcome:
    """What came of one thing a person did."""

    ack: Ack
    issued: Issued = field(default_factory=Issued)
    # What the person saw instead of the app's answer, if anything went wrong:
    # operation_timeout, dispatch_failed, http_500, invalid_ack: …, required: …
    failure: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    options: list[JSON] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failure is None


class Interactions:
    def __init__(
        self, workspace: Workspace, session: aiohttp.ClientSession, hub: SocketModeHub
    ) -> None:
        self.workspace = workspace
        self._session = session
        self._hub = hub

    # --- messages ---------------------------------------------------------------------

    async def slash_command(
        self, user_id: str, channel_id: str, text: str, command: str = "/ops"
    ) -> Outcome:
        actor = self._actor(user_id, channel_id)
        assert actor.channel is not None
        if actor.channel.is_archived:
            raise ValueError(f"nobody can type in archived {channel_id}")
        issued = Issued(
            self.workspace.issue_trigger(actor.team.id, user_id),
            self.workspace.issue_response_url(actor.team.id, channel_id, user_id, None),
        )
        payload = payloads.slash_command(actor, command, text, issued)
        ack = await self._deliver(Delivery("slash_commands", dict(payload)))
        failure = ack.error or apply_command_ack(self.workspace, actor, ack.body)
        return self._outcome(Outcome(ack, issued, failure))

    async def click(
        self,
        user_id: str,
        target: Target,
        action_id: str,
        choice: Any = None,
        block_id: str | None = None,
    ) -> Outcome:
        """Press a button, or pick in a select.

        ``choice`` is the picked option's value (a list of values for a
        multi-select); an external select's option is given whole
        (``{"text": …, "value": …}``), since only the app knows its options.
        """
        if target.view_id is not None:
            return await self._act_in_view(user_id, target.view_id, action_id, choice, block_id)
        return await self._act_in_message(user_id, target, action_id, choice, block_id)

    # --- views ------------------------------------------------------------------------

    async def type_in(
        self, user_id: str, view_id: str, block_id: str, value: Any
    ) -> Outcome | None:
        """Fill an input; delivered only if the element has ``dispatch_action``."""
        view = self._top_view(user_id, view_id)
        element = _fill(view, block_id, value)
        self.workspace.publish("view.typed", view=view.id, block=block_id)
        if not element.get("dispatch_action"):
            return None
        return await self._act_in_view(user_id, view_id, element["action_id"], value, block_id)

    async def submit(
        self, user_id: str, view_id: str, values: dict[str, Any] | None = None
    ) -> Outcome:
        """Press the modal's submit button after filling ``values`` ({block_id: value}).

        Values are what :meth:`click` takes as ``choice``; inputs left out keep
        what they hold, pre-filled values included, as in Slack.
        """
        view = self._top_view(user_id, view_id)
        for block_id, value in (values or {}).items():
            _fill(view, block_id, value)
        missing = missing_required(view.body.get("blocks") or [], view.state_values)
        if missing:
            # Slack's client refuses the submit itself; the app hears nothing.
            return Outcome(Ack(error="not_sent"), failure=f"required: {', '.join(missing)}")
        actor = self._actor(user_id, None)
        trigger_id = self.workspace.issue_trigger(actor.team.id, user_id)
        ack = await self._deliver(
            Delivery("interactive", payloads.view_submission(actor, view, trigger_id))
        )
        result = (
            apply_submission_ack(self.workspace, view, ack.body) if ack.ok else SubmissionResult()
        )
        return self._outcome(
            Outcome(ack, Issued(trigger_id), ack.error or result.failure, result.errors)
        )

    async def close(self, user_id: str, view_id: str) -> Outcome:
        """Press Cancel or ×: the view goes; the app hears of it if it asked (notify_on_close)."""
        view = self._top_view(user_id, view_id)
        close_view(self.workspace, view)
        if not view.body.get("notify_on_close"):
            return Outcome(Ack())
        actor = self._actor(user_id, None)
        ack = await self._deliver(
            Delivery("interactive", payloads.view_closed(actor, view, cleared=False))
        )
        return self._outcome(Outcome(ack, failure=ack.error))

    async def suggest(
        self, user_id: str, target: Target, action_id: str, typed: str, block_id: str | None = None
    ) -> Outcome:
        """Type in an external select: the app's ack lists the options the person sees."""
        blocks, where, channel = self._surface(user_id, target)
        found_block, element = find_element(blocks, action_id, block_id)
        actor = self._actor(user_id, channel)
        action = {"action_id": element["action_id"], "block_id": found_block}
        payload = payloads.block_suggestion(actor, where, action, typed)
        ack = await self._deliver(Delivery("interactive", payload))
        if not ack.ok:
            return self._outcome(Outcome(ack, failure=ack.error))
        options, failure = suggested_options(ack.body)
        return self._outcome(Outcome(ack, failure=failure, options=options))

    # --- events -----------------------------------------------------------------------

    async def open_home(self, user_id: str) -> Outcome:
        """Open the app's Home tab: Slack sends ``app_home_opened``."""
        user = self.workspace.users[user_id]
        installation = self.workspace.installation_of(user.team_id)
        event: JSON = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": dm_channel_id(user_id),
            "tab": "home",
        }
        home = self.workspace.home(user.team_id, user_id)
        if home is not None:
            event["view"] = home.as_slack()
        return await self.event(installation.team_id, event)

    async def event(self, team_id: str, event: JSON) -> Outcome:
        """Deliver an Events API event (``app_uninstalled``, ``tokens_revoked``, …)."""
        installation = self.workspace.installation_of(team_id)
        payload = payloads.event_callback(self.workspace, installation, event)
        ack = await self._deliver(Delivery("events_api", payload))
        return self._outcome(Outcome(ack, failure=ack.error))

    async def verify_url(self, challenge: str = "local-workspace-challenge") -> bool:
        """Slack's ``url_verification`` on saving a request URL: the app echoes the challenge."""
        ack = await self._transport().deliver(
            Delivery("events_api", payloads.url_verification(challenge)),
            self.workspace.settings.limits.ack_seconds,
        )
        body = ack.body
        echoed = body.get("challenge") if isinstance(body, dict) else body
        return echoed == challenge

    # --- helpers ----------------------------------------------------------------------

    async def _act_in_message(
        self, user_id: str, target: Target, action_id: str, choice: Any, block_id: str | None
    ) -> Outcome:
        blocks, where, channel = self._surface(user_id, target)
        found_block, element = find_element(blocks, action_id, block_id)
        actor = self._actor(user_id, channel)
        message = where["message"]
        issued = Issued(
            self.workspace.issue_trigger(actor.team.id, user_id),
            self.workspace.issue_response_url(
                actor.team.id,
                str(channel),
                user_id,
                (str(channel), message["ts"], bool(message.get("is_ephemeral"))),
            ),
        )
        action = self._action(element, found_block, choice)
        payload = payloads.message_actions(actor, message, [action], issued)
        ack = await self._deliver(Delivery("interactive", payload))
        return self._outcome(Outcome(ack, issued, ack.error))

    async def _act_in_view(
        self, user_id: str, view_id: str, action_id: str, choice: Any, block_id: str | None
    ) -> Outcome:
        view = self._visible_view(user_id, view_id)
        found_block, element = find_element(view.body.get("blocks") or [], action_id, block_id)
        if element.get("type") != "button":
            view.state_values.setdefault(found_block, {})[action_id] = value_for(element, choice)
        actor = self._actor(user_id, None)
        trigger_id = self.workspace.issue_trigger(actor.team.id, user_id)
        action = self._action(element, found_block, choice)
        ack = await self._deliver(
            Delivery("interactive", payloads.view_actions(actor, view, [action], trigger_id))
        )
        return self._outcome(Outcome(ack, Issued(trigger_id), ack.error))

    def _action(self, element: JSON, block_id: str, choice: Any) -> JSON:
        action: JSON = {
            "action_id": element["action_id"],
            "block_id": block_id,
            "action_ts": f"{self.workspace.clock():.6f}",
        }
        if element.get("type") == "button":
            action.update(type="button", text=element.get("text"), value=element.get("value"))
            return action
        if element.get("type") == "overflow":
            action.update(type="overflow", selected_option=option_for(element, choice))
            return action
        action.update(value_for(element, choice))
        return action

    def _surface(self, user_id: str, target: Target) -> tuple[list[Any], JSON, str | None]:
        """The blocks a person sees at ``target``, the payload's ``where`` part, the channel."""
        if target.view_id is not None:
            view = self._visible_view(user_id, target.view_id)
            return view.body.get("blocks") or [], {"view": view.as_slack()}, None
        key = (str(target.channel), str(target.ts))
        ephemeral = self.workspace.ephemerals.get(key)
        if ephemeral is not None and ephemeral.user == user_id:
            shown = ephemeral.as_slack()
            return (
                ephemeral.blocks or [],
                {"channel": {"id": target.channel}, "message": shown},
                target.channel,
            )
        message = self.workspace.messages.get(key)
        if message is None:
            raise ValueError(f"{user_id} sees no message {key}")
        where = {"channel": {"id": target.channel}, "message": message.as_slack()}
        return message.blocks or [], where, target.channel

    def _visible_view(self, user_id: str, view_id: str) -> View:
        view = self.workspace.views.get(view_id)
        if view is None:
            view = next((h for h in self.workspace.homes.values() if h.id == view_id), None)
        if view is None or view.user_id != user_id:
            raise ValueError(f"{user_id} has no view {view_id} open")
        return view

    def _top_view(self, user_id: str, view_id: str) -> View:
        stack = self.workspace.open_views(user_id)
        if not stack or stack[-1].id != view_id:
            raise ValueError(f"{view_id} is not the view {user_id} has in front")
        return stack[-1]

    def _actor(self, user_id: str, channel_id: str | None) -> Actor:
        user = self.workspace.users[user_id]
        channel = self.workspace.channels[channel_id] if channel_id else None
        team = self.workspace.teams[channel.team_id if channel else user.team_id]
        installation = self.workspace.installation_of(team.id)
        return Actor(self.workspace.app.app_id, team, user, installation, channel)

    def _transport(self) -> Transport:
        app = self.workspace.app
        if app.socket_mode:
            return self._hub
        if app.request_url is None:
            raise ValueError("the app has neither a request URL nor Socket Mode")
        return HttpTransport(self._session, app.request_url, app.signing_secret)

    async def _deliver(self, delivery: Delivery) -> Ack:
        ack = await self._transport().deliver(delivery, self.workspace.settings.limits.ack_seconds)
        self.workspace.publish("delivered", type=delivery.type, error=ack.error)
        return ack

    def _outcome(self, outcome: Outcome) -> Outcome:
        if outcome.failure is not None:
            self.workspace.publish("failure", reason=outcome.failure)
        return outcome


def _fill(view: View, block_id: str, value: Any) -> JSON:
    """Put ``value`` in the view's input ``block_id``; returns the input's element."""
    element = input_element(view.body.get("blocks") or [], block_id)
    view.state_values.setdefault(block_id, {})[element["action_id"]] = value_for(element, value)
    return element
