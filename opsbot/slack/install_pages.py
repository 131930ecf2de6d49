"""The end of an OAuth install: installs opsbot refuses, and what the installer then sees.

bolt's own failure page says only "Something went wrong (storage_error)";
an install refused for a reason the person can act on says that reason.
"""

from __future__ import annotations

import html
import logging

from slack_bolt.error import BoltError
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.models.installation import Installation

from opsbot.config import ROTATION_REFUSED

log = logging.getLogger(__name__)


class InstallRefused(BoltError):
    """An installation opsbot will not keep; the message says why, for the installer."""


class RefusingOAuthFlow(AsyncOAuthFlow):
    """bolt's OAuth flow, refusing before storing what opsbot could not serve."""

    async def store_installation(
        self, request: AsyncBoltRequest, installation: Installation
    ) -> None:
        if installation.bot_refresh_token or installation.bot_token_expires_at:
            # Token rotation is on: refused while the installer can still act on it.
            log.error("refused an installation with token rotation on")
            raise InstallRefused(f"Token rotation is on for this app. {ROTATION_REFUSED}")
        await super().store_installation(request, installation)


async def _succeeded(args: AsyncSuccessArgs) -> BoltResponse:
    return await args.default.success(args)


async def _failed(args: AsyncFailureArgs) -> BoltResponse:
    if isinstance(args.error, InstallRefused):
        page = (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>opsbot</title></head>"
            f"<body><h1>opsbot was not installed</h1><p>{html.escape(str(args.error))}</p>"
            "</body></html>"
        )
        return BoltResponse(
            status=400, body=page, headers={"Content-Type": "text/html; charset=utf-8"}
        )
    return await args.default.failure(args)


CALLBACK_OPTIONS = AsyncCallbackOptions(success=_succeeded, failure=_failed)
