"""What goes wrong around a watch: ids that vanish, keys refused, channels gone, faults, garbage."""

from __future__ import annotations

from dataclasses import replace

from opsbot.api.operation import BILL, DONE, RUN, WAIT
from opsbot.simulator import GARBAGE_KINDS
from opsbot.store import keyspace
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import Vault, load_keyring
from tests.integration.watcher.conftest import Watching
from tests.support.opsbot_app import new_encryption_key
from tests.support.slack_requests import CHANNEL_ID, TEAM_ID

OTHER_CHANNEL = "C0456"
# Well formed, but the simulator opens no account with it: refused as the live service would.
REFUSED_KEY = "refusedkey0123456789abcd"


def texts(replies: list[dict[str, object]]) -> list[str]:
    return [str(reply["text"]) for reply in replies]


async def test_an_id_the_api_does_not_return_ends_its_watch_with_a_note(
    watching: Watching,
) -> None:
    missing = 99_999_999
    ts = await watching.watch_as(missing, step=WAIT)

    [note] = await watching.until_replies(CHANNEL_ID, ts, 1)
    polls = watching.list_calls()
    await watching.cycles(5, seconds=30)

    assert f"Operation {missing} is no longer visible" in str(note["text"])
    assert "This watch has ended." in str(note["text"])
    assert await watching.watches.get(TEAM_ID, missing) is None
    assert watching.list_calls() == polls


async def test_a_refused_key_pauses_with_one_note_per_thread_and_a_good_one_resumes(
    watching: Watching, sim_key: str
) -> None:
    simulator = watching.simulator
    first, second = (simulator.create("domain_renew", step=WAIT) for _ in range(2))
    first_ts = await watching.watch(first)
    second_ts = await watching.watch(second, channel=OTHER_CHANNEL)
    await watching.team_keys.set(TEAM_ID, REFUSED_KEY, "U0ADMIN")

    simulator.move(first, RUN)
    await watching.until(lambda: len(watching.replies(OTHER_CHANNEL, second_ts)) == 1)
    await watching.cycles(30)  # rechecks of the key find it refused again: no second note

    [first_note] = texts(watching.replies(CHANNEL_ID, first_ts))
    [second_note] = texts(watching.replies(OTHER_CHANNEL, second_ts))
    assert first_note == second_note
    assert "Paused" in first_note
    assert "refuses" in first_note
    assert await watching.pauses.reason(TEAM_ID) is not None
    assert REFUSED_KEY not in str(watching.slack.calls)

    # An admin sets the right key (the Slack side also wakes the team then).
    await watching.team_keys.set(TEAM_ID, sim_key, "U0ADMIN")
    replies = await watching.until_replies(CHANNEL_ID, first_ts, 2)

    assert texts(replies)[1] == f"Operation {first}: WAIT → RUN"
    assert await watching.pauses.reason(TEAM_ID) is None


async def test_a_removed_key_pauses_once_and_watching_resumes_when_one_is_set(
    watching: Watching, sim_key: str
) -> None:
    simulator = watching.simulator
    op_id = simulator.create("domain_renew", step=WAIT)
    ts = await watching.watch(op_id)
    await watching.team_keys.remove(TEAM_ID)

    [note] = await watching.until_replies(CHANNEL_ID, ts, 1)
    await watching.cycles(30)
    assert len(watching.replies(CHANNEL_ID, ts)) == 1
    assert "no API key" in str(note["text"])

    simulator.move(op_id, DONE)
    await watching.team_keys.set(TEAM_ID, sim_key, "U0ADMIN")
    [_, final] = await watching.until_replies(CHANNEL_ID, ts, 2)
    assert final["reply_broadcast"] is True


async def test_a_channel_gone_drops_its_watches_and_they_are_no_longer_polled(
    watching: Watching,
) -> None:
    simulator = watching.simulator
    op_id = simulator.create("domain_renew", step=WAIT)
    await watching.watch(op_id)
    watching.slack.fail("chat.postMessage", "channel_not_found", times=None, channel=CHANNEL_ID)

    simulator.move(op_id, RUN)
    await watching.until_delivered()
    polls = watching.list_calls()
    await watching.cycles(5, seconds=30)

    assert await watching.watches.get(TEAM_ID, op_id) is None
    assert watching.list_calls() == polls


async def test_a_channel_gone_keeps_the_operation_watched_in_other_channels(
    watching: Watching,
) -> None:
    simulator = watching.simulator
    op_id = simulator.create("domain_renew", step=WAIT)
    await watching.watch(op_id)
    there = await watching.watch(op_id, channel=OTHER_CHANNEL)
    # An archived channel refuses posts and edits alike.
    watching.slack.fail("chat.update", "is_archived", times=None, channel=CHANNEL_ID)
    watching.slack.fail("chat.postMessage", "is_archived", times=None, channel=CHANNEL_ID)

    simulator.move(op_id, RUN)
    await watching.until_replies(OTHER_CHANNEL, there, 1)
    simulator.move(op_id, DONE)
    replies = await watching.until_replies(OTHER_CHANNEL, there, 2)

    assert replies[1]["reply_broadcast"] is True
    assert not [m for m in watching.slack.messages(CHANNEL_ID) if m.get("thread_ts")]


async def test_a_storm_of_rate_limit_faults_backs_off_and_loses_nothing(
    watching: Watching,
) -> None:
    simulator = watching.simulator
    op_ids = [simulator.create("domain_renew", step=BILL) for _ in range(3)]
    threads = {op_id: await watching.watch(op_id) for op_id in op_ids}
    simulator.rate_limit_every(1)

    for op_id in op_ids:
        simulator.move(op_id, WAIT)
    storm_cycles = 40
    before = watching.list_calls()
    await watching.cycles(storm_cycles)
    refused = watching.list_calls() - before
    simulator.rate_limit_every(None)
    for op_id in op_ids:
        await watching.until_replies(CHANNEL_ID, threads[op_id], 1)

    # Backing off: far fewer calls than cycles (doubling waits: 1, 2, 4, 8, 16 s...).
    assert 3 <= refused <= 7
    for op_id, ts in threads.items():
        assert texts(watching.replies(CHANNEL_ID, ts)) == [f"Operation {op_id}: BILL → WAIT"]


async def test_garbage_from_the_api_keeps_the_watches_and_the_next_poll_carries_on(
    watching: Watching,
) -> None:
    simulator = watching.simulator
    op_id = simulator.create("domain_renew", step=BILL)
    ts = await watching.watch(op_id)
    simulator.move(op_id, WAIT)
    for kind in GARBAGE_KINDS:
        simulator.garbage_next(1, kind)

    [reply] = await watching.until_replies(CHANNEL_ID, ts, 1)

    assert not simulator.switches.garbage
    assert reply["text"] == f"Operation {op_id}: BILL → WAIT"
    assert await watching.watches.get(TEAM_ID, op_id) is not None


async def test_the_outbox_and_the_watch_live_under_the_teams_hash_tag(watching: Watching) -> None:
    op_id = watching.simulator.create("domain_renew", step=BILL)
    await watching.watch(op_id)
    watching.simulator.move(op_id, WAIT)
    await watching.cycle()

    stored = [key async for key in watching.redis.scan_iter(match="opsbot:*")]
    team_keys = [key for key in stored if "{schedule}" not in key]
    assert team_keys
    assert all(key.startswith(keyspace.team_tag(TEAM_ID) + ":") for key in team_keys)


async def test_a_key_the_keyring_cannot_open_keeps_the_watches_without_a_note(
    watching: Watching, sim_key: str
) -> None:
    simulator = watching.simulator
    op_id = simulator.create("domain_renew", step=WAIT)
    ts = await watching.watch(op_id)
    foreign = Vault(
        load_keyring(replace(watching.settings, encryption_keys=(new_encryption_key(),)))
    )
    await TeamKeyStore(watching.redis, foreign).set(TEAM_ID, sim_key, "U0ADMIN")

    simulator.move(op_id, RUN)
    await watching.cycles(5)
    assert watching.replies(CHANNEL_ID, ts) == []
    assert await watching.pauses.reason(TEAM_ID) is None

    await watching.team_keys.set(TEAM_ID, sim_key, "U0ADMIN")
    [reply] = await watching.until_replies(CHANNEL_ID, ts, 1)
    assert reply["text"] == f"Operation {op_id}: WAIT → RUN"
