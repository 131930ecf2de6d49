"""The live stream when the page goes away: no error of the server's."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from opsbot.playground import live
from opsbot.workspace.changes import Change, ChangeFeed
from tests.support.ports import free_port
from tests.support.waiting import eventually


@pytest.fixture
async def served() -> AsyncIterator[tuple[web.Application, ChangeFeed, str]]:
    feed = ChangeFeed()
    web_app = web.Application()
    live.setup(web_app, feed)
    runner = web.AppRunner(web_app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield web_app, feed, f"ws://127.0.0.1:{port}{live.LIVE_PATH}"
    finally:
        await runner.cleanup()


def _open_sockets(web_app: web.Application) -> set[web.WebSocketResponse]:
    return web_app[live.SOCKETS]


async def _server_side(web_app: web.Application) -> web.WebSocketResponse:
    """The handler's side of the one page connected, once it is registered."""
    return await eventually(lambda: next(iter(_open_sockets(web_app)), None))


async def test_a_change_reaches_an_open_page(
    served: tuple[web.Application, ChangeFeed, str],
) -> None:
    web_app, feed, url = served
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as page:
        await _server_side(web_app)
        feed.publish(Change("message.posted", time.time(), {"channel": "C1"}))
        received = await page.receive_json(timeout=5)
    assert received["kind"] == "message.posted"
    assert received["data"] == {"channel": "C1"}


async def test_a_page_gone_before_a_change_is_sent_is_no_error(
    served: tuple[web.Application, ChangeFeed, str], caplog: pytest.LogCaptureFixture
) -> None:
    web_app, feed, url = served
    caplog.set_level(logging.ERROR)
    async with aiohttp.ClientSession() as session, session.ws_connect(url):
        socket = await _server_side(web_app)
        # The moment a browser's tab closes under a change on its way: the
        # connection is closing, and the handler has not read that yet.
        writer = socket._writer
        assert writer is not None
        writer.transport.close()
        feed.publish(Change("message.posted", time.time(), {"channel": "C1"}))
        await eventually(lambda: not _open_sockets(web_app))
    assert not web_app[live.SOCKETS], "the handler did not end when its page left"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
