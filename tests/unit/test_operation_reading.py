"""Operation.from_api refuses what cannot be an operation, item by item."""

from __future__ import annotations

from typing import Any

import pytest

from opsbot.api.errors import ProtocolError
from opsbot.api.list_reply import UnreadableItem, read_list
from opsbot.api.operation import MAX_DEPTH, MAX_ID, Operation, UnreadableOperation


def item(**fields: Any) -> dict[str, Any]:
    return {"id": 100100, "type": "domain_renew", "step": "RUN", "eta": 60, **fields}


def nested(depth: int) -> Any:
    """A value ``depth`` levels deep counted from the item (params itself is level 2)."""
    value: Any = 1
    for _ in range(depth - 1):
        value = [value]
    return value


def test_params_as_deep_as_allowed_are_read() -> None:
    operation = Operation.from_api(item(params={"deep": nested(MAX_DEPTH - 1)}))
    assert operation.id == 100100


@pytest.mark.parametrize(
    ("fields", "reason", "op_id"),
    [
        ({"eta": float("inf")}, "an eta that is not a number", 100100),
        ({"eta": float("nan")}, "an eta that is not a number", 100100),
        ({"eta": 10**40}, "an eta out of range", 100100),
        ({"id": 10**3000}, "an operation id out of range", None),
        ({"id": MAX_ID + 1}, "an operation id out of range", None),
        ({"id": 0}, "an operation id out of range", None),
        ({"id": None}, "an operation without an id", None),
        ({"id": True}, "an operation without an id", None),
        ({"params": {"deep": nested(MAX_DEPTH)}}, "values nested deeper than 32 levels", 100100),
        ({"infos": [nested(200_000)]}, "values nested deeper than 32 levels", 100100),
    ],
)
def test_what_cannot_be_an_operation_is_refused_with_its_id_when_known(
    fields: dict[str, Any], reason: str, op_id: int | None
) -> None:
    with pytest.raises(UnreadableOperation) as refused:
        Operation.from_api(item(**fields))
    assert refused.value.reason.startswith(reason)
    assert refused.value.op_id == op_id


def test_an_id_sent_as_text_is_still_read() -> None:
    assert Operation.from_api(item(id="100100")).id == 100100


def test_a_list_answer_keeps_what_it_can_read() -> None:
    reply = read_list(
        [item(id=1), item(id=2, eta=float("inf")), "not a struct", item(id=4)],
        method="operation.list",
    )
    assert [operation.id for operation in reply.operations] == [1, 4]
    assert reply.unreadable == (
        UnreadableItem(2, "an eta that is not a number"),
        UnreadableItem(None, "an item that is not a struct"),
    )
    assert reply.items == 4


def test_an_answer_that_is_not_a_list_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="other than a list"):
        read_list({"id": 1}, method="operation.list")
