"""A playground started the way a person starts it, and a headless Chromium to look at it.

``playground`` runs ``opsbot playground`` in a subprocess on a free port and
waits for its one line; at the end it sends Ctrl-C (SIGINT) and checks the
process stopped cleanly. ``page`` opens it in the system's Chromium through
Playwright (sync API: these tests have no event loop of their own) and
fails the test on any error the page's script raises.

Without a browser, the browser tests are skipped with one visible line
saying how to install one; in CI (``CI=true``) a missing browser fails them.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest

from tests.playground.browser import MISSING, find_browser, in_ci
from tests.support.ports import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

ROOT: Final = Path(__file__).resolve().parents[2]
SCREENSHOTS: Final = ROOT / "docs"
# Generous: a loaded CI machine starts Redis, the simulator and opsbot.
START_SECONDS: Final = 60.0
STOP_SECONDS: Final = 20.0
VIEWPORT: Final[ViewportSize] = {"width": 1280, "height": 800}


@dataclass
class Playground:
    url: str
    process: subprocess.Popen[str]
    first_line: str
    stderr: list[str] = field(default_factory=list)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if find_browser() is None and not in_ci():
        terminalreporter.write_line(MISSING, yellow=True, bold=True)


@pytest.fixture
def playground() -> Iterator[Playground]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPSBOT_"))}
    env.pop("REDIS_URL", None)
    env["OPSBOT_POLL_INTERVAL"] = "1"
    process = subprocess.Popen(
        [sys.executable, "-m", "opsbot.cli", "playground", "--port", str(port), "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        line = _first_line(process)
        yield Playground(f"http://127.0.0.1:{port}/", process, line)
    finally:
        _stop(process)


def _first_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], START_SECONDS)
    if not ready:
        raise AssertionError(f"the playground printed nothing in {START_SECONDS:g} s")
    line = process.stdout.readline()
    if not line:
        _, err = process.communicate(timeout=STOP_SECONDS)
        raise AssertionError(f"the playground exited ({process.returncode}): {err}")
    return line


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"the playground did not stop on Ctrl-C: {err}") from None
    assert "Traceback" not in err, err
    assert process.returncode == 0, (process.returncode, out, err)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    path = find_browser()
    if path is None:
        if in_ci():
            pytest.fail(MISSING.replace("browser tests skipped", "CI needs a browser"))
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser, playground: Playground) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="Europe/Paris")
    context.set_default_timeout(15_000)
    shown = context.new_page()
    errors: list[str] = []
    shown.on("pageerror", lambda error: errors.append(str(error)))
    shown.goto(playground.url)
    shown.wait_for_selector("body[data-ready=true]")
    try:
        yield shown
    finally:
        context.close()
    assert not errors, errors


def screenshot(page: Page, name: str) -> None:
    """What the test sees, as the README's picture: with OPSBOT_SCREENSHOTS=1 (``make
    screenshots``) only, so that ``make test`` leaves docs/ as it is."""
    if os.environ.get("OPSBOT_SCREENSHOTS") != "1":
        return
    time.sleep(0.5)  # let the last redraw and the fonts settle: a picture, not an assertion
    page.screenshot(path=str(SCREENSHOTS / name))
