"""``opsbot serve``, ``socket`` and ``rotate-keys`` run as an operator runs them.

Each test starts the real command in a subprocess with an environment built
from scratch (nothing inherited but PATH), so what it proves holds on a fresh
machine: a missing or malformed setting stops start-up with one line and no
traceback; with ``REDIS_URL`` unset opsbot starts its own persistent Redis
and key file under ``OPSBOT_DATA_DIR``, and a restart finds both again;
SIGTERM stops it cleanly. No secret is ever printed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis
from slack_sdk.oauth.installation_store.models.installation import Installation

from opsbot.simulator import ServedSimulator
from opsbot.slack_installations import RedisInstallationStore
from opsbot.store.server import RedisServer
from opsbot.store.team_keys import TeamKeyStore
from opsbot.store.vault import KEY_FILE_NAME, Keyring, Vault
from tests.support.opsbot_app import BOT_TOKEN, SIGNING_SECRET, new_encryption_key
from tests.support.ports import free_port
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import (
    TEAM_ID,
    USER_ID,
    SlackClient,
    plain_text_state,
    slash_command_body,
    view_submission_body,
)

OPSBOT = [sys.executable, "-m", "opsbot.cli"]
# Safety nets only: a start-up or shutdown that hangs fails instead of blocking.
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 20.0
APP_TOKEN = "xapp-1-A0123-0123456789-abcdef"
KEY_WARNING = "generated an encryption key"


def clean_env(**settings: str) -> dict[str, str]:
    """The environment of a fresh shell: PATH and what the test sets, nothing else."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONUNBUFFERED": "1", **settings}


def run_opsbot(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*OPSBOT, *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        check=False,
    )


def assert_no_secret(output: str, secrets: list[str]) -> None:
    assert [secret for secret in secrets if secret in output] == []


# --- start-up refusals --------------------------------------------------------------------


def _one_line_refusal(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    return line


def test_serve_without_a_signing_secret_says_where_to_get_one(tmp_path: Path) -> None:
    env = clean_env(SLACK_BOT_TOKEN=BOT_TOKEN, OPSBOT_DATA_DIR=str(tmp_path))

    line = _one_line_refusal(run_opsbot("serve", "--no-watcher", env=env))

    assert "SLACK_SIGNING_SECRET" in line
    assert "app_manifest.yml" in line
    assert_no_secret(line, [BOT_TOKEN])
    assert list(tmp_path.iterdir()) == []  # refused before anything was started


def test_an_unknown_api_time_zone_is_refused_in_one_line(tmp_path: Path) -> None:
    env = clean_env(
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        OPSBOT_DATA_DIR=str(tmp_path),
        OPSBOT_API_TIMEZONE="Europe/Pariss",
    )

    line = _one_line_refusal(run_opsbot("serve", "--no-watcher", env=env))

    assert line.startswith("opsbot: OPSBOT_API_TIMEZONE must be an IANA time zone name")
    assert "'Europe/Pariss'" in line
    assert list(tmp_path.iterdir()) == []


def test_malformed_encryption_keys_are_named_not_echoed(tmp_path: Path) -> None:
    good = new_encryption_key()
    malformed = "this-is-my-secret-keyring-value"
    env = clean_env(
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        OPSBOT_DATA_DIR=str(tmp_path),
        OPSBOT_ENCRYPTION_KEYS=f"{good},{malformed}",
    )

    line = _one_line_refusal(run_opsbot("serve", "--no-watcher", env=env))

    assert "OPSBOT_ENCRYPTION_KEYS" in line
    assert "opsbot keygen" in line
    assert_no_secret(line, [good, malformed, SIGNING_SECRET, BOT_TOKEN])


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("memcached://:hunter2@cache:11211", "unknown scheme"),
        ("redis://:hunter2@a:6379,b:6379/0", "several hosts"),
        ("redis+sentinel://:hunter2@a:26379,b:26379", "Sentinel service"),
        ("redis+cluster://:hunter2@a:7000,b:7OOO", "port"),
    ],
)
def test_a_malformed_redis_url_stops_start_up_with_the_accepted_forms(
    tmp_path: Path, url: str, problem: str
) -> None:
    env = clean_env(
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        OPSBOT_DATA_DIR=str(tmp_path),
        REDIS_URL=url,
    )

    result = run_opsbot("serve", "--no-watcher", env=env)

    assert result.returncode == 2
    line = _one_line_refusal(result)
    assert line.startswith("opsbot: REDIS_URL ")
    assert problem in line
    assert "redis+sentinel://host:26379,host2:26379/mymaster/0" in line
    assert "redis+cluster://seed1:7000,seed2:7001" in line
    assert_no_secret(line, ["hunter2", url, SIGNING_SECRET, BOT_TOKEN])
    assert list(tmp_path.iterdir()) == []  # refused before anything was started


def test_socket_mode_without_an_app_token_says_how_to_get_one(tmp_path: Path) -> None:
    env = clean_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        OPSBOT_DATA_DIR=str(tmp_path),
        OPSBOT_ENCRYPTION_KEYS=new_encryption_key(),
    )

    line = _one_line_refusal(run_opsbot("socket", env=env))

    assert "SLACK_APP_TOKEN" in line
    assert "connections:write" in line
    assert_no_secret(line, [BOT_TOKEN])


def test_a_data_dir_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = clean_env(
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        OPSBOT_DATA_DIR=str(blocker / "data"),
    )

    line = _one_line_refusal(run_opsbot("serve", "--no-watcher", env=env))

    assert "OPSBOT_DATA_DIR" in line
    assert_no_secret(line, [SIGNING_SECRET, BOT_TOKEN])


def test_a_port_in_use_is_named(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = clean_env(
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            OPSBOT_DATA_DIR=str(data_dir),
            PORT=str(port),
        )

        result = run_opsbot("serve", "--no-watcher", env=env)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    [refusal] = [line for line in result.stderr.splitlines() if line.startswith("opsbot:")]
    assert f"PORT {port}" in refusal
    # The embedded Redis it had started is stopped again.
    redis_dir = data_dir / "redis"
    assert not RedisServer(data_dir=redis_dir, unix_socket=redis_dir / "redis.sock").answers()


# --- serving with the embedded Redis ----------------------------------------------------------


@dataclass
class ServeProcess:
    """``opsbot serve`` running in a subprocess; its output is read once it exits."""

    process: asyncio.subprocess.Process
    base_url: str

    async def stop(self) -> tuple[int, str, str]:
        """SIGTERM, as a process manager sends it; returns (code, stdout, stderr)."""
        self.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(STOP_TIMEOUT_S):
            stdout, stderr = await self.process.communicate()
        assert self.process.returncode is not None
        return self.process.returncode, stdout.decode(), stderr.decode()


async def _wait_until_healthy(serving: ServeProcess) -> None:
    """Poll /healthz until it answers 200 (start-up takes a second or two)."""
    async with asyncio.timeout(START_TIMEOUT_S), aiohttp.ClientSession() as session:
        while True:
            if serving.process.returncode is not None:
                _, stderr = await serving.process.communicate()
                raise AssertionError(f"opsbot serve exited at start-up: {stderr.decode()}")
            try:
                async with session.get(f"{serving.base_url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass  # not listening yet
            await asyncio.sleep(0.1)


@pytest.fixture
def serve_env(tmp_path: Path, fake_slack: FakeSlack, sim_server: ServedSimulator) -> dict[str, str]:
    """Settings for ``opsbot serve`` with REDIS_URL and OPSBOT_ENCRYPTION_KEYS unset."""
    return clean_env(
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=fake_slack.api_url,
        OPSBOT_API_URL=sim_server.url,
        OPSBOT_DATA_DIR=str(tmp_path / "data"),
    )


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        yield slack


@pytest.fixture
async def started() -> AsyncIterator[list[ServeProcess]]:
    """Every process a test starts, killed at the end if the test did not stop it."""
    processes: list[ServeProcess] = []
    yield processes
    for serving in processes:
        if serving.process.returncode is None:
            serving.process.kill()
            await serving.process.communicate()


async def _serve(env: Mapping[str, str], started: list[ServeProcess]) -> ServeProcess:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *OPSBOT,
        "serve",
        "--no-watcher",
        env={**env, "PORT": str(port)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    serving = ServeProcess(process, f"http://127.0.0.1:{port}")
    started.append(serving)
    await _wait_until_healthy(serving)
    return serving


async def _set_key_through_slack(
    serving: ServeProcess, fake_slack: FakeSlack, api_key: str
) -> None:
    fake_slack.set_user(USER_ID, is_admin=True)
    typed = {"api_key": {"value": plain_text_state(api_key)}}
    async with SlackClient(serving.base_url, SIGNING_SECRET, slack=fake_slack) as client:
        reply = await client.post(view_submission_body("api_key", typed))
    assert reply.status == 200
    assert "saved" in reply.text


async def _key_status(serving: ServeProcess, fake_slack: FakeSlack, name: str) -> str:
    body = slash_command_body("key status", response_url=fake_slack.response_url(name))
    async with SlackClient(serving.base_url, SIGNING_SECRET, slack=fake_slack) as client:
        assert (await client.post(body)).status == 200
    [answer] = await fake_slack.wait_for_responses(name)
    return str(answer["text"])


async def test_serve_runs_its_own_redis_and_key_and_keeps_them_across_restarts(
    serve_env: dict[str, str],
    fake_slack: FakeSlack,
    sim_key: str,
    started: list[ServeProcess],
) -> None:
    data_dir = Path(serve_env["OPSBOT_DATA_DIR"])

    first = await _serve(serve_env, started)
    key_file = data_dir / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    written_key = key_file.read_text()
    await _set_key_through_slack(first, fake_slack, sim_key)
    set_status = await _key_status(first, fake_slack, "before-restart")
    first_exit = await first.stop()

    second = await _serve(serve_env, started)
    kept_status = await _key_status(second, fake_slack, "after-restart")
    second_exit = await second.stop()

    assert "is set" in set_status
    assert kept_status == set_status  # same key, same fingerprint, same author
    assert key_file.read_text() == written_key
    for code, stdout, stderr in (first_exit, second_exit):
        assert code == 0, stderr
        assert "Traceback" not in stderr
        assert_no_secret(stdout + stderr, [sim_key, SIGNING_SECRET, BOT_TOKEN, written_key.strip()])
    assert first_exit[2].count(KEY_WARNING) == 1
    assert KEY_WARNING not in second_exit[2]
    # SIGTERM also stopped the embedded Redis: nothing is left answering.
    embedded = RedisServer(
        data_dir=data_dir / "redis", unix_socket=data_dir / "redis" / "redis.sock"
    )
    assert not embedded.answers()


# --- rotate-keys ----------------------------------------------------------------------------


async def test_rotate_keys_re_encrypts_everything_under_the_new_first_key(
    redis_url: str, sim_key: str
) -> None:
    old_key, new_key = new_encryption_key(), new_encryption_key()
    old_vault = Vault(Keyring.parse(old_key))
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        await TeamKeyStore(redis, old_vault).set(TEAM_ID, sim_key, USER_ID)
        installation = Installation(
            team_id=TEAM_ID, user_id=USER_ID, bot_token=BOT_TOKEN, bot_id="B0BOT"
        )
        await RedisInstallationStore(redis, old_vault).async_save(installation)
        env = clean_env(REDIS_URL=redis_url, OPSBOT_ENCRYPTION_KEYS=f"{new_key},{old_key}")

        result = await asyncio.to_thread(run_opsbot, "rotate-keys", env=env)

        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "rotated 4, unchanged 0, unreadable 0, failed 0"
        assert_no_secret(result.stdout + result.stderr, [sim_key, BOT_TOKEN, old_key, new_key])
        # The new key alone now opens every record.
        new_vault = Vault(Keyring.parse(new_key))
        assert await TeamKeyStore(redis, new_vault).get(TEAM_ID) == sim_key
        found = await RedisInstallationStore(redis, new_vault).async_find_installation(
            enterprise_id=None, team_id=TEAM_ID
        )
        assert found is not None
        assert found.bot_token == BOT_TOKEN

        again = await asyncio.to_thread(run_opsbot, "rotate-keys", env=env)
        assert again.stdout.strip() == "rotated 0, unchanged 4, unreadable 0, failed 0"
    finally:
        await redis.aclose()


async def test_rotate_keys_names_each_record_it_cannot_decrypt_and_exits_non_zero(
    redis_url: str, sim_key: str
) -> None:
    lost_key, current_key = new_encryption_key(), new_encryption_key()
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        await TeamKeyStore(redis, Vault(Keyring.parse(lost_key))).set(TEAM_ID, sim_key, USER_ID)
        env = clean_env(REDIS_URL=redis_url, OPSBOT_ENCRYPTION_KEYS=current_key)

        result = await asyncio.to_thread(run_opsbot, "rotate-keys", env=env)

        assert result.returncode == 1, result.stderr
        [line, summary] = result.stdout.strip().splitlines()
        assert line.startswith(f"unreadable: team {TEAM_ID}, api_key of the API key record")
        assert summary == "rotated 0, unchanged 0, unreadable 1, failed 0"
        assert_no_secret(result.stdout + result.stderr, [sim_key, lost_key, current_key])
    finally:
        await redis.aclose()
