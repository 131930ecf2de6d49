"""The Slack stand-ins of tests/support hold up against the real slack_sdk and bolt.

Signatures are checked by slack_sdk's own SignatureVerifier; FakeSlack is
driven by slack_sdk's AsyncWebClient; and the request bodies go through a real
bolt AsyncApp served by aiohttp, which must route, verify and answer them as
it would Slack's.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond, AsyncSay
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from opsbot.workspace import Limits
from tests.support.opsbot_app import CLIENT_ID, CLIENT_SECRET
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import (
    CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    SlackClient,
    app_uninstalled_event,
    block_actions_body,
    event_body,
    option,
    plain_text_state,
    sign,
    slash_command_body,
    static_select_state,
    url_verification_body,
    view_select_body,
    view_submission_body,
)

SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-1"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(tokens={BOT_TOKEN}) as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(base_url=slack.api_url, token=BOT_TOKEN)


# --- signatures -------------------------------------------------------------------


def test_signature_is_the_one_slack_sdk_computes() -> None:
    body = slash_command_body("list step=ERROR", response_url="http://127.0.0.1/r")
    headers = sign(body, SECRET, timestamp=1_700_000_000)
    expected = SignatureVerifier(SECRET).generate_signature(timestamp="1700000000", body=body)
    assert headers == {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": expected}


def test_fresh_signature_passes_slack_sdk_verification() -> None:
    body = event_body(app_uninstalled_event())
    assert SignatureVerifier(SECRET).is_valid_request(body, sign(body, SECRET))


@pytest.mark.parametrize(
    ("sent_body", "secret", "age"),
    [
        pytest.param("text=help%20me", SECRET, 0, id="tampered-body"),
        pytest.param("text=help", "another-secret", 0, id="wrong-secret"),
        pytest.param("text=help", SECRET, 6 * 60, id="stale-timestamp"),
    ],
)
def test_slack_sdk_rejects_what_slack_would_not_have_signed(
    sent_body: str, secret: str, age: int
) -> None:
    headers = sign("text=help", secret, timestamp=int(time.time()) - age)
    assert not SignatureVerifier(SECRET).is_valid_request(sent_body, headers)


# --- the Web API --------------------------------------------------------------------


async def test_post_then_update_then_delete_a_message(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*1*"}}]
    first = await client.chat_postMessage(channel=CHANNEL_ID, text="one", blocks=blocks)
    second = await client.chat_postMessage(channel=CHANNEL_ID, text="two", thread_ts=first["ts"])
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == blocks

    updated = await client.chat_update(channel=CHANNEL_ID, ts=first["ts"], text="one, edited")
    assert updated["ts"] == first["ts"]
    assert slack.message(CHANNEL_ID, first["ts"])["text"] == "one, edited"
    assert slack.message(CHANNEL_ID, second["ts"])["thread_ts"] == first["ts"]

    await client.chat_delete(channel=CHANNEL_ID, ts=second["ts"])
    assert [m["ts"] for m in slack.messages(CHANNEL_ID)] == [first["ts"]]
    assert [call.method for call in slack.calls] == [
        "chat.postMessage",
        "chat.postMessage",
        "chat.update",
        "chat.delete",
    ]
    assert {call.token for call in slack.calls} == {BOT_TOKEN}


async def test_ephemeral_message_gets_a_message_ts(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    response = await client.chat_postEphemeral(channel=CHANNEL_ID, user=USER_ID, text="only you")
    [shown] = slack.workspace.ephemerals_for(USER_ID, CHANNEL_ID)
    assert shown.ts == response["message_ts"]


async def test_form_encoded_calls_are_parsed_like_json_ones(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = [{"type": "divider"}]
    await client.api_call(
        "chat.postMessage", data={"channel": CHANNEL_ID, "text": "t", "blocks": json.dumps(blocks)}
    )
    assert slack.calls_to("chat.postMessage")[0].args == {
        "channel": CHANNEL_ID,
        "text": "t",
        "blocks": blocks,
    }


async def test_a_message_over_fifty_blocks_is_refused(client: AsyncWebClient) -> None:
    blocks = [{"type": "divider"}] * 51
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel=CHANNEL_ID, text="t", blocks=blocks)
    assert refused.value.response["error"] == "invalid_blocks"


async def test_views_update_needs_the_current_hash(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    modal = {
        "type": "modal",
        "callback_id": "relaunch",
        "title": {"type": "plain_text", "text": "Relaunch"},
        "blocks": [],
        "private_metadata": "42",
    }
    trigger_id = slack.workspace.issue_trigger(TEAM_ID, USER_ID)
    opened = (await client.views_open(trigger_id=trigger_id, view=modal))["view"]
    assert opened["id"].startswith("V")
    assert opened["private_metadata"] == "42"

    updated = await client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)
    assert updated["view"]["hash"] != opened["hash"]
    assert slack.view(opened["id"])["hash"] == updated["view"]["hash"]

    with pytest.raises(SlackApiError) as conflict:
        await client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)
    assert conflict.value.response["error"] == "hash_conflict"


async def test_users_info_tells_admins_and_owners(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.set_user("U_ADMIN", is_admin=True)
    slack.set_user("U_OWNER", is_owner=True)
    users = {
        user_id: (await client.users_info(user=user_id))["user"]
        for user_id in ("U_ADMIN", "U_OWNER", "U_PLAIN")
    }
    assert {uid: (u["is_admin"], u["is_owner"]) for uid, u in users.items()} == {
        "U_ADMIN": (True, False),
        "U_OWNER": (True, True),  # Slack marks an owner an admin too
        "U_PLAIN": (False, False),
    }
    assert slack.calls_to("users.info")[0].args == {"user": "U_ADMIN"}


async def test_auth_test_and_conversations_info_name_the_team(client: AsyncWebClient) -> None:
    identity = await client.auth_test()
    channel = await client.conversations_info(channel=CHANNEL_ID)
    assert (identity["team_id"], channel["channel"]["id"]) == (TEAM_ID, CHANNEL_ID)


@pytest.mark.parametrize(
    ("token", "error"),
    [("xoxb-unknown", "invalid_auth"), (None, "not_authed")],
)
async def test_unknown_or_missing_token_is_refused(
    slack: FakeSlack, token: str | None, error: str
) -> None:
    with pytest.raises(SlackApiError) as refused:
        await AsyncWebClient(base_url=slack.api_url, token=token).auth_test()
    assert refused.value.response["error"] == error


async def test_revoked_token_is_refused(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.revoke(BOT_TOKEN)
    with pytest.raises(SlackApiError) as refused:
        await client.auth_test()
    assert refused.value.response["error"] == "token_revoked"


async def test_unknown_method_is_refused_and_recorded(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    with pytest.raises(SlackApiError) as refused:
        await client.api_call("reactions.add", json={"name": "eyes"})
    assert refused.value.response["error"] == "unknown_method"
    assert slack.calls_to("reactions.add")[0].args == {"name": "eyes"}


# slack_sdk sends client_id:client_secret with aiohttp.BasicAuth, which aiohttp
# 3.14 deprecates; the warning is theirs, the Basic auth header is what we test.
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_oauth_code_is_exchanged_once_for_a_working_token(slack: FakeSlack) -> None:
    code = slack.oauth_code(team_id="T_OTHER", bot_token="xoxb-other")
    anonymous = AsyncWebClient(base_url=slack.api_url)
    grant = await anonymous.oauth_v2_access(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code
    )
    assert (grant["team"]["id"], grant["access_token"]) == ("T_OTHER", "xoxb-other")
    assert slack.calls_to("oauth.v2.access")[0].args["client_id"] == CLIENT_ID

    identity = await AsyncWebClient(base_url=slack.api_url, token="xoxb-other").auth_test()
    assert identity["team_id"] == "T_OTHER"

    with pytest.raises(SlackApiError) as reused:
        await anonymous.oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code)
    assert reused.value.response["error"] == "invalid_code"


# --- failure switches --------------------------------------------------------------


async def test_fail_answers_the_error_the_given_number_of_times(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.add_channel("C_CLOSED")
    slack.fail("chat.postMessage", error="not_in_channel", times=2, channel="C_CLOSED")
    errors = []
    for channel in (CHANNEL_ID, "C_CLOSED", "C_CLOSED", "C_CLOSED"):
        try:
            await client.chat_postMessage(channel=channel, text="hi")
            errors.append("ok")
        except SlackApiError as error:
            errors.append(error.response["error"])
    assert errors == ["ok", "not_in_channel", "not_in_channel", "ok"]


async def test_rate_limit_is_a_429_with_retry_after(slack: FakeSlack) -> None:
    slack.rate_limit("chat.postMessage", retry_after=7)
    client = AsyncWebClient(base_url=slack.api_url, token=BOT_TOKEN, retry_handlers=[])
    with pytest.raises(SlackApiError) as limited:
        await client.chat_postMessage(channel=CHANNEL_ID, text="hi")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"
    assert limited.value.response["error"] == "ratelimited"


async def test_slack_sdk_retry_handler_gets_through_after_the_rate_limit(
    slack: FakeSlack,
) -> None:
    slack.rate_limit("chat.postMessage", retry_after=0, times=1)
    retrying = AsyncWebClient(
        base_url=slack.api_url,
        token=BOT_TOKEN,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    response = await retrying.chat_postMessage(channel=CHANNEL_ID, text="hi")
    assert response["ok"]
    assert len(slack.calls_to("chat.postMessage")) == 2


async def test_latency_delays_every_answer(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.set_latency(0.3)
    started = time.monotonic()
    await client.auth_test()
    assert time.monotonic() - started >= 0.3


# --- response_url and waiting --------------------------------------------------------


async def test_response_url_posts_are_kept_by_name(slack: FakeSlack) -> None:
    await AsyncWebhookClient(slack.response_url("first")).send(text="working…")
    await AsyncWebhookClient(slack.response_url("second")).send(text="done", replace_original=True)
    assert slack.responses("first") == [{"text": "working…"}]
    assert slack.responses() == [
        {"text": "working…"},
        {"text": "done", "replace_original": True},
    ]


async def test_wait_for_returns_once_a_later_call_arrives(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    async def post_later() -> None:
        await asyncio.sleep(0.05)
        await client.chat_postMessage(channel=CHANNEL_ID, text="late")

    task = asyncio.create_task(post_later())
    calls = await slack.wait_for("chat.postMessage")
    await task
    assert calls[0].args["text"] == "late"


async def test_wait_for_says_what_it_saw_when_time_runs_out(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    await client.auth_test()
    with pytest.raises(AssertionError, match=r"chat\.update.*'auth\.test'"):
        await slack.wait_for("chat.update", timeout=0.1)


# --- the request bodies, through a real bolt app -------------------------------------


@pytest.fixture
async def bolt_url(slack: FakeSlack) -> AsyncIterator[str]:
    """A bolt AsyncApp over aiohttp that answers each kind of request the support builds."""
    app = AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(base_url=slack.api_url, token=BOT_TOKEN),
    )

    @app.command("/ops")
    async def ops(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await respond(f"{command['user_id']} in {command['channel_id']}: {command['text']}")

    @app.action("cancel")
    async def cancel(ack: AsyncAck, body: dict[str, Any], say: AsyncSay) -> None:
        await ack()
        await say(f"cancel {body['actions'][0]['value']} by {body['user']['id']}")

    @app.action("add_field")
    async def add_field(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        view = body["view"]
        chosen = body["actions"][0]["selected_option"]["value"]
        modal = {"type": "modal", "title": view["title"], "blocks": [], "callback_id": chosen}
        await client.views_update(view_id=view["id"], hash=view["hash"], view=modal)

    @app.view("relaunch")
    async def relaunch(ack: AsyncAck, view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        errors = {
            "authinfo": f"op {view['private_metadata']}: "
            f"{values['authinfo']['input']['value']} / "
            f"{values['period']['select']['selected_option']['value']}"
        }
        await ack(response_action="errors", errors=errors)

    @app.event("app_uninstalled")
    async def uninstalled(ack: AsyncAck, context: dict[str, Any], say: AsyncSay) -> None:
        await ack()
        await say(channel="C0AUDIT", text=f"uninstalled from {context['team_id']}")

    runner = web.AppRunner(app.web_app(path="/slack/events"), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def test_bolt_runs_a_signed_slash_command(slack: FakeSlack, bolt_url: str) -> None:
    body = slash_command_body("list step=ERROR", response_url=slack.response_url("cmd"))
    async with SlackClient(bolt_url, SECRET) as slack_client:
        reply = await slack_client.post(body)
    assert reply.status == 200
    responses = await slack.wait_for_responses("cmd")
    assert responses[0]["text"] == f"{USER_ID} in {CHANNEL_ID}: list step=ERROR"


@pytest.mark.parametrize(
    ("secret", "age"),
    [pytest.param("another-secret", 0, id="bad"), pytest.param(SECRET, 600, id="stale")],
)
async def test_bolt_refuses_a_forged_or_stale_request(
    slack: FakeSlack, bolt_url: str, secret: str, age: int
) -> None:
    body = slash_command_body("help", response_url=slack.response_url("cmd"))
    async with SlackClient(bolt_url, SECRET) as slack_client:
        reply = await slack_client.post(body, secret=secret, timestamp=int(time.time()) - age)
    assert reply.status == 401
    assert slack.responses() == []


async def test_bolt_runs_a_button_click(slack: FakeSlack, bolt_url: str) -> None:
    body = block_actions_body("cancel", "42", response_url=slack.response_url("click"))
    async with SlackClient(bolt_url, SECRET) as slack_client:
        reply = await slack_client.post(body)
    assert reply.status == 200
    posted = await slack.wait_for("chat.postMessage")
    assert (posted[0].args["channel"], posted[0].args["text"]) == (
        CHANNEL_ID,
        f"cancel 42 by {USER_ID}",
    )


async def test_bolt_runs_a_select_inside_a_modal(
    slack: FakeSlack, client: AsyncWebClient, bolt_url: str
) -> None:
    title = {"type": "plain_text", "text": "Relaunch"}
    modal = {"type": "modal", "callback_id": "relaunch", "title": title, "blocks": []}
    trigger_id = slack.workspace.issue_trigger(TEAM_ID, USER_ID)
    opened = (await client.views_open(trigger_id=trigger_id, view=modal))["view"]
    body = view_select_body(opened, "add_field", option("duration", "Duration"))
    async with SlackClient(bolt_url, SECRET) as slack_client:
        assert (await slack_client.post(body)).status == 200
    update = (await slack.wait_for("views.update"))[0]
    assert update.args["hash"] == opened["hash"]
    assert slack.view(opened["id"])["callback_id"] == "duration"


async def test_bolt_runs_a_modal_submission(bolt_url: str) -> None:
    body = view_submission_body(
        "relaunch",
        {
            "authinfo": {"input": plain_text_state("s3cret")},
            "period": {"select": static_select_state("2", "2 years")},
        },
        private_metadata="42",
    )
    async with SlackClient(bolt_url, SECRET) as slack_client:
        reply = await slack_client.post(body)
    assert (reply.status, reply.json()) == (
        200,
        {"response_action": "errors", "errors": {"authinfo": "op 42: s3cret / 2"}},
    )


async def test_bolt_runs_an_event(slack: FakeSlack, bolt_url: str) -> None:
    async with SlackClient(bolt_url, SECRET) as slack_client:
        reply = await slack_client.post(event_body(app_uninstalled_event(), team_id=TEAM_ID))
    assert reply.status == 200
    posted = await slack.wait_for("chat.postMessage")
    assert (posted[0].error, posted[0].args["text"]) == (None, f"uninstalled from {TEAM_ID}")


async def test_bolt_answers_the_url_verification_challenge(bolt_url: str) -> None:
    async with SlackClient(bolt_url, SECRET) as slack_client:
        reply = await slack_client.post(url_verification_body("abc123"))
    assert (reply.status, reply.json()) == (200, {"challenge": "abc123"})


async def test_a_response_url_takes_five_posts_like_slack() -> None:
    async with FakeSlack() as slack, aiohttp.ClientSession() as session:
        url = slack.response_url("five")
        statuses = []
        for number in range(Limits().response_url_uses + 1):
            async with session.post(url, json={"text": f"post {number}"}) as reply:
                statuses.append(reply.status)
    assert statuses == [200] * Limits().response_url_uses + [404]
    assert len(slack.responses("five")) == Limits().response_url_uses
