"""Every command runs on uvloop unless told otherwise; a wrong choice is one clear line."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from opsbot import event_loop
from opsbot.config import SettingsError


async def _loop_name() -> str:
    return event_loop.running()


def test_commands_run_on_uvloop_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(event_loop.VARIABLE, raising=False)

    assert event_loop.loop_factory({}) is uvloop.new_event_loop
    assert event_loop.run(_loop_name()) == "uvloop"


def test_the_standard_loop_when_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(event_loop.VARIABLE, " AsyncIO ")

    assert event_loop.run(_loop_name()) == "asyncio"


def test_run_returns_what_the_coroutine_returns_and_raises_what_it_raises() -> None:
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    async def failing() -> None:
        raise LookupError("from inside the loop")

    assert event_loop.run(answer()) == 42
    with pytest.raises(LookupError, match="from inside the loop"):
        event_loop.run(failing())


def test_an_unknown_loop_is_refused_with_the_choices() -> None:
    with pytest.raises(SettingsError) as refused:
        event_loop.loop_factory({event_loop.VARIABLE: "trio"})

    assert (
        str(refused.value)
        == "OPSBOT_EVENT_LOOP='trio' is not a loop opsbot runs on: uvloop or asyncio"
    )
