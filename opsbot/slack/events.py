"""Workspace lifecycle events: forget a team that uninstalls or revokes us."""

from __future__ import annotations

import logging
from typing import Any, Final

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

from opsbot.services import Services
from opsbot.slack import failures

log = logging.getLogger(__name__)

# The bot events app_manifest.yml subscribes to; a test keeps the two in step.
APP_UNINSTALLED: Final = "app_uninstalled"
TOKENS_REVOKED: Final = "tokens_revoked"


def register(
    app: AsyncApp, services: Services, installation_store: AsyncInstallationStore | None
) -> None:
    async def forget_team(body: dict[str, Any]) -> None:
        team_id = str(body.get("team_id") or "")
        enterprise_id = body.get("enterprise_id")
        if installation_store is not None:
            await installation_store.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)
        deleted = await services.team_data.delete(team_id)
        log.info("team %s uninstalled or revoked: %d keys deleted", team_id, deleted)

    @app.event(APP_UNINSTALLED)
    async def uninstalled(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        # No person waits on an event: the log line is the answer.
        async with failures.reported("the app_uninstalled event", None):
            await forget_team(body)

    @app.event(TOKENS_REVOKED)
    async def tokens_revoked(ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        await ack()
        # Slack also sends this when a person revokes their own user token. opsbot
        # asks for no user scope and keeps no user token, and its bot still works:
        # only the bot token's revocation means the team is gone.
        if (event.get("tokens") or {}).get("bot"):
            async with failures.reported("the tokens_revoked event", None):
                await forget_team(body)
        else:
            log.info("team %s revoked user tokens only: nothing to forget", body.get("team_id"))
