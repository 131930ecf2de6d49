"""The bolt ``AsyncApp`` and its listeners: everything Slack can ask opsbot.

It knows nothing of processes: :mod:`opsbot.runtime` serves this app over HTTP
or Socket Mode, and starts the watcher beside it or not.
"""

from __future__ import annotations

import logging
from typing import Final

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

from opsbot.config import Settings
from opsbot.services import Services
from opsbot.slack import (
    approvals,
    cancel,
    events,
    failures,
    follow,
    home,
    install_pages,
    look,
    ops_command,
    relaunch,
    team_config,
    team_key,
)
from opsbot.slack.commands import help_sections
from opsbot.slack.single_workspace import SingleWorkspaceAuthorize
from opsbot.slack_installations import RedisInstallationStore
from opsbot.slack_web import web_client

log = logging.getLogger(__name__)

# Exactly the bot scopes the code uses (a test keeps app_manifest.yml in step):
# commands for /ops, chat:write and chat:write.public for cards and reports in
# channels the bot was not invited to, users:read for the admin check,
# im:write for `/ops watch … dm` and the Home tab's answers (conversations.open),
# channels:read and groups:read for the Home tab's "subscriptions of channels
# you are in" (users.conversations) and /ops audit's check of the channel
# chosen (conversations.info),
# usergroups:read for the guardrails' user groups (usergroups.list, .users.list).
BOT_SCOPES: Final = (
    "commands",
    "chat:write",
    "chat:write.public",
    "users:read",
    "im:write",
    "channels:read",
    "groups:read",
    "usergroups:read",
)
EVENTS_PATH: Final = "/slack/events"
INSTALL_PATH: Final = "/slack/install"
REDIRECT_PATH: Final = "/slack/oauth_redirect"


class _SameTokenNotice(logging.Filter):
    """Drop bolt's start-up warning that the client's token wins over SLACK_BOT_TOKEN.

    bolt reads SLACK_BOT_TOKEN from the environment by itself; our client
    carries that very token (it needs our base_url), so the warning, which
    reads like a misconfiguration to an operator, says nothing true here.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("opsbot.slack.bolt")
    if not any(isinstance(f, _SameTokenNotice) for f in logger.filters):
        logger.addFilter(_SameTokenNotice())
    return logger


async def start_bolt_app(services: Services) -> AsyncApp:
    """The bolt app, having asked Slack who its bot is (single-workspace mode).

    Asked before the first request, so that no burst of requests waits on
    Slack's answer to the first of them.
    """
    single = single_workspace_authorize(services)
    if single is not None:
        await single.warm_up()
    return build_bolt_app(services, single)


def single_workspace_authorize(services: Services) -> SingleWorkspaceAuthorize | None:
    credentials = services.settings.slack
    if credentials.oauth or credentials.bot_token is None:
        return None
    return SingleWorkspaceAuthorize(
        web_client(services.settings.slack_api_url), credentials.bot_token
    )


def build_bolt_app(services: Services, single: SingleWorkspaceAuthorize | None = None) -> AsyncApp:
    """The bolt app in single-workspace or OAuth mode, with every listener."""
    settings = services.settings
    credentials = settings.slack
    # No token on the app's client: bolt then asks ``authorize`` for each
    # request's token, and gives each request a client of its own with it.
    client = web_client(settings.slack_api_url)
    installation_store = None
    oauth_flow = None
    authorize: SingleWorkspaceAuthorize | AsyncInstallationStoreAuthorize | None = (
        single or single_workspace_authorize(services)
    )
    if credentials.oauth:
        _warn_of_a_shared_audit_channel(settings)
        installation_store = services.installations
        # bolt's default asks Slack (auth.test) before every ack; once per
        # installed token is enough, and keeps Slack's latency out of the ack.
        # An uninstalled team's token is no longer found, so is never served.
        authorize = AsyncInstallationStoreAuthorize(
            logger=log,
            installation_store=installation_store,
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            cache_enabled=True,
            client=client,
        )
        oauth_flow = install_pages.RefusingOAuthFlow(
            client=web_client(settings.slack_api_url),
            settings=AsyncOAuthSettings(
                client_id=credentials.client_id,
                client_secret=credentials.client_secret,
                scopes=list(BOT_SCOPES),
                installation_store=installation_store,
                state_store=services.oauth_states,
                install_path=INSTALL_PATH,
                redirect_uri_path=REDIRECT_PATH,
                callback_options=install_pages.CALLBACK_OPTIONS,
            ),
        )
    app = AsyncApp(
        # bolt sets the level of the logger named after the app to the root's
        # level; a name outside the "opsbot" tree keeps our loggers' levels ours.
        name="opsbot-slack",
        logger=_bolt_logger(),
        signing_secret=credentials.signing_secret or "",
        client=client,
        installation_store=installation_store,
        # bolt takes an AsyncAuthorize here (it checks with isinstance) but
        # types the parameter as a plain callable only.
        authorize=authorize,  # type: ignore[arg-type]
        oauth_flow=oauth_flow,
        request_verification_enabled=credentials.signing_secret is not None,
    )
    # Whatever escapes a listener or a middleware still ends in an answer.
    failures.register(app)
    register_listeners(app, services, installation_store)
    return app


def _warn_of_a_shared_audit_channel(settings: Settings) -> None:
    if settings.audit_channel:
        # A channel id names a channel of one workspace only: each workspace
        # chooses its own with /ops audit (opsbot.slack.audit_trail).
        log.warning(
            "OPSBOT_AUDIT_CHANNEL is ignored in OAuth mode: a channel id belongs to one "
            "workspace; each workspace's admin chooses its own with `/ops audit #channel`"
        )


def register_listeners(
    app: AsyncApp, services: Services, installation_store: RedisInstallationStore | None
) -> None:
    ops_command.register(app, services)
    look.register(app, services)
    cancel.register(app, services)
    relaunch.register(app, services)
    follow.register(app, services)
    team_key.register(app, services)
    team_config.register(app, services)
    approvals.register(app, services)
    events.register(app, services, installation_store)
    home.register(app, services, help_sections())
