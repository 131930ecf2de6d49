"""The watcher's log stays bounded and truthful whatever the API answers.

A fault string of 200,000 characters with line breaks in it, answered at
every cycle, could forge log lines and grow the log by gigabytes a day. Here
it gives one escaped, cut line per team every ten minutes, with the number of
repeats in between.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from opsbot.api import xmlrpc
from opsbot.api.errors import CAUSE_BADPARAMETER, OBJECT_OPERATION, QUALIFICATION_DATA, fault_code
from opsbot.logs import LOG_TEXT_LIMIT
from opsbot.simulator import ServedSimulator
from opsbot.store.connection import open_redis
from opsbot.store.schedule import Schedule
from opsbot.store.subscriptions import SubscriptionStore
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import Vault, load_keyring
from opsbot.watcher.intervals import ERROR_LOG_PERIOD_S
from opsbot.watcher.worker import open_worker
from tests.integration.watcher.conftest import TEST_LEASE_S, HandClock, watcher_settings
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import CHANNEL_ID, TEAM_ID, USER_ID

FORGED = "\n2026-01-01 12:00:00,000 WARNING opsbot.watcher: team T0999 forged line\n"
# What a hostile API says to every call: long, and with lines of its own.
FAULT_TEXT = ("bad filter " + FORGED) * 2500


@pytest.fixture
async def faulting_api() -> AsyncIterator[str]:
    """An XML-RPC endpoint that answers every call with FAULT_TEXT."""

    async def answer(_: web.Request) -> web.Response:
        code = fault_code(QUALIFICATION_DATA, OBJECT_OPERATION, CAUSE_BADPARAMETER)
        return web.Response(body=xmlrpc.encode_fault(code, FAULT_TEXT), content_type="text/xml")

    app = web.Application()
    app.router.add_post("/xmlrpc/", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/xmlrpc/"
    finally:
        await runner.cleanup()


async def test_a_fault_at_every_cycle_is_one_bounded_line_per_period_with_a_count(
    faulting_api: str,
    sim_server: ServedSimulator,
    fake_slack: FakeSlack,
    redis_url: str,
    sim_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    settings = watcher_settings(
        sim_server=sim_server, fake_slack=fake_slack, redis_url=redis_url, api_url=faulting_api
    )
    vault = Vault(load_keyring(settings))
    clock = HandClock()
    async with (
        open_redis(settings) as redis,
        open_worker(settings, redis, vault, lease_s=TEST_LEASE_S, clock=clock) as worker,
    ):
        await TeamKeyStore(redis, vault).set(TEAM_ID, sim_key, "U0ADMIN")
        await SubscriptionStore(redis).add(
            TEAM_ID, channel=CHANNEL_ID, filters={}, created_by=USER_ID, now=clock.moment
        )
        await Schedule(redis).wake(TEAM_ID, clock.now)
        await worker.run_once()  # the subscription's query: a fault
        cycles = 1
        start = clock.now
        # A cycle every 5 s for two periods: the team is due at each.
        while clock.now - start < 2 * ERROR_LOG_PERIOD_S:
            clock.advance(5)
            await worker.run_once()
            cycles += 1

    lines = [
        record.getMessage()
        for record in caplog.records
        if "subscriptions 1 skipped" in record.getMessage()
    ]
    # One at the start, one after each period: with the count of those in between.
    assert cycles == 241
    assert len(lines) == 3
    assert "more like it" not in lines[0]
    repeats = [int(line.rsplit("(", 1)[1].split()[0]) for line in lines[1:]]
    assert 1 + len(repeats) + sum(repeats) == cycles
    for line in lines:
        assert "\n" not in line
        assert "forged line\\n" in line  # said, escaped, on the one line
        assert len(line) < LOG_TEXT_LIMIT + 200
        assert "more characters]" in line
    watcher_lines = [r.getMessage() for r in caplog.records if r.name.startswith("opsbot")]
    assert not any("\n" in line for line in watcher_lines)
