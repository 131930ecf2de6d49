"""Which installation a token belongs to, or why Slack refuses it.

Errors as each method's page lists them: ``not_authed`` (no token),
``invalid_auth`` (unknown), ``token_revoked`` (uninstalled or revoked),
``account_inactive`` (the workspace is gone), ``token_expired`` (a rotated
token past its 12 hours).
"""

from __future__ import annotations

from opsbot.workspace.errors import SlackError
from opsbot.workspace.state import Installation
from opsbot.workspace.workspace import Workspace


def installation_for(workspace: Workspace, token: str | None) -> Installation:
    if not token:
        raise SlackError("not_authed")
    installation = workspace.installations.get(token)
    if installation is None:
        raise SlackError("invalid_auth")
    if installation.revoked:
        raise SlackError("token_revoked")
    if installation.inactive:
        raise SlackError("account_inactive")
    if installation.expires_at is not None and workspace.clock() >= installation.expires_at:
        raise SlackError("token_expired")
    return installation


def check_app_token(workspace: Workspace, token: str | None) -> None:
    """An app-level token (``xapp-``), for apps.connections.open."""
    if not token:
        raise SlackError("not_authed")
    if token != workspace.app.app_token:
        raise SlackError("invalid_auth")
