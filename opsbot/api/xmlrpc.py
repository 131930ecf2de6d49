"""A safe XML-RPC codec: the standard library's marshaller, defusedxml's parser.

We do not use ``xmlrpc.client.ServerProxy``: it is synchronous, and its parser
expands entities. Here replies are parsed by defusedxml's expat parser (no
entity declarations, no external references) fed into the standard
``Unmarshaller``, without monkey-patching the standard library for anyone
else. Dates come back as UTC-aware datetimes because the service sends them
without a zone (``20110324T15:49:50``) and means UTC.
"""

from __future__ import annotations

import datetime as dt
import re
import xmlrpc.client
from collections.abc import Mapping
from typing import Any, Final
from xml.parsers.expat import ExpatError

from defusedxml import DefusedXmlException
from defusedxml.xmlrpc import DefusedExpatParser

from opsbot.api.errors import ProtocolError

MAX_REPLY_BYTES: Final = 10 * 1024 * 1024

_DATE_FORMATS: Final = ("%Y%m%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y%m%dT%H%M%S")


class Fault(Exception):
    """A fault decoded from a reply (or raised by the simulator to encode one)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


_SERVICE_DATE: Final = re.compile(r"(\d{4})(\d\d)(\d\d)T(\d\d):(\d\d):(\d\d)")


def parse_api_datetime(text: str) -> dt.datetime:
    """Read a dateTime.iso8601 value as an aware UTC datetime."""
    text = text.strip()
    # The service's own form, in every reply, read without strptime's cost.
    compact = _SERVICE_DATE.fullmatch(text)
    if compact:
        year, month, day, hour, minute, second = map(int, compact.groups())
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)
    for date_format in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, date_format).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


class _Unmarshaller(xmlrpc.client.Unmarshaller):
    """The standard unmarshaller, with UTC-aware and lenient dates."""

    # A class-level copy, like the stdlib's own table (typeshed declares it an
    # instance attribute, so ClassVar is not allowed here).
    dispatch = dict(xmlrpc.client.Unmarshaller.dispatch)  # noqa: RUF012

    # ``self`` typed as the base class: the dispatch table's entries take one.
    def end_dateTime(self: xmlrpc.client.Unmarshaller, data: str) -> None:
        try:
            self.append(parse_api_datetime(data))
        # OverflowError: a zone that pushes year 1 or 9999 out of range.
        except (ValueError, OverflowError) as error:
            raise ProtocolError(f"unreadable date {data[:40]!r}") from error

    dispatch["dateTime.iso8601"] = end_dateTime


def _parse(body: bytes) -> _Unmarshaller:
    if len(body) > MAX_REPLY_BYTES:
        raise ProtocolError(f"reply larger than {MAX_REPLY_BYTES} bytes")
    target = _Unmarshaller(use_datetime=True)
    parser = DefusedExpatParser(target, forbid_dtd=True)
    try:
        parser.feed(body)
        parser.close()
    except (ExpatError, DefusedXmlException) as error:
        raise ProtocolError(f"reply is not well-formed XML-RPC ({type(error).__name__})") from error
    # ResponseError: the unmarshaller met a tag it does not know inside a <value>;
    # ArithmeticError: decimal's InvalidOperation for a bad <bigdecimal>.
    except (
        ValueError,
        TypeError,
        IndexError,
        KeyError,
        ArithmeticError,
        xmlrpc.client.ResponseError,
    ) as error:
        raise ProtocolError("reply is not well-formed XML-RPC") from error
    return target


def decode_response(body: bytes) -> Any:
    """The single value of a methodResponse; raises :class:`Fault` for faults."""
    target = _parse(body)
    try:
        values = target.close()
    except xmlrpc.client.Fault as fault:
        raise Fault(_fault_code(fault.faultCode), str(fault.faultString)) from None
    except (xmlrpc.client.ResponseError, IndexError, TypeError) as error:
        # TypeError: a <fault> whose value is not a struct with faultCode and
        # faultString (the stdlib builds Fault(**value) without checking).
        raise ProtocolError("reply is not an XML-RPC methodResponse") from error
    if target.getmethodname() is not None or len(values) != 1:
        raise ProtocolError("reply is not an XML-RPC methodResponse")
    return values[0]


def decode_call(body: bytes) -> tuple[str, tuple[Any, ...]]:
    """Method name and parameters of a methodCall (used by the simulator)."""
    target = _parse(body)
    try:
        params = target.close()
    except (xmlrpc.client.Fault, xmlrpc.client.ResponseError, IndexError, TypeError) as error:
        raise ProtocolError("request is not an XML-RPC methodCall") from error
    method = target.getmethodname()
    if not method:
        raise ProtocolError("request is not an XML-RPC methodCall")
    return method, params


def _fault_code(raw: object) -> int:
    try:
        return int(str(raw))
    except ValueError:
        return 0


def _to_wire(value: Any) -> Any:
    """Aware datetimes become naive UTC, since the wire format has no zone."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return xmlrpc.client.DateTime(value)
    if isinstance(value, Mapping):
        return {str(key): _to_wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_to_wire(item) for item in value]
    return value


def encode_call(method: str, params: tuple[Any, ...]) -> bytes:
    wire = tuple(_to_wire(param) for param in params)
    return xmlrpc.client.dumps(wire, method, allow_none=True, encoding="utf-8").encode()


def encode_response(value: Any) -> bytes:
    return xmlrpc.client.dumps(
        (_to_wire(value),), methodresponse=True, allow_none=True, encoding="utf-8"
    ).encode()


def encode_fault(code: int, message: str) -> bytes:
    return xmlrpc.client.dumps(
        xmlrpc.client.Fault(code, message), allow_none=True, encoding="utf-8"
    ).encode()
