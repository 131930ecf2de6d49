"""The App Home tab from Slack's side: published on ``app_home_opened``, and its buttons.

A Home tab has no channel and no response_url, so its buttons answer in the
person's direct message with the app (its Messages tab): Info posts the
operation's card there, Relaunch opens the relaunch form, whose report and
thread then live there too. The tab itself is drawn by
:mod:`opsbot.app_home`, which the watcher also uses to keep it current.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any, Final

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.app_home import HomeSources, MayRelaunch, publish_home
from opsbot.services import Services
from opsbot.slack import failures, who_may_act
from opsbot.slack.direct_messages import direct_message_interaction
from opsbot.slack.interaction import (
    MAY_RELAUNCH,
    NEEDS_KEY,
    Guards,
    Interaction,
    OperationHandler,
    on_operation_button,
)
from opsbot.slack.look import info_messages
from opsbot.slack.relaunch import open_relaunch_modal
from opsbot.slack.requests import Requester
from opsbot.store import guardrails
from opsbot.store.home_refreshes import HomeRefreshes
from opsbot.ui import ids
from opsbot.ui.common import HelpSection

log = logging.getLogger(__name__)

APP_HOME_OPENED: Final = "app_home_opened"
HOME_TAB: Final = "home"


def home_sources(services: Services, grammar: Sequence[HelpSection]) -> HomeSources:
    """What the Home tab is drawn from, its Relaunch buttons following the guardrails."""
    return HomeSources(
        services.watches,
        services.subscriptions,
        services.team_keys,
        services.pauses,
        services.api,
        grammar,
        may_relaunch=relaunch_checker(services),
    )


def relaunch_checker(services: Services) -> MayRelaunch:
    """Whether a person may relaunch by the team's guardrails (no channel: a Home tab's)."""

    async def may_relaunch(client: AsyncWebClient, team_id: str, user_id: str) -> bool:
        requester = Requester(team_id, user_id, None, None, None)
        rules = await services.guardrails.get(team_id)
        refused = await who_may_act.refusal_by_rules(
            services, client, requester, rules, guardrails.RELAUNCH
        )
        return refused is None

    return may_relaunch


def register(app: AsyncApp, services: Services, grammar: Sequence[HelpSection]) -> None:
    sources = home_sources(services, grammar)
    refreshes = HomeRefreshes(services.redis)

    @app.event(APP_HOME_OPENED)
    async def home_opened(
        ack: AsyncAck, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        # The same event says the Messages tab was opened: nothing to draw then.
        if event.get("tab") != HOME_TAB:
            return
        team_id, user_id = str(body.get("team_id") or ""), str(event.get("user") or "")
        async with failures.reported("the Home tab", None):
            # From now on, step changes of their watches are published to it too.
            await refreshes.opened(team_id, user_id, time.time())
            await publish_home(sources, client, team_id, user_id)

    # The guards are checked inside: what they tell is told in the DM, like the rest.
    on_operation_button(app, services, ids.ACTION_HOME_INFO, _in_dm(_info, NEEDS_KEY))
    on_operation_button(app, services, ids.ACTION_HOME_RELAUNCH, _in_dm(_relaunch, MAY_RELAUNCH))


def _in_dm(handler: OperationHandler, guards: Guards) -> OperationHandler:
    """Run ``handler`` as if asked from the person's DM with the app, once ``guards`` hold."""

    async def from_home(asked: Interaction, op_id: int) -> None:
        in_dm = await direct_message_interaction(asked)
        if in_dm is None:
            return
        admitted = await in_dm.admitted(guards)
        if admitted is not None:
            await handler(admitted, op_id)

    return from_home


async def _info(asked: Interaction, op_id: int) -> None:
    for message in await info_messages(asked, op_id):
        await asked.tell(message)


async def _relaunch(asked: Interaction, op_id: int) -> None:
    await open_relaunch_modal(asked, op_id)
