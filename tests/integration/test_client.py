"""The client against the simulator over real HTTP: every method, filter and fault.

Expected results come from the simulator's own view of its operations
(``simulator.operations()``); its clock stands still (see conftest.py), so
two views of it always agree.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
import stamina
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsbot.api.client import OperationClient
from opsbot.api.errors import (
    AuthorizationError,
    BadParameterError,
    InvalidStepError,
    NotFoundError,
    ProtocolError,
    TemporaryError,
)
from opsbot.api.filters import FilterError
from opsbot.api.list_reply import UnreadableItem
from opsbot.api.operation import BILL, CANCEL, ERROR, RUN, STEPS, Operation
from opsbot.simulator import ServedSimulator, Simulator
from tests.integration.conftest import as_carried
from tests.integration.test_client_faults import expect_failure

UNKNOWN_KEY = "0123456789abcdefghijklmn"


@pytest.fixture(autouse=True)
def no_backoff() -> Iterator[None]:
    """stamina's testing switch: no sleeps, while each client keeps its own attempt count."""
    with stamina.set_testing(True, attempts=1000, cap=True):
        yield


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


@pytest.fixture
async def api(sim_server: ServedSimulator) -> AsyncIterator[OperationClient]:
    async with OperationClient(sim_server.url) as client:
        yield client


def ids_of(operations: list[Operation]) -> list[int]:
    return [operation.id for operation in operations]


def first_with_param(simulator: Simulator, name: str) -> dict[str, Any]:
    return next(op for op in simulator.operations() if op["params"].get(name))


# operation.list and its filters.


async def test_list_without_filters_is_the_first_page_by_id(
    api: OperationClient, simulator: Simulator, sim_key: str
) -> None:
    operations = await api.list(sim_key)
    expected = sorted(op["id"] for op in simulator.operations())[:100]
    assert ids_of(operations) == expected
    assert all(isinstance(operation, Operation) for operation in operations)


async def test_list_items_are_read_in_full(
    api: OperationClient, simulator: Simulator, sim_key: str
) -> None:
    expected = Operation.from_api(as_carried(simulator.operations()[0], simulator.zone))
    (operation,) = await api.list(sim_key, {"id": expected.id})
    assert (operation.id, operation.type, operation.params) == (
        expected.id,
        expected.type,
        expected.params,
    )
    assert operation.date_created == expected.date_created
    assert operation.date_created is not None
    assert operation.date_created.tzinfo is dt.UTC


async def test_list_by_one_id_and_by_several(
    api: OperationClient, simulator: Simulator, sim_key: str
) -> None:
    ids = sorted(op["id"] for op in simulator.operations())
    chosen = [ids[5], ids[1], ids[40]]
    assert ids_of(await api.list(sim_key, {"id": ids[3]})) == [ids[3]]
    assert ids_of(await api.list(sim_key, {"id": chosen})) == sorted(chosen)
    assert ids_of(await api.list(sim_key, {"id": ",".join(map(str, chosen))})) == sorted(chosen)


@pytest.mark.parametrize("step", STEPS)
async def test_list_by_step(api: OperationClient, sim_key: str, step: str) -> None:
    operations = await api.list(sim_key, {"step": step.lower(), "items_per_page": 500})
    assert operations
    assert {operation.step for operation in operations} == {step}


async def test_list_by_type(api: OperationClient, simulator: Simulator, sim_key: str) -> None:
    expected = [op["id"] for op in simulator.operations() if op["type"] == "domain_renew"]
    operations = await api.list(sim_key, {"type": "domain_renew", "items_per_page": 500})
    assert ids_of(operations) == sorted(expected)


async def test_list_by_creation_date_range(
    api: OperationClient, simulator: Simulator, sim_key: str
) -> None:
    dates = sorted(op["date_created"] for op in simulator.operations())
    after, before = dates[len(dates) // 4], dates[len(dates) // 2]
    expected = [op["id"] for op in simulator.operations() if after < op["date_created"] < before]
    operations = await api.list(
        sim_key, {">date_created": after, "<date_created": before, "items_per_page": 500}
    )
    assert expected
    assert ids_of(operations) == sorted(expected)


async def test_list_by_creation_days_written_as_text(
    api: OperationClient, simulator: Simulator, sim_key: str
) -> None:
    day = simulator.operations()[10]["date_created"].date()
    expected = [op["id"] for op in simulator.operations() if op["date_created"].date() == day]
    next_day = day + dt.timedelta(days=1)
    opts = {">date_created": day.isoformat(), "<date_created": next_day.isoformat()}
    operations = await api.list(sim_key, {**opts, "items_per_page": 500})
    assert expected
    assert ids_of(operations) == sorted(expected)


async def test_list_by_one_creation_day(
    api: OperationClient, simulator: Simulator, sim_key: str
) -> None:
    # A day is a day on the API's clock (Paris), not a UTC day.
    def day_of(op: dict[str, Any]) -> dt.date:
        created: dt.datetime = op["date_created"]
        return created.astimezone(simulator.zone).date()

    day = day_of(simulator.operations()[10])
    expected = [op["id"] for op in simulator.operations() if day_of(op) == day]
    operations = await api.list(sim_key, {"date_created": day.isoformat(), "items_per_page": 500})
    assert len(expected) > 1
    assert ids_of(operations) == sorted(expected)


async def test_list_by_exact_creation_time(
    api: OperationClient, simulator: Simulator, sim_key: str
) -> None:
    created = simulator.operations()[10]["date_created"]
    expected = [op["id"] for op in simulator.operations() if op["date_created"] == created]
    when = created.astimezone(dt.timezone(dt.timedelta(hours=-5))).isoformat()
    operations = await api.list(sim_key, {"date_created": when})
    assert ids_of(operations) == sorted(expected)


async def test_list_by_relative_date(
    api: OperationClient, simulator: Simulator, sim_key: str
) -> None:
    week_ago = simulator.now() - dt.timedelta(days=7)
    expected = [op["id"] for op in simulator.operations() if op["date_created"] > week_ago]
    operations = await api.list(sim_key, {">date_created": "7d", "items_per_page": 500})
    assert expected
    assert ids_of(operations) == sorted(expected)


@pytest.mark.parametrize(
    ("option", "param"), [("vm.hostname", "vm_hostname"), ("domain", "domain")]
)
async def test_list_by_name(
    api: OperationClient, simulator: Simulator, sim_key: str, option: str, param: str
) -> None:
    name = first_with_param(simulator, param)["params"][param]
    expected = [op["id"] for op in simulator.operations() if op["params"].get(param) == name]
    operations = await api.list(sim_key, {option: name.upper()})
    assert ids_of(operations) == sorted(expected)


async def test_list_by_resource_id(
    api: OperationClient, simulator: Simulator, sim_key: str
) -> None:
    vm_id = first_with_param(simulator, "vm_id")["params"]["vm_id"]
    expected = [op["id"] for op in simulator.operations() if op["params"].get("vm_id") == vm_id]
    assert ids_of(await api.list(sim_key, {"vm_id": vm_id})) == sorted(expected)


async def test_list_sorted_descending(api: OperationClient, sim_key: str) -> None:
    by_id = await api.list(sim_key, {"sort_by": "id DESC", "items_per_page": 500})
    assert ids_of(by_id) == sorted(ids_of(by_id), reverse=True)
    by_date = await api.list(sim_key, {"sort_by": "date_created desc", "items_per_page": 500})
    dates = [operation.date_created for operation in by_date]
    assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]


async def test_list_pages_follow_each_other(
    api: OperationClient, simulator: Simulator, sim_key: str
) -> None:
    ids = sorted(op["id"] for op in simulator.operations())
    pages = [await api.list(sim_key, {"page": page, "items_per_page": 7}) for page in range(3)]
    assert [ids_of(page) for page in pages] == [ids[0:7], ids[7:14], ids[14:21]]


async def test_invalid_filters_never_reach_the_api(
    api: OperationClient, simulator: Simulator, sim_key: str
) -> None:
    for opts in ({"step": "EROR"}, {"items_per_page": 501}, {"sort_by": "colour"}):
        with pytest.raises(FilterError):
            await api.list(sim_key, opts)
        with pytest.raises(FilterError):
            await api.count(sim_key, opts)
    assert simulator.calls["operation.list"] == simulator.calls["operation.count"] == 0


# operation.count, info, cancel, relaunch.


async def test_count(api: OperationClient, simulator: Simulator, sim_key: str) -> None:
    assert await api.count(sim_key) == len(simulator.operations())
    renewals = [op for op in simulator.operations() if op["type"] == "domain_renew"]
    assert await api.count(sim_key, {"type": "domain_renew"}) == len(renewals)


async def test_info(api: OperationClient, simulator: Simulator, sim_key: str) -> None:
    op_id = first_with_param(simulator, "domain")["id"]
    operation = await api.info(sim_key, op_id)
    expected = Operation.from_api(as_carried(simulator.operation(op_id), simulator.zone))
    assert (operation.id, operation.type, operation.params, operation.date_created) == (
        expected.id,
        expected.type,
        expected.params,
        expected.date_created,
    )


async def test_info_of_an_operation_in_error(
    api: OperationClient, simulator: Simulator, sim_key: str
) -> None:
    op_id = simulator.create("domain_create", step=ERROR, last_error="missing authinfo")
    operation = await api.info(sim_key, op_id)
    assert (operation.step, operation.last_error) == (ERROR, "missing authinfo")
    assert operation.can_relaunch


async def test_cancel(api: OperationClient, simulator: Simulator, sim_key: str) -> None:
    op_id = simulator.create("domain_renew", step=BILL)
    assert await api.cancel(sim_key, op_id) is True
    assert simulator.operation(op_id)["step"] == CANCEL
    assert simulator.calls["operation.cancel"] == 1


async def test_cancel_while_running_is_an_invalid_step(
    api: OperationClient, simulator: Simulator, sim_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    op_id = simulator.create("domain_renew", step=RUN)
    error = await expect_failure(api.cancel(sim_key, op_id), InvalidStepError, caplog, (sim_key,))
    assert str(op_id) in error.message
    assert simulator.operation(op_id)["step"] == RUN
    assert simulator.calls["operation.cancel"] == 1


async def test_relaunch_keeps_the_params(
    api: OperationClient, simulator: Simulator, sim_key: str
) -> None:
    op_id = simulator.create("domain_transfer_in", step=ERROR, last_error="wrong authinfo")
    assert await api.relaunch(sim_key, op_id, {"authinfo": "n3w-c0de"}) is True
    relaunched = simulator.operation(op_id)
    assert relaunched["params"]["authinfo"] == "n3w-c0de"
    assert relaunched["step"] == BILL


async def test_relaunch_without_params(
    api: OperationClient, simulator: Simulator, sim_key: str
) -> None:
    op_id = simulator.create("domain_create", step=ERROR)
    assert await api.relaunch(sim_key, op_id) is True
    assert simulator.operation(op_id)["step"] == BILL


async def test_relaunch_of_a_type_that_cannot_be(
    api: OperationClient, simulator: Simulator, sim_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    op_id = simulator.create("vm_create", step=ERROR)
    await expect_failure(api.relaunch(sim_key, op_id), BadParameterError, caplog, (sim_key,))


async def test_relaunch_with_an_unknown_parameter(
    api: OperationClient, simulator: Simulator, sim_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    op_id = simulator.create("domain_create", step=ERROR)
    relaunch = api.relaunch(sim_key, op_id, {"x-nowhere_id": "1", "authinfo": "s3cr3t-value"})
    error = await expect_failure(relaunch, BadParameterError, caplog, (sim_key, "s3cr3t-value"))
    assert "x-nowhere_id" in error.message


async def test_relaunch_outside_error_is_an_invalid_step(
    api: OperationClient, simulator: Simulator, sim_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    op_id = simulator.create("domain_create", step=BILL)
    await expect_failure(api.relaunch(sim_key, op_id), InvalidStepError, caplog, (sim_key,))


# Faults for every method.

# Every method called with a key and an operation id (list and count need no id).
CALLS: dict[str, Callable[[OperationClient, str, int], Awaitable[Any]]] = {
    "list": lambda api, key, _op_id: api.list(key, {"step": "ERROR"}),
    "count": lambda api, key, _op_id: api.count(key),
    "info": lambda api, key, op_id: api.info(key, op_id),
    "cancel": lambda api, key, op_id: api.cancel(key, op_id),
    "relaunch": lambda api, key, op_id: api.relaunch(key, op_id, {"authinfo": "x"}),
}


@pytest.mark.parametrize("method", CALLS)
async def test_an_unknown_key_is_an_authorization_error(
    api: OperationClient, simulator: Simulator, caplog: pytest.LogCaptureFixture, method: str
) -> None:
    op_id = simulator.operations()[0]["id"]
    call = CALLS[method](api, UNKNOWN_KEY, op_id)
    error = await expect_failure(call, AuthorizationError, caplog, (UNKNOWN_KEY,))
    assert error.code == 510150
    assert simulator.calls[f"operation.{method}"] == 1


@pytest.mark.parametrize("method", CALLS)
async def test_a_malformed_key_is_a_bad_parameter(
    api: OperationClient, simulator: Simulator, caplog: pytest.LogCaptureFixture, method: str
) -> None:
    malformed = "My-Key-With-Capitals!"
    call = CALLS[method](api, malformed, simulator.operations()[0]["id"])
    await expect_failure(call, BadParameterError, caplog, (malformed,))


@pytest.mark.parametrize("method", ["info", "cancel", "relaunch"])
async def test_an_unknown_id_is_not_found(
    api: OperationClient, sim_key: str, caplog: pytest.LogCaptureFixture, method: str
) -> None:
    error = await expect_failure(
        CALLS[method](api, sim_key, 99999999), NotFoundError, caplog, (sim_key,)
    )
    assert "99999999" in error.message


# Switches: rate limits, latency, garbage.


async def test_rate_limited_calls_are_retried(
    api: OperationClient, simulator: Simulator, sim_key: str
) -> None:
    simulator.rate_limit_every(2)
    counts = [await api.count(sim_key) for _ in range(3)]
    assert counts == [len(simulator.operations())] * 3
    # Calls 2 and 4 were refused and sent again: 3 answers took 5 calls.
    assert simulator.calls["operation.count"] == 5


async def test_rate_limit_outlasting_the_retries(
    sim_server: ServedSimulator,
    simulator: Simulator,
    sim_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator.rate_limit_every(1)
    async with OperationClient(sim_server.url, retry_attempts=3) as client:
        error = await expect_failure(client.list(sim_key), TemporaryError, caplog, (sim_key,))
    assert "rate limit" in error.message
    assert simulator.calls["operation.list"] == 3


async def test_latency_beyond_the_timeout(
    sim_server: ServedSimulator,
    simulator: Simulator,
    sim_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator.set_latency(1.0)
    async with OperationClient(sim_server.url, timeout=0.2, retry_attempts=2) as client:
        error = await expect_failure(client.count(sim_key), TemporaryError, caplog, (sim_key,))
    assert "within 0.2 s" in error.message


async def test_latency_within_the_timeout(
    sim_server: ServedSimulator, simulator: Simulator, sim_key: str
) -> None:
    simulator.set_latency(0.05)
    async with OperationClient(sim_server.url, timeout=5) as client:
        assert await client.count(sim_key) == len(simulator.operations())


async def test_a_bad_gateway_page_is_retried(
    api: OperationClient, simulator: Simulator, sim_key: str
) -> None:
    simulator.garbage_next(2, kind="html")
    assert await api.count(sim_key) == len(simulator.operations())


@pytest.mark.parametrize("kind", ["truncated", "empty", "notxml", "oversize"])
async def test_garbage_is_a_protocol_error(
    api: OperationClient,
    simulator: Simulator,
    sim_key: str,
    caplog: pytest.LogCaptureFixture,
    kind: str,
) -> None:
    simulator.garbage_next(1, kind=kind)
    await expect_failure(api.count(sim_key), ProtocolError, caplog, (sim_key,))
    assert await api.count(sim_key) == len(simulator.operations())


# list and count agree, whatever the filters.


def filter_dicts(operations: list[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Valid filters built from what the simulator holds, so most of them match something."""
    ids = st.sampled_from([op["id"] for op in operations])
    dates = st.sampled_from([op["date_created"] for op in operations])
    domains = st.sampled_from(
        [op["params"]["domain"] for op in operations if op["params"].get("domain")]
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "id": ids | st.lists(ids, min_size=1, max_size=8),
            "type": st.sampled_from(sorted({op["type"] for op in operations})),
            "step": st.sampled_from(STEPS),
            ">date_updated": st.sampled_from([op["date_updated"] for op in operations]),
            ">date_created": dates,
            "<date_created": dates,
            "domain": domains,
            "sort_by": st.sampled_from(["id", "date_created DESC", "type", "domain DESC"]),
        },
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), items_per_page=st.integers(min_value=1, max_value=150))
async def test_all_pages_of_a_list_add_up_to_the_count(
    api: OperationClient,
    simulator: Simulator,
    sim_key: str,
    data: st.DataObject,
    items_per_page: int,
) -> None:
    opts = data.draw(filter_dicts(simulator.operations()))
    total = await api.count(sim_key, opts)
    seen: list[int] = []
    page = 0
    while True:
        batch = await api.list(sim_key, {**opts, "page": page, "items_per_page": items_per_page})
        seen += ids_of(batch)
        if len(batch) < items_per_page:
            break
        page += 1
    assert len(seen) == total
    assert len(set(seen)) == total


# --- an answer read item by item ------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("infinite_eta", "an eta that is not a number"),
        ("huge_id", "an operation id out of range"),
        ("deep_params", "values nested deeper than 32 levels"),
    ],
)
async def test_one_unreadable_item_costs_only_itself(
    simulator: Simulator, sim_server: ServedSimulator, sim_key: str, kind: str, reason: str
) -> None:
    op_ids = [op["id"] for op in simulator.operations()[:5]]
    simulator.serve_hostile(op_ids[2], kind, depth=200)

    async with OperationClient(sim_server.url) as api:
        reply = await api.list_items(sim_key, {"id": op_ids})
        with pytest.raises(ProtocolError, match=reason):
            await api.list(sim_key, {"id": op_ids})

    assert [op.id for op in reply.operations] == op_ids[:2] + op_ids[3:]
    [unreadable] = reply.unreadable
    assert unreadable.reason.startswith(reason)
    assert unreadable.op_id == (None if kind == "huge_id" else op_ids[2])
    assert reply.items == 5


async def test_a_date_out_of_the_calendar_costs_only_its_item(
    simulator: Simulator, sim_server: ServedSimulator, sim_key: str
) -> None:
    # The codec keeps a date it cannot read aside (Unreadable), so that it
    # spoils its operation only, like the other hostile values.
    op_ids = [op["id"] for op in simulator.operations()[:3]]
    simulator.serve_hostile(op_ids[1], "date_out_of_range")

    async with OperationClient(sim_server.url) as api:
        reply = await api.list_items(sim_key, {"id": op_ids})
        with pytest.raises(ProtocolError, match="a date_updated that is not a date"):
            await api.list(sim_key, {"id": op_ids})

    assert [op.id for op in reply.operations] == [op_ids[0], op_ids[2]]
    assert reply.unreadable == (UnreadableItem(op_ids[1], "a date_updated that is not a date"),)
