"""A local Slack workspace that keeps Slack's rules, for tests and the playground.

It plays the parts of Slack opsbot touches: the Web API, response_urls, and
delivery of signed requests to the app over HTTP or Socket Mode; it refuses
what Slack refuses (rates, response_url uses, trigger_ids, view hashes,
Block Kit limits, scopes, channel access) with Slack's own answers. From
Python::

    workspace = Workspace(app=App(request_url="http://127.0.0.1:3000/slack/events"))
    workspace.add_team("T0123")
    workspace.add_channel("C0123", "T0123", name="ops")
    workspace.add_user("U0123", "T0123", role="admin", channels=["C0123"])
    bot = workspace.install("T0123")
    async with serve_workspace(workspace) as served:
        ...  # SLACK_API_URL=served.api_url, SLACK_BOT_TOKEN=bot.bot_token,
        ...  # SLACK_SIGNING_SECRET=workspace.app.signing_secret
        outcome = await served.interactions.slash_command("U0123", "C0123", "help")

``python -m opsbot.workspace --port 8766 --request-url URL`` (or
``--socket-mode``) serves a demo workspace and prints those settings.
Production modules never import this package; the runtime starts it for the
playground, like the operation API simulator.
"""

from opsbot.workspace.changes import Change, ChangeFeed
from opsbot.workspace.clock import Clock, ManualClock, system_clock
from opsbot.workspace.interactions import Interactions, Outcome, Target
from opsbot.workspace.scopes import Manifest
from opsbot.workspace.server import ServedWorkspace, build_app, serve_workspace
from opsbot.workspace.settings import Burst, Limits, Rates, Window, WorkspaceSettings
from opsbot.workspace.workspace import App, Workspace

__all__ = [
    "App",
    "Burst",
    "Change",
    "ChangeFeed",
    "Clock",
    "Interactions",
    "Limits",
    "Manifest",
    "ManualClock",
    "Outcome",
    "Rates",
    "ServedWorkspace",
    "Target",
    "Window",
    "Workspace",
    "WorkspaceSettings",
    "build_app",
    "serve_workspace",
    "system_clock",
]
