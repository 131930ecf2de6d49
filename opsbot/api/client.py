"""The async client of the operation API: one method per API call.

Each team has its own API key, so the key is an argument of every call and
is never kept on the client. It travels only in the request body, and every
text that could echo it (the API's fault strings, which quote a malformed
key) is redacted before it becomes an exception; faults are re-raised without
their original as ``__context__``, so no traceback carries the raw text.

One aiohttp session serves every call (keep-alive), each call has its own
timeout, and replies are read with a hard cap so an endless or huge body
never fills memory. A large reply is decoded in a worker thread, so that
reading ten megabytes for one team does not hold up everyone else's
requests, and rows beyond what ``items_per_page`` asked for are not read.

The API's dates carry no zone: the client holds the API's zone (the
``OPSBOT_API_TIMEZONE`` setting) and the codec reads and writes every date
on that clock, so that everything past the client is in UTC.
"""

from __future__ import annotations

import asyncio
import builtins
import datetime as dt
import email.utils
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Self
from zoneinfo import ZoneInfo

import aiohttp
from yarl import URL

from opsbot.api import xmlrpc
from opsbot.api.errors import ApiError, ProtocolError, TemporaryError, error_from_fault
from opsbot.api.filters import CheckedFilters, on_api_clock, validate_options
from opsbot.api.glance import GLANCED, GlanceReply, read_glances
from opsbot.api.list_reply import ListReply, read_list
from opsbot.api.operation import Operation, UnreadableOperation
from opsbot.api.retry import RetryPolicy
from opsbot.api.secret_params import is_secret_parameter
from opsbot.clock import utc_now
from opsbot.config import DEFAULT_API_TIMEZONE, Settings

log = logging.getLogger("opsbot.api")

REDACTED: Final = "<redacted>"

_HEADERS: Final = {"Content-Type": "text/xml; charset=utf-8", "Accept": "text/xml"}
_READ_CHUNK: Final = 64 * 1024
# Relaunch parameters whose values are secrets (a transfer's authinfo, passwords).
# The live service quotes a malformed key back: "string 'abc' does not match '^[a-z0-9]{24}$'".
_ECHOED_KEY: Final = re.compile(r"string '[^']*' (?=does not match '\^\[a-z0-9\]\{24\}\$')")
# Status codes after which the API certainly did not act on the call.
_REFUSED_STATUSES: Final = frozenset({429, 503})
# Decoding costs about 30 ms a megabyte: above this a reply is read in a
# worker thread, where it does not stop the event loop answering others.
DECODE_IN_THREAD_BYTES: Final = 1024 * 1024


class OperationClient:
    """``async with OperationClient(url) as api: await api.list(key, {"step": "ERROR"})``.

    Every method raises an :class:`~opsbot.api.errors.ApiError` subclass when
    the call fails (after retrying temporary failures, see
    :mod:`opsbot.api.retry`); ``list`` and ``count`` raise
    :class:`~opsbot.api.filters.FilterError` for invalid filters before
    anything is sent (:class:`~opsbot.api.filters.CheckedFilters` are sent
    as they are: they were checked where they were made).
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 30.0,
        session: aiohttp.ClientSession | None = None,
        max_reply_bytes: int = xmlrpc.MAX_REPLY_BYTES,
        retry_attempts: int = 5,
        api_zone: ZoneInfo | None = None,
    ) -> None:
        """``api_zone``: the API's clock (default Europe/Paris, see OPSBOT_API_TIMEZONE)."""
        endpoint = URL(url)
        if endpoint.scheme not in ("http", "https") or not endpoint.host:
            raise ValueError("the API URL must be an absolute http:// or https:// URL")
        self._url = endpoint
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session = session
        self._owns_session = session is None
        self._closed = False
        self._max_reply_bytes = max_reply_bytes
        # Retries stop after RetryPolicy's budget (60 s) whatever the attempts.
        self._retry = RetryPolicy(attempts=retry_attempts)
        self._retrying = self._retry.caller()
        self.api_zone = api_zone or ZoneInfo(DEFAULT_API_TIMEZONE)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        session: aiohttp.ClientSession | None = None,
        retry_attempts: int = 5,
    ) -> OperationClient:
        return cls(
            settings.api_url,
            timeout=settings.api_timeout_s,
            session=session,
            retry_attempts=retry_attempts,
            api_zone=settings.api_zone,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self._url.with_user(None))!r})"

    async def __aenter__(self) -> Self:
        self._open_session()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session if this client created it; a session passed in is the caller's."""
        self._closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    # The five calls of the API.

    async def list(
        self, key: str, opts: Mapping[str, Any] | None = None
    ) -> builtins.list[Operation]:
        """The operations; a ProtocolError if any item of the answer cannot be read."""
        reply = await self.list_items(key, opts)
        if reply.unreadable:
            raise ProtocolError(
                unreadable_text(reply.unreadable[0].reason), method="operation.list"
            )
        return builtins.list(reply.operations)

    async def list_items(self, key: str, opts: Mapping[str, Any] | None = None) -> ListReply:
        """The answer read item by item: one unreadable item does not cost the others.

        At most ``items_per_page`` items are read, whatever the API sent
        (``ListReply.more_than_asked`` says it sent more).
        """
        asked, result = await self._list(key, opts, partial=None)
        return read_list(result, method="operation.list", asked=asked)

    async def glance_items(self, key: str, opts: Mapping[str, Any]) -> GlanceReply:
        """``list_items`` for a check: each item's id, step, eta and date_updated are
        read, its other values only when :meth:`Glance.operation` asks for them."""
        asked, result = await self._list(key, opts, partial=GLANCED)
        return read_glances(result, method="operation.list", asked=asked)

    async def _list(
        self, key: str, opts: Mapping[str, Any] | None, *, partial: frozenset[str] | None
    ) -> tuple[int | None, Any]:
        """``items_per_page``, and ``operation.list``'s answer (see xmlrpc.decode_response)."""
        checked = None if opts is None else validate_options(opts)
        asked = _items_per_page(checked)
        # One item more than asked, to tell whether the API sent more.
        items = _Items(None if asked is None else asked + 1, partial)
        params = self._with_options(key, checked)
        return asked, await self._call("operation.list", params, key=key, action=False, items=items)

    async def count(self, key: str, opts: Mapping[str, Any] | None = None) -> int:
        params = self._with_options(key, None if opts is None else validate_options(opts))
        result = await self._call("operation.count", params, key=key, action=False)
        if isinstance(result, bool) or not isinstance(result, int):
            raise ProtocolError(
                "the API answered something other than a number", method="operation.count"
            )
        return result

    async def info(self, key: str, op_id: int) -> Operation:
        result = await self._call("operation.info", (key, op_id), key=key, action=False)
        if not isinstance(result, Mapping):
            raise ProtocolError(
                "the API answered something other than a struct", method="operation.info"
            )
        return _operation(result, method="operation.info")

    async def cancel(self, key: str, op_id: int) -> bool:
        """Stop an operation (BILL, WAIT or ERROR); not sent again once it may have run."""
        result = await self._call("operation.cancel", (key, op_id), key=key, action=True)
        return _boolean(result, method="operation.cancel")

    async def relaunch(self, key: str, op_id: int, params: Mapping[str, str] | None = None) -> bool:
        """Run an operation in ERROR again with ``params`` merged in.

        Like cancel, it is retried only when the API certainly did not act
        (see :mod:`opsbot.api.retry`). Secret parameters (authinfo, passwords)
        are redacted from error texts like the key, and no value is logged.
        """
        call: tuple[Any, ...] = (key, op_id) if params is None else (key, op_id, dict(params))
        secrets = [value for name, value in (params or {}).items() if is_secret_parameter(name)]
        result = await self._call("operation.relaunch", call, key=key, action=True, secrets=secrets)
        return _boolean(result, method="operation.relaunch")

    # One call: encoding, retries, one HTTP exchange per attempt.

    async def _call(
        self,
        method: str,
        params: tuple[Any, ...],
        *,
        key: str,
        action: bool,
        secrets: builtins.list[str] | None = None,
        items: _Items | None = None,
    ) -> Any:
        """``items``: how much of an array reply to read."""
        body = xmlrpc.encode_call(method, params, zone=self.api_zone)
        reading = _Reading(method, (key, *(secrets or ())), self.api_zone, items or _Items())
        decision = self._retry.decision(action=action)
        return await self._retrying(decision, self._attempt, body, reading)

    async def _attempt(self, body: bytes, reading: _Reading) -> Any:
        method = reading.method
        started = time.perf_counter()
        try:
            reply = await self._post(method, body)
            result = await self._decode(reply, reading)
        except ApiError as error:
            _log_call(method, started, _outcome(error))
            raise
        _log_call(method, started, "ok")
        return result

    async def _decode(self, reply: bytes, reading: _Reading) -> Any:
        if len(reply) < DECODE_IN_THREAD_BYTES:
            return reading.decode(reply)
        return await asyncio.to_thread(reading.decode, reply)

    def _with_options(self, key: str, options: CheckedFilters | None) -> tuple[Any, ...]:
        # Checked before anything is sent, so an invalid filter never reaches
        # the API; dates are written on the API's clock.
        return (key,) if options is None else (key, on_api_clock(options, self.api_zone))

    async def _post(self, method: str, body: bytes) -> bytes:
        """The reply body of one HTTP exchange; transport failures become ApiErrors."""
        session = self._open_session()
        try:
            async with session.post(
                self._url, data=body, headers=_HEADERS, timeout=self._timeout, allow_redirects=False
            ) as response:
                _check_status(response, method)
                return await self._read_capped(response, method)
        except aiohttp.ClientConnectorError as error:
            raise TemporaryError(
                f"cannot reach the API at {self._url.host}:{self._url.port}",
                method=method,
                may_have_run=False,
            ) from error
        except aiohttp.ConnectionTimeoutError as error:
            raise TemporaryError(
                f"cannot reach the API at {self._url.host}:{self._url.port} "
                f"within {self._timeout.total:g} s",
                method=method,
                may_have_run=False,
            ) from error
        except TimeoutError as error:
            raise TemporaryError(
                f"no answer from the API within {self._timeout.total:g} s", method=method
            ) from error
        except aiohttp.ClientPayloadError as error:
            raise ProtocolError("the API's reply was cut short", method=method) from error
        except aiohttp.ClientError as error:
            raise TemporaryError(
                f"the connection to the API failed ({type(error).__name__})", method=method
            ) from error

    async def _read_capped(self, response: aiohttp.ClientResponse, method: str) -> bytes:
        body = await self._body_within_cap(response)
        if body is None:
            response.close()  # drop the connection rather than drain the rest
            raise ProtocolError(
                f"the API's reply is larger than {self._max_reply_bytes} bytes", method=method
            )
        if _looks_like_html(response.content_type, body):
            raise ProtocolError(
                f"the API answered with an HTML page (HTTP {response.status}), not XML-RPC",
                method=method,
            )
        return body

    async def _body_within_cap(self, response: aiohttp.ClientResponse) -> bytes | None:
        """The whole body, or None as soon as it is known to be larger than the cap."""
        limit = self._max_reply_bytes
        if (response.content_length or 0) > limit:
            return None
        received = bytearray()
        async for chunk in response.content.iter_chunked(_READ_CHUNK):
            received += chunk
            if len(received) > limit:
                return None
        return bytes(received)

    def _open_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("this OperationClient is closed")
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session


def _items_per_page(options: CheckedFilters | None) -> int | None:
    asked = None if options is None else options.get("items_per_page")
    return asked if isinstance(asked, int) else None


def _check_status(response: aiohttp.ClientResponse, method: str) -> None:
    status = response.status
    if status == 200:
        return
    page = " with an HTML page" if "html" in response.content_type else ""
    answered = f"the API answered HTTP {status} {response.reason or ''}".rstrip() + page
    if status == 429 or status >= 500:
        raise TemporaryError(
            f"{answered}: it is busy or failing, try again later",
            method=method,
            retry_after=_retry_after(response.headers.get("Retry-After")),
            may_have_run=status not in _REFUSED_STATUSES,
        )
    raise ProtocolError(f"{answered}, not XML-RPC: check the API URL", method=method)


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - utc_now()).total_seconds())


def _looks_like_html(content_type: str, body: bytes) -> bool:
    if "html" in content_type:
        return True
    start = body[:256].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html"))


@dataclass(frozen=True)
class _Items:
    """Of an array reply: at most ``count`` values; of each struct among them,
    only the members named in ``partial`` now (xmlrpc.decode_response)."""

    count: int | None = None
    partial: frozenset[str] | None = None


@dataclass(frozen=True)
class _Reading:
    """How one call's reply is read: its method, what to hide, the API's clock, how many items."""

    method: str
    hidden: tuple[str, ...]
    zone: ZoneInfo
    items: _Items

    def decode(self, body: bytes) -> Any:
        failure: ApiError
        try:
            return xmlrpc.decode_response(
                body, zone=self.zone, items=self.items.count, partial=self.items.partial
            )
        except xmlrpc.Fault as fault:
            message = redact(fault.message, self.hidden)
            failure = error_from_fault(fault.code, message, method=self.method)
        except ProtocolError as error:
            failure = ProtocolError(redact(error.message, self.hidden), method=self.method)
        except (ArithmeticError, RecursionError, ValueError) as error:
            # What the decoder did not foresee is still a reply that cannot
            # be read, not a crash.
            failure = ProtocolError(
                f"the API's reply cannot be read ({type(error).__name__})", method=self.method
            )
        # Raised outside the except blocks: the original, unredacted, must not
        # ride along as __context__ into tracebacks and error reporters.
        raise failure


def redact(text: str, hidden: tuple[str, ...]) -> str:
    """``text`` with every occurrence of each hidden value, and an echoed key, replaced."""
    for value in hidden:
        if value:
            text = text.replace(value, REDACTED)
    return _ECHOED_KEY.sub(f"string '{REDACTED}' ", text)


def _operation(raw: Mapping[str, Any], *, method: str) -> Operation:
    try:
        return Operation.from_api(raw)
    except UnreadableOperation as error:
        raise ProtocolError(unreadable_text(error.reason), method=method) from None


def unreadable_text(reason: str) -> str:
    """What a ProtocolError says of an operation opsbot cannot read (``reason``: "an eta…")."""
    return f"the API sent something opsbot cannot read: {reason}"


def _boolean(result: Any, *, method: str) -> bool:
    if not isinstance(result, int):  # bool is an int; the API answers 1
        raise ProtocolError("the API answered something other than a boolean", method=method)
    return bool(result)


def _outcome(error: ApiError) -> str:
    # The class and the fault code only: the API's message may quote what was sent.
    code = f" {error.code}" if error.code is not None else ""
    return f"{type(error).__name__}{code}"


def _log_call(method: str, started: float, outcome: str) -> None:
    log.debug("%s %s in %.1f ms", method, outcome, (time.perf_counter() - started) * 1000)
