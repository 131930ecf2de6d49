"""Operations served with a value no client should have to read, on demand.

The live service has never been seen to send these, but a client must
survive them: one operation of a reply carrying an infinite ``eta``, a
``date_updated`` whose zone pushes it out of the calendar, params nested
far deeper than any struct, or an id of three thousand digits. The
operation itself is unchanged (it moves on, it can be cancelled); only the
way replies describe it is spoiled, next to the other operations of the
same reply, which stay as they are.

The standard marshaller refuses to write most of these, so each spoiled
value is written as a marker string and the marker is replaced by the raw
XML in the encoded reply.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from opsbot.api.xmlrpc import encode_response

HOSTILE_KINDS: Final = (
    "infinite_eta",
    "date_out_of_range",
    "deep_params",
    "huge_id",
    "undecodable_eta",
)
# As deep as the probe that found parameters nested 200,000 levels deep.
DEFAULT_DEPTH: Final = 200_000
MAX_DEPTH: Final = 200_000
HUGE_ID_DIGITS: Final = 3000
# The field each kind spoils.
_FIELDS: Final = {
    "infinite_eta": "eta",
    "undecodable_eta": "eta",
    "date_out_of_range": "date_updated",
    "deep_params": "params",
    "huge_id": "id",
}


@dataclass(frozen=True)
class Hostile:
    kind: str
    depth: int = DEFAULT_DEPTH

    def __post_init__(self) -> None:
        if self.kind not in HOSTILE_KINDS:
            raise ValueError(
                f"unknown hostile kind {self.kind!r}; kinds are {', '.join(HOSTILE_KINDS)}"
            )
        if not 1 <= self.depth <= MAX_DEPTH:
            raise ValueError(f"depth must be from 1 to {MAX_DEPTH}")

    @property
    def field(self) -> str:
        return _FIELDS[self.kind]

    def raw_xml(self) -> bytes:
        """The spoiled value, as the XML of one <value>."""
        if self.kind == "infinite_eta":
            return b"<value><double>inf</double></value>"
        if self.kind == "undecodable_eta":
            # No XML-RPC value at all: the whole reply cannot be decoded.
            return b"<value><double>soon</double></value>"
        if self.kind == "date_out_of_range":
            return b"<value><dateTime.iso8601>0001-01-01T00:00:00+01:00</dateTime.iso8601></value>"
        if self.kind == "huge_id":
            return b"<value><int>" + b"9" * HUGE_ID_DIGITS + b"</int></value>"
        opening, closing = b"<value><array><data>", b"</data></array></value>"
        return opening * self.depth + b"<value><int>1</int></value>" + closing * self.depth


def encode_spoiled(value: Any, hostile: Mapping[int, Hostile], *, zone: dt.tzinfo) -> bytes:
    """The reply for ``value``, with the operations named in ``hostile`` spoiled.

    ``zone``: the clock the reply's dates are written on (the simulator's).
    """
    if not hostile:
        return encode_response(value, zone=zone)
    splices: dict[bytes, bytes] = {}
    body = encode_response(_spoil(value, hostile, splices), zone=zone)
    for marker, raw in splices.items():
        body = body.replace(b"<value><string>" + marker + b"</string></value>", raw, 1)
    return body


def _spoil(value: Any, hostile: Mapping[int, Hostile], splices: dict[bytes, bytes]) -> Any:
    if isinstance(value, list):
        return [_spoil(item, hostile, splices) for item in value]
    if not isinstance(value, dict) or value.get("id") not in hostile:
        return value
    spoiled = hostile[value["id"]]
    marker = f"opsbot-sim-hostile-{secrets.token_hex(8)}"
    splices[marker.encode()] = spoiled.raw_xml()
    return {**value, spoiled.field: marker}
