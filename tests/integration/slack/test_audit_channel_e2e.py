"""``/ops audit`` in one workspace: who may choose the audit channel, which channels
will do, and how the team's choice and ``OPSBOT_AUDIT_CHANNEL`` go together.

Commands are signed slash commands answered on their response_url; the
local workspace answers ``users.info`` (who is an admin) and
``conversations.info`` (can the bot post there) as Slack does, and keeps the
audit lines posted in its channels. Multi-workspace mode, where each
workspace has its own channel, is tested with the OAuth flow
(``test_oauth_e2e.py``).
"""

from __future__ import annotations

from typing import Any

import pytest

from opsbot.store import keyspace
from tests.support.opsbot_app import RunningOpsbot
from tests.support.redis_probe import recent_audit
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import TEAM_ID, USER_ID, Sender, SlackClient, slash_command_body

JSON = dict[str, Any]
ADMIN = "U0ADMIN"
OWNER = "U_OWNER"
AUDIT = "C0AUDIT"
OTHER = "C0KEPT"
DEFAULT = "C0HERE"
SECRET = "C0SECRET"
ONLY_ADMINS = "Only workspace admins and owners"


@pytest.fixture(autouse=True)
def admins(fake_slack: FakeSlack) -> None:
    fake_slack.set_user(ADMIN, is_admin=True)
    fake_slack.set_user(OWNER, is_owner=True)


async def ops(
    slack_client: SlackClient, fake_slack: FakeSlack, text: str, *, user: str = ADMIN
) -> JSON:
    """``/ops <text>`` typed by ``user``; its one private answer (on the ack for a
    mistake in the words, else on the response_url)."""
    name = f"{user}-{len(fake_slack.workspace.response_urls)}"
    body = slash_command_body(
        text, response_url=fake_slack.response_url(name), sender=Sender(user_id=user)
    )
    reply = await slack_client.post(body)
    assert reply.status == 200
    if reply.text:
        answer: JSON = reply.json()
        return answer
    [answer] = await fake_slack.wait_for_responses(name)
    return answer


def audit_lines(fake_slack: FakeSlack, channel: str) -> list[str]:
    return [m["text"] for m in fake_slack.messages(channel) if m["text"].startswith("Audit:")]


async def key_removed(slack_client: SlackClient, fake_slack: FakeSlack) -> None:
    """An audited action (by an admin); its line is posted, if anywhere, before the answer."""
    await ops(slack_client, fake_slack, "key remove")


# --- choosing -------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [f"<#{AUDIT}|audit>", f"<#{AUDIT}>", AUDIT, "#audit"])
@pytest.mark.parametrize("user", [ADMIN, OWNER])
async def test_an_admin_chooses_the_channel_and_audit_lines_go_there(
    opsbot: RunningOpsbot, slack_client: SlackClient, fake_slack: FakeSlack, typed: str, user: str
) -> None:
    answer = await ops(slack_client, fake_slack, f"audit {typed}", user=user)

    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == f"Audit lines now go to <#{AUDIT}>."
    assert await opsbot.services.audit.channel(TEAM_ID) == AUDIT
    # The change itself is the first line there.
    [change] = await _lines_arrive(fake_slack, AUDIT, 1)
    assert change == f"Audit: audit_channel {AUDIT}: ok"
    assert [fake_slack.calls_to("conversations.info")[-1].args["channel"]] == [AUDIT]

    await key_removed(slack_client, fake_slack)
    assert audit_lines(fake_slack, AUDIT)[-1] == "Audit: key_remove : no key"
    shown = await ops(slack_client, fake_slack, "audit", user=USER_ID)
    assert shown["text"] == f"Audit lines go to <#{AUDIT}>."


async def test_a_member_is_told_who_may_and_nothing_changes(
    opsbot: RunningOpsbot, slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    answer = await ops(slack_client, fake_slack, f"audit <#{AUDIT}|audit>", user=USER_ID)
    cleared = await ops(slack_client, fake_slack, "audit off", user=USER_ID)

    for refused in (answer, cleared):
        assert refused["response_type"] == "ephemeral"
        assert refused["text"].startswith(ONLY_ADMINS)
    assert await opsbot.services.redis.exists(keyspace.audit_channel(TEAM_ID)) == 0
    assert fake_slack.calls_to("conversations.info") == []
    assert fake_slack.messages(AUDIT) == []
    assert await recent_audit(opsbot.services.redis, TEAM_ID) == []


def _private_without_the_bot(fake_slack: FakeSlack) -> str:
    fake_slack.workspace.add_channel(SECRET, TEAM_ID, private=True, bot_member=False)
    return f"<#{SECRET}|secret>"


def _archived(fake_slack: FakeSlack) -> str:
    fake_slack.workspace.archive(OTHER)
    return f"<#{OTHER}|kept>"


@pytest.mark.parametrize(
    ("channel", "said"),
    [
        (lambda _: "<#C0NOSUCH|gone>", "opsbot cannot see that channel: if it is private"),
        (_private_without_the_bot, "opsbot cannot see that channel: if it is private"),
        (_archived, "That channel is archived"),
        (lambda _: "#no-such-name", "opsbot is in no channel named #no-such-name"),
        (lambda _: "two words", "`/ops audit` takes one channel"),
    ],
    ids=["unknown", "private", "archived", "unknown name", "not a channel"],
)
async def test_a_channel_the_bot_cannot_post_in_is_refused_clearly(
    opsbot: RunningOpsbot,
    slack_client: SlackClient,
    fake_slack: FakeSlack,
    channel: Any,
    said: str,
) -> None:
    await ops(slack_client, fake_slack, f"audit <#{AUDIT}|audit>")

    answer = await ops(slack_client, fake_slack, f"audit {channel(fake_slack)}")

    assert answer["response_type"] == "ephemeral"
    assert said in answer["text"]
    assert "/ops audit" in str(answer["blocks"])
    assert await opsbot.services.audit.channel(TEAM_ID) == AUDIT


@pytest.mark.usefixtures("opsbot")
async def test_a_private_channel_with_the_bot_in_it_will_do(
    slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    fake_slack.workspace.add_channel(SECRET, TEAM_ID, private=True, bot_member=True)

    answer = await ops(slack_client, fake_slack, f"audit <#{SECRET}|secret>")

    assert answer["text"] == f"Audit lines now go to <#{SECRET}>."
    assert await _lines_arrive(fake_slack, SECRET, 1)


@pytest.mark.usefixtures("opsbot")
async def test_a_public_channel_the_bot_has_not_joined_will_do(
    slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    """chat:write.public: the manifest asks for it, so no invitation is needed."""
    fake_slack.workspace.remove_bot(AUDIT)

    answer = await ops(slack_client, fake_slack, f"audit <#{AUDIT}|audit>")

    assert answer["text"] == f"Audit lines now go to <#{AUDIT}>."
    assert await _lines_arrive(fake_slack, AUDIT, 1)


async def test_changing_it_is_told_in_the_old_channel_and_the_new(
    opsbot: RunningOpsbot, slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    await ops(slack_client, fake_slack, f"audit <#{AUDIT}|audit>")
    await _lines_arrive(fake_slack, AUDIT, 1)

    moved = await ops(slack_client, fake_slack, f"audit <#{OTHER}|kept>")
    assert moved["text"] == f"Audit lines now go to <#{OTHER}> instead of <#{AUDIT}>."
    assert (await _lines_arrive(fake_slack, AUDIT, 2))[-1] == f"Audit: audit_channel {OTHER}: ok"
    assert await _lines_arrive(fake_slack, OTHER, 1) == [f"Audit: audit_channel {OTHER}: ok"]

    cleared = await ops(slack_client, fake_slack, "audit off")
    assert cleared["text"].startswith(
        f"Audit lines are no longer posted to a channel (they went to <#{OTHER}>)"
    )
    assert (await _lines_arrive(fake_slack, OTHER, 2))[-1] == "Audit: audit_channel none: ok"
    assert await opsbot.services.audit.channel(TEAM_ID) is None
    [entry, *_] = await recent_audit(opsbot.services.redis, TEAM_ID)
    assert (entry.action, entry.target, entry.detail) == ("audit_channel", "none", f"was {OTHER}")

    await key_removed(slack_client, fake_slack)
    assert [audit_lines(fake_slack, c)[-1] for c in (AUDIT, OTHER)] == [
        f"Audit: audit_channel {OTHER}: ok",
        "Audit: audit_channel none: ok",
    ]


@pytest.mark.usefixtures("opsbot")
async def test_with_none_set_it_says_so_and_how_to_set_one(
    slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    answer = await ops(slack_client, fake_slack, "audit", user=USER_ID)

    assert answer["text"].startswith("No audit channel is set")
    assert "`/ops audit #channel`" in str(answer["blocks"])


# --- OPSBOT_AUDIT_CHANNEL: the single workspace's default ------------------------------


@pytest.mark.parametrize("env_overrides", [{"OPSBOT_AUDIT_CHANNEL": DEFAULT}])
@pytest.mark.usefixtures("opsbot")
async def test_the_setting_is_the_default_and_the_team_s_choice_wins(
    slack_client: SlackClient, fake_slack: FakeSlack
) -> None:
    shown = await ops(slack_client, fake_slack, "audit", user=USER_ID)
    assert (
        shown["text"] == f"Audit lines go to <#{DEFAULT}>, the channel OPSBOT_AUDIT_CHANNEL names."
    )
    await key_removed(slack_client, fake_slack)
    assert audit_lines(fake_slack, DEFAULT) == ["Audit: key_remove : no key"]

    await ops(slack_client, fake_slack, f"audit <#{AUDIT}|audit>")
    await key_removed(slack_client, fake_slack)
    assert audit_lines(fake_slack, AUDIT)[-1] == "Audit: key_remove : no key"
    assert len(audit_lines(fake_slack, DEFAULT)) == 2  # the key, then the change away from it

    cleared = await ops(slack_client, fake_slack, "audit off")
    assert cleared["text"].startswith(
        f"This workspace's choice is cleared: audit lines go to <#{DEFAULT}> again"
    )
    await key_removed(slack_client, fake_slack)
    assert audit_lines(fake_slack, DEFAULT)[-1] == "Audit: key_remove : no key"


async def _lines_arrive(fake_slack: FakeSlack, channel: str, count: int) -> list[str]:
    """The audit lines in ``channel`` once there are ``count``: posts go after the answer."""
    await fake_slack.until(
        lambda: len(audit_lines(fake_slack, channel)) >= count,
        f"{count} audit line(s) in {channel}",
    )
    return audit_lines(fake_slack, channel)
