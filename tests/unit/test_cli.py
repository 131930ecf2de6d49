"""The ``opsbot`` command line: keygen and the argument parser."""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest

from opsbot.cli import build_parser, main
from opsbot.store.vault import Keyring


def test_keygen_prints_one_fresh_32_byte_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keygen"]) == 0
    first = capsys.readouterr()
    assert main(["keygen"]) == 0
    second = capsys.readouterr()

    assert first.err == ""
    lines = first.out.splitlines()
    assert len(lines) == 1
    assert len(base64.urlsafe_b64decode(lines[0])) == 32
    assert first.out != second.out


def test_keygen_prints_what_the_keyring_reads(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keygen"]) == 0
    key = capsys.readouterr().out.strip()

    keyring = Keyring.parse(key)
    assert keyring.export() == key
    assert len(keyring.current_key) == 32


def test_keygen_runs_as_a_console_script() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "opsbot.cli", "keygen"], capture_output=True, text=True, check=True
    )
    assert len(base64.urlsafe_b64decode(result.stdout.strip())) == 32
    assert result.stderr == ""


def test_unknown_command_is_refused_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["serve", "socket"])
def test_serve_and_socket_run_a_watcher_unless_told_not_to(command: str) -> None:
    assert build_parser().parse_args([command]).no_watcher is False
    assert build_parser().parse_args([command, "--no-watcher"]).no_watcher is True
