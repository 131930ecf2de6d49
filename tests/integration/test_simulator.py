"""The simulator's five methods and its faults, over real HTTP."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

import aiohttp
import pytest

from opsbot.api import errors
from opsbot.api.catalog import parameters_named_in
from opsbot.api.operation import (
    BILL,
    CANCEL,
    CANCELLABLE_STEPS,
    DONE,
    ERROR,
    RELAUNCHABLE_TYPES,
    RUN,
    STEPS,
    WAIT,
)
from opsbot.api.xmlrpc import Fault, decode_response
from opsbot.simulator import (
    ManualClock,
    Simulator,
    demo_key_for,
    serve_simulator,
)
from opsbot.simulator.record import OperationFacts, OperationSpec
from tests.integration.conftest import RawRpc, as_carried, in_repeated_hour

FIELDS = {
    "cert_id",
    "date_created",
    "date_start",
    "date_updated",
    "errortype",
    "eta",
    "id",
    "infos",
    "last_error",
    "params",
    "session_id",
    "source",
    "step",
    "type",
}
INFOS_FIELDS = {
    "extras",
    "id",
    "label",
    "product_action",
    "product_name",
    "product_type",
    "quantity",
}
# The reference's table of errortype values.
ERRORTYPES = {
    "authorization_error",
    "duplicate",
    "missing_parameter",
    "ratelimit",
    "timeout",
    "unknown",
}


def first(simulator: Simulator, **wanted: Any) -> dict[str, Any]:
    """The first operation (by id) whose fields have the wanted values."""
    for operation in simulator.operations():
        if all(_matches(operation, name, value) for name, value in wanted.items()):
            return operation
    raise AssertionError(f"the dataset has no operation with {wanted}")


def _matches(operation: dict[str, Any], name: str, value: Any) -> bool:
    if callable(value):
        return bool(value(operation[name]))
    return bool(operation[name] == value)


async def fault_of(rpc: RawRpc, method: str, *params: Any) -> Fault:
    with pytest.raises(Fault) as caught:
        await rpc.call(method, *params)
    return caught.value


# operation.list and operation.count ------------------------------------------


async def test_list_without_options_returns_the_first_100_by_id(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str
) -> None:
    listed = await sim_rpc.call("operation.list", sim_key)

    assert [item["id"] for item in listed] == [op["id"] for op in simulator.operations()][:100]
    assert listed == [as_carried(op, simulator.zone) for op in simulator.operations()[:100]]


async def test_list_items_carry_the_live_service_fields(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str
) -> None:
    listed = await sim_rpc.call("operation.list", sim_key, {"items_per_page": 500})
    zone = simulator.zone

    for item in listed:
        assert set(item) == FIELDS
        assert set(item["infos"]) == INFOS_FIELDS
        assert item["step"] in STEPS
        assert item["date_created"].tzinfo is not None
        created, updated = item["date_created"], item["date_updated"]
        assert created <= updated or (
            in_repeated_hour(created, zone) and in_repeated_hour(updated, zone)
        )
        assert item["source"].endswith("-GANDI")
        assert item["session_id"] == item["params"]["session_id"]
        assert (item["errortype"] in ERRORTYPES) == (item["step"] == ERROR)
        if item["step"] in (BILL, WAIT):
            assert item["date_start"] is None
        if item["step"] in (RUN, DONE, ERROR):
            assert item["date_start"] is not None
        if item["step"] == ERROR:
            assert item["last_error"]


async def test_count_without_options_counts_every_operation(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str
) -> None:
    assert await sim_rpc.call("operation.count", sim_key) == len(simulator.operations())
    assert await sim_rpc.call("operation.count", sim_key, {}) == len(simulator.operations())


# operation.info --------------------------------------------------------------


async def test_info_returns_the_same_struct_as_list(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str
) -> None:
    wanted = first(simulator, type="certificate_update")

    info = await sim_rpc.call("operation.info", sim_key, wanted["id"])
    (listed,) = await sim_rpc.call("operation.list", sim_key, {"id": wanted["id"]})

    assert info == listed == wanted
    assert info["cert_id"] == info["params"]["cert_id"]
    assert {"dcv_method", "inner_step"} <= set(info["params"])


async def test_info_of_an_unknown_id_is_a_not_found_fault(sim_rpc: RawRpc, sim_key: str) -> None:
    fault = await fault_of(sim_rpc, "operation.info", sim_key, 42)

    assert fault.code == errors.fault_code(5, 102, 42) == 510242
    assert fault.message == (
        "Error on object : OBJECT_OPERATION (CAUSE_NOTFOUND) [no such operation (id: 42)]"
    )
    assert isinstance(errors.error_from_fault(fault.code, fault.message), errors.NotFoundError)


async def test_info_with_an_id_that_is_not_an_integer_is_a_bad_parameter(
    sim_rpc: RawRpc, sim_key: str
) -> None:
    fault = await fault_of(sim_rpc, "operation.info", sim_key, "abc")

    assert "(CAUSE_BADPARAMETER)" in fault.message
    assert isinstance(errors.error_from_fault(fault.code, fault.message), errors.BadParameterError)


# operation.cancel -------------------------------------------------------------


@pytest.mark.parametrize("step", sorted(CANCELLABLE_STEPS))
async def test_cancel_in_bill_wait_or_error_returns_true_and_cancels(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str, sim_clock: ManualClock, step: str
) -> None:
    operation = first(simulator, step=step)

    assert await sim_rpc.call("operation.cancel", sim_key, operation["id"]) is True

    info = await sim_rpc.call("operation.info", sim_key, operation["id"])
    assert info["step"] == CANCEL
    assert info["date_updated"] == sim_clock()
    assert info["errortype"] is None


@pytest.mark.parametrize("step", [RUN, DONE, CANCEL, "SUPPORT"])
async def test_cancel_in_other_steps_is_an_invalid_step_fault(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str, step: str
) -> None:
    operation = first(simulator, step=step)

    fault = await fault_of(sim_rpc, "operation.cancel", sim_key, operation["id"])

    assert fault.code == errors.fault_code(5, 250, 90)
    assert fault.message == (
        "Error on object : OBJECT_OPERATION_STATE (CAUSE_INVALID_STEP)"
        f" [cannot cancel operation {operation['id']} in step {step}]"
    )
    assert isinstance(errors.error_from_fault(fault.code, fault.message), errors.InvalidStepError)
    assert simulator.operation(operation["id"]) == operation


async def test_cancel_of_an_unknown_id_is_a_not_found_fault(sim_rpc: RawRpc, sim_key: str) -> None:
    fault = await fault_of(sim_rpc, "operation.cancel", sim_key, 7)

    assert fault.code == 510242


# operation.relaunch ------------------------------------------------------------


def _missing_parameter_error(simulator: Simulator) -> dict[str, Any]:
    return first(simulator, step=ERROR, errortype="missing_parameter")


def _needed(operation: dict[str, Any]) -> list[str]:
    return [param.name for param in parameters_named_in(operation["last_error"])]


async def test_relaunch_with_the_missing_parameters_goes_back_to_bill_then_done(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str, sim_clock: ManualClock
) -> None:
    operation = _missing_parameter_error(simulator)
    params = dict.fromkeys(_needed(operation), "value")
    assert params, operation["last_error"]

    assert await sim_rpc.call("operation.relaunch", sim_key, operation["id"], params) is True

    relaunched = await sim_rpc.call("operation.info", sim_key, operation["id"])
    assert relaunched["step"] == BILL
    assert relaunched["errortype"] is None
    assert relaunched["date_start"] is None
    assert relaunched["params"] == operation["params"] | params
    sim_clock.advance(3600)
    done = await sim_rpc.call("operation.info", sim_key, operation["id"])
    assert done["step"] == DONE
    assert done["params"] == relaunched["params"]


async def test_relaunch_without_the_missing_parameters_fails_again_naming_them(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str, sim_clock: ManualClock
) -> None:
    operation = _missing_parameter_error(simulator)

    assert await sim_rpc.call("operation.relaunch", sim_key, operation["id"]) is True
    sim_clock.advance(3600)

    again = await sim_rpc.call("operation.info", sim_key, operation["id"])
    assert again["step"] == ERROR
    assert again["errortype"] == "missing_parameter"
    assert again["last_error"] == operation["last_error"]
    assert again["date_updated"] > operation["date_updated"]


async def test_relaunch_of_a_type_that_cannot_be_relaunched_is_a_bad_parameter(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str
) -> None:
    operation = first(simulator, step=ERROR, type=lambda t: t not in RELAUNCHABLE_TYPES)

    fault = await fault_of(sim_rpc, "operation.relaunch", sim_key, operation["id"], {})

    assert "(CAUSE_BADPARAMETER)" in fault.message
    assert operation["type"] in fault.message
    assert simulator.operation(operation["id"]) == operation


async def test_relaunch_outside_error_is_an_invalid_step_fault(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str
) -> None:
    operation = first(simulator, step=DONE, type=lambda t: t in RELAUNCHABLE_TYPES)

    fault = await fault_of(sim_rpc, "operation.relaunch", sim_key, operation["id"])

    assert fault.code == errors.fault_code(5, 250, 90)
    assert f"cannot relaunch operation {operation['id']} in step DONE" in fault.message


@pytest.mark.parametrize(
    ("params", "mentioned"),
    [
        ({"x-nonexistent": "1"}, "x-nonexistent"),
        ({"authinfo": 12}, "authinfo"),
        (["authinfo"], "params"),
    ],
)
async def test_relaunch_with_bad_params_is_a_bad_parameter_and_changes_nothing(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str, params: object, mentioned: str
) -> None:
    operation = _missing_parameter_error(simulator)

    fault = await fault_of(sim_rpc, "operation.relaunch", sim_key, operation["id"], params)

    assert "(CAUSE_BADPARAMETER)" in fault.message
    assert mentioned in fault.message
    assert simulator.operation(operation["id"]) == operation


# keys --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "tooshort",
        "UPPERCASEKEY0123456789AB",
        "simulatorkey0123456789abc",
        "simulator-key0123456789a",
    ],
)
async def test_a_malformed_key_is_refused_without_being_quoted(sim_rpc: RawRpc, key: str) -> None:
    fault = await fault_of(sim_rpc, "operation.count", key)

    assert fault.code == errors.fault_code(5, 12, 37)
    assert fault.message == (
        "Error on object : OBJECT_STRING (CAUSE_BADPARAMETER)"
        f" [string '<redacted, {len(key)} characters>' does not match '^[a-z0-9]{{24}}$']"
    )
    assert key not in fault.message


async def test_a_key_that_is_not_a_string_is_refused(sim_rpc: RawRpc) -> None:
    fault = await fault_of(sim_rpc, "operation.count", 12345)

    assert fault.code == errors.fault_code(5, 12, 37)
    assert "12345" not in fault.message


async def test_a_well_formed_unknown_key_is_an_authorization_fault(sim_rpc: RawRpc) -> None:
    key = "abcdefghijklmnopqrstuvwx"

    fault = await fault_of(sim_rpc, "operation.list", key)

    assert fault.code == 510150
    assert fault.message == "Error on object : OBJECT_ACCOUNT (CAUSE_NORIGHT) [Invalid API key]"
    assert isinstance(errors.error_from_fault(fault.code, fault.message), errors.AuthorizationError)


async def test_a_key_passed_where_a_value_goes_is_not_quoted_back(
    sim_rpc: RawRpc, sim_key: str
) -> None:
    fault = await fault_of(sim_rpc, "operation.info", sim_key, sim_key)

    assert sim_key not in fault.message
    assert "<redacted, 24 characters>" in fault.message


async def test_keys_added_for_other_accounts_see_their_own_operations(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str
) -> None:
    other_key = "otherteamkey0123456789ab"
    simulator.add_account(other_key, operations=30, seed=9)

    mine = await sim_rpc.call("operation.list", sim_key, {"items_per_page": 500})
    theirs = await sim_rpc.call("operation.list", other_key)

    assert len(theirs) == await sim_rpc.call("operation.count", other_key) == 30
    assert not {op["id"] for op in mine} & {op["id"] for op in theirs}
    fault = await fault_of(sim_rpc, "operation.info", other_key, mine[0]["id"])
    assert fault.code == 510242


async def test_without_keys_only_the_demo_key_opens_the_account(
    http: aiohttp.ClientSession,
) -> None:
    simulator = Simulator(seed=5, operations=10)
    async with serve_simulator(simulator) as served:
        rpc = RawRpc(http, served)
        assert simulator.demo_key == demo_key_for(5)
        assert simulator.keys == (simulator.demo_key,)
        assert await rpc.call("operation.count", simulator.demo_key) == 10
        assert (await fault_of(rpc, "operation.count", demo_key_for(6))).code == 510150


async def test_the_key_never_reaches_the_logs(
    sim_rpc: RawRpc,
    simulator: Simulator,
    sim_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    malformed = sim_key[:-1] + "Z"
    done = first(simulator, step=DONE)
    await sim_rpc.call("operation.list", sim_key, {"step": ERROR})
    await sim_rpc.call("operation.count", sim_key, {"domain": "example.com"})
    await sim_rpc.call("operation.info", sim_key, done["id"])
    for method, params in [
        ("operation.info", (sim_key, 1)),
        ("operation.cancel", (sim_key, done["id"])),
        ("operation.list", (sim_key, {"nope": 1})),
        ("operation.relaunch", (sim_key, done["id"], {"authinfo": sim_key})),
        ("operation.info", (sim_key, sim_key)),
        ("operation.count", (malformed,)),
        ("operation.nothing", (sim_key,)),
    ]:
        await fault_of(sim_rpc, method, *params)
    simulator.rate_limit_every(1)
    await fault_of(sim_rpc, "operation.count", sim_key)

    assert caplog.records, "the simulator logs each call"
    for secret in (sim_key, malformed):
        assert secret not in caplog.text
        assert all(secret not in record.getMessage() for record in caplog.records)
    assert sim_key not in repr(simulator)


# malformed calls ------------------------------------------------------------------


async def test_a_body_that_is_not_xmlrpc_is_fault_1(sim_rpc: RawRpc) -> None:
    with pytest.raises(Fault) as caught:
        decode_response(await sim_rpc.post(b"<methodCall><methodName>operation.list"), zone=dt.UTC)

    assert caught.value.code == 1
    assert caught.value.message.startswith("Invalid XMLRPC input: ")


async def test_an_unknown_method_is_a_fault(sim_rpc: RawRpc, sim_key: str) -> None:
    fault = await fault_of(sim_rpc, "operation.delete", sim_key, 1)

    assert "operation.delete" in fault.message
    assert "CAUSE_DONTEXIST" in fault.message


@pytest.mark.parametrize(
    ("method", "count"),
    [
        ("operation.info", 1),
        ("operation.list", 3),
        ("operation.relaunch", 4),
        ("operation.count", 0),
    ],
)
async def test_a_wrong_number_of_parameters_is_a_bad_parameter(
    sim_rpc: RawRpc, sim_key: str, method: str, count: int
) -> None:
    params = [sim_key, 100100, {}, {}][:count]

    fault = await fault_of(sim_rpc, method, *params)

    assert "(CAUSE_BADPARAMETER)" in fault.message
    assert f"{count} given" in fault.message


async def test_a_date_sent_to_the_service_comes_back_as_utc(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str
) -> None:
    newest = simulator.operations()[-1]
    since = newest["date_created"] - dt.timedelta(seconds=1)

    listed = await sim_rpc.call("operation.list", sim_key, {">date_created": since})

    assert newest in listed
    assert all(item["date_created"].utcoffset() == dt.timedelta(0) for item in listed)


def test_create_takes_every_field_of_an_operation_spec_as_a_keyword() -> None:
    # Simulator.create's keywords are typed by OperationFacts; OperationSpec
    # holds their defaults. A field added to one must be added to the other.
    spec_fields = {field.name for field in dataclasses.fields(OperationSpec)}
    assert set(OperationFacts.__annotations__) == spec_fields - {"type"}
