"""Misbehaviour on demand, for tests and benchmarks.

A latency added to every XML-RPC reply, a rate-limit fault every N calls,
``false`` from the next cancels or relaunches (the API declined to act),
cancels that answer ``true`` while the operation stays where it was until
it is moved on (a cancel the service is still carrying out),
garbage instead of the next replies (an HTML error page from a proxy, a body
cut in the middle, an empty body, text that is not XML, a body larger than
any client should read, an operation whose eta is infinite, a fault whose
text is 9 MB: as large as a client reads), a flood: operation.list ignoring
items_per_page, and operations whose every description is spoiled by a
value no client should have to read (:mod:`.hostile`).
"""

from __future__ import annotations

import collections
import datetime as dt
from dataclasses import dataclass, field
from typing import Final

from opsbot.api.xmlrpc import MAX_REPLY_BYTES, encode_fault, encode_response
from opsbot.simulator.hostile import Hostile

# What a broken proxy in front of the service could send.
GARBAGE_KINDS: Final = ("html", "truncated", "empty", "notxml", "oversize")
# The actions whose reply is a boolean, which the API may answer false.
DECLINABLE: Final = ("operation.cancel", "operation.relaunch")
# Well-formed XML-RPC holding what no operation can: a client reads these fine
# and must then cope with the value.
HOSTILE_KINDS: Final = ("infinite_eta",)
# What can be queued for the next replies: garbage, a hostile operation, and
# a well-formed fault whose text is 9 MB (the service's own answer, but one no
# client should have to read whole).
QUEUED_KINDS: Final = (*GARBAGE_KINDS, *HOSTILE_KINDS, "hugefault")
HUGE_FAULT_CHARS: Final = 9 * 1024 * 1024
# An internal error: not temporary, so a client does not ask again.
HUGE_FAULT_CODE: Final = 150000

_BAD_GATEWAY_PAGE: Final = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


@dataclass(frozen=True)
class GarbageReply:
    status: int
    content_type: str
    body: bytes


@dataclass
class Switches:
    latency: float = 0.0
    rate_limit_every: int | None = None
    garbage: collections.deque[str] = field(default_factory=collections.deque)
    # Operation id → how replies spoil it.
    hostile: dict[int, Hostile] = field(default_factory=dict)
    declined: collections.Counter[str] = field(default_factory=collections.Counter)
    # How many of the next cancels are accepted but not carried out yet.
    slow_cancels: int = 0
    flood_rows: int | None = None
    _calls_since_rate_limit_set: int = 0

    def set_latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency cannot be negative")
        self.latency = float(seconds)

    def set_rate_limit(self, every: int | None) -> None:
        """Fault every ``every``-th call from now on (None or 0: never)."""
        if every is not None and every < 0:
            raise ValueError("rate limit period cannot be negative")
        self.rate_limit_every = every or None
        self._calls_since_rate_limit_set = 0

    def queue_garbage(self, count: int, kind: str) -> None:
        if kind not in QUEUED_KINDS:
            raise ValueError(f"unknown garbage kind {kind!r}; kinds are {', '.join(QUEUED_KINDS)}")
        if count < 0:
            raise ValueError("count cannot be negative")
        self.garbage.extend([kind] * count)

    def decline_next(self, method: str, count: int = 1) -> None:
        """The next ``count`` calls of ``method`` answer false and change nothing."""
        if method not in DECLINABLE:
            raise ValueError(f"only {' and '.join(DECLINABLE)} can be declined, not {method!r}")
        if count < 0:
            raise ValueError("count cannot be negative")
        self.declined[method] += count

    def declines(self, method: str) -> bool:
        """Whether this call of ``method`` is one to answer false (counts it)."""
        if self.declined[method] <= 0:
            return False
        self.declined[method] -= 1
        return True

    def slow_next_cancels(self, count: int = 1) -> None:
        """The next ``count`` cancels answer true and leave the operation in its step."""
        if count < 0:
            raise ValueError("count cannot be negative")
        self.slow_cancels += count

    def cancels_slowly(self) -> bool:
        """Whether this cancel is one to leave under way (counts it)."""
        if self.slow_cancels <= 0:
            return False
        self.slow_cancels -= 1
        return True

    def set_flood(self, rows: int | None) -> None:
        """operation.list answers ``rows`` rows whatever items_per_page says (None or 0: off)."""
        if rows is not None and rows < 0:
            raise ValueError("rows cannot be negative")
        self.flood_rows = rows or None

    def next_garbage(self) -> GarbageReply | None:
        return garbage_reply(self.garbage.popleft()) if self.garbage else None

    def rate_limited(self) -> bool:
        """Whether this call is the one to refuse (counts the call)."""
        if not self.rate_limit_every:
            return False
        self._calls_since_rate_limit_set += 1
        return self._calls_since_rate_limit_set % self.rate_limit_every == 0

    def spoil(self, op_id: int, hostile: Hostile | None) -> None:
        """Describe ``op_id`` with a hostile value from now on (None: as it is again)."""
        if hostile is None:
            self.hostile.pop(op_id, None)
        else:
            self.hostile[op_id] = hostile

    def reset(self) -> None:
        self.latency = 0.0
        self.set_rate_limit(None)
        self.garbage.clear()
        self.hostile.clear()
        self.declined.clear()
        self.slow_cancels = 0
        self.set_flood(None)


def garbage_reply(kind: str) -> GarbageReply:
    if kind == "html":
        return GarbageReply(502, "text/html", _BAD_GATEWAY_PAGE)
    if kind == "truncated":
        whole = encode_response(
            [{"id": 100100, "step": "DONE", "type": "domain_renew"}], zone=dt.UTC
        )
        return GarbageReply(200, "text/xml", whole[: len(whole) // 2])
    if kind == "empty":
        return GarbageReply(200, "text/xml", b"")
    if kind == "notxml":
        return GarbageReply(200, "text/xml", b'{"error": "this is not XML-RPC"}')
    if kind == "oversize":
        return GarbageReply(200, "text/xml", _oversize_body())
    if kind == "infinite_eta":
        hostile = {"id": 100100, "step": "RUN", "type": "domain_renew", "eta": float("inf")}
        return GarbageReply(200, "text/xml", encode_response(hostile, zone=dt.UTC))
    if kind == "hugefault":
        return GarbageReply(200, "text/xml", _huge_fault_body())
    raise ValueError(f"unknown garbage kind {kind!r}")


def _oversize_body() -> bytes:
    """A well-formed reply just over the size a client must accept."""
    head = b"<?xml version='1.0'?><methodResponse><params><param><value><string>"
    tail = b"</string></value></param></params></methodResponse>"
    return head + b"x" * (MAX_REPLY_BYTES + 1 - len(head) - len(tail) + 1024) + tail


def _huge_fault_body() -> bytes:
    """A well-formed fault whose faultString is 9 MB: within what a client reads."""
    message = "Error on object : OBJECT_UNKNOWN (CAUSE_UNKNOWN) [" + "x" * HUGE_FAULT_CHARS + "]"
    return encode_fault(HUGE_FAULT_CODE, message)
