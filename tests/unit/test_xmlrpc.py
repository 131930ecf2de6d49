"""The XML-RPC codec: what the live service sends, and what a hostile server could."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsbot.api import xmlrpc
from opsbot.api.errors import ProtocolError

RESPONSE = (
    "<?xml version='1.0'?><methodResponse><params><param><value>{}</value></param></params>"
    "</methodResponse>"
)


def reply(value_xml: str) -> bytes:
    return RESPONSE.format(value_xml).encode()


def test_nil_is_none() -> None:
    assert xmlrpc.decode_response(reply("<nil/>")) is None


def test_namespaced_nil_is_none() -> None:
    body = reply("<ex:nil/>").replace(
        b"<methodResponse>",
        b"<methodResponse xmlns:ex='http://ws.apache.org/xmlrpc/namespaces/extensions'>",
    )
    assert xmlrpc.decode_response(body) is None


@pytest.mark.parametrize("value_xml", ["<string></string>", "<string/>", ""])
def test_empty_strings(value_xml: str) -> None:
    assert xmlrpc.decode_response(reply(value_xml)) == ""


def test_struct_with_nil_and_empty_fields() -> None:
    body = reply(
        "<struct>"
        "<member><name>id</name><value><int>100100</int></value></member>"
        "<member><name>date_start</name><value><nil/></value></member>"
        "<member><name>last_error</name><value><string></string></value></member>"
        "<member><name>eta</name><value><int>-1863666</int></value></member>"
        "</struct>"
    )
    assert xmlrpc.decode_response(body) == {
        "id": 100100,
        "date_start": None,
        "last_error": "",
        "eta": -1863666,
    }


@pytest.mark.parametrize(
    "wire", ["20110324T15:49:50", "2011-03-24T15:49:50", "20110324T154950", " 20110324T15:49:50 "]
)
def test_dates_without_zone_are_utc(wire: str) -> None:
    decoded = xmlrpc.decode_response(reply(f"<dateTime.iso8601>{wire}</dateTime.iso8601>"))
    assert decoded == dt.datetime(2011, 3, 24, 15, 49, 50, tzinfo=dt.UTC)
    assert decoded.utcoffset() == dt.timedelta(0)


def test_dates_with_zone_are_converted_to_utc() -> None:
    decoded = xmlrpc.decode_response(
        reply("<dateTime.iso8601>2011-03-24T17:49:50+02:00</dateTime.iso8601>")
    )
    assert decoded == dt.datetime(2011, 3, 24, 15, 49, 50, tzinfo=dt.UTC)
    assert decoded.tzinfo is dt.UTC


@pytest.mark.parametrize(
    "wire",
    [
        "yesterday",
        "20111324T15:49:50",
        "20110230T00:00:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
    ],
)
def test_unreadable_date_is_a_protocol_error(wire: str) -> None:
    with pytest.raises(ProtocolError, match="unreadable date"):
        xmlrpc.decode_response(reply(f"<dateTime.iso8601>{wire}</dateTime.iso8601>"))


def wire_dates(body: bytes) -> list[str]:
    return re.findall(r"<dateTime.iso8601>([^<]*)</dateTime.iso8601>", body.decode())


def test_aware_datetimes_go_on_the_wire_as_utc() -> None:
    paris_summer = dt.timezone(dt.timedelta(hours=2))
    moment = dt.datetime(2026, 7, 1, 14, 30, 0, tzinfo=paris_summer)
    body = xmlrpc.encode_call("operation.list", ("key", {">date_created": moment}))
    assert wire_dates(body) == ["20260701T12:30:00"]
    _, params = xmlrpc.decode_call(body)
    assert params[1][">date_created"] == moment


def test_naive_datetimes_are_taken_as_utc() -> None:
    body = xmlrpc.encode_call("operation.list", ("key", [dt.datetime(2026, 7, 1, 14, 30)]))
    assert wire_dates(body) == ["20260701T14:30:00"]


def test_none_is_encoded_as_nil() -> None:
    body = xmlrpc.encode_response({"errortype": None})
    assert b"<nil/>" in body
    assert xmlrpc.decode_response(body) == {"errortype": None}


def test_call_round_trip() -> None:
    body = xmlrpc.encode_call("operation.relaunch", ("k" * 24, 42, {"authinfo": "s3cr&t<"}))
    assert xmlrpc.decode_call(body) == (
        "operation.relaunch",
        ("k" * 24, 42, {"authinfo": "s3cr&t<"}),
    )


def test_fault_keeps_code_and_message() -> None:
    message = "Error on object : OBJECT_ACCOUNT (CAUSE_NORIGHT) [Invalid API key]"
    with pytest.raises(xmlrpc.Fault) as caught:
        xmlrpc.decode_response(xmlrpc.encode_fault(510150, message))
    assert (caught.value.code, caught.value.message) == (510150, message)


def fault_body(members_xml: str) -> bytes:
    return (
        "<?xml version='1.0'?><methodResponse><fault><value><struct>"
        f"{members_xml}</struct></value></fault></methodResponse>"
    ).encode()


def test_fault_code_that_is_not_a_number_becomes_zero() -> None:
    body = fault_body(
        "<member><name>faultCode</name><value><string>oops</string></value></member>"
        "<member><name>faultString</name><value><string>broken</string></value></member>"
    )
    with pytest.raises(xmlrpc.Fault) as caught:
        xmlrpc.decode_response(body)
    assert (caught.value.code, caught.value.message) == (0, "broken")


@pytest.mark.parametrize(
    "body",
    [
        fault_body(
            "<member><name>faultString</name><value><string>no code</string></value></member>"
        ),
        b"<?xml version='1.0'?><methodResponse><fault><value><string>x</string></value></fault>"
        b"</methodResponse>",
    ],
    ids=["fault-without-code", "fault-not-a-struct"],
)
def test_malformed_faults_are_protocol_errors(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        xmlrpc.decode_response(body)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<methodResponse><params><param><value><string>&lol9;</string></value></param></params>
</methodResponse>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY passwd SYSTEM "file:///etc/passwd">]>
<methodResponse><params><param><value><string>&passwd;</string></value></param></params>
</methodResponse>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<methodResponse><params><param><value><int>1</int></value></param></params></methodResponse>"""

DOCTYPE_ONLY = b"""<?xml version="1.0"?>
<!DOCTYPE methodResponse>
<methodResponse><params><param><value><int>1</int></value></param></params></methodResponse>"""


@pytest.mark.parametrize(
    "body",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY, DOCTYPE_ONLY],
    ids=["billion-laughs", "external-entity", "parameter-entity", "doctype"],
)
def test_documents_with_a_doctype_are_refused(body: bytes) -> None:
    with pytest.raises(ProtocolError, match="DTDForbidden"):
        xmlrpc.decode_response(body)


def test_undeclared_entity_is_refused() -> None:
    with pytest.raises(ProtocolError):
        xmlrpc.decode_response(reply("<string>&passwd;</string>"))


def padded_reply(total_bytes: int) -> bytes:
    empty = reply("<string></string>")
    return reply("<string>" + "x" * (total_bytes - len(empty)) + "</string>")


def test_reply_at_the_size_limit_is_read() -> None:
    body = padded_reply(xmlrpc.MAX_REPLY_BYTES)
    assert len(body) == xmlrpc.MAX_REPLY_BYTES
    assert len(xmlrpc.decode_response(body)) == xmlrpc.MAX_REPLY_BYTES - len(
        reply("<string></string>")
    )


def test_reply_over_the_size_limit_is_refused() -> None:
    with pytest.raises(ProtocolError, match="larger than"):
        xmlrpc.decode_response(padded_reply(xmlrpc.MAX_REPLY_BYTES + 1))


GARBAGE = {
    "empty": b"",
    "text": b"Service Unavailable",
    "json": b'{"error": "busy"}',
    "html": b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
    "html-doctype": b"<!DOCTYPE html><html><body>502</body></html>",
    "truncated": reply("<struct><member><name>id</name><value><int>1</int>")[:-60],
    "cut-mid-tag": reply("<int>1</int>")[:40],
    "two-values": RESPONSE.format(
        "<int>1</int></value></param><param><value><int>2</int>"
    ).encode(),
    "no-value": b"<?xml version='1.0'?><methodResponse><params></params></methodResponse>",
    "a-call": xmlrpc.encode_call("operation.list", ("key",)),
    "bad-int": reply("<int>twelve</int>"),
    "bad-boolean": reply("<boolean>7</boolean>"),
    "bad-double": reply("<double>abc</double>"),
    "member-without-value": reply("<struct><member><name>a</name></member></struct>"),
    "member-without-name": reply("<struct><member><value><int>1</int></value></member></struct>"),
    "int-too-long": reply("<int>" + "9" * 5000 + "</int>"),
    "unknown-type": reply("<vector>1</vector>"),
    "bad-bigdecimal": reply("<bigdecimal>one</bigdecimal>"),
    "latin1-declared-utf8": reply("<string>\xe9t\xe9</string>").replace(
        "été".encode(), "été".encode("latin-1")
    ),
}


@pytest.mark.parametrize("body", GARBAGE.values(), ids=GARBAGE.keys())
def test_garbage_is_a_protocol_error(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        xmlrpc.decode_response(body)


def test_a_reply_is_not_a_call() -> None:
    with pytest.raises(ProtocolError):
        xmlrpc.decode_call(xmlrpc.encode_response(1))
    with pytest.raises(ProtocolError):
        xmlrpc.decode_call(xmlrpc.encode_fault(1, "x"))


# Values the API can send: XML-RPC has 32-bit ints, and XML 1.0 cannot carry
# control characters or lone surrogates (and parsers turn \r into \n).
xml_text = st.text(st.characters(exclude_categories=("Cc", "Cs", "Cn")), max_size=30)
api_dates = st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2100, 1, 1)).map(
    lambda moment: moment.replace(microsecond=0, tzinfo=dt.UTC)
)
api_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**31), max_value=2**31 - 1)
    | xml_text
    | api_dates,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(xml_text, children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(api_values)
def test_every_api_value_survives_the_round_trip(value: Any) -> None:
    assert xmlrpc.decode_response(xmlrpc.encode_response(value)) == value


def test_a_reply_cut_anywhere_is_a_protocol_error() -> None:
    operation = {"id": 1, "step": "ERROR", "params": {"domain": "example.es"}}
    whole = xmlrpc.encode_response(operation).rstrip()
    assert xmlrpc.decode_response(whole) == operation
    for length in range(len(whole)):
        with pytest.raises(ProtocolError):
            xmlrpc.decode_response(whole[:length])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_are_a_protocol_error(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        xmlrpc.decode_response(body)
