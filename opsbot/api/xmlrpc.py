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

Dates: the service writes them without a zone (``20110324T15:49:50``) in its
own clock, which is Paris time (see shared/reference/api-facts.md), so every
function that reads or writes a date takes the API's zone: a zone-less date
is read in that zone and returned as an aware UTC datetime; an aware datetime
is written in that zone, without one. Nothing here assumes a zone.

A leaf that is well-formed but cannot be read as its type (a date out of
range, an ``<int>`` of 3,000 digits) is returned as an :class:`Unreadable`
rather than failing the whole reply: one bad operation in a list then spoils
that operation only (:func:`opsbot.api.operation.read_operation`).
"""

from __future__ import annotations

import datetime as dt
import re
import xmlrpc.client
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from xml.parsers.expat import ExpatError

from defusedxml import DefusedXmlException
from defusedxml.xmlrpc import DefusedExpatParser
from lxml import etree

from opsbot.api.errors import ProtocolError

MAX_REPLY_BYTES: Final = 10 * 1024 * 1024

_DATE_FORMATS: Final = ("%Y%m%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y%m%dT%H%M%S")
# XML-RPC's widest integer (i8) has 19 digits and a sign. A longer text is not
# given to int(): it is slow on thousands of digits and refuses more than 4,300.
_LONGEST_INT: Final = 32
_SHOWN: Final = 40


class Fault(Exception):
    """A fault decoded from a reply (or raised by the simulator to encode one)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Unreadable:
    """A leaf the reply holds but opsbot cannot read: ``kind`` is "int" or "date"."""

    kind: str
    text: str

    @classmethod
    def of(cls, kind: str, text: str) -> Unreadable:
        # Only the start is kept: it ends up in an error message.
        return cls(kind, text.strip()[:_SHOWN])

    def __str__(self) -> str:
        return f"(unreadable {self.kind} {self.text!r})"


_SERVICE_DATE: Final = re.compile(r"(\d{4})(\d\d)(\d\d)T(\d\d):(\d\d):(\d\d)")


def parse_api_datetime(text: str, zone: dt.tzinfo) -> dt.datetime:
    """Read a dateTime.iso8601 value as an aware UTC datetime; zone-less means ``zone``.

    Raises ValueError (not a date) or OverflowError (out of range once moved to UTC).
    """
    text = text.strip()
    # The service's own form, in every reply, read without strptime's cost.
    compact = _SERVICE_DATE.fullmatch(text)
    if compact:
        year, month, day, hour, minute, second = map(int, compact.groups())
        # from_api_clock, without its copy: fold=0 is the default.
        wall = dt.datetime(year, month, day, hour, minute, second, tzinfo=zone)
        return wall.astimezone(dt.UTC)
    for date_format in _DATE_FORMATS:
        try:
            return from_api_clock(dt.datetime.strptime(text, date_format), zone)
        except ValueError:
            continue
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return from_api_clock(parsed, zone)
    return parsed.astimezone(dt.UTC)


def from_api_clock(wall: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A zone-less time on the API's clock, as an aware UTC datetime.

    Twice a year the wall clock is ambiguous or skips. In the hour repeated
    when summer time ends (02:00-03:00 in Paris on the last Sunday of
    October) ``fold=0`` picks the first occurrence, the earlier instant: the
    API gives no way to tell them apart, and reading a date early errs on the
    safe side (a ``>date_updated`` bound read early finds a change twice
    rather than never). A time skipped when summer time starts (02:30 on the
    last Sunday of March) does not exist; ``fold=0`` reads it with the offset
    in force before the change, which moves it forward by the gap (03:30).
    """
    return wall.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)


def to_api_clock(moment: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """An aware datetime as a zone-less time on the API's clock (naive ones are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone).replace(tzinfo=None)


def _date_or_unreadable(text: str, zone: dt.tzinfo) -> dt.datetime | Unreadable:
    try:
        return parse_api_datetime(text, zone)
    # OverflowError: a zone that pushes year 1 or 9999 out of range.
    except (ValueError, OverflowError):
        return Unreadable.of("date", text)


def _int_or_unreadable(text: str) -> int | Unreadable:
    if len(text) > _LONGEST_INT and len(text.strip()) > _LONGEST_INT:
        return Unreadable.of("int", text)
    try:
        return int(text)
    except ValueError:
        return Unreadable.of("int", text)


class _Unmarshaller(xmlrpc.client.Unmarshaller):
    """The standard unmarshaller, with dates on the API's clock and lenient leaves."""

    # A class-level copy, like the stdlib's own table (typeshed declares it an
    # instance attribute, so ClassVar is not allowed here).
    dispatch = dict(xmlrpc.client.Unmarshaller.dispatch)  # noqa: RUF012

    def __init__(self, zone: dt.tzinfo) -> None:
        super().__init__(use_datetime=True)
        self.zone = zone

    # ``self`` typed as the base class: the dispatch table's entries take one.
    def end_dateTime(self: xmlrpc.client.Unmarshaller, data: str) -> None:
        assert isinstance(self, _Unmarshaller)
        self.append(_date_or_unreadable(data, self.zone))

    def end_int(self: xmlrpc.client.Unmarshaller, data: str) -> None:
        self.append(_int_or_unreadable(data))
        self._value = False  # as the stdlib does: the <value> had a type

    dispatch["dateTime.iso8601"] = end_dateTime
    for _tag in ("i1", "i2", "i4", "i8", "int", "biginteger"):
        dispatch[_tag] = end_int
    del _tag


def _refuse_oversize(body: bytes) -> None:
    if len(body) > MAX_REPLY_BYTES:
        raise ProtocolError(f"reply larger than {MAX_REPLY_BYTES} bytes")


def _parse(body: bytes, zone: dt.tzinfo) -> _Unmarshaller:
    _refuse_oversize(body)
    target = _Unmarshaller(zone)
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


def decode_response(
    body: bytes,
    *,
    zone: dt.tzinfo,
    items: int | None = None,
    partial: frozenset[str] | None = None,
) -> Any:
    """The single value of a methodResponse; raises :class:`Fault` for faults.

    ``zone``: the API's clock, in which zone-less dates are read. ``items``:
    of a reply that is an array, read at most that many values: the plain
    path parses the rest as XML but does not read it, which matters when an
    API sends 40,000 rows for 20 asked (reading them is most of the cost).
    ``partial`` (with ``items``): of each struct in that array, read only the
    members so named, the others when asked (:class:`PartialStruct`); only the
    plain path does, the careful path reads every value whole.
    """
    _refuse_oversize(body)
    markup = _plain_markup_start(body)
    if markup is not None:
        try:
            return _read_plain_response(body, markup, zone, items, partial)
        except _PLAIN_MISSES:
            pass  # the careful path decides, and words the error if there is one
    value = _decode_carefully(body, zone)
    return value[:items] if items is not None and isinstance(value, list) else value


def _decode_carefully(body: bytes, zone: dt.tzinfo) -> Any:
    target = _parse(body, zone)
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


def decode_call(body: bytes, *, zone: dt.tzinfo) -> tuple[str, tuple[Any, ...]]:
    """Method name and parameters of a methodCall (used by the simulator)."""
    target = _parse(body, zone)
    try:
        params = target.close()
    except (xmlrpc.client.Fault, xmlrpc.client.ResponseError, IndexError, TypeError) as error:
        raise ProtocolError("request is not an XML-RPC methodCall") from error
    method = target.getmethodname()
    if not method:
        raise ProtocolError("request is not an XML-RPC methodCall")
    return method, params


def _fault_code(raw: object) -> int:
    # The stdlib does not check the type: an int, a string, or an Unreadable.
    code = _int_or_unreadable(str(raw))
    return code if isinstance(code, int) else 0


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


def _read_plain_response(
    body: bytes,
    markup: int,
    zone: dt.tzinfo,
    items: int | None = None,
    partial: frozenset[str] | None = None,
) -> Any:
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
    value = _only_child(param, "value")
    if items is not None and len(value) == 1 and value[0].tag == "array":
        if partial is not None:
            data = _only_child(value[0], "data")
            return [_read_partially(item, zone, partial) for item in data[:items]]
        return _read_array(value[0], zone, items)
    return _read_value(value, zone)


def _only_child(parent: etree._Element, tag: str) -> etree._Element:
    if len(parent) != 1 or parent[0].tag != tag:
        raise _NotPlain
    return parent[0]


def _leaf_text(element: etree._Element, _zone: object = None) -> str:
    if len(element):
        raise _NotPlain
    return element.text or ""


# The walk: every reader takes the element and the API's zone (only dates
# use it), and indexes children (element[0], element[:]) rather than
# iterating: an lxml child iterator costs more than reading a whole member.
# Module functions and one module table, as the stdlib's unmarshaller has:
# the watcher reads thousands of operations a cycle.


def _read_value(value: etree._Element, zone: dt.tzinfo) -> Any:
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
    return read(typed, zone)


def _read_nil(element: etree._Element, _zone: dt.tzinfo) -> None:
    _leaf_text(element)


def _read_boolean(element: etree._Element, _zone: dt.tzinfo) -> bool:
    text = _leaf_text(element)
    if text not in ("0", "1"):
        raise _NotPlain
    return text == "1"


def _read_int(element: etree._Element, _zone: dt.tzinfo) -> int | Unreadable:
    text = _leaf_text(element)
    # _int_or_unreadable, inlined for the common case: ids, etas, counts.
    if len(text) <= _LONGEST_INT:
        try:
            return int(text)
        except ValueError:
            pass
    return _int_or_unreadable(text)


def _read_double(element: etree._Element, _zone: dt.tzinfo) -> float:
    return float(_leaf_text(element))


def _read_date(element: etree._Element, zone: dt.tzinfo) -> dt.datetime | Unreadable:
    return _date_or_unreadable(_leaf_text(element), zone)


def _read_struct(struct: etree._Element, zone: dt.tzinfo) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for member in struct[:]:
        if member.tag != "member" or len(member) != 2:
            raise _NotPlain
        name = member[0]
        if name.tag != "name":
            raise _NotPlain
        members[_leaf_text(name)] = _read_value(member[1], zone)
    return members


def _read_array(array: etree._Element, zone: dt.tzinfo, items: int | None = None) -> list[Any]:
    """The array's values; its first ``items`` only, when given."""
    data = _only_child(array, "data")
    return [_read_value(value, zone) for value in data[:items]]


# Partial reading ------------------------------------------------------------
#
# The watcher reads a hundred operations an answer and compares four of their
# members with what it knows; the others (params, infos, texts) matter only
# for an operation that changed. Reading every value of every struct was most
# of a check's cost, so a struct may be read in two times: the members asked
# for now, the whole later, from the same parsed tree. The document is parsed
# (and so checked: well-formed, no DTD, within lxml's limits) in full either way.


@dataclass(frozen=True, eq=False)
class PartialStruct:
    """A struct of an array reply of which only ``members`` are read yet.

    ``members`` hold what :func:`decode_response` would have read for them;
    :meth:`whole` reads every member, as :func:`decode_response` would have.
    """

    members: Mapping[str, Any]
    _value: etree._Element = field(repr=False)
    _zone: dt.tzinfo = field(repr=False)

    def whole(self) -> dict[str, Any]:
        """Every member; ProtocolError if one of them is not XML-RPC."""
        try:
            value = _read_value(self._value, self._zone)
        except _PLAIN_MISSES:
            # A value the plain reader does not know: the careful path reads
            # the struct on its own, as it would have read it in the reply.
            value = _decode_carefully(_response_of(self._value), self._zone)
        if not isinstance(value, dict):
            raise ProtocolError("reply is not well-formed XML-RPC")
        return value


def _read_partially(value: etree._Element, zone: dt.tzinfo, names: frozenset[str]) -> Any:
    """An array's value: a struct as a PartialStruct, anything else read whole."""
    if value.tag != "value" or len(value) != 1 or value[0].tag != "struct":
        return _read_value(value, zone)
    members: dict[str, Any] = {}
    for member in value[0][:]:
        if member.tag != "member" or len(member) != 2 or member[0].tag != "name":
            raise _NotPlain
        name = _leaf_text(member[0])
        if name in names:
            members[name] = _read_value(member[1], zone)  # the last one wins, as in a dict
    return PartialStruct(members, value, zone)


def _response_of(value: etree._Element) -> bytes:
    """A methodResponse holding ``value`` alone (UTF-8, as lxml writes it)."""
    return (
        b"<?xml version='1.0'?><methodResponse><params><param>"
        + etree.tostring(value, encoding="utf-8", xml_declaration=False, with_tail=False)
        + b"</param></params></methodResponse>"
    )


# The unmarshaller's own table, less base64 and bigdecimal (the service sends
# neither; the careful path reads them). Keyed by object: lxml's stubs type a
# tag as str, bytes or QName.
_READERS: Final[Mapping[object, Callable[[etree._Element, dt.tzinfo], Any]]] = {
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
# layout it does not know, a double float() refuses) goes to the careful
# path, which raises the error the caller is used to.
_PLAIN_MISSES: Final = (_NotPlain, etree.LxmlError, ValueError, ArithmeticError)


# Encoding -------------------------------------------------------------------


def _to_wire(value: Any, zone: dt.tzinfo) -> Any:
    """Datetimes go on the API's clock, without a zone, as the wire format has none."""
    if isinstance(value, dt.datetime):
        return xmlrpc.client.DateTime(to_api_clock(value, zone))
    if isinstance(value, Mapping):
        return {str(key): _to_wire(item, zone) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_to_wire(item, zone) for item in value]
    return value


def encode_call(method: str, params: tuple[Any, ...], *, zone: dt.tzinfo) -> bytes:
    """A methodCall; ``zone``: the API's clock, in which datetimes are written.

    The watcher sends an ``operation.list`` of a hundred ids per batch, and
    the standard marshaller spent more time writing it than the client spent
    reading a reply in which nothing changed: plain values (text, whole
    numbers, lists, structs, nil) are written here directly, byte for byte
    as the standard marshaller writes them; anything else (dates, floats,
    subclasses) is left to it.
    """
    try:
        return _written_call(method, params)
    except _NotPlain:
        return _marshalled_call(method, params, zone)


def _marshalled_call(method: str, params: tuple[Any, ...], zone: dt.tzinfo) -> bytes:
    """A methodCall written by the standard marshaller: the reference for _written_call."""
    wire = tuple(_to_wire(param, zone) for param in params)
    return xmlrpc.client.dumps(wire, method, allow_none=True, encoding="utf-8").encode()


def _written_call(method: str, params: tuple[Any, ...]) -> bytes:
    """A methodCall of plain values, as _marshalled_call writes it; _NotPlain otherwise."""
    parts = ["<?xml version='1.0'?>\n<methodCall>\n<methodName>", method, "</methodName>\n"]
    parts.append("<params>\n")
    for param in params:
        parts.append("<param>\n")
        _write_plain(param, parts, _WRITTEN_DEPTH)
        parts.append("</param>\n")
    parts.append("</params>\n</methodCall>\n")
    return "".join(parts).encode()


# Deeper values (no call of opsbot's holds one) are left to the standard
# marshaller, which also refuses recursive ones.
_WRITTEN_DEPTH: Final = 16
_INT_RANGE: Final = range(xmlrpc.client.MININT, xmlrpc.client.MAXINT + 1)
_INTS: Final = frozenset({int})
_FALSE: Final = "<value><boolean>0</boolean></value>\n"
_TRUE: Final = "<value><boolean>1</boolean></value>\n"


def _write_plain(value: Any, parts: list[str], depth: int) -> None:
    # Exact types only: a subclass (an enum of str, a Mapping that is not a
    # dict) is written as the standard marshaller, after _to_wire, writes it.
    kind = type(value)
    if kind is str:
        parts += ("<value><string>", xmlrpc.client.escape(value), "</string></value>\n")
    elif kind is int and value in _INT_RANGE:
        parts += ("<value><int>", str(value), "</int></value>\n")
    elif kind is list and depth and set(map(type, value)) <= _INTS:
        _write_ids(value, parts)
    elif (kind is list or kind is tuple) and depth:
        parts.append("<value><array><data>\n")
        for item in value:
            _write_plain(item, parts, depth - 1)
        parts.append("</data></array></value>\n")
    elif kind is dict and depth:
        _write_struct(value, parts, depth)
    elif value is None:
        parts.append("<value><nil/></value>")
    elif kind is bool:
        parts.append(_TRUE if value else _FALSE)
    else:
        raise _NotPlain


def _write_ids(numbers: list[int], parts: list[str]) -> None:
    """A list of whole numbers (the watcher's hundred ids) in one go, not one call each."""
    if numbers and (min(numbers) not in _INT_RANGE or max(numbers) not in _INT_RANGE):
        raise _NotPlain  # the standard marshaller raises its OverflowError
    parts.append("<value><array><data>\n")
    parts += [f"<value><int>{number}</int></value>\n" for number in numbers]
    parts.append("</data></array></value>\n")


def _write_struct(struct: dict[Any, Any], parts: list[str], depth: int) -> None:
    parts.append("<value><struct>\n")
    for name, item in struct.items():
        if type(name) is not str:
            raise _NotPlain  # _to_wire makes it text first
        parts += ("<member>\n<name>", xmlrpc.client.escape(name), "</name>\n")
        _write_plain(item, parts, depth - 1)
        parts.append("</member>\n")
    parts.append("</struct></value>\n")


def encode_response(value: Any, *, zone: dt.tzinfo) -> bytes:
    """A methodResponse (used by the simulator and by tests' servers)."""
    return xmlrpc.client.dumps(
        (_to_wire(value, zone),), methodresponse=True, allow_none=True, encoding="utf-8"
    ).encode()


def encode_fault(code: int, message: str) -> bytes:
    return xmlrpc.client.dumps(
        xmlrpc.client.Fault(code, message), allow_none=True, encoding="utf-8"
    ).encode()
