"""A check reads an operation's id, step, eta and date_updated, and the rest only when asked.

Whatever it reads, it reads as ``Operation.from_api`` does: the same values,
the same refusals, and the whole operation the same when it is asked for.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from opsbot.api import xmlrpc
from opsbot.api.glance import GLANCED, Glance, read_glances
from opsbot.api.list_reply import UnreadableItem, read_list
from opsbot.api.operation import Operation, UnreadableOperation


def operation(op_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": op_id,
        "type": "domain_renew",
        "step": "RUN",
        "eta": 600,
        "date_created": dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC),
        "date_updated": dt.datetime(2026, 11, 1, 12, 5, tzinfo=dt.UTC),
        "last_error": "x" * 5000,
        "params": {"domain": "example.com", "contacts": [{"handle": "AB12"}]},
        "infos": [{"label": "example.com"}],
        **fields,
    }


def glances_of(body: bytes, asked: int = 100) -> tuple[Glance | UnreadableItem, ...]:
    decoded = xmlrpc.decode_response(body, zone=dt.UTC, items=asked + 1, partial=GLANCED)
    reply = read_glances(decoded, method="operation.list", asked=asked)
    return reply.glances + reply.unreadable


def wire(body: str) -> bytes:
    """A reply the plain reader would not take (a comment): the careful path reads it."""
    return body.replace("<methodResponse>", "<methodResponse><!-- careful -->", 1).encode()


@pytest.mark.parametrize("careful", [False, True], ids=["plain", "careful"])
def test_a_glance_reads_as_the_whole_operation(careful: bool) -> None:
    items = [operation(100100 + n, step=("RUN", "DONE", "ERROR")[n % 3]) for n in range(5)]
    body = xmlrpc.encode_response(items, zone=dt.UTC)
    if careful:
        body = wire(body.decode())
    expected = read_list(items, method="operation.list").operations

    glances = glances_of(body)

    assert all(isinstance(glance, Glance) for glance in glances)
    assert [
        (glance.id, glance.step, glance.eta, glance.date_updated)
        for glance in glances
        if isinstance(glance, Glance)
    ] == [(op.id, op.step, op.eta, op.date_updated) for op in expected]
    assert [glance.operation() for glance in glances if isinstance(glance, Glance)] == list(
        expected
    )


@pytest.mark.parametrize(
    ("raw_value", "reason"),
    [
        ("<double>inf</double>", "an eta that is not a number"),
        ("<int>" + "9" * 3000 + "</int>", "an eta out of range"),
    ],
)
def test_what_a_check_compares_is_refused_at_once(raw_value: str, reason: str) -> None:
    body = xmlrpc.encode_response(
        [operation(1), operation(2, eta="SPOIL"), operation(3)], zone=dt.UTC
    )
    spoiled = body.replace(b"<string>SPOIL</string>", raw_value.encode())

    read = glances_of(spoiled)

    assert [item.id for item in read if isinstance(item, Glance)] == [1, 3]
    assert read[-1] == UnreadableItem(2, reason)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"date_created": "SPOIL"}, "a date_created that is not a date"),
        ({"params": "SPOIL"}, "values nested deeper than 32 levels"),
    ],
)
def test_the_rest_is_refused_only_once_read(fields: dict[str, Any], reason: str) -> None:
    raw = {
        "date_created": "<dateTime.iso8601>0001-01-01T00:00:00+01:00</dateTime.iso8601>",
        "params": "<array><data><value>" * 40 + "<int>1</int>" + "</value></data></array>" * 40,
    }
    body = xmlrpc.encode_response([operation(7, **fields)], zone=dt.UTC)
    [name] = fields
    spoiled = body.replace(b"<string>SPOIL</string>", raw[name].encode())

    [glance] = glances_of(spoiled)

    assert isinstance(glance, Glance)
    assert (glance.id, glance.step) == (7, "RUN")
    with pytest.raises(UnreadableOperation) as refused:
        glance.operation()
    assert (refused.value.op_id, refused.value.reason) == (7, reason)


def test_a_value_that_is_not_xmlrpc_spoils_its_operation_once_read() -> None:
    body = xmlrpc.encode_response([operation(7, params="SPOIL")], zone=dt.UTC)
    spoiled = body.replace(b"<string>SPOIL</string>", b"<foo>1</foo>")

    [glance] = glances_of(spoiled)

    assert isinstance(glance, Glance)
    with pytest.raises(UnreadableOperation, match="not XML-RPC"):
        glance.operation()


def test_only_the_items_asked_for_are_glanced_at() -> None:
    body = xmlrpc.encode_response([operation(n) for n in range(1, 40)], zone=dt.UTC)
    decoded = xmlrpc.decode_response(body, zone=dt.UTC, items=11, partial=GLANCED)
    reply = read_glances(decoded, method="operation.list", asked=10)
    assert [glance.id for glance in reply.glances] == list(range(1, 11))
    assert reply.more_than_asked


def test_an_item_that_is_not_a_struct_is_unreadable() -> None:
    body = xmlrpc.encode_response([operation(1), "not a struct"], zone=dt.UTC)
    assert glances_of(body)[-1] == UnreadableItem(None, "an item that is not a struct")


def test_a_glance_at_an_operation_read_whole_is_that_operation() -> None:
    whole = Operation.from_api(operation(5))
    glance = Glance.of(whole)
    assert (glance.id, glance.step, glance.eta, glance.date_updated) == (
        5,
        "RUN",
        600,
        whole.date_updated,
    )
    assert glance.operation() is whole
