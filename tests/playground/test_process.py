"""The playground as a process and an API: one line, a clean stop, 127.0.0.1 only,
the team's key already set, the page's API answering what a person would see."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any, Final

import pytest

from opsbot import cli
from opsbot.playground.app import static_dir
from opsbot.slack.commands import TABLE
from tests.playground.browser import MISSING
from tests.playground.conftest import ROOT, Playground
from tests.unit.ui.test_wheel import _build_wheel as build_wheel

BROWSER_TESTS: Final = "tests/playground/test_browser.py"


def call(playground: Playground, path: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    url = playground.url + "playground/api/" + path
    request = urllib.request.Request(url, data=data)  # noqa: S310 - the playground's http URL
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


def refusal(playground: Playground, path: str, body: dict[str, Any]) -> tuple[int, str]:
    with pytest.raises(urllib.error.HTTPError) as refused:
        call(playground, path, body)
    return refused.value.code, json.loads(refused.value.read())["error"]


def test_one_line_with_the_address_then_a_clean_stop(playground: Playground) -> None:
    port = playground.url.rsplit(":", 1)[1].rstrip("/")
    assert playground.first_line == (
        f"opsbot playground: open http://127.0.0.1:{port}/ (Ctrl-C stops it)\n"
    )
    # The fixture sends Ctrl-C and checks the exit: 0, no traceback.


def test_refuses_to_bind_anywhere_but_localhost(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["playground", "--host", "0.0.0.0"]) == 2  # noqa: S104 - refused
    error = capsys.readouterr().err
    assert "binds to 127.0.0.1 only, not 0.0.0.0" in error
    assert error.count("\n") == 1


# The make on PATH, resolved once: a full path, as the subprocess lint asks.
MAKE: Final = shutil.which("make") or "make"


@pytest.mark.parametrize(
    ("env", "command"),
    [
        ({}, "opsbot playground"),
        ({"SLACK_SIGNING_SECRET": "s", "SLACK_BOT_TOKEN": "xoxb-1"}, "opsbot serve"),
    ],
)
def test_make_run_serves_slack_only_with_slack_settings(env: dict[str, str], command: str) -> None:
    # Under `make test`, MAKELEVEL and MAKEFLAGS would make this a sub-make.
    outer = ("SLACK_", "MAKE", "MFLAGS")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(outer)}
    shown = subprocess.run(
        [MAKE, "--no-print-directory", "-n", "-W", "pyproject.toml", "run"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert [line for line in shown.splitlines() if "/opsbot " in line][-1].endswith(command)


def test_the_page_api_serves_the_command_table(playground: Playground) -> None:
    setup = call(playground, "setup")
    assert [entry["name"] for entry in setup["subcommands"]] == [e.name for e in TABLE]
    assert {c["name"] for c in setup["channels"]} >= {"ops", "alerts"}
    assert {(u["name"], u["is_admin"]) for u in setup["users"]} == {("ada", True), ("mia", False)}


def test_the_key_is_set_and_answers_are_private(playground: Playground) -> None:
    channel = next(c["id"] for c in call(playground, "setup")["channels"] if c["name"] == "ops")
    sent = call(
        playground, "command", {"user": "U0ADMIN", "channel": channel, "text": "key status"}
    )
    assert sent == {"ok": True, "failure": None}
    shown = _wait_for_messages(playground, channel, "U0ADMIN")
    assert shown[-1]["is_ephemeral"] is True
    assert "<@U0ADMIN>" in json.dumps(shown[-1]["blocks"])  # who set the key: the admin
    assert call(playground, f"channels/{channel}?user=U0MEMBER")["messages"] == []


def _wait_for_messages(playground: Playground, channel: str, user: str) -> list[Any]:
    # /ops key status answers on the ack itself (the key is read from Redis
    # after the ack, then through response_url): poll what the person sees.
    for _ in range(100):
        messages = call(playground, f"channels/{channel}?user={user}")["messages"]
        if messages and "Working on it" not in messages[-1]["text"]:
            return list(messages)
        time.sleep(0.1)
    raise AssertionError("no answer to /ops key status")


def test_the_move_switch_says_what_is_wrong(playground: Playground) -> None:
    assert refusal(playground, "move", {"id": "abc", "step": "DONE"}) == (
        400,
        "id must be an operation id, a number",
    )
    code, error = refusal(playground, "move", {"id": 100100, "step": "LATER"})
    assert code == 400
    assert error.startswith("step must be one of BILL, WAIT, RUN")
    assert refusal(playground, "move", {"id": 1, "step": "DONE"}) == (
        400,
        "the simulator has no operation 1",
    )
    assert call(playground, "move", {"id": 100100, "step": "DONE"}) == {
        "id": 100100,
        "step": "DONE",
    }


def test_the_page_needs_no_internet() -> None:
    """No CDN, no web font, no build step: every file the page loads is served by opsbot."""
    files = sorted(static_dir().iterdir())
    assert {f.name for f in files} >= {
        "index.html",
        "app.js",
        "blocks.js",
        "mrkdwn.js",
        "style.css",
    }
    for file in files:
        text = file.read_text(encoding="utf-8")
        external = re.findall(r"(?:src|href)\s*=\s*[\"'](?:https?:)?//", text)
        assert not external, (file.name, external)
        assert "@import" not in text, file.name


@pytest.mark.slow
def test_the_wheel_carries_the_page(tmp_path: Path) -> None:
    names = set(zipfile.ZipFile(build_wheel(tmp_path)).namelist())
    for page_file in static_dir().iterdir():
        assert f"opsbot/playground/static/{page_file.name}" in names


def test_without_a_browser_the_browser_tests_say_how_to_install_one() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "OPSBOT_BROWSER")}
    env["PATH"] = str(Path(sys.executable).parent)
    shown = _pytest_browser_tests(env)
    assert shown.returncode == 0, shown.stdout
    assert MISSING in shown.stdout
    browser_tests = (ROOT / "tests/playground/test_browser.py").read_text().count("\ndef test_")
    assert re.search(rf"\b{browser_tests} skipped\b", shown.stdout)


def test_in_ci_a_missing_browser_fails_the_run() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPSBOT_BROWSER"}
    env.update(PATH=str(Path(sys.executable).parent), CI="true")
    shown = _pytest_browser_tests(env)
    assert shown.returncode == 1, shown.stdout
    assert "CI needs a browser" in shown.stdout


def _pytest_browser_tests(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            BROWSER_TESTS,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
