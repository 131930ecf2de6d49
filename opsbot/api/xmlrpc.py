"""A safe XML-RPC codec: the standard library's marshaller, two careful readers.

We do not use ``xmlrpc.client.ServerProxy``: it is synchronous, and its parser
expands entities. Replies are read one of two ways:

- the careful path, for any document: defusedxml's expat parser (no DTD, no
  entity declarations, no external references) fed into the standard
  ``Unmarshaller``, without monkey-patching the standard library for anyone
  else. It is the reference: it decides what a reply means, and how a bad
  one is worded;
- the plain path, for what XML-RPC servers actually send (UTF-8, no markup
  declaration, no processing instruction, no attribute): lxml parses it with
  a hardened parser and a short walk reads the values from the tree, about
  three times cheaper, which matters because the watcher reads thousands of
  operations a cycle. It only ever returns what the careful path would; on
  anything it does not recognise it hands the document over.

Dates come back as UTC-aware datetimes because the service sends them
without a zone (``20110324T15:49:50``) and means UTC.
"""

from __future__ import annotations

import datetime as dt
import re
import xmlrpc.client
from collections.abc import Callable, Mapping
from typing import Any, Final
from xml.parsers.expat import ExpatError

from defusedxml import DefusedXmlException
from defusedxml.xmlrpc import DefusedExpatParser
from lxml import etree

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


def _refuse_oversize(body: bytes) -> None:
    if len(body) > MAX_REPLY_BYTES:
        raise ProtocolError(f"reply larger than {MAX_REPLY_BYTES} bytes")


def _parse(body: bytes) -> _Unmarshaller:
    _refuse_oversize(body)
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
    _refuse_oversize(body)
    markup = _plain_markup_start(body)
    if markup is not None:
        try:
            return _read_plain_response(body, markup)
        except _PLAIN_MISSES:
            pass  # the careful path decides, and words the error if there is one
    return _decode_carefully(body)


def _decode_carefully(body: bytes) -> Any:
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


# The plain path -------------------------------------------------------------


class _NotPlain(Exception):
    """The plain reader does not handle this document: the careful path will."""


# A UTF-8 document (declared, or by default with no byte-order mark). In it
# the byte searches below see every "<!", "<?" and "=" there is, since UTF-8
# never uses ASCII bytes inside a multi-byte character.
_PLAIN_PROLOG: Final = re.compile(
    rb"""(?P<declaration><\?xml\s+version\s*=\s*(["'])1\.0\2"""
    rb"""(?:\s+encoding\s*=\s*(["'])(?i:utf-8)\3)?"""
    rb"""(?:\s+standalone\s*=\s*(["'])(?:yes|no)\4)?\s*\?>)?\s*<[A-Za-z]"""
)


def _plain_markup_start(body: bytes) -> int | None:
    """Where the markup after the XML declaration starts, if lxml may read ``body``.

    lxml may read it when it has no DOCTYPE, so no entity can be declared:
    "<!" opens every DOCTYPE (and comment and CDATA section), "<?" every
    processing instruction. Such documents, rare from a real server, take the
    careful path, so lxml never sees a DTD, whatever its own settings.
    """
    prolog = _PLAIN_PROLOG.match(body)
    if prolog is None or b"<!" in body:
        return None
    markup = max(prolog.end("declaration"), 0)
    return markup if body.find(b"<?", markup) < 0 else None


def _plain_parser() -> etree.XMLParser:
    # One per document: lxml parsers must not be shared between threads, and
    # one costs well under a microsecond. The settings repeat what
    # _plain_markup_start already ensures; huge_tree=False also caps depth (256) and text
    # (10,000,000 bytes): deeper or larger documents fail here and take the
    # careful path, which has neither limit.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=True,
    )


def _read_plain_response(body: bytes, markup: int) -> Any:
    root = etree.fromstring(body, _plain_parser())
    # Attributes mean nothing in XML-RPC and the careful path ignores them,
    # but expat and libxml2 disagree on a few exotic attribute names: a reply
    # with any attribute is left to the careful path. Every attribute needs an
    # "=", and plain replies have none past the declaration, so the XPath
    # query, not free, rarely runs.
    if body.find(b"=", markup) >= 0 and root.xpath("boolean(//@*)"):
        raise _NotPlain
    if root.tag != "methodResponse":
        raise _NotPlain
    param = _only_child(_only_child(root, "params"), "param")
    return _read_value(_only_child(param, "value"))


def _only_child(parent: etree._Element, tag: str) -> etree._Element:
    if len(parent) != 1 or parent[0].tag != tag:
        raise _NotPlain
    return parent[0]


# The walk indexes children (element[0], element[:]) rather than iterating:
# an lxml child iterator costs more than reading a whole member.


def _read_value(value: etree._Element) -> Any:
    # Recursion is safe: the parser refuses documents deeper than 256 elements.
    if value.tag != "value":
        raise _NotPlain
    children = len(value)
    if not children:
        return value.text or ""
    if children > 1:
        raise _NotPlain
    typed = value[0]
    read = _READERS.get(typed.tag)
    if read is None:
        raise _NotPlain
    return read(typed)


def _leaf_text(element: etree._Element) -> str:
    if len(element):
        raise _NotPlain
    return element.text or ""


def _read_nil(element: etree._Element) -> None:
    _leaf_text(element)


def _read_boolean(element: etree._Element) -> bool:
    text = _leaf_text(element)
    if text not in ("0", "1"):
        raise _NotPlain
    return text == "1"


def _read_int(element: etree._Element) -> int:
    return int(_leaf_text(element))


def _read_double(element: etree._Element) -> float:
    return float(_leaf_text(element))


def _read_date(element: etree._Element) -> dt.datetime:
    return parse_api_datetime(_leaf_text(element))


def _read_struct(struct: etree._Element) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for member in struct[:]:
        if member.tag != "member" or len(member) != 2:
            raise _NotPlain
        name = member[0]
        if name.tag != "name":
            raise _NotPlain
        members[_leaf_text(name)] = _read_value(member[1])
    return members


def _read_array(array: etree._Element) -> list[Any]:
    data = _only_child(array, "data")
    return [_read_value(value) for value in data[:]]


# The unmarshaller's own table, less base64 and bigdecimal (the service sends
# neither; the careful path reads them). Keyed by object: lxml's stubs type a
# tag as str, bytes or QName.
_READERS: Final[Mapping[object, Callable[[etree._Element], Any]]] = {
    "string": _leaf_text,
    "nil": _read_nil,
    "boolean": _read_boolean,
    "int": _read_int,
    "i1": _read_int,
    "i2": _read_int,
    "i4": _read_int,
    "i8": _read_int,
    "biginteger": _read_int,
    "double": _read_double,
    "float": _read_double,
    "dateTime.iso8601": _read_date,
    "struct": _read_struct,
    "array": _read_array,
}

# Whatever the plain reader cannot read (a syntax error, lxml's limits, a
# layout it does not know, a value int() or a date refuses) goes to the
# careful path, which raises the error the caller is used to.
_PLAIN_MISSES: Final = (_NotPlain, etree.LxmlError, ValueError, ArithmeticError)


# Encoding -------------------------------------------------------------------


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
