"""A Cancel button clicked and confirmed with signed requests, as Slack delivers them.

A Cancel on a row or a card opens the confirmation modal (``views.open``,
then ``views.update`` once opsbot has looked at the operation); pressing
"Cancel operation" sends its ``view_submission``, whose ack says what the
modal shows next. Tests that talk to opsbot through
:class:`~tests.support.slack_requests.SlackClient` use these two steps;
tests driving people through the workspace use ``Interactions``.
"""

from __future__ import annotations

from opsbot.ui import ids
from tests.support.slack_api import JSON, FakeSlack
from tests.support.slack_requests import (
    USER_ID,
    SlackClient,
    block_actions_body,
    view_submission_body,
)


async def open_confirmation(
    slack_client: SlackClient, fake_slack: FakeSlack, value: str, name: str
) -> JSON:
    """Click a Cancel carrying ``value`` (its answers go to response_url ``name``):
    the confirmation as Slack holds it once opsbot has filled it."""
    filled_before = len(fake_slack.calls_to("views.update"))
    reply = await slack_client.post(
        block_actions_body(ids.ACTION_CANCEL, value, response_url=fake_slack.response_url(name))
    )
    assert reply.status == 200
    assert reply.text == ""
    await fake_slack.wait_for("views.update", count=filled_before + 1)
    return fake_slack.front_view(USER_ID)


async def confirm(slack_client: SlackClient, confirmation: JSON) -> JSON:
    """Press "Cancel operation": the view the submission's ack puts in the modal."""
    assert confirmation["submit"]["text"] == "Cancel operation"
    reply = await slack_client.post(
        view_submission_body(
            ids.CALLBACK_CANCEL,
            {},
            private_metadata=confirmation["private_metadata"],
            view_id=confirmation["id"],
            view_hash=confirmation["hash"],
        )
    )
    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "update"
    shown: JSON = answer["view"]
    return shown


async def cancel_confirmed(
    slack_client: SlackClient, fake_slack: FakeSlack, value: str, name: str
) -> JSON:
    """Click Cancel and confirm at once: what the modal shows after."""
    confirmation = await open_confirmation(slack_client, fake_slack, value, name)
    return await confirm(slack_client, confirmation)
