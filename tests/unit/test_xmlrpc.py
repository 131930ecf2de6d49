"""The XML-RPC codec: what the live service sends, and what a hostile server could."""

from __future__ import annotations

import datetime as dt
import re
import xmlrpc.client as xmlrpc_client
from typing import Any
from zoneinfo import ZoneInfo

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
    assert xmlrpc.decode_response(reply("<nil/>"), zone=dt.UTC) is None


def test_namespaced_nil_is_none() -> None:
    body = reply("<ex:nil/>").replace(
        b"<methodResponse>",
        b"<methodResponse xmlns:ex='http://ws.apache.org/xmlrpc/namespaces/extensions'>",
    )
    assert xmlrpc.decode_response(body, zone=dt.UTC) is None


@pytest.mark.parametrize("value_xml", ["<string></string>", "<string/>", ""])
def test_empty_strings(value_xml: str) -> None:
    assert xmlrpc.decode_response(reply(value_xml), zone=dt.UTC) == ""


def test_struct_with_nil_and_empty_fields() -> None:
    body = reply(
        "<struct>"
        "<member><name>id</name><value><int>100100</int></value></member>"
        "<member><name>date_start</name><value><nil/></value></member>"
        "<member><name>last_error</name><value><string></string></value></member>"
        "<member><name>eta</name><value><int>-1863666</int></value></member>"
        "</struct>"
    )
    assert xmlrpc.decode_response(body, zone=dt.UTC) == {
        "id": 100100,
        "date_start": None,
        "last_error": "",
        "eta": -1863666,
    }


PARIS = ZoneInfo("Europe/Paris")


def decoded_date(wire: str, zone: dt.tzinfo = PARIS) -> Any:
    return xmlrpc.decode_response(reply(f"<dateTime.iso8601>{wire}</dateTime.iso8601>"), zone=zone)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "wire", ["20110324T15:49:50", "2011-03-24T15:49:50", "20110324T154950", " 20110324T15:49:50 "]
)
def test_dates_without_zone_are_read_in_the_zone_given(wire: str) -> None:
    assert decoded_date(wire, dt.UTC) == utc(2011, 3, 24, 15, 49, 50)
    # Paris in March 2011, before the change to summer time: UTC+1.
    decoded = decoded_date(wire, PARIS)
    assert decoded == utc(2011, 3, 24, 14, 49, 50)
    assert decoded.tzinfo is dt.UTC


def test_the_public_example_reads_as_paris_summer_time() -> None:
    # api-facts.md: date_created 20140717T12:10:36 against the registry's UTC 10:10:36.
    assert decoded_date("20140717T12:10:36") == utc(2014, 7, 17, 10, 10, 36)


def test_dates_with_zone_are_converted_to_utc_whatever_the_api_zone() -> None:
    decoded = decoded_date("2011-03-24T17:49:50+02:00", PARIS)
    assert decoded == utc(2011, 3, 24, 15, 49, 50)
    assert decoded.tzinfo is dt.UTC


# Paris changes clocks on the last Sunday of March (02:00 CET → 03:00 CEST)
# and of October (03:00 CEST → 02:00 CET): in 2026 on March 29 and October 25.
DAYLIGHT_SAVING_DATES = [
    # Spring: the last second of winter time, and the first of summer time.
    ("20260329T01:59:59", utc(2026, 3, 29, 0, 59, 59)),
    ("20260329T03:00:00", utc(2026, 3, 29, 1, 0, 0)),
    # 02:30 does not exist that night: read with the winter offset, that is
    # moved forward by the hour skipped (03:30 summer time).
    ("20260329T02:30:00", utc(2026, 3, 29, 1, 30, 0)),
    # Autumn: before the repeated hour, in it (its first occurrence: fold=0,
    # still summer time), and after it.
    ("20261025T01:59:59", utc(2026, 10, 24, 23, 59, 59)),
    ("20261025T02:00:00", utc(2026, 10, 25, 0, 0, 0)),
    ("20261025T02:30:00", utc(2026, 10, 25, 0, 30, 0)),
    ("20261025T02:59:59", utc(2026, 10, 25, 0, 59, 59)),
    ("20261025T03:00:00", utc(2026, 10, 25, 2, 0, 0)),
    # A day on each side of each change.
    ("20260328T12:00:00", utc(2026, 3, 28, 11, 0, 0)),
    ("20260330T12:00:00", utc(2026, 3, 30, 10, 0, 0)),
    ("20261024T12:00:00", utc(2026, 10, 24, 10, 0, 0)),
    ("20261026T12:00:00", utc(2026, 10, 26, 11, 0, 0)),
]


@pytest.mark.parametrize(("wire", "expected"), DAYLIGHT_SAVING_DATES)
def test_paris_dates_across_daylight_saving_changes(wire: str, expected: dt.datetime) -> None:
    assert decoded_date(wire) == expected
    # The plain path and the careful path read them alike.
    body = reply(f"<dateTime.iso8601>{wire}</dateTime.iso8601>")
    assert xmlrpc._decode_carefully(body, zone=PARIS) == expected


def hours(start: dt.datetime, count: int) -> list[dt.datetime]:
    return [start + dt.timedelta(minutes=30 * n) for n in range(count * 2)]


@pytest.mark.parametrize(
    "moment",
    hours(utc(2026, 3, 28, 20), 12) + hours(utc(2026, 10, 24, 20), 12),
    ids=lambda moment: moment.strftime("%m-%dT%H:%MZ"),
)
def test_a_date_written_on_the_api_clock_reads_back(moment: dt.datetime) -> None:
    wire = wire_dates(xmlrpc.encode_response(moment, zone=PARIS))[0]
    read = decoded_date(wire)
    if utc(2026, 10, 25, 1) <= moment < utc(2026, 10, 25, 2):
        # The second pass of the repeated hour is written as the first one
        # is (the wire has no zone), and read as the first one.
        assert read == moment - dt.timedelta(hours=1)
    else:
        assert read == moment


@pytest.mark.parametrize(
    ("moment", "wire"),
    [
        (utc(2026, 3, 29, 0, 59, 59), "20260329T01:59:59"),
        (utc(2026, 3, 29, 1, 0, 0), "20260329T03:00:00"),
        (utc(2026, 10, 25, 0, 30, 0), "20261025T02:30:00"),
        (utc(2026, 10, 25, 1, 30, 0), "20261025T02:30:00"),
        (utc(2026, 10, 25, 2, 0, 0), "20261025T03:00:00"),
        (utc(2026, 7, 1, 12, 30, 0), "20260701T14:30:00"),
        (utc(2026, 1, 1, 12, 30, 0), "20260101T13:30:00"),
    ],
)
def test_aware_datetimes_go_on_the_wire_on_the_api_clock(moment: dt.datetime, wire: str) -> None:
    body = xmlrpc.encode_call("operation.list", ("key", {">date_created": moment}), zone=PARIS)
    assert wire_dates(body) == [wire]


@pytest.mark.parametrize(
    "wire",
    [
        "yesterday",
        "20111324T15:49:50",
        "20110230T00:00:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        # Zone-less, and out of range once read on Paris time (then its local
        # mean time, 9 min 21 s ahead of UTC).
        "00010101T00:05:00",
    ],
)
def test_an_unreadable_date_is_kept_as_unreadable(wire: str) -> None:
    # Not an error for the whole reply: the operation holding it is unreadable
    # (opsbot.api.operation), the others of the same list are not.
    assert decoded_date(wire) == xmlrpc.Unreadable("date", wire)
    body = reply(f"<dateTime.iso8601>{wire}</dateTime.iso8601>")
    assert xmlrpc._decode_carefully(body, zone=PARIS) == xmlrpc.Unreadable("date", wire)


@pytest.mark.parametrize("text", ["9" * 33, "9" * 3000, "9" * 5000, "-" + "1" * 40, "twelve"])
@pytest.mark.parametrize("tag", ["int", "i4", "i8", "biginteger"])
def test_an_unreadable_int_is_kept_as_unreadable(tag: str, text: str) -> None:
    body = reply(f"<{tag}>{text}</{tag}>")
    expected = xmlrpc.Unreadable("int", text[:40])
    assert xmlrpc.decode_response(body, zone=dt.UTC) == expected
    assert xmlrpc._decode_carefully(body, zone=dt.UTC) == expected


def test_an_unreadable_value_spoils_its_item_only() -> None:
    items = (
        "<array><data>"
        "<value><struct><member><name>id</name><value><int>1</int></value></member></struct></value>"
        f"<value><struct><member><name>id</name><value><int>{'9' * 3000}</int></value></member>"
        "</struct></value>"
        "</data></array>"
    )
    assert xmlrpc.decode_response(reply(items), zone=dt.UTC) == [
        {"id": 1},
        {"id": xmlrpc.Unreadable("int", "9" * 40)},
    ]


def test_a_fault_code_that_cannot_be_read_is_zero() -> None:
    body = xmlrpc.encode_fault(1, "x").replace(b"<int>1</int>", b"<int>" + b"7" * 3000 + b"</int>")
    with pytest.raises(xmlrpc.Fault) as caught:
        xmlrpc.decode_response(body, zone=dt.UTC)
    assert caught.value.code == 0


def wire_dates(body: bytes) -> list[str]:
    return re.findall(r"<dateTime.iso8601>([^<]*)</dateTime.iso8601>", body.decode())


def test_naive_datetimes_are_taken_as_utc() -> None:
    body = xmlrpc.encode_call(
        "operation.list", ("key", [dt.datetime(2026, 7, 1, 14, 30)]), zone=dt.UTC
    )
    assert wire_dates(body) == ["20260701T14:30:00"]
    body = xmlrpc.encode_call(
        "operation.list", ("key", [dt.datetime(2026, 7, 1, 14, 30)]), zone=PARIS
    )
    assert wire_dates(body) == ["20260701T16:30:00"]


def test_a_call_is_read_on_the_api_clock() -> None:
    moment = utc(2026, 7, 1, 12, 30)
    body = xmlrpc.encode_call("operation.list", ("key", {">date_created": moment}), zone=PARIS)
    _, params = xmlrpc.decode_call(body, zone=PARIS)
    assert params[1][">date_created"] == moment


def test_none_is_encoded_as_nil() -> None:
    body = xmlrpc.encode_response({"errortype": None}, zone=dt.UTC)
    assert b"<nil/>" in body
    assert xmlrpc.decode_response(body, zone=dt.UTC) == {"errortype": None}


def test_call_round_trip() -> None:
    body = xmlrpc.encode_call(
        "operation.relaunch", ("k" * 24, 42, {"authinfo": "s3cr&t<"}), zone=dt.UTC
    )
    assert xmlrpc.decode_call(body, zone=dt.UTC) == (
        "operation.relaunch",
        ("k" * 24, 42, {"authinfo": "s3cr&t<"}),
    )


def test_fault_keeps_code_and_message() -> None:
    message = "Error on object : OBJECT_ACCOUNT (CAUSE_NORIGHT) [Invalid API key]"
    with pytest.raises(xmlrpc.Fault) as caught:
        xmlrpc.decode_response(xmlrpc.encode_fault(510150, message), zone=dt.UTC)
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
        xmlrpc.decode_response(body, zone=dt.UTC)
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
        xmlrpc.decode_response(body, zone=dt.UTC)


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
        xmlrpc.decode_response(body, zone=dt.UTC)


def test_undeclared_entity_is_refused() -> None:
    with pytest.raises(ProtocolError):
        xmlrpc.decode_response(reply("<string>&passwd;</string>"), zone=dt.UTC)


def padded_reply(total_bytes: int) -> bytes:
    empty = reply("<string></string>")
    return reply("<string>" + "x" * (total_bytes - len(empty)) + "</string>")


def test_reply_at_the_size_limit_is_read() -> None:
    body = padded_reply(xmlrpc.MAX_REPLY_BYTES)
    assert len(body) == xmlrpc.MAX_REPLY_BYTES
    assert len(xmlrpc.decode_response(body, zone=dt.UTC)) == xmlrpc.MAX_REPLY_BYTES - len(
        reply("<string></string>")
    )


def test_reply_over_the_size_limit_is_refused() -> None:
    with pytest.raises(ProtocolError, match="larger than"):
        xmlrpc.decode_response(padded_reply(xmlrpc.MAX_REPLY_BYTES + 1), zone=dt.UTC)


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
    "a-call": xmlrpc.encode_call("operation.list", ("key",), zone=dt.UTC),
    "bad-boolean": reply("<boolean>7</boolean>"),
    "bad-double": reply("<double>abc</double>"),
    "member-without-value": reply("<struct><member><name>a</name></member></struct>"),
    "member-without-name": reply("<struct><member><value><int>1</int></value></member></struct>"),
    "unknown-type": reply("<vector>1</vector>"),
    "bad-bigdecimal": reply("<bigdecimal>one</bigdecimal>"),
    "latin1-declared-utf8": reply("<string>\xe9t\xe9</string>").replace(
        "été".encode(), "été".encode("latin-1")
    ),
}


@pytest.mark.parametrize("body", GARBAGE.values(), ids=GARBAGE.keys())
def test_garbage_is_a_protocol_error(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        xmlrpc.decode_response(body, zone=dt.UTC)


def test_a_reply_is_not_a_call() -> None:
    with pytest.raises(ProtocolError):
        xmlrpc.decode_call(xmlrpc.encode_response(1, zone=dt.UTC), zone=dt.UTC)
    with pytest.raises(ProtocolError):
        xmlrpc.decode_call(xmlrpc.encode_fault(1, "x"), zone=dt.UTC)


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
    assert xmlrpc.decode_response(xmlrpc.encode_response(value, zone=dt.UTC), zone=dt.UTC) == value


def test_a_reply_cut_anywhere_is_a_protocol_error() -> None:
    operation = {"id": 1, "step": "ERROR", "params": {"domain": "example.es"}}
    whole = xmlrpc.encode_response(operation, zone=dt.UTC).rstrip()
    assert xmlrpc.decode_response(whole, zone=dt.UTC) == operation
    for length in range(len(whole)):
        with pytest.raises(ProtocolError):
            xmlrpc.decode_response(whole[:length], zone=dt.UTC)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_are_a_protocol_error(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        xmlrpc.decode_response(body, zone=dt.UTC)


# Two readers: the plain path (lxml) for what servers send, the careful path
# (defusedxml's expat and the standard unmarshaller) for everything else, and
# the reference for both. The plain path must never return anything else
# than the careful path would.


def operation_reply(count: int) -> bytes:
    operation = {
        "date_created": dt.datetime(2015, 9, 15, 18, 29, 16, tzinfo=dt.UTC),
        "date_start": None,
        "errortype": None,
        "eta": -1863666,
        "id": 100100,
        "infos": {"extras": {}, "id": "", "label": "iheartcli.com", "quantity": ""},
        "last_error": "a <b> & 'c'\nd  ",
        "params": {"auth_id": 99999999, "domain": "iheartcli.com", "ratio": 0.5, "ok": True},
        "step": "BILL",
    }
    return xmlrpc.encode_response(
        [dict(operation, id=100100 + n) for n in range(count)], zone=dt.UTC
    )


def test_plain_replies_never_take_the_careful_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def careful(_body: bytes) -> Any:
        raise AssertionError("the careful path read a plain reply")

    body = operation_reply(3)
    expected = xmlrpc.decode_response(body, zone=dt.UTC)
    monkeypatch.setattr(xmlrpc, "_decode_carefully", careful)
    assert xmlrpc.decode_response(body, zone=dt.UTC) == expected
    assert expected[2]["last_error"] == "a <b> & 'c'\nd  "


@pytest.mark.parametrize(
    "body",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY, DOCTYPE_ONLY, GARBAGE["html-doctype"]],
    ids=["billion-laughs", "external-entity", "parameter-entity", "doctype", "html-doctype"],
)
def test_documents_with_a_doctype_never_reach_lxml(body: bytes) -> None:
    assert xmlrpc._plain_markup_start(body) is None


def test_a_doctype_in_another_encoding_is_refused_too() -> None:
    utf16 = BILLION_LAUGHS.decode().replace('"1.0"?>', '"1.0" encoding="utf-16"?>').encode("utf-16")
    assert xmlrpc._plain_markup_start(utf16) is None
    with pytest.raises(ProtocolError, match="DTDForbidden"):
        xmlrpc.decode_response(utf16, zone=dt.UTC)


@pytest.mark.parametrize(
    "body",
    [
        reply("<string>x</string>").replace(b"<value>", b"<!-- c --><value>"),
        reply("<string><![CDATA[x]]></string>"),
        reply("<string>x</string>").replace(b"<value>", b"<?pi x?><value>"),
        reply("<string>x</string>").replace(b"<value>", b"<value kind='text'>"),
        b"\xef\xbb\xbf" + reply("<string>x</string>"),
        reply("<string>x</string>").replace(b"'1.0'?>", b"'1.0' encoding='iso-8859-1'?>"),
    ],
    ids=["comment", "cdata", "processing-instruction", "attribute", "utf8-bom", "latin-1"],
)
def test_unusual_but_valid_replies_read_as_before(body: bytes) -> None:
    assert xmlrpc.decode_response(body, zone=dt.UTC) == "x"
    assert xmlrpc._decode_carefully(body, zone=dt.UTC) == "x"


def test_a_latin1_reply_is_read_as_latin1() -> None:
    body = (
        reply("<string>\xe9t\xe9</string>")
        .replace("été".encode(), "été".encode("latin-1"))
        .replace(b"'1.0'?>", b"'1.0' encoding='iso-8859-1'?>")
    )
    assert xmlrpc.decode_response(body, zone=dt.UTC) == "été"


def nested_arrays(depth: int) -> bytes:
    return reply(
        "<array><data><value>" * depth + "<int>1</int>" + "</value></data></array>" * depth
    )


@pytest.mark.parametrize("depth", [10, 300, 20_000])
def test_deep_nesting_is_read_as_before_without_recursion(depth: int) -> None:
    # No depth limit today: lxml's own (256 elements) only sends the deepest
    # replies to the careful path, which does not recurse.
    value = xmlrpc.decode_response(nested_arrays(depth), zone=dt.UTC)
    for _ in range(depth):
        (value,) = value
    assert value == 1


def test_text_beyond_lxml_limit_is_read_by_the_careful_path() -> None:
    assert len(
        xmlrpc.decode_response(reply("<string>" + "y" * 10_000_001 + "</string>"), zone=dt.UTC)
    ) == (10_000_001)


def careful_outcome(body: bytes) -> tuple[str, Any]:
    try:
        return "value", xmlrpc._decode_carefully(body, zone=dt.UTC)
    except xmlrpc.Fault as fault:
        return "fault", (fault.code, fault.message)
    except ProtocolError as error:
        return "error", error.message


def plain_outcome(body: bytes) -> tuple[str, Any] | None:
    """What the plain path returns, or None when it hands the body over."""
    markup = xmlrpc._plain_markup_start(body)
    if markup is None:
        return None
    try:
        return "value", xmlrpc._read_plain_response(body, markup, dt.UTC)
    except xmlrpc._PLAIN_MISSES:
        return None


# Documents near XML-RPC, well-formed or nearly: the places where the two
# readers could disagree are what each makes of odd but readable layouts.
GOOD_TEXTS = ["", " ", "\n  ", "x", "0", "1", "-7", " 42 ", "1_0", "1.5", "inf", "é"]
GOOD_TEXTS += ["20110324T15:49:50", "2011-03-24T17:49:50+02:00", "&amp;", "a&lt;b", "&#10;"]
BAD_TEXTS = ["9" * 5000, "0001-01-01T00:00:00+01:00", "&#0;", "\r\n", "]]>", "&bogus;", "<"]
TEXTS = st.sampled_from(GOOD_TEXTS) | st.sampled_from(BAD_TEXTS)
PADS = st.sampled_from(["", "", "", "", " ", "\n", "junk", "<foo/>", "&#32;", "<!-- c -->"])
GOOD_LEAVES = ["string", "int", "i4", "i8", "nil", "boolean", "double", "dateTime.iso8601"]
BAD_LEAVES = ["base64", "bigdecimal", "foo", "ex:int", "name", "value", "member"]
LEAVES = st.sampled_from(GOOD_LEAVES) | st.sampled_from(BAD_LEAVES)
OPEN_VALUE = st.sampled_from(["<value>"] * 6 + ["<value a='1'>", "<value\n>", "<?pi?><value>"])
KINDS = st.sampled_from(["leaf"] * 4 + ["empty", "bare", "two"] + ["struct", "array"] * 2)


@st.composite
def xmlrpc_like(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(KINDS)
    if depth > 2 and kind in ("struct", "array"):
        kind = "leaf"
    text, tag = draw(TEXTS), draw(LEAVES)
    if kind == "leaf":
        inner = f"{draw(PADS)}<{tag}>{text}</{tag}>{draw(PADS)}"
    elif kind == "empty":
        inner = f"<{tag}/>"
    elif kind == "bare":
        inner = text
    elif kind == "two":
        inner = f"<{tag}>{text}</{tag}><int>1</int>"
    elif kind == "struct":
        members = draw(st.lists(member_like(depth + 1), max_size=3))
        inner = f"<struct>{draw(PADS)}{''.join(members)}</struct>"
    else:
        values = draw(st.lists(xmlrpc_like(depth + 1), max_size=3))
        inner = f"<array>{draw(PADS)}<data>{''.join(values)}</data>{draw(PADS)}</array>"
    return f"{draw(OPEN_VALUE)}{inner}</value>"


@st.composite
def member_like(draw: st.DrawFn, depth: int) -> str:
    name = f"<name>{draw(TEXTS)}</name>"
    value = draw(xmlrpc_like(depth))
    layouts = [[name, value]] * 4 + [[value, name], [name], [value], [name, value, value]]
    return f"<member>{draw(PADS)}{''.join(draw(st.sampled_from(layouts)))}</member>"


def response_around(value_xml: str, after_param: str) -> bytes:
    return (
        f"<?xml version='1.0'?><methodResponse><params><param>{value_xml}</param>{after_param}"
        "</params></methodResponse>"
    ).encode()


@settings(max_examples=600, deadline=None)
@given(xmlrpc_like(), st.sampled_from(["", "", " ", "<foo/>", "<param><value>2</value></param>"]))
def test_the_plain_path_agrees_with_the_careful_path(value_xml: str, after_param: str) -> None:
    body = response_around(value_xml, after_param)
    plain = plain_outcome(body)
    if plain is not None:
        assert plain == careful_outcome(body)


@settings(max_examples=200, deadline=None)
@given(api_values)
def test_the_plain_path_reads_every_api_value(value: Any) -> None:
    assert plain_outcome(xmlrpc.encode_response(value, zone=dt.UTC)) == ("value", value)


# Reading the first items of an array only (operation.list from an API that
# ignores items_per_page): the same as reading it all, then cutting.


@settings(max_examples=150, deadline=None)
@given(st.lists(api_values, max_size=6), st.integers(min_value=0, max_value=7))
def test_the_first_items_of_an_array_read_as_the_whole_array_cut(
    values: list[Any], items: int
) -> None:
    body = xmlrpc.encode_response(values, zone=dt.UTC)
    assert xmlrpc.decode_response(body, zone=dt.UTC, items=items) == values[:items]
    markup = xmlrpc._plain_markup_start(body)
    assert markup is not None
    assert xmlrpc._read_plain_response(body, markup, dt.UTC, items) == values[:items]


def test_the_careful_path_cuts_an_array_too() -> None:
    body = reply(
        "<!-- not plain --><array><data>" + "<value><int>1</int></value>" * 5 + "</data></array>"
    )
    assert xmlrpc._plain_markup_start(body) is None
    assert xmlrpc.decode_response(body, zone=dt.UTC, items=2) == [1, 1]


@pytest.mark.parametrize("value", [7, "text", {"a": [1, 2, 3]}, None])
def test_items_leave_a_reply_that_is_not_an_array_alone(value: Any) -> None:
    body = xmlrpc.encode_response(value, zone=dt.UTC)
    assert xmlrpc.decode_response(body, zone=dt.UTC, items=1) == value


def test_rows_past_the_first_items_are_not_read() -> None:
    # 40,000 rows for 20 asked: the rows past 21 are parsed as XML, never walked.
    rows = [{"id": 100100 + n, "type": "domain_renew", "step": "DONE"} for n in range(40_000)]
    body = xmlrpc.encode_response(rows, zone=dt.UTC)
    assert xmlrpc.decode_response(body, zone=dt.UTC, items=21) == rows[:21]


# Reading part of each struct of an array (the watcher's checks): the members
# named now, the whole on demand, each as the careful path reads them.

PARTLY = frozenset({"x", "1", "id"})


def partial_outcome(body: bytes) -> list[Any] | None:
    """The plain path's partial reading, each struct read whole; None when it hands over."""
    markup = xmlrpc._plain_markup_start(body)
    if markup is None:
        return None
    try:
        items = xmlrpc._read_plain_response(body, markup, dt.UTC, 10, PARTLY)
    except xmlrpc._PLAIN_MISSES:
        return None
    read = []
    for item in items:
        if not isinstance(item, xmlrpc.PartialStruct):
            read.append(item)
            continue
        whole = item.whole()
        assert item.members == {name: whole[name] for name in PARTLY if name in whole}
        read.append(whole)
    return read


@settings(max_examples=400, deadline=None)
@given(st.lists(xmlrpc_like(), max_size=4))
def test_a_partial_read_agrees_with_the_careful_path(values: list[str]) -> None:
    body = response_around(f"<value><array><data>{''.join(values)}</data></array></value>", "")
    careful = careful_outcome(body)
    if careful[0] != "value":
        return  # a reply the careful path refuses: no value to agree with
    try:
        partial = partial_outcome(body)
    except ProtocolError:
        partial = None  # a struct read whole on its own: refused, as in the reply
    if partial is not None:
        assert partial == careful[1][:10]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["x", "1", "id", "y", "z"]), api_values)))
def test_structs_read_partly_hold_the_same_values(structs: list[dict[str, Any]]) -> None:
    body = xmlrpc.encode_response(structs, zone=dt.UTC)
    items = xmlrpc.decode_response(body, zone=dt.UTC, items=len(structs), partial=PARTLY)
    assert [item.whole() for item in items] == structs
    assert [dict(item.members) for item in items] == [
        {name: struct[name] for name in PARTLY if name in struct} for struct in structs
    ]


def test_a_value_the_plain_reader_does_not_know_is_read_carefully_when_asked() -> None:
    body = reply(
        "<array><data><value><struct>"
        "<member><name>id</name><value><int>7</int></value></member>"
        "<member><name>blob</name><value><base64>aGk=</base64></value></member>"
        "</struct></value></data></array>"
    )
    [item] = xmlrpc.decode_response(body, zone=dt.UTC, items=1, partial=PARTLY)
    assert isinstance(item, xmlrpc.PartialStruct)
    assert item.members == {"id": 7}
    whole = item.whole()
    assert whole["id"] == 7
    assert bytes(whole["blob"].data) == b"hi"


def test_a_member_that_is_not_xmlrpc_is_a_protocol_error_once_read() -> None:
    body = reply(
        "<array><data><value><struct>"
        "<member><name>id</name><value><int>7</int></value></member>"
        "<member><name>odd</name><value><foo>1</foo></value></member>"
        "</struct></value></data></array>"
    )
    [item] = xmlrpc.decode_response(body, zone=dt.UTC, items=1, partial=PARTLY)
    assert item.members == {"id": 7}
    with pytest.raises(ProtocolError):
        item.whole()


# Writing calls --------------------------------------------------------------

call_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**31), max_value=2**31 - 1)
    | st.integers(min_value=2**31, max_value=2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | api_dates,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(st.integers(min_value=-(2**32), max_value=2**32), max_size=5)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=10) | st.integers(), children, max_size=4)
    ),
    max_leaves=20,
)


def marshalled_or_error(params: tuple[Any, ...]) -> bytes | type[Exception]:
    try:
        return xmlrpc._marshalled_call("operation.list", params, PARIS)
    except (OverflowError, TypeError) as error:
        return type(error)


@settings(max_examples=300, deadline=None)
@given(st.lists(call_values, max_size=3).map(tuple))
def test_a_call_is_written_byte_for_byte_as_the_standard_marshaller_writes_it(
    params: tuple[Any, ...],
) -> None:
    expected = marshalled_or_error(params)
    if isinstance(expected, bytes):
        assert xmlrpc.encode_call("operation.list", params, zone=PARIS) == expected
    else:
        with pytest.raises(expected):
            xmlrpc.encode_call("operation.list", params, zone=PARIS)


def test_the_watchers_call_is_written_without_the_standard_marshaller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = list(range(100_100, 100_200))
    params = ("k" * 24, {">date_updated": "2026-11-01 10:00:00", "id": ids, "items_per_page": 100})
    expected = xmlrpc._marshalled_call("operation.list", params, PARIS)

    def marshaller(*_args: object, **_kwargs: object) -> str:
        raise AssertionError("the standard marshaller wrote the watcher's call")

    monkeypatch.setattr(xmlrpc_client, "dumps", marshaller)
    assert xmlrpc.encode_call("operation.list", params, zone=PARIS) == expected
    assert xmlrpc.decode_call(expected, zone=PARIS) == ("operation.list", params)
