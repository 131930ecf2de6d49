"""oauth.v2.access and apps.uninstall: installing and removing the app.

slack_sdk sends the client credentials as HTTP Basic auth (the Web API
reads them into ``client_id``/``client_secret``); the form fields work too.
A grant belongs to one workspace, and to its Enterprise Grid org if it has
one: the answer names ``enterprise`` as Slack does, so an app that keys
installations by (enterprise_id, team_id) is tested the way Slack will use it.
"""

from __future__ import annotations

from opsbot.workspace.calls import JSON, Call
from opsbot.workspace.errors import SlackError
from opsbot.workspace.state import Grant, Installation

# With token rotation on, a bot token lives 12 hours
# (docs.slack.dev/authentication/using-token-rotation).
ROTATED_TOKEN_SECONDS = 12 * 60 * 60


def oauth_v2_access(call: Call) -> JSON:
    _check_client(call)
    if call.args.get("grant_type") == "refresh_token":
        return _refresh(call)
    grant = call.workspace.grants.pop(str(call.args.get("code")), None)
    if grant is None:
        raise SlackError("invalid_code")
    installation = call.workspace.install(
        grant.team_id, bot_token=grant.bot_token, installer=grant.installer_user_id
    )
    installation.is_enterprise_install = grant.is_enterprise_install
    _rotate_if_enabled(call, installation)
    return _answer(call, installation, grant)


def apps_uninstall(call: Call) -> JSON:
    """Every token of the calling installation's workspace is revoked."""
    _check_client(call)
    team_id = call.bot.team_id
    for installation in call.workspace.installations.values():
        if installation.team_id == team_id:
            installation.revoked = True
    call.workspace.publish("app.uninstalled", team=team_id)
    return {"ok": True}


def _check_client(call: Call) -> None:
    app = call.workspace.app
    if call.args.get("client_id") != app.client_id:
        raise SlackError("invalid_client_id")
    if call.args.get("client_secret") != app.client_secret:
        raise SlackError("bad_client_secret")


def _rotate_if_enabled(call: Call, installation: Installation) -> None:
    if call.workspace.app.manifest.token_rotation:
        installation.expires_at = call.workspace.clock() + ROTATED_TOKEN_SECONDS
        installation.refresh_token = f"xoxe-1-{call.workspace.ids.next()}"


def _refresh(call: Call) -> JSON:
    workspace = call.workspace
    old = next(
        (
            i
            for i in workspace.installations.values()
            if i.refresh_token == call.args.get("refresh_token")
        ),
        None,
    )
    if old is None or old.revoked:
        raise SlackError("invalid_refresh_token")
    old.revoked = True
    fresh = workspace.install(old.team_id, scopes=old.scopes, installer=old.installer_user_id)
    fresh.is_enterprise_install = old.is_enterprise_install
    _rotate_if_enabled(call, fresh)
    return _answer(call, fresh, None)


def _answer(call: Call, installation: Installation, grant: Grant | None) -> JSON:
    team = call.workspace.teams[installation.team_id]
    answer: JSON = {
        "ok": True,
        "app_id": call.workspace.app.app_id,
        "authed_user": {"id": grant.installer_user_id if grant else installation.installer_user_id},
        "scope": ",".join(sorted(installation.scopes)),
        "token_type": "bot",
        "access_token": installation.bot_token,
        "bot_user_id": installation.bot_user_id,
        "team": {"id": team.id, "name": team.name},
        "enterprise": team.enterprise(),
        "is_enterprise_install": installation.is_enterprise_install,
    }
    if installation.refresh_token is not None and installation.expires_at is not None:
        answer["refresh_token"] = installation.refresh_token
        answer["expires_in"] = int(installation.expires_at - call.workspace.clock())
    return answer
