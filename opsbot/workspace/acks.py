"""What an app's acknowledgement does, per kind of request.

- slash command: the ack's body is the first answer: text (ephemeral) or a
  message whose ``response_type: in_channel`` shows it to the channel;
- view_submission: an empty ack closes the submitted view; ``response_action``
  ``errors`` keeps it open with messages under input blocks, ``update``
  replaces it, ``push`` stacks a new one, ``clear`` closes them all
  (docs.slack.dev/surfaces/modals, "Responding to view submissions");
- block_suggestion: the ack carries the options to show (at most 100).

An ack Slack cannot use is a failure the person sees; it is returned as a
short reason (``invalid_ack: invalid_blocks``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opsbot.workspace.blocks import suggestion_problems
from opsbot.workspace.chat import post_as_app, post_privately
from opsbot.workspace.content import Content, check_content, lacks_fallback, read_content
from opsbot.workspace.errors import SlackError
from opsbot.workspace.payloads import Actor
from opsbot.workspace.state import View
from opsbot.workspace.view_state import all_options
from opsbot.workspace.views import close_view, push_onto_stack, replace_body, valid_view
from opsbot.workspace.workspace import Workspace

JSON = dict[str, Any]


@dataclass
class SubmissionResult:
    errors: dict[str, str] = field(default_factory=dict)
    failure: str | None = None


def apply_command_ack(workspace: Workspace, actor: Actor, body: Any) -> str | None:
    """Post what a slash command's ack says; a failure reason if Slack could not."""
    assert actor.channel is not None
    try:
        content = _ack_content(workspace, body)
    except SlackError as error:
        return f"invalid_ack: {error.error}"
    if content is None:
        return None
    if lacks_fallback(content):
        workspace.warn("missing_text", "slash command ack: blocks without a text fallback")
    if isinstance(body, dict) and body.get("response_type") == "in_channel":
        post_as_app(workspace, actor.team.id, actor.channel.id, content)
    else:
        post_privately(workspace, actor.channel.id, actor.user.id, content)
    return None


def apply_submission_ack(workspace: Workspace, view: View, body: Any) -> SubmissionResult:
    action = body.get("response_action") if isinstance(body, dict) else None
    try:
        return _submission_action(workspace, view, action, body)
    except SlackError as error:
        return SubmissionResult(failure=f"invalid_ack: {error.error}")


def suggested_options(body: Any) -> tuple[list[JSON], str | None]:
    """The options a block_suggestion ack offers, or why Slack shows none."""
    problems = suggestion_problems(body)
    if problems:
        return [], f"invalid_ack: {problems[0].message}"
    return list(all_options(body)), None


def close_stack(workspace: Workspace, user_id: str) -> None:
    for view in reversed(workspace.open_views(user_id)):
        close_view(workspace, view)


def _submission_action(
    workspace: Workspace, view: View, action: Any, body: Any
) -> SubmissionResult:
    if action is None:
        close_view(workspace, view)
    elif action == "errors":
        return _errors(view, body.get("errors"))
    elif action == "update":
        replace_body(workspace, view, valid_view(body.get("view"), "modal"))
    elif action == "push":
        bot = workspace.installation_of(view.team_id)
        push_onto_stack(workspace, bot, view.user_id, valid_view(body.get("view"), "modal"))
    elif action == "clear":
        close_stack(workspace, view.user_id)
    else:
        return SubmissionResult(failure=f"invalid_ack: unknown response_action {action!r}")
    return SubmissionResult()


def _errors(view: View, errors: Any) -> SubmissionResult:
    """Each key must name an input block of the view, or Slack rejects the ack."""
    inputs = {
        block.get("block_id")
        for block in view.body.get("blocks") or []
        if isinstance(block, dict) and block.get("type") == "input"
    }
    if not isinstance(errors, dict) or not errors or not set(errors) <= inputs:
        return SubmissionResult(failure="invalid_ack: errors must name input blocks")
    return SubmissionResult(errors={str(k): str(v) for k, v in errors.items()})


def _ack_content(workspace: Workspace, body: Any) -> Content | None:
    limits = workspace.settings.limits
    if isinstance(body, str):
        content = Content(body, None, None)
        check_content(content, limits)
        return content
    if not isinstance(body, dict) or not any(
        body.get(k) for k in ("text", "blocks", "attachments")
    ):
        return None
    return read_content(body, limits)
