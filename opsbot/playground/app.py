"""The playground's routes on opsbot's own aiohttp application.

:func:`setup` adds the page (``/``, its static files), the JSON API
(:mod:`.api`), the live stream (:mod:`.live`), and one start-up step: the
team's API key, stored through the normal :class:`~opsbot.store.team_keys.TeamKeyStore`
as ``/ops key`` would store it, so the first ``/ops list`` works. The
runtime (:func:`opsbot.runtime.run_playground`) builds the application and
serves it; Slack's endpoints are the ones ``opsbot serve`` has.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from importlib import resources
from pathlib import Path
from typing import Final

from aiohttp import web

from opsbot.http_app import services_of
from opsbot.playground import api, live
from opsbot.playground.world import ADMIN, World

STATIC_PATH: Final = "/playground/static"
PAGE: Final = "index.html"


def static_dir() -> Path:
    """The page's files, found through the import system (a wheel carries them)."""
    return Path(str(resources.files("opsbot.playground") / "static"))


def setup(web_app: web.Application, world: World) -> None:
    web_app[api.WORLD] = world
    web_app.cleanup_ctx.append(_team_key(world))
    web_app.router.add_get("/", _page)
    web_app.router.add_static(STATIC_PATH, static_dir())
    web_app.router.add_routes(api.routes())
    live.setup(web_app, world.workspace.workspace.feed)
    web_app.on_response_prepare.append(_no_stale_files)


def _team_key(world: World) -> Callable[[web.Application], AsyncIterator[None]]:
    async def team_key(web_app: web.Application) -> AsyncIterator[None]:
        # After the services in cleanup_ctx, so the store is open.
        await services_of(web_app).team_keys.set(world.bot.team_id, world.api_key, ADMIN)
        yield

    return team_key


async def _page(_request: web.Request) -> web.FileResponse:
    return web.FileResponse(static_dir() / PAGE)


async def _no_stale_files(_request: web.Request, response: web.StreamResponse) -> None:
    # The page is edited in place (no build step): a browser must not keep
    # yesterday's script.
    response.headers.setdefault("Cache-Control", "no-cache")
