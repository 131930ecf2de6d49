"""Wiring: the bolt ``AsyncApp``, its listeners, and the aiohttp application.

Resources (Redis, the API client, the vault) are opened by the aiohttp
application's ``cleanup_ctx`` and closed in reverse order when it stops, so
a test or ``opsbot serve`` gets the same lifecycle.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Final

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.web.async_client import AsyncWebClient

from opsbot.api.client import OperationClient
from opsbot.config import Settings
from opsbot.slack import (
    actions,
    events,
    key_flow,
    ops_command,
    relaunch_flow,
    watch_commands,
)
from opsbot.slack.services import Services
from opsbot.store.audit import AuditLog
from opsbot.store.connection import open_redis, redis_is_healthy
from opsbot.store.installations import RedisInstallationStore, RedisOAuthStateStore
from opsbot.store.locks import ActionLocks
from opsbot.store.pauses import TeamPauses
from opsbot.store.schedule import Schedule
from opsbot.store.subscriptions import SubscriptionStore
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import Vault, load_keyring
from opsbot.store.watches import WatchStore
from opsbot.watcher.worker import watcher_running

log = logging.getLogger(__name__)

COMMAND: Final = "/ops"
# Exactly the bot scopes the code uses (a test keeps app_manifest.yml in step):
# commands for /ops, chat:write and chat:write.public for cards and reports in
# channels the bot was not invited to, users:read for the admin check.
BOT_SCOPES: Final = ("commands", "chat:write", "chat:write.public", "users:read")
EVENTS: Final = ("app_uninstalled", "tokens_revoked")
EVENTS_PATH: Final = "/slack/events"
INSTALL_PATH: Final = "/slack/install"
REDIRECT_PATH: Final = "/slack/oauth_redirect"
HEALTH_PATH: Final = "/healthz"

SERVICES: Final = web.AppKey("services", Services)
BOLT: Final = web.AppKey("bolt", AsyncApp)


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


@contextlib.asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    vault = Vault(load_keyring(settings))
    async with open_redis(settings) as redis, OperationClient.from_settings(settings) as api:
        yield Services(
            settings=settings,
            redis=redis,
            vault=vault,
            api=api,
            team_keys=TeamKeyStore(redis, vault),
            audit=AuditLog(redis),
            watches=WatchStore(redis),
            pauses=TeamPauses(redis),
            subscriptions=SubscriptionStore(redis),
            schedule=Schedule(redis),
            locks=ActionLocks(redis),
        )


def build_bolt_app(settings: Settings, services: Services) -> AsyncApp:
    """The bolt app in single-workspace or OAuth mode, with every listener."""
    credentials = settings.slack
    client = AsyncWebClient(
        token=None if credentials.oauth else credentials.bot_token,
        base_url=settings.slack_api_url,
    )
    installation_store = None
    oauth_flow = None
    authorize = None
    if credentials.oauth:
        installation_store = RedisInstallationStore(services.redis, services.vault)
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
        oauth_flow = AsyncOAuthFlow(
            client=AsyncWebClient(base_url=settings.slack_api_url),
            settings=AsyncOAuthSettings(
                client_id=credentials.client_id,
                client_secret=credentials.client_secret,
                scopes=list(BOT_SCOPES),
                installation_store=installation_store,
                state_store=RedisOAuthStateStore(services.redis),
                install_path=INSTALL_PATH,
                redirect_uri_path=REDIRECT_PATH,
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
    register_listeners(app, services, installation_store)
    return app


def register_listeners(
    app: AsyncApp, services: Services, installation_store: RedisInstallationStore | None
) -> None:
    ops_command.register(app, services)
    actions.register(app, services)
    key_flow.register(app, services)
    relaunch_flow.register(app, services)
    watch_commands.register(app, services)
    events.register(app, services, installation_store)


def build_web_app(settings: Settings, *, watcher: bool = True) -> web.Application:
    """The HTTP application: Slack's endpoints and the health check.

    With ``watcher`` the process also polls watched operations, as one more
    worker beside any ``opsbot worker`` (``opsbot serve --no-watcher`` leaves
    that to the workers).
    """
    settings.slack.require_http()
    web_app = web.Application()
    web_app.cleanup_ctx.append(_resources(settings, watcher=watcher))
    web_app.router.add_post(EVENTS_PATH, _events)
    web_app.router.add_get(HEALTH_PATH, _health)
    if settings.slack.oauth:
        web_app.router.add_get(INSTALL_PATH, _install)
        web_app.router.add_get(REDIRECT_PATH, _oauth_redirect)
    return web_app


def _resources(
    settings: Settings, *, watcher: bool
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def resources(web_app: web.Application) -> AsyncIterator[None]:
        async with open_services(settings) as services:
            web_app[SERVICES] = services
            web_app[BOLT] = build_bolt_app(settings, services)
            polling = (
                watcher_running(settings, services.redis, services.vault)
                if watcher
                else contextlib.nullcontext()
            )
            async with polling:
                yield

    return resources


async def _events(request: web.Request) -> web.Response:
    bolt = request.app[BOLT]
    response = await bolt.async_dispatch(await to_bolt_request(request))
    return await to_aiohttp_response(response)


async def _install(request: web.Request) -> web.Response:
    flow = request.app[BOLT].oauth_flow
    assert flow is not None  # the route exists only in OAuth mode
    return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))


async def _oauth_redirect(request: web.Request) -> web.Response:
    flow = request.app[BOLT].oauth_flow
    assert flow is not None
    return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))


async def _health(request: web.Request) -> web.Response:
    if await redis_is_healthy(request.app[SERVICES].redis):
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "redis unavailable"}, status=503)
