"""Security end to end: forged requests do nothing, and no secret is ever in clear.

A request Slack did not sign (wrong secret, stale or future timestamp, no
signature, a body altered after signing) is answered 401 and has no effect:
no Web API call, no response_url post, no API call, no Redis write. After a
whole scenario that handles every secret opsbot knows (the API key typed
into the modal, the bot token, the signing secret, an authinfo typed into the
relaunch modal), neither Redis nor the logs hold any of them in clear.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis

from opsbot.config import Settings
from opsbot.logs import REDACTED, SecretRedactor, settings_secrets
from opsbot.simulator import Simulator
from opsbot.store import keyspace
from opsbot.ui import ids
from opsbot.ui.payloads import RelaunchMetadata
from tests.support.opsbot_app import (
    BOT_TOKEN,
    SIGNING_SECRET,
    RunningOpsbot,
    new_encryption_key,
    production_log,
)
from tests.support.secrets_scan import find_secrets_in_redis
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import (
    CHANNEL_ID,
    FORM_CONTENT_TYPE,
    TEAM_ID,
    USER_ID,
    SlackClient,
    app_uninstalled_event,
    block_actions_body,
    event_body,
    plain_text_state,
    sign,
    slash_command_body,
    url_verification_body,
    view_submission_body,
)

AUTHINFO = "authinfo-secret-Zq7!pW"
# Slack refuses requests older than five minutes; so must we.
STALE_S = 5 * 60 + 30
# Well formed, so only the signature stands between it and the team's key.
FORGED_KEY = "forgedkey0123456789abcde"
Snapshot = dict[bytes, bytes | None]


@pytest.fixture
async def raw_redis(redis_url: str) -> AsyncIterator[Redis]:
    """A client that sees Redis as bytes, for exact before/after comparisons."""
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


async def snapshot(redis: Redis) -> Snapshot:
    """Every key with its serialized value: equal snapshots mean nothing was written."""
    return {key: await redis.dump(key) async for key in redis.scan_iter(count=500)}


# --- forged requests ------------------------------------------------------------------


def _forgeries(fake_slack: FakeSlack, op_id: int) -> dict[str, str]:
    """Requests that would each change something if opsbot accepted them."""
    return {
        "list": slash_command_body("list", response_url=fake_slack.response_url("forged-list")),
        "key remove": slash_command_body(
            "key remove", response_url=fake_slack.response_url("forged-remove")
        ),
        "cancel confirm": block_actions_body(
            ids.ACTION_CANCEL_CONFIRM,
            str(op_id),
            response_url=fake_slack.response_url("forged-cancel"),
        ),
        "key submit": view_submission_body(
            ids.CALLBACK_API_KEY,
            {ids.BLOCK_API_KEY: {ids.ACTION_VALUE: plain_text_state(FORGED_KEY)}},
        ),
        "uninstall": event_body(app_uninstalled_event()),
    }


async def _post_unsigned(url: str, body: str) -> int:
    """A request with no signature headers at all."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url,
            data=body.encode(),
            headers={
                "Content-Type": "application/json" if body.startswith("{") else FORM_CONTENT_TYPE
            },
        ) as response,
    ):
        return response.status


async def _post_altered(slack_client: SlackClient, body: str) -> int:
    """Signed for the body as sent by Slack, then changed on the way."""
    headers = sign(body, SIGNING_SECRET)
    altered = body.replace(TEAM_ID, "T0124")
    assert altered != body
    return (await slack_client.post(altered, headers=headers)).status


async def _post_forged(slack_client: SlackClient, how: str, body: str) -> int:
    now = int(time.time())
    if how == "wrong secret":
        return (await slack_client.post(body, secret="not-the-signing-secret-at-all")).status
    if how == "stale timestamp":
        return (await slack_client.post(body, timestamp=now - STALE_S)).status
    if how == "future timestamp":
        return (await slack_client.post(body, timestamp=now + STALE_S)).status
    if how == "no signature":
        return await _post_unsigned(slack_client.url, body)
    if how == "altered body":
        return await _post_altered(slack_client, body)
    raise AssertionError(how)


async def _genuine_key_status(slack_client: SlackClient, fake_slack: FakeSlack, name: str) -> None:
    body = slash_command_body("key status", response_url=fake_slack.response_url(name))
    assert (await slack_client.post(body)).status == 200
    await fake_slack.wait_for_responses(name)


@pytest.mark.parametrize(
    "how",
    ["wrong secret", "stale timestamp", "future timestamp", "no signature", "altered body"],
)
@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_request_slack_did_not_sign_gets_401_and_changes_nothing(
    how: str,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    raw_redis: Redis,
) -> None:
    fake_slack.set_user(USER_ID, is_admin=True)
    op_id = simulator.create("domain_create", step="WAIT")
    # A first genuine request lets bolt check its own token (auth.test) once.
    await _genuine_key_status(slack_client, fake_slack, "warm-up")
    slack_calls_before = list(fake_slack.calls)
    before = await snapshot(raw_redis)
    calls_before = sum(simulator.calls.values())

    statuses = {
        name: await _post_forged(slack_client, how, body)
        for name, body in _forgeries(fake_slack, op_id).items()
    }
    # Another genuine request, answered once its work is done: anything the
    # forged ones had set going in the background would have run by then too.
    await _genuine_key_status(slack_client, fake_slack, "genuine")

    assert statuses == dict.fromkeys(statuses, 401)
    assert fake_slack.calls == slack_calls_before
    forged_answers = ["forged-list", "forged-remove", "forged-cancel"]
    assert [name for name in forged_answers if fake_slack.responses(name)] == []
    assert sum(simulator.calls.values()) == calls_before
    assert simulator.operation(op_id)["step"] == "WAIT"
    assert await snapshot(raw_redis) == before


@pytest.mark.usefixtures("keyed_opsbot")
async def test_a_correctly_signed_request_is_accepted(
    slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    # The other side of the tests above: the same path with a good signature works,
    # including one signed four minutes ago (within Slack's five).
    body = slash_command_body("key status", response_url=fake_slack.response_url("status"))
    reply = await slack_client.post(body, timestamp=int(time.time()) - 4 * 60)

    assert reply.status == 200
    [status] = await fake_slack.wait_for_responses("status")
    assert "is set" in status["text"]


@pytest.mark.usefixtures("opsbot")
async def test_slack_s_url_check_is_answered_only_when_signed(slack_client: SlackClient) -> None:
    # Slack checks the manifest's request URL this way before it sends anything.
    body = url_verification_body("challenge-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")

    signed = await slack_client.post(body)
    forged = await slack_client.post(body, secret="not-the-signing-secret-at-all")

    assert signed.status == 200
    assert "challenge-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in signed.text
    assert forged.status == 401
    assert "challenge" not in forged.text


# --- secrets at rest and in logs --------------------------------------------------------


@pytest.fixture
def env_overrides() -> dict[str, str]:
    # Every key change is also posted to an audit channel, one more place a
    # secret could leak to.
    return {"OPSBOT_AUDIT_CHANNEL": "C0AUDIT"}


async def _full_scenario(
    opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    api_key: str,
) -> None:
    """Every path a secret travels: key modal, list, info, cancel, relaunch, status."""
    fake_slack.set_user(USER_ID, is_admin=True)
    waiting = simulator.create("domain_create", step="WAIT")
    failed = simulator.create("domain_create", step="ERROR", params={"authinfo": "old-authinfo"})

    async def command(text: str, name: str) -> dict[str, Any]:
        body = slash_command_body(text, response_url=fake_slack.response_url(name))
        assert (await slack_client.post(body)).status == 200
        [*_, last] = await fake_slack.wait_for_responses(name)
        return last

    assert (await slack_client.post(slash_command_body("key", response_url="x"))).status == 200
    await fake_slack.wait_for("views.open")
    typed_key = {ids.BLOCK_API_KEY: {ids.ACTION_VALUE: plain_text_state(api_key)}}
    submitted = await slack_client.post(view_submission_body(ids.CALLBACK_API_KEY, typed_key))
    assert submitted.status == 200
    assert await opsbot.services.team_keys.get(TEAM_ID) == api_key

    await command("list", "list")
    await command(f"info {waiting}", "info")
    await command(f"cancel {waiting}", "cancel")
    confirm = block_actions_body(
        ids.ACTION_CANCEL_CONFIRM,
        str(waiting),
        response_url=fake_slack.response_url("confirmed"),
    )
    assert (await slack_client.post(confirm)).status == 200
    await fake_slack.wait_for_responses("confirmed")

    metadata = RelaunchMetadata(failed, channel_id=CHANNEL_ID).to_value()
    relaunch = view_submission_body(
        ids.CALLBACK_RELAUNCH,
        {"authinfo": {ids.ACTION_VALUE: plain_text_state(AUTHINFO)}},
        private_metadata=metadata,
    )
    reviewed = await slack_client.post(relaunch)
    assert reviewed.status == 200
    # The review of the change, then Relaunch on it: its metadata is sealed, not clear.
    assert AUTHINFO not in reviewed.text
    review = reviewed.json()["view"]
    confirmed = view_submission_body(
        ids.CALLBACK_RELAUNCH_REVIEW, {}, private_metadata=review["private_metadata"]
    )
    assert (await slack_client.post(confirmed)).status == 200
    await fake_slack.wait_for("chat.postMessage", count=3)  # 2 audits and the announcement
    await command("key status", "status")

    assert simulator.calls["operation.cancel"] == 1
    assert simulator.calls["operation.relaunch"] == 1


async def test_no_secret_is_in_redis_or_the_logs_after_a_full_scenario(
    opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    sim_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secrets = [sim_key, BOT_TOKEN, SIGNING_SECRET, AUTHINFO]
    caplog.set_level(logging.DEBUG)

    with production_log(opsbot.settings) as written_log:
        await _full_scenario(opsbot, slack_client, fake_slack, simulator, sim_key)

    assert await find_secrets_in_redis(opsbot.services.redis, secrets) == []
    leaks = [
        (record.name, secret)
        for record in caplog.records
        for text in (record.getMessage(), record.exc_text or "")
        for secret in secrets
        if secret in text
    ]
    assert leaks == []
    assert len(caplog.records) > 10  # the scenario did log, at DEBUG
    written = written_log.getvalue()
    assert written.count("\n") >= len(caplog.records)
    assert [secret for secret in secrets if secret in written] == []


async def test_every_web_api_call_goes_to_slack_api_url(
    opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    sim_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # SLACK_API_URL is the local Slack: a call sent anywhere else (slack.com)
    # would fail to connect here, be logged, and be missing from the calls below.
    caplog.set_level(logging.WARNING)

    await _full_scenario(opsbot, slack_client, fake_slack, simulator, sim_key)

    methods = {call.method for call in fake_slack.calls}
    assert {"auth.test", "views.open", "users.info", "chat.postMessage"} <= methods
    assert {call.token for call in fake_slack.calls} == {BOT_TOKEN}
    assert [record.getMessage() for record in caplog.records] == []


async def test_every_redis_key_is_opsbot_s_and_tagged(
    opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    simulator: Simulator,
    sim_key: str,
) -> None:
    await _full_scenario(opsbot, slack_client, fake_slack, simulator, sim_key)

    names = [key async for key in opsbot.services.redis.scan_iter(count=500)]
    assert names  # the key, the audit stream at least
    allowed_tags = (f"{{{TEAM_ID}}}", "{oauth}", "{schedule}")
    assert [name for name in names if not name.startswith(keyspace.PREFIX)] == []
    assert [name for name in names if not any(tag in name for tag in allowed_tags)] == []
    assert keyspace.api_key(TEAM_ID) in names
    assert keyspace.audit(TEAM_ID) in names


# --- the redactor itself ----------------------------------------------------------------


def test_the_redactor_hides_configured_secrets_and_slack_shaped_tokens(
    opsbot_settings_secrets: list[str],
) -> None:
    redactor = SecretRedactor(opsbot_settings_secrets)
    redactor.add("simulatorkey0123456789ab")
    logger = logging.getLogger("opsbot.test.redactor")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(redactor)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("secret %s token %s", SIGNING_SECRET, BOT_TOKEN)
        logger.warning("a stranger's token xoxp-1234-5678-abcdef and key simulatorkey0123456789ab")
        try:
            raise RuntimeError(f"failed with {BOT_TOKEN}")
        except RuntimeError:
            logger.exception("call failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True

    written = stream.getvalue()
    for secret in (SIGNING_SECRET, BOT_TOKEN, "xoxp-1234-5678-abcdef", "simulatorkey0123456789ab"):
        assert secret not in written
    assert written.count(REDACTED) == 5
    assert "RuntimeError" in written  # the traceback is kept, only the secret goes


@pytest.fixture
def opsbot_settings_secrets() -> list[str]:
    env = {
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "OPSBOT_ENCRYPTION_KEYS": new_encryption_key(),
    }
    secrets = settings_secrets(Settings.from_env(env))
    assert SIGNING_SECRET in secrets
    assert BOT_TOKEN in secrets
    return secrets
