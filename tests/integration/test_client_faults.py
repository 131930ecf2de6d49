"""The client against servers that misbehave: real HTTP on 127.0.0.1.

Each scripted server answers the n-th request with the n-th reply (the last
one repeats), and counts requests and the TCP connections they came on.
Every failure goes through ``expect_failure``, which also proves the API key
(and a relaunch's authinfo) appears in no exception text, no chained cause
and no log record.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import logging
import socket
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import stamina
from aiohttp import web
from aiohttp.test_utils import TestServer

from opsbot.api import xmlrpc
from opsbot.api.client import OperationClient
from opsbot.api.errors import (
    ApiError,
    AuthorizationError,
    BadParameterError,
    ProtocolError,
    TemporaryError,
)
from opsbot.api.filters import FilterError
from opsbot.api.retry import RetryPolicy
from opsbot.config import Settings

KEY = "k3y0f0ne7eamabcdefgh1234"
AUTHINFO = "Tr4nsf3r-S3cret"
MiB = 1024 * 1024

Reply = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture(autouse=True)
def no_backoff() -> Iterator[None]:
    """stamina's testing switch: no sleeps, while each client keeps its own attempt count."""
    with stamina.set_testing(True, attempts=1000, cap=True):
        yield


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


# What must never leak.


def texts_of(error: BaseException) -> str:
    """Every text an error carries: str, repr and args of it and of every chained error."""
    parts = traceback.format_exception(error)
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        parts += [str(current), repr(current), *map(repr, current.args)]
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
    return "\n".join(parts)


def log_texts(caplog: pytest.LogCaptureFixture) -> str:
    return caplog.text + "\n".join(repr(vars(record)) for record in caplog.records)


def assert_secrets_absent(
    error: BaseException, caplog: pytest.LogCaptureFixture, secrets: tuple[str, ...] = (KEY,)
) -> None:
    for secret in secrets:
        assert secret not in texts_of(error)
        assert secret not in log_texts(caplog)


async def expect_failure(
    call: Awaitable[Any],
    expected: type[ApiError],
    caplog: pytest.LogCaptureFixture,
    secrets: tuple[str, ...] = (KEY,),
) -> ApiError:
    with pytest.raises(expected) as caught:
        await call
    assert_secrets_absent(caught.value, caplog, secrets)
    return caught.value


# Scripted servers.


@dataclass
class ScriptedApi:
    replies: list[Reply]
    url: str = ""
    requests: list[bytes] = field(default_factory=list)
    peers: set[Any] = field(default_factory=set)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(await request.read())
        if request.transport is not None:
            self.peers.add(request.transport.get_extra_info("peername"))
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        return await reply(request)

    def calls(self) -> list[tuple[str, tuple[Any, ...]]]:
        return [xmlrpc.decode_call(body, zone=dt.UTC) for body in self.requests]


Serve = Callable[..., Awaitable[ScriptedApi]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    servers: list[TestServer] = []

    async def start(*replies: Reply) -> ScriptedApi:
        api = ScriptedApi(list(replies))
        app = web.Application()
        app.router.add_post("/xmlrpc/", api.handle)
        server = TestServer(app)
        await server.start_server()
        servers.append(server)
        api.url = str(server.make_url("/xmlrpc/"))
        return api

    yield start
    for server in servers:
        await server.close()


def value(result: Any) -> Reply:
    async def reply(_request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=xmlrpc.encode_response(result, zone=dt.UTC), content_type="text/xml"
        )

    return reply


def fault(code: int, message: str) -> Reply:
    async def reply(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=xmlrpc.encode_fault(code, message), content_type="text/xml")

    return reply


def status(code: int, *, headers: dict[str, str] | None = None) -> Reply:
    async def reply(_request: web.Request) -> web.StreamResponse:
        return web.Response(status=code, text="no", headers=headers)

    return reply


def html_page(code: int) -> Reply:
    page = f"<!DOCTYPE html><html><body><h1>{code}</h1></body></html>"

    async def reply(_request: web.Request) -> web.StreamResponse:
        return web.Response(status=code, text=page, content_type="text/html")

    return reply


def raw_body(body: bytes, *, content_type: str = "text/xml", **headers: str) -> Reply:
    async def reply(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, headers={"Content-Type": content_type, **headers})

    return reply


async def hang(_request: web.Request) -> web.StreamResponse:
    await asyncio.Event().wait()  # cancelled when the client gives up
    raise AssertionError("unreachable")


async def endless_body(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/xml"})
    await response.prepare(request)
    chunk = b"<x>" * 20000
    while True:
        await response.write(chunk)


@dataclass
class RawServer:
    """A TCP server that reads one HTTP request and answers raw bytes, then hangs up."""

    answer: bytes
    url: str = ""
    connections: int = 0


@asynccontextmanager
async def raw_server(answer: bytes) -> AsyncIterator[RawServer]:
    raw = RawServer(answer)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raw.connections += 1
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.lower().splitlines()
            if line.startswith(b"content-length:")
        )
        await reader.readexactly(length)
        writer.write(raw.answer)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    raw.url = f"http://127.0.0.1:{port}/xmlrpc/"
    async with server:
        yield raw


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# HTTP status codes and pages.


async def test_html_error_page_is_temporary_and_retried(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    api = await serve(html_page(502))
    async with OperationClient(api.url, retry_attempts=3) as client:
        error = await expect_failure(client.count(KEY), TemporaryError, caplog)
    assert "HTTP 502" in str(error)
    assert "HTML page" in str(error)
    assert len(api.requests) == 3


async def test_html_page_with_200_is_a_protocol_error(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    api = await serve(raw_body(b"<html><body>Welcome to nginx!</body></html>", content_type=""))
    async with OperationClient(api.url) as client:
        error = await expect_failure(client.count(KEY), ProtocolError, caplog)
    assert "the API answered with an HTML page (HTTP 200), not XML-RPC" in str(error)
    assert len(api.requests) == 1


async def test_busy_server_is_retried_until_it_answers(serve: Serve) -> None:
    api = await serve(status(503), status(500), value(7))
    async with OperationClient(api.url) as client:
        assert await client.count(KEY) == 7
    assert len(api.requests) == 3


async def test_retries_run_out(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    api = await serve(status(500))
    async with OperationClient(api.url, retry_attempts=4) as client:
        error = await expect_failure(client.info(KEY, 1), TemporaryError, caplog)
    assert "HTTP 500" in str(error)
    assert len(api.requests) == 4


async def test_rate_limit_status_honours_retry_after(serve: Serve) -> None:
    api = await serve(status(429, headers={"Retry-After": "2"}), value(7))
    async with OperationClient(api.url) as client:
        assert await client.count(KEY) == 7
    assert len(api.requests) == 2


async def test_retry_after_longer_than_the_budget_is_left_to_the_caller(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    api = await serve(status(429, headers={"Retry-After": "3600"}))
    # The client's retry budget is RetryPolicy's: 60 s, far less than an hour.
    assert RetryPolicy().timeout == 60
    async with OperationClient(api.url) as client:
        error = await expect_failure(client.count(KEY), TemporaryError, caplog)
    assert isinstance(error, TemporaryError)
    assert error.retry_after == 3600
    assert len(api.requests) == 1


@pytest.mark.parametrize(
    ("when", "retried"),
    [("Wed, 01 Jan 2100 00:00:00 GMT", False), ("Thu, 01 Jan 1970 00:00:00 GMT", True)],
    ids=["far-future", "past"],
)
async def test_retry_after_as_an_http_date(serve: Serve, when: str, retried: bool) -> None:
    api = await serve(status(503, headers={"Retry-After": when}), value(7))
    async with OperationClient(api.url) as client:
        try:
            outcome: object = await client.count(KEY)
        except TemporaryError as error:
            outcome = error
    assert (outcome == 7) is retried
    assert len(api.requests) == (2 if retried else 1)


async def test_other_statuses_are_protocol_errors(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    api = await serve(status(404))
    async with OperationClient(api.url) as client:
        error = await expect_failure(client.count(KEY), ProtocolError, caplog)
    assert "HTTP 404" in str(error)
    assert len(api.requests) == 1


async def test_redirects_are_not_followed(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    """A 307 would resend the body, key included, to wherever it points."""
    elsewhere = await serve(value(7))
    api = await serve(status(307, headers={"Location": elsewhere.url}))
    async with OperationClient(api.url) as client:
        error = await expect_failure(client.count(KEY), ProtocolError, caplog)
    assert "HTTP 307" in str(error)
    assert elsewhere.requests == []


# Replies that are cut, too large or not XML-RPC.


async def test_truncated_body_is_a_protocol_error(caplog: pytest.LogCaptureFixture) -> None:
    partial = xmlrpc.encode_response(7, zone=dt.UTC)[:50]
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 500\r\n\r\n" + partial
    async with raw_server(answer) as server, OperationClient(server.url) as client:
        error = await expect_failure(client.count(KEY), ProtocolError, caplog)
    assert "cut short" in str(error)
    assert server.connections == 1


async def test_truncated_xml_is_a_protocol_error(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    api = await serve(raw_body(xmlrpc.encode_response([1, 2, 3], zone=dt.UTC)[:-40]))
    async with OperationClient(api.url) as client:
        error = await expect_failure(client.count(KEY), ProtocolError, caplog)
    assert "not well-formed" in str(error)


async def test_xml_that_is_not_xml_rpc(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    api = await serve(raw_body(b"<?xml version='1.0'?><rss><channel/></rss>"))
    async with OperationClient(api.url) as client:
        await expect_failure(client.count(KEY), ProtocolError, caplog)


async def test_declared_oversize_reply_is_refused(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    api = await serve(raw_body(b" " * (11 * MiB)))
    async with OperationClient(api.url) as client:
        error = await expect_failure(client.count(KEY), ProtocolError, caplog)
    assert f"larger than {xmlrpc.MAX_REPLY_BYTES} bytes" in str(error)


async def test_endless_reply_is_cut_at_the_cap(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    """No Content-Length and no end: the client must stop on its own."""
    api = await serve(endless_body)
    async with OperationClient(api.url, timeout=30) as client:
        error = await expect_failure(client.count(KEY), ProtocolError, caplog)
    assert "larger than" in str(error)


async def test_compressed_bomb_is_cut_at_the_cap(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    bomb = gzip.compress(b"\0" * (12 * MiB), compresslevel=9)
    api = await serve(raw_body(bomb, **{"Content-Encoding": "gzip"}))
    async with OperationClient(api.url) as client:
        error = await expect_failure(client.count(KEY), ProtocolError, caplog)
    assert "larger than" in str(error)


@pytest.mark.parametrize(("size", "fits"), [(1000, True), (1001, False)])
async def test_reply_cap_is_the_clients_setting(serve: Serve, size: int, fits: bool) -> None:
    operation = {"id": 1, "type": "domain_create", "step": "ERROR", "last_error": ""}
    padding = "x" * (size - len(xmlrpc.encode_response(operation, zone=dt.UTC)))
    api = await serve(value({**operation, "last_error": padding}))
    async with OperationClient(api.url, max_reply_bytes=1000) as client:
        try:
            outcome: object = await client.info(KEY, 1)
        except ProtocolError as error:
            outcome = error
    assert isinstance(outcome, ProtocolError) is not fits


@pytest.mark.parametrize(
    ("method", "result"),
    [
        ("list", {"id": 1}),
        ("list", [{"type": "domain_renew"}]),
        ("count", "3"),
        ("count", True),
        ("info", 7),
        ("cancel", "yes"),
    ],
)
async def test_answers_of_the_wrong_shape(
    serve: Serve, caplog: pytest.LogCaptureFixture, method: str, result: Any
) -> None:
    api = await serve(value(result))
    async with OperationClient(api.url) as client:
        call = getattr(client, method)
        args = (KEY, 1) if method in ("info", "cancel") else (KEY,)
        error = await expect_failure(call(*args), ProtocolError, caplog)
    assert error.method == f"operation.{method}"


# Transport failures, timeouts and which calls are sent again.


async def test_connection_refused_is_temporary(caplog: pytest.LogCaptureFixture) -> None:
    async with OperationClient(f"http://127.0.0.1:{free_port()}/xmlrpc/") as client:
        error = await expect_failure(client.cancel(KEY, 1), TemporaryError, caplog)
    assert isinstance(error, TemporaryError)
    assert error.may_have_run is False
    assert "cannot reach the API" in str(error)


async def test_dropped_connection_is_retried_for_reads(caplog: pytest.LogCaptureFixture) -> None:
    async with raw_server(b"") as server, OperationClient(server.url, retry_attempts=3) as client:
        await expect_failure(client.list(KEY), TemporaryError, caplog)
    assert server.connections == 3


async def test_dropped_connection_is_not_retried_for_actions(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with raw_server(b"") as server, OperationClient(server.url) as client:
        error = await expect_failure(client.cancel(KEY, 1), TemporaryError, caplog)
    assert isinstance(error, TemporaryError)
    assert error.may_have_run is True
    assert server.connections == 1


async def test_timeout_is_temporary_and_retried_for_reads(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    api = await serve(hang)
    async with OperationClient(api.url, timeout=0.2, retry_attempts=2) as client:
        error = await expect_failure(client.info(KEY, 1), TemporaryError, caplog)
    assert "no answer from the API within 0.2 s" in str(error)
    assert len(api.requests) == 2


async def test_timeout_is_not_retried_for_actions(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    """After a timeout the relaunch may have happened: sending it again would say it failed."""
    api = await serve(hang)
    async with OperationClient(api.url, timeout=0.2) as client:
        relaunch = client.relaunch(KEY, 1, {"authinfo": AUTHINFO})
        error = await expect_failure(relaunch, TemporaryError, caplog, (KEY, AUTHINFO))
    assert isinstance(error, TemporaryError)
    assert error.may_have_run is True
    assert len(api.requests) == 1


async def test_actions_refused_by_the_api_are_retried(serve: Serve) -> None:
    api = await serve(
        status(429),
        fault(150004, "Error on object : OBJECT_APPLICATION (CAUSE_TOOMANY) [rate limit exceeded]"),
        value(True),
    )
    async with OperationClient(api.url) as client:
        assert await client.cancel(KEY, 1) is True
    assert len(api.requests) == 3


async def test_actions_after_a_server_error_are_not_retried(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    api = await serve(status(502), value(True))
    async with OperationClient(api.url) as client:
        await expect_failure(client.cancel(KEY, 1), TemporaryError, caplog)
    assert len(api.requests) == 1


# Faults that quote what was sent.


async def test_an_echoed_malformed_key_is_redacted(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    """The live service quotes the key it could not read."""
    echo = (
        "Error on object : OBJECT_STRING (CAUSE_BADPARAMETER) "
        f"[string '{KEY}' does not match '^[a-z0-9]{{24}}$']"
    )
    api = await serve(fault(501237, echo))
    async with OperationClient(api.url) as client:
        error = await expect_failure(client.count(KEY), BadParameterError, caplog)
    assert "string '<redacted>' does not match '^[a-z0-9]{24}$'" in str(error)
    assert error.code == 501237


async def test_an_echoed_key_the_api_cut_short_is_redacted(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    too_long = KEY * 3
    echo = f"[string '{too_long[:40]}' does not match '^[a-z0-9]{{24}}$']"
    api = await serve(fault(501237, echo))
    async with OperationClient(api.url) as client:
        error = await expect_failure(client.count(too_long), BadParameterError, caplog)
    assert too_long[:40] not in texts_of(error)


async def test_an_echoed_authinfo_is_redacted(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    echo = f"Error on object : OBJECT_STRING (CAUSE_BADPARAMETER) [authinfo '{AUTHINFO}' refused]"
    api = await serve(fault(501237, echo))
    async with OperationClient(api.url) as client:
        relaunch = client.relaunch(KEY, 1, {"authinfo": AUTHINFO})
        error = await expect_failure(relaunch, BadParameterError, caplog, (KEY, AUTHINFO))
    assert "authinfo '<redacted>' refused" in str(error)


async def test_authorization_fault(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    message = "Error on object : OBJECT_ACCOUNT (CAUSE_NORIGHT) [Invalid API key]"
    api = await serve(fault(510150, message))
    async with OperationClient(api.url) as client:
        error = await expect_failure(client.list(KEY), AuthorizationError, caplog)
    assert (error.code, error.message, error.method) == (510150, message, "operation.list")
    assert len(api.requests) == 1


# What is sent, and the session.


async def test_calls_send_the_key_first_and_checked_filters(serve: Serve) -> None:
    api = await serve(value([]), value(0), value(True), value(True))
    async with OperationClient(api.url) as client:
        await client.list(KEY, {"id": "1,2", "step": "error", "sort_by": "id desc"})
        await client.count(KEY)
        await client.relaunch(KEY, 5)
        await client.relaunch(KEY, 5, {"authinfo": AUTHINFO})
    assert api.calls() == [
        ("operation.list", (KEY, {"id": [1, 2], "step": "ERROR", "sort_by": "id DESC"})),
        ("operation.count", (KEY,)),
        ("operation.relaunch", (KEY, 5)),
        ("operation.relaunch", (KEY, 5, {"authinfo": AUTHINFO})),
    ]


@pytest.mark.parametrize("method", ["list", "count"])
async def test_invalid_filters_never_reach_the_api(serve: Serve, method: str) -> None:
    api = await serve(value(0))
    async with OperationClient(api.url) as client:
        with pytest.raises(FilterError, match="unknown filter"):
            await getattr(client, method)(KEY, {"stpe": "ERROR"})
    assert api.requests == []


async def test_one_connection_serves_many_calls(serve: Serve) -> None:
    api = await serve(value(3))
    async with OperationClient(api.url) as client:
        for _ in range(10):
            assert await client.count(KEY) == 3
    assert len(api.requests) == 10
    assert len(api.peers) == 1


async def test_a_session_passed_in_is_used_and_left_open(serve: Serve) -> None:
    api = await serve(value(3))
    async with aiohttp.ClientSession() as session:
        async with OperationClient(api.url, session=session) as client:
            assert await client.count(KEY) == 3
        assert not session.closed
        assert len(api.requests) == 1


async def test_a_closed_client_refuses_calls(serve: Serve) -> None:
    api = await serve(value(3))
    client = OperationClient(api.url)
    assert await client.count(KEY) == 3
    await client.close()
    with pytest.raises(RuntimeError, match="closed"):
        await client.count(KEY)
    assert len(api.requests) == 1


async def test_settings_give_the_url_and_the_timeout(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    api = await serve(hang)
    settings = Settings(api_url=api.url, api_timeout_s=0.2)
    async with OperationClient.from_settings(settings) as client:
        error = await expect_failure(client.cancel(KEY, 1), TemporaryError, caplog)
    assert "within 0.2 s" in str(error)
    assert len(api.requests) == 1


def test_the_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        OperationClient("rpc.gandi.net/xmlrpc/")


async def test_the_key_is_never_kept(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    api = await serve(value(3))
    async with OperationClient(api.url) as client:
        await client.count(KEY)
        assert KEY not in repr(client)
        assert all(KEY not in repr(attribute) for attribute in vars(client).values())
    assert KEY not in log_texts(caplog)


async def test_one_debug_line_per_request(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    api = await serve(status(503), value(3))
    async with OperationClient(api.url) as client:
        await client.count(KEY)
    lines = [r.getMessage() for r in caplog.records if r.name == "opsbot.api"]
    assert len(lines) == 2
    assert lines[0].startswith("operation.count TemporaryError in ")
    assert lines[1].startswith("operation.count ok in ")
