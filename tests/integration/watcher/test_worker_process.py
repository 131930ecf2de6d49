"""``opsbot worker`` as operators run it: a log line per cycle, and a clean stop on SIGTERM."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from opsbot.api.operation import BILL, RUN, WAIT
from opsbot.store import keyspace
from tests.integration.watcher.conftest import Watching
from tests.support.slack_requests import CHANNEL_ID, TEAM_ID
from tests.support.worker_process import WorkerProcess, worker_env

CYCLE_LINE = re.compile(
    r"cycle: teams=(?P<teams>\d+) operations=(?P<operations>\d+) "
    r"read_in_full=(?P<read_in_full>\d+) counted=(?P<counted>\d+) "
    r"api_calls=(?P<api_calls>\d+) "
    r"changes=(?P<changes>\d+) posts=(?P<posts>\d+) cpu=[0-9.]+s duration=[0-9.]+s"
)


# uvloop by default; the standard loop when an operator asks for it.
@pytest.mark.parametrize("loop", ["", "asyncio"])
async def test_the_worker_logs_one_line_per_cycle_and_posts_each_change(
    watching: Watching, tmp_path: Path, loop: str
) -> None:
    simulator = watching.simulator
    op_id = simulator.create("domain_renew", step=BILL)
    ts = await watching.watch(op_id)
    env = worker_env(
        watching.settings,
        OPSBOT_POLL_INTERVAL="0.2",
        OPSBOT_DATA_DIR=str(tmp_path),
        OPSBOT_EVENT_LOOP=loop,
    )
    worker = await WorkerProcess(env).start()
    try:
        simulator.move(op_id, WAIT)
        await worker.wait_for_line(lambda line: "changes=1" in line)
        [reply] = watching.replies(CHANNEL_ID, ts)
    finally:
        await worker.stop()

    assert reply["text"] == f"Operation {op_id}: BILL → WAIT"
    [started] = [line for line in worker.lines if "worker started" in line]
    assert started.endswith(f"worker started: poll interval 0.2 s, event loop {loop or 'uvloop'}")
    cycles = [CYCLE_LINE.search(line) for line in worker.cycle_lines()]
    assert cycles
    assert all(cycles)
    [changed] = [match.groupdict() for match in cycles if match and match["changes"] == "1"]
    assert changed == {
        "teams": "1",
        "operations": "1",
        "read_in_full": changed["read_in_full"],
        "counted": "0",
        "api_calls": "1",
        "changes": "1",
        "posts": "1",
    }
    assert watching.settings.encryption_keys[0] not in "\n".join(worker.lines)


async def test_an_unknown_event_loop_stops_the_worker_with_one_line(
    watching: Watching, tmp_path: Path
) -> None:
    env = worker_env(watching.settings, OPSBOT_DATA_DIR=str(tmp_path), OPSBOT_EVENT_LOOP="trio")
    worker = await WorkerProcess(env).start()
    try:
        code = await worker.wait()
    finally:
        await worker.stop()

    assert code == 2
    assert worker.lines == [
        "opsbot: OPSBOT_EVENT_LOOP='trio' is not a loop opsbot runs on: uvloop or asyncio"
    ]


@pytest.mark.slow  # about 5 s: a worker process is stopped in the middle of a pass
async def test_sigterm_lets_the_pass_under_way_finish_releases_and_exits_0(
    watching: Watching, tmp_path: Path
) -> None:
    simulator, slack = watching.simulator, watching.slack
    op_id = simulator.create("domain_renew", step=WAIT)
    ts = await watching.watch(op_id)
    worker = await WorkerProcess(
        worker_env(watching.settings, OPSBOT_POLL_INTERVAL="0.2", OPSBOT_DATA_DIR=str(tmp_path))
    ).start()
    try:
        await worker.wait_for_line(lambda line: "operations=1" in line)
        # Slack holds its answers two seconds: SIGTERM arrives while the reply is in flight.
        slack.set_latency(2.0)
        simulator.move(op_id, RUN)
        await slack.wait_for("chat.postMessage", count=2, timeout=10)
        worker.terminate()
        code = await worker.wait()
    finally:
        await worker.stop()

    assert code == 0
    assert "worker stopped" in worker.lines[-1]
    # It finished that pass: the change posted once, the outbox empty, the team released.
    assert [reply["text"] for reply in watching.replies(CHANNEL_ID, ts)] == [
        f"Operation {op_id}: WAIT → RUN"
    ]
    assert await watching.outbox.pending(TEAM_ID) == []
    assert await watching.redis.hlen(keyspace.schedule_leases()) == 0
