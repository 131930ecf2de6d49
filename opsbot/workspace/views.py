"""views.open, views.push, views.update, views.publish, and the modal stacks they build.

A trigger_id opens (or pushes) one view within 3 seconds of the interaction
that issued it: unknown is ``invalid_trigger_id``, used before
``exchanged_trigger_id``, late ``expired_trigger_id`` (views.open and
views.push pages). A presented trigger is spent even if the view is then
refused: the strict reading, so an app never relies on retrying with it.
views.update and views.publish refuse a stale ``hash`` with
``hash_conflict``. A view Slack cannot accept is ``invalid_arguments`` with
json-pointers in ``response_metadata.messages``.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from opsbot.workspace.blocks import problems_as_messages, view_problems
from opsbot.workspace.calls import JSON, Call
from opsbot.workspace.errors import SlackError, validation_error
from opsbot.workspace.state import Installation, Trigger, View
from opsbot.workspace.view_state import fill_ids, initial_values, keep_entered
from opsbot.workspace.workspace import Workspace


def open_view(call: Call) -> JSON:
    trigger = spend_trigger(call.workspace, call.bot, call.arg("trigger_id"))
    body = valid_view(call.args.get("view"), "modal")
    for stale in call.workspace.open_views(trigger.user_id):
        # A person sees one modal at a time: a new one replaces the old stack.
        close_view(call.workspace, stale)
    view = new_view(call.workspace, call.bot, trigger.user_id, body)
    return {"ok": True, "view": view.as_slack()}


def push_view(call: Call) -> JSON:
    trigger = spend_trigger(call.workspace, call.bot, call.arg("trigger_id"))
    body = valid_view(call.args.get("view"), "modal")
    view = push_onto_stack(call.workspace, call.bot, trigger.user_id, body)
    return {"ok": True, "view": view.as_slack()}


def update_view(call: Call) -> JSON:
    view = _view_to_update(call)
    body = valid_view(call.args.get("view"), "modal")
    _check_hash(view, call.args.get("hash"))
    replace_body(call.workspace, view, body)
    return {"ok": True, "view": view.as_slack()}


def publish_home(call: Call) -> JSON:
    workspace, bot = call.workspace, call.bot
    user = workspace.users.get(call.arg("user_id"))
    if user is None:
        raise validation_error("invalid_arguments", ["[ERROR] invalid `user_id`"])
    body = valid_view(call.args.get("view"), "home")
    if not workspace.app.manifest.home_tab_enabled:
        # views.publish: "not_enabled: ... the Home tab isn't enabled for the app".
        raise SlackError("not_enabled")
    home = workspace.home(bot.team_id, user.id)
    if home is None:
        home = _make_view(workspace, bot, user.id, body)
        workspace.homes[(bot.team_id, user.id)] = home
    else:
        _check_hash(home, call.args.get("hash"))
        replace_body(workspace, home, body)
    workspace.publish("home.published", team=bot.team_id, user=user.id, view=home.id)
    return {"ok": True, "view": home.as_slack()}


# --- shared with the people's side (acks of view_submission) --------------------------


def spend_trigger(workspace: Workspace, bot: Installation, trigger_id: str) -> Trigger:
    trigger = workspace.triggers.get(trigger_id)
    if trigger is None or trigger.team_id != bot.team_id:
        raise SlackError("invalid_trigger_id")
    if trigger.used:
        raise SlackError("exchanged_trigger_id")
    trigger.used = True
    if workspace.clock() - trigger.issued_at > workspace.settings.limits.trigger_seconds:
        raise SlackError("expired_trigger_id")
    return trigger


def valid_view(value: Any, kind: str) -> JSON:
    """A copy of the view the app sent, or Slack's ``invalid_arguments``."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise validation_error("invalid_arguments", ["[ERROR] invalid `view`"]) from None
    problems = view_problems(value)
    if problems:
        raise validation_error("invalid_arguments", problems_as_messages(problems))
    if value.get("type") != kind:
        raise validation_error(
            "invalid_arguments", [f"[ERROR] must be {kind} [json-pointer:/view/type]"]
        )
    return copy.deepcopy(dict(value))


def new_view(workspace: Workspace, bot: Installation, user_id: str, body: JSON) -> View:
    view = _make_view(workspace, bot, user_id, body)
    workspace.views[view.id] = view
    workspace.publish("view.opened", view=view.id, user=user_id)
    return view


def push_onto_stack(workspace: Workspace, bot: Installation, user_id: str, body: JSON) -> View:
    stack = workspace.open_views(user_id)
    if not stack:
        raise SlackError("not_found")
    if len(stack) >= workspace.settings.limits.view_stack:
        raise SlackError("push_limit_reached")
    view = _make_view(workspace, bot, user_id, body)
    view.root_view_id, view.previous_view_id = stack[0].id, stack[-1].id
    workspace.views[view.id] = view
    workspace.publish("view.pushed", view=view.id, user=user_id)
    return view


def replace_body(workspace: Workspace, view: View, body: JSON) -> None:
    fill_ids(body.get("blocks") or [], lambda: workspace.ids.of("b"))
    view.body = body
    view.state_values = keep_entered(view.state_values, initial_values(body.get("blocks") or []))
    view.hash = workspace.ids.view_hash(workspace.clock())
    workspace.publish("view.updated", view=view.id, user=view.user_id)


def close_view(workspace: Workspace, view: View) -> None:
    workspace.views.pop(view.id, None)
    workspace.publish("view.closed", view=view.id, user=view.user_id)


# --- helpers -------------------------------------------------------------------------


def _make_view(workspace: Workspace, bot: Installation, user_id: str, body: JSON) -> View:
    fill_ids(body.get("blocks") or [], lambda: workspace.ids.of("b"))
    view_id = workspace.ids.of("V")
    return View(
        id=view_id,
        team_id=bot.team_id,
        user_id=user_id,
        app_id=workspace.app.app_id,
        bot_id=bot.bot_id,
        body=body,
        hash=workspace.ids.view_hash(workspace.clock()),
        root_view_id=view_id,
        state_values=initial_values(body.get("blocks") or []),
    )


def _view_to_update(call: Call) -> View:
    view_id, external_id = call.args.get("view_id"), call.args.get("external_id")
    for view in call.workspace.views.values():
        if view.team_id != call.bot.team_id:
            continue
        if view_id == view.id or (external_id and view.body.get("external_id") == external_id):
            return view
    # views.update: "not_found: ... the given view_id or external_id doesn't exist";
    # a closed modal is gone.
    raise SlackError("not_found")


def _check_hash(view: View, given: Any) -> None:
    if given is not None and given != view.hash:
        raise SlackError("hash_conflict")
