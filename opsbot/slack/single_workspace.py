"""Single-workspace mode's authorization: one ``auth.test`` for the life of the process.

bolt's own single-team authorization calls ``auth.test`` until one answer is
kept, and every request that arrives before that answer makes its own call:
200 commands at once made 200 calls, which Slack (Tier 4, about 100 a
minute) answered with 429, and those requests got bolt's "could not
authorize" instead of an answer. Here the first request asks, the others
wait for its answer; a failed answer is not kept, so the next request asks
again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

# Start-up does not wait longer than this on Slack: serving matters more.
WARM_UP_S: Final = 3.0


class SingleWorkspaceAuthorize(AsyncAuthorize):
    def __init__(self, client: AsyncWebClient, bot_token: str) -> None:
        self._client = client
        self._bot_token = bot_token
        self._result: AuthorizeResult | None = None
        self._lock = asyncio.Lock()

    async def warm_up(self) -> None:
        """Ask now; if Slack cannot answer yet, the first request asks again."""
        try:
            async with asyncio.timeout(WARM_UP_S):
                await self._answer()
        except (SlackApiError, OSError, TimeoutError) as error:
            log.warning("could not ask Slack who the bot is yet (%s)", type(error).__name__)

    # bolt's signature, which names every id of the request; one workspace needs none.
    async def __call__(  # noqa: PLR0913
        self,
        *,
        context: AsyncBoltContext,  # noqa: ARG002
        enterprise_id: str | None,  # noqa: ARG002
        team_id: str | None,  # noqa: ARG002
        user_id: str | None,  # noqa: ARG002
        actor_enterprise_id: str | None = None,  # noqa: ARG002
        actor_team_id: str | None = None,  # noqa: ARG002
        actor_user_id: str | None = None,  # noqa: ARG002
    ) -> AuthorizeResult | None:
        return await self._answer()

    async def _answer(self) -> AuthorizeResult:
        async with self._lock:
            if self._result is None:
                answer = await self._client.auth_test(token=self._bot_token)
                self._result = AuthorizeResult.from_auth_test_response(
                    auth_test_response=answer, bot_token=self._bot_token
                )
            return self._result
