"""The aiohttp side of ``opsbot serve``: AppKeys and :func:`setup` (cf. aiojobs' ``aiohttp.py``).

:func:`setup` puts the resources on the application's ``cleanup_ctx``: the
services open when the application starts, the bolt app is built on them,
and both close in reverse order when it stops, so a test and ``opsbot serve``
get the same lifecycle. It routes Slack's endpoints to bolt and answers the
health check. Whether a watcher runs beside them is :mod:`opsbot.runtime`'s
choice, not this module's.

``POST /slack/events`` reads the body within ``OPSBOT_HTTP_READ_TIMEOUT``
(a client that never finishes sending it gets 408 instead of holding a
handler forever), then checks and reads it (:mod:`opsbot.slack.inbound`)
before bolt sees it: a request Slack did not sign, or could not have sent,
gets 401 or 400 and one short log line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Final

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from opsbot.config import Settings
from opsbot.services import Services, open_services
from opsbot.slack import inbound
from opsbot.slack.app import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH, start_bolt_app
from opsbot.store.connection import redis_health

log = logging.getLogger(__name__)

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
    web_app[BOLT] = await start_bolt_app(web_app[SERVICES])
    yield


async def _events(request: web.Request) -> web.Response:
    settings = request.app[SERVICES].settings
    try:
        body = await _body_in_time(request, settings.http_read_timeout_s)
        secret = settings.slack.signing_secret or ""  # required for HTTP at start-up
        inbound.check_signature(request.headers, body, secret, time.time())
        text, fields = inbound.read_fields(body, request.content_type)
    except inbound.Refusal as refusal:
        log.info("refused a request to %s: %s (%d)", EVENTS_PATH, refusal.reason, refusal.status)
        # The reason stays in the log: a forger learns nothing from the answer.
        return web.json_response({"error": "invalid request"}, status=refusal.status)
    bolt_request = inbound.bolt_request(text, request.query_string, request.headers, fields)
    response = await request.app[BOLT].async_dispatch(bolt_request)
    return await to_aiohttp_response(response)


async def _body_in_time(request: web.Request, timeout_s: float) -> bytes:
    try:
        async with asyncio.timeout(timeout_s):
            return await request.read()
    except TimeoutError:
        raise inbound.Refusal(408, f"the body did not arrive within {timeout_s:g} s") from None


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
