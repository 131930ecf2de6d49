"""The page's JSON API: read what a person sees, and do what a person does.

Reads (GET) come from :mod:`.snapshot`. Acts (POST) go through the
workspace's people (:class:`~opsbot.workspace.Interactions`), which deliver
to opsbot exactly what Slack would, signed, and apply its ack; the answer
says what the person saw: Slack's failure (``operation_timeout``, …), the
errors a modal shows under its inputs, an external select's options. The
one switch that is not a person's is the simulator's: move an operation to
a step now.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, TypeVar

from aiohttp import web

from opsbot.api.operation import STEPS
from opsbot.playground import snapshot
from opsbot.playground.world import World
from opsbot.workspace.interactions import Outcome, Target
from opsbot.workspace.workspace import dm_channel_id

API_PATH: Final = "/playground/api/"
WORLD: Final = web.AppKey("playground_world", World)

JSON = dict[str, Any]
T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadRequest(ValueError):
    """The page sent something this API cannot act on; answered 400 with the reason."""


def routes() -> list[web.RouteDef]:
    return [
        web.get(API_PATH + "setup", _reading(_setup)),
        web.get(API_PATH + "channels/{channel}", _reading(_channel)),
        web.get(API_PATH + "channels/{channel}/threads/{ts}", _reading(_thread)),
        web.get(API_PATH + "views", _reading(_views)),
        web.get(API_PATH + "home", _reading(_home)),
        web.post(API_PATH + "home", _acting(_open_home)),
        web.post(API_PATH + "command", _acting(_command)),
        web.post(API_PATH + "action", _acting(_action)),
        web.post(API_PATH + "suggest", _acting(_suggest)),
        web.post(API_PATH + "submit", _acting(_submit)),
        web.post(API_PATH + "close", _acting(_close)),
        web.post(API_PATH + "move", _acting(_move)),
    ]


# --- reading -----------------------------------------------------------------------------

Reader = Callable[[World, web.Request], JSON]


def _reading(read: Reader) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            return web.json_response(read(request.app[WORLD], request))
        except BadRequest as error:
            return web.json_response({"error": str(error)}, status=400)

    return handle


def _setup(world: World, _request: web.Request) -> JSON:
    shown = snapshot.setup(world.workspace.workspace, world.bot.team_id)
    shown["steps"] = list(STEPS)
    return shown


def _channel(world: World, request: web.Request) -> JSON:
    viewer = _viewer(world, request)
    wanted = request.match_info["channel"]
    # The person's own DM with the app (its Messages tab), open or not yet.
    if wanted != dm_channel_id(viewer):
        wanted = _known_channel(world, wanted)
    return snapshot.channel(world.workspace.workspace, wanted, viewer)


def _home(world: World, request: web.Request) -> JSON:
    """The person's Home tab as opsbot last published it (None before the first time)."""
    return snapshot.home(world.workspace.workspace, world.bot.team_id, _viewer(world, request))


def _thread(world: World, request: web.Request) -> JSON:
    channel_id = _known_channel(world, request.match_info["channel"])
    ts = request.match_info["ts"]
    return snapshot.thread(world.workspace.workspace, channel_id, ts, _viewer(world, request))


def _views(world: World, request: web.Request) -> JSON:
    return snapshot.views(world.workspace.workspace, _viewer(world, request))


def _viewer(world: World, request: web.Request) -> str:
    return _known_user(world, request.query.get("user"))


# --- acting ------------------------------------------------------------------------------

Actor = Callable[[World, Mapping[str, Any]], Awaitable[JSON]]


def _acting(act: Actor) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            body = await _json_body(request)
            return web.json_response(await act(request.app[WORLD], body))
        except BadRequest as error:
            return web.json_response({"error": str(error)}, status=400)

    return handle


async def _command(world: World, body: Mapping[str, Any]) -> JSON:
    user = _known_user(world, body.get("user"))
    channel_id = _known_channel(world, body.get("channel"))
    text = _text(body, "text")
    return _shown(await world.workspace.interactions.slash_command(user, channel_id, text))


async def _action(world: World, body: Mapping[str, Any]) -> JSON:
    """A click or a choice, in a message or in a modal (after what was typed there)."""
    user = _known_user(world, body.get("user"))
    target = _target(world, body)
    if target.view_id is not None:
        await _enter(world, user, target.view_id, body.get("values"))
    outcome = await _guarded(
        world.workspace.interactions.click(
            user, target, _text(body, "action_id"), body.get("choice"), body.get("block_id")
        )
    )
    return _shown(outcome)


async def _suggest(world: World, body: Mapping[str, Any]) -> JSON:
    user = _known_user(world, body.get("user"))
    outcome = await _guarded(
        world.workspace.interactions.suggest(
            user,
            _target(world, body),
            _text(body, "action_id"),
            str(body.get("typed") or ""),
            body.get("block_id"),
        )
    )
    return {**_shown(outcome), "options": outcome.options}


async def _submit(world: World, body: Mapping[str, Any]) -> JSON:
    user = _known_user(world, body.get("user"))
    view_id = _text(body, "view_id")
    outcome = await _guarded(
        world.workspace.interactions.submit(user, view_id, _values(body.get("values")))
    )
    return {**_shown(outcome), "errors": outcome.errors}


async def _close(world: World, body: Mapping[str, Any]) -> JSON:
    user = _known_user(world, body.get("user"))
    outcome = await _guarded(world.workspace.interactions.close(user, _text(body, "view_id")))
    return _shown(outcome)


async def _open_home(world: World, body: Mapping[str, Any]) -> JSON:
    """The person opens the app's Home tab: Slack sends ``app_home_opened``."""
    user = _known_user(world, body.get("user"))
    return _shown(await world.workspace.interactions.open_home(user))


async def _move(world: World, body: Mapping[str, Any]) -> JSON:
    """The simulator's switch: operation ``id`` enters ``step`` now."""
    op_id, step = body.get("id"), body.get("step")
    if isinstance(op_id, str) and op_id.strip().isdigit():
        op_id = int(op_id)
    if not isinstance(op_id, int) or isinstance(op_id, bool):
        raise BadRequest("id must be an operation id, a number")
    if step not in STEPS:
        raise BadRequest(f"step must be one of {', '.join(STEPS)}")
    try:
        world.simulator.simulator.move(op_id, str(step))
    except KeyError:
        raise BadRequest(f"the simulator has no operation {op_id}") from None
    return {"id": op_id, "step": step}


async def _enter(world: World, user: str, view_id: str, values: Any) -> None:
    """Put what the person typed into the view, as Slack's client does before an action."""
    for block_id, value in _values(values).items():
        await _guarded(world.workspace.interactions.type_in(user, view_id, block_id, value))


async def _guarded(act: Awaitable[T]) -> T:
    # The people's API refuses what a person cannot do (a view no longer in
    # front, an element that is gone) with ValueError: the page was stale.
    try:
        return await act
    except ValueError as error:
        raise BadRequest(str(error)) from None


def _shown(outcome: Outcome) -> JSON:
    return {"ok": outcome.ok, "failure": outcome.failure}


# --- reading the request -----------------------------------------------------------------


async def _json_body(request: web.Request) -> Mapping[str, Any]:
    try:
        body = json.loads(await request.text())
    except ValueError:
        raise BadRequest("the body must be JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _target(world: World, body: Mapping[str, Any]) -> Target:
    view_id = body.get("view_id")
    if isinstance(view_id, str) and view_id:
        return Target.view(view_id)
    return Target.message(_known_channel(world, body.get("channel")), _text(body, "ts"))


def _known_user(world: World, user_id: Any) -> str:
    user = world.workspace.workspace.users.get(str(user_id))
    if user is None or user.team_id != world.bot.team_id:
        raise BadRequest("user must be one of the team's people")
    return user.id


def _known_channel(world: World, channel_id: Any) -> str:
    channel = world.workspace.workspace.channels.get(str(channel_id))
    # Someone's DM with the app is theirs alone (read through _channel).
    if channel is None or channel.team_id != world.bot.team_id or channel.is_im:
        raise BadRequest("channel must be one of the team's channels")
    return channel.id


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be text")
    return value


def _values(values: Any) -> dict[str, Any]:
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise BadRequest("values must be an object of block_id: value")
    return {str(block_id): value for block_id, value in values.items()}
