"""The aiohttp side of ``opsbot serve``: AppKeys and :func:`setup` (cf. aiojobs' ``aiohttp.py``).

:func:`setup` puts the resources on the application's ``cleanup_ctx``: the
services open when the application starts, the bolt app is built on them,
and both close in reverse order when it stops, so a test and ``opsbot serve``
get the same lifecycle. It routes Slack's endpoints to bolt and answers the
health check. Whether a watcher runs beside them is :mod:`opsbot.runtime`'s
choice, not this module's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Final

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from opsbot.config import Settings
from opsbot.services import Services, open_services
from opsbot.slack.app import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH, build_bolt_app
from opsbot.store.connection import redis_health

HEALTH_PATH: Final = "/healthz"

SERVICES: Final = web.AppKey("services", Services)
BOLT: Final = web.AppKey("bolt", AsyncApp)

Resource = Callable[[web.Application], AsyncIterator[None]]


def setup(web_app: web.Application, settings: Settings) -> None:
    """Open the services and the bolt app with ``web_app``; route Slack and ``/healthz``."""
    settings.slack.require_http()
    web_app.cleanup_ctx.append(_services(settings))
    web_app.cleanup_ctx.append(_bolt)
    web_app.router.add_post(EVENTS_PATH, _events)
    web_app.router.add_get(HEALTH_PATH, _health)
    if settings.slack.oauth:
        web_app.router.add_get(INSTALL_PATH, _install)
        web_app.router.add_get(REDIRECT_PATH, _oauth_redirect)


def services_of(web_app: web.Application) -> Services:
    """The running application's services (set once it has started)."""
    return web_app[SERVICES]


def _services(settings: Settings) -> Resource:
    async def services(web_app: web.Application) -> AsyncIterator[None]:
        async with open_services(settings) as opened:
            web_app[SERVICES] = opened
            yield

    return services


async def _bolt(web_app: web.Application) -> AsyncIterator[None]:
    web_app[BOLT] = build_bolt_app(web_app[SERVICES])
    yield


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
    """200 only while Redis takes writes (a replica, or a cluster missing a slot, is 503)."""
    health = await redis_health(request.app[SERVICES].redis)
    if health.ok:
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "redis unavailable", "problem": health.problem}, status=503)
