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

from opsbot.app_home import HomeSources, publish_home
from opsbot.services import Services
from opsbot.slack import failures
from opsbot.slack.direct_messages import direct_message_interaction
from opsbot.slack.interaction import Interaction, on_operation_button
from opsbot.slack.look import info_messages
from opsbot.slack.relaunch import open_relaunch_modal
from opsbot.store.home_refreshes import HomeRefreshes
from opsbot.ui import ids
from opsbot.ui.common import HelpSection

log = logging.getLogger(__name__)

APP_HOME_OPENED: Final = "app_home_opened"
HOME_TAB: Final = "home"


def home_sources(services: Services, grammar: Sequence[HelpSection]) -> HomeSources:
    return HomeSources(
        services.watches,
        services.subscriptions,
        services.team_keys,
        services.pauses,
        services.api,
        grammar,
    )


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

    # The key is asked for inside: its absence is told in the DM, like the rest.
    on_operation_button(app, services, ids.ACTION_HOME_INFO, _in_dm(_info))
    on_operation_button(app, services, ids.ACTION_HOME_RELAUNCH, _in_dm(_relaunch))


def _in_dm(handler: Any) -> Any:
    """Run ``handler`` as if asked from the person's DM with the app."""

    async def from_home(asked: Interaction, op_id: int) -> None:
        in_dm = await direct_message_interaction(asked)
        if in_dm is None:
            return
        key = await in_dm.team_key_or_ask()
        if key is not None:
            await handler(in_dm.with_key(key), op_id)

    return from_home


async def _info(asked: Interaction, op_id: int) -> None:
    for message in await info_messages(asked, op_id):
        await asked.tell(message)


async def _relaunch(asked: Interaction, op_id: int) -> None:
    await open_relaunch_modal(asked, op_id)
