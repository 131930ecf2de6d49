"""What a person sees at the end of an OAuth install that opsbot refuses.

bolt's own failure page says only "Something went wrong (storage_error)";
an install refused for a reason the person can act on says that reason.
"""

from __future__ import annotations

import html

from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.response import BoltResponse

from opsbot.slack_installations import InstallRefused


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
