"""The simulated operations: a seeded dataset, and steps that move with the clock."""

from __future__ import annotations

import collections
import datetime as dt
from typing import Any

import pytest

from opsbot.api.catalog import LIST_OPTIONS, RELAUNCH_PARAMETERS, parameters_named_in
from opsbot.api.operation import (
    BILL,
    CANCEL,
    DONE,
    ERROR,
    FINAL_STEPS,
    RUN,
    STEPS,
    SUPPORT,
    WAIT,
)
from opsbot.simulator import ManualClock, Simulator
from opsbot.simulator.lifecycle import STEP_SECONDS
from opsbot.simulator.products import REGISTRY_PARAMETERS
from tests.integration.conftest import RawRpc

# Types seen on the live service (the catalog holds api-facts.md's list).
LIVE_TYPES = set(LIST_OPTIONS["type"].values)
REQUIRED_TLDS = {"es", "ca", "it", "uk", "fr", "xn--55qx5d", "com", "net", "org", "eu", "us", "au"}
# The longest an operation can take from BILL to its end, at speed 1.
LONGEST_SECONDS = sum(high for _, high in STEP_SECONDS.values())
START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def fresh(seed: int = 1, **kwargs: Any) -> Simulator:
    return Simulator(seed=seed, clock=ManualClock(START), **kwargs)


# The dataset --------------------------------------------------------------------


def test_a_seed_always_gives_the_same_operations() -> None:
    assert fresh(seed=4).operations() == fresh(seed=4).operations()
    assert fresh(seed=4).operations() != fresh(seed=5).operations()


def test_the_dataset_has_every_type_step_and_many_tlds() -> None:
    operations = fresh().operations()

    assert len(operations) == 400
    assert [op["id"] for op in operations] == list(range(100100, 100500))
    assert {op["type"] for op in operations} >= LIVE_TYPES
    assert {op["step"] for op in operations} == set(STEPS)
    assert {op["params"].get("tld") for op in operations} >= REQUIRED_TLDS
    created = [op["date_created"] for op in operations]
    assert created == sorted(created)
    assert all(op["date_updated"] <= START for op in operations)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("tld", ["es", "ca", "it", "uk", "xn--55qx5d"])
def test_some_errors_name_a_missing_relaunch_parameter_of_their_registry(
    seed: int, tld: str
) -> None:
    errors = [
        op
        for op in fresh(seed).operations()
        if op["step"] == ERROR
        and op["type"] in ("domain_create", "domain_transfer_in")
        and op["params"]["tld"] == tld
        and op["errortype"] == "missing_parameter"
    ]

    assert errors
    for operation in errors:
        named = [param.name for param in parameters_named_in(operation["last_error"])]
        assert named
        assert set(named) <= set(REGISTRY_PARAMETERS[tld])
        assert {RELAUNCH_PARAMETERS[name].group for name in named} == {f".{tld}"}


def test_registry_parameters_are_all_in_the_catalog() -> None:
    names = {name for names in REGISTRY_PARAMETERS.values() for name in names}

    assert names <= set(RELAUNCH_PARAMETERS)


def test_params_follow_the_type() -> None:
    by_type = collections.defaultdict(list)
    for operation in fresh().operations():
        by_type[operation["type"]].append(operation["params"])

    domain_keys = {"domain", "tld", "domain_id", "duration", "auth_id", "param_type"}
    domain_keys |= {"remote_addr", "session_id", "tracker_id"}
    for params in by_type["domain_renew"] + by_type["domain_create"]:
        assert domain_keys <= set(params)
        assert params["domain"].endswith("." + params["tld"])
    for params in by_type["certificate_update"]:
        assert {"cert_id", "dcv_method", "inner_step"} <= set(params)
    for params in by_type["vm_create"]:
        assert {"vm_id", "disk_id", "iface_id", "ip_id"} <= set(params)


def test_final_operations_have_plausible_error_fields() -> None:
    for operation in fresh().operations():
        if operation["step"] == ERROR:
            assert operation["errortype"] in {
                "authorization_error",
                "duplicate",
                "missing_parameter",
                "ratelimit",
                "timeout",
                "unknown",
            }
            assert operation["last_error"]
        elif operation["step"] == SUPPORT:
            assert operation["last_error"]
            assert operation["errortype"] is None
        else:
            assert operation["errortype"] is None


# Steps moving with the clock --------------------------------------------------------


def _steps_seen(simulator: Simulator, clock: ManualClock, op_id: int) -> list[dict[str, Any]]:
    """The operation each time it changes, one simulated second at a time."""
    seen = [simulator.operation(op_id)]
    for _ in range(int(LONGEST_SECONDS) + 2):
        clock.advance(1)
        operation = simulator.operation(op_id)
        if operation["step"] != seen[-1]["step"]:
            seen.append(operation)
    return seen


def test_a_new_operation_goes_bill_wait_run_done() -> None:
    clock = ManualClock(START)
    simulator = Simulator(seed=2, operations=0, clock=clock)
    op_id = simulator.create("domain_renew", domain="example.fr")

    seen = _steps_seen(simulator, clock, op_id)

    assert [op["step"] for op in seen] == [BILL, WAIT, RUN, DONE]
    assert [op["date_start"] is None for op in seen] == [True, True, False, False]
    assert seen[2]["date_start"] == seen[2]["date_updated"] == seen[3]["date_start"]
    updated = [op["date_updated"] for op in seen]
    assert updated == sorted(set(updated))
    assert all(START <= moment <= clock() for moment in updated)
    assert seen[0]["params"]["domain"] == "example.fr"


def test_eta_counts_down_and_goes_negative() -> None:
    clock = ManualClock(START)
    simulator = Simulator(seed=2, operations=0, clock=clock)
    op_id = simulator.create("vm_create")

    etas = [simulator.operation(op_id)["eta"]]
    clock.advance(LONGEST_SECONDS)
    etas.append(simulator.operation(op_id)["eta"])

    assert etas[0] > 0 > etas[1]


@pytest.mark.parametrize("speed", [1.0, 10.0, 250.0])
def test_every_operation_in_progress_ends_within_the_longest_time_over_the_speed(
    speed: float,
) -> None:
    clock = ManualClock(START)
    simulator = Simulator(seed=3, speed=speed, clock=clock)
    in_progress = [op["id"] for op in simulator.operations() if op["step"] not in FINAL_STEPS]
    assert in_progress

    clock.advance(LONGEST_SECONDS / speed + 1)

    ended = {simulator.operation(op_id)["step"] for op_id in in_progress}
    assert ended <= {DONE, ERROR, SUPPORT}
    assert DONE in ended


def test_speed_shortens_the_steps() -> None:
    slow_clock, fast_clock = ManualClock(START), ManualClock(START)
    slow = Simulator(seed=3, operations=0, speed=1.0, clock=slow_clock)
    fast = Simulator(seed=3, operations=0, speed=100.0, clock=fast_clock)
    slow_id, fast_id = slow.create("disk_create"), fast.create("disk_create")

    slow_clock.advance(LONGEST_SECONDS / 100 + 1)
    fast_clock.advance(LONGEST_SECONDS / 100 + 1)

    assert fast.operation(fast_id)["step"] == DONE
    assert slow.operation(slow_id)["step"] in (BILL, WAIT)


def test_steps_only_move_when_the_clock_does() -> None:
    simulator = Simulator(seed=3, clock=ManualClock(START))
    before = simulator.operations()

    assert simulator.operations() == before


def test_the_system_clock_is_the_default() -> None:
    simulator = Simulator(seed=3, operations=5)
    now = dt.datetime.now(dt.UTC)

    assert abs(simulator.now() - now) < dt.timedelta(minutes=1)
    assert all(op["date_created"] <= now for op in simulator.operations())


# move and create -------------------------------------------------------------------


def test_move_puts_an_operation_in_a_step_now_and_it_carries_on_to_done() -> None:
    clock = ManualClock(START)
    simulator = Simulator(seed=3, clock=clock)
    done = next(op for op in simulator.operations() if op["step"] == DONE)
    clock.advance(5)

    simulator.move(done["id"], WAIT)

    moved = simulator.operation(done["id"])
    assert (moved["step"], moved["date_updated"], moved["date_start"]) == (WAIT, clock(), None)
    clock.advance(LONGEST_SECONDS)
    assert simulator.operation(done["id"])["step"] == DONE


@pytest.mark.parametrize("step", [ERROR, SUPPORT, CANCEL, RUN])
def test_move_to_any_step_sets_consistent_fields(step: str) -> None:
    simulator = Simulator(seed=3, clock=ManualClock(START))
    operation = next(op for op in simulator.operations() if op["step"] == BILL)

    simulator.move(operation["id"], step)

    moved = simulator.operation(operation["id"])
    assert moved["step"] == step
    assert (moved["errortype"] is not None) == (step == ERROR)
    assert (moved["date_start"] is not None) == (step != CANCEL)
    if step in (ERROR, SUPPORT):
        assert moved["last_error"]


def test_move_refuses_unknown_steps_and_ids() -> None:
    simulator = Simulator(seed=3, operations=3, clock=ManualClock(START))

    with pytest.raises(ValueError, match="unknown step"):
        simulator.move(100100, "FINISHED")
    with pytest.raises(KeyError):
        simulator.move(1, DONE)


def test_create_in_error_with_a_last_error_is_relaunchable_with_what_it_names() -> None:
    clock = ManualClock(START)
    simulator = Simulator(seed=3, operations=2, clock=clock)
    op_id = simulator.create(
        "domain_create",
        domain="tapas.es",
        step=ERROR,
        errortype="missing_parameter",
        last_error="missing parameter x-es_tipo_identification",
    )
    created = simulator.operation(op_id)
    key = simulator.keys[0]

    assert op_id == 100102
    assert (created["step"], created["errortype"]) == (ERROR, "missing_parameter")
    assert created["params"]["tld"] == "es"
    assert simulator.call("operation.relaunch", (key, op_id)) is True
    clock.advance(LONGEST_SECONDS)
    assert simulator.operation(op_id)["step"] == ERROR
    simulator.call("operation.relaunch", (key, op_id, {"x-es_tipo_identification": "1"}))
    clock.advance(LONGEST_SECONDS)
    assert simulator.operation(op_id)["step"] == DONE


def test_create_an_unknown_type_in_another_account() -> None:
    simulator = Simulator(seed=3, operations=2, clock=ManualClock(START))
    simulator.add_account("secondteamkey0123456789a", operations=1)

    op_id = simulator.create("domain_teleport", key="secondteamkey0123456789a", step=DONE)

    assert [op["id"] for op in simulator.operations("secondteamkey0123456789a")] == [
        100102,
        op_id,
    ]
    assert simulator.operation(op_id)["type"] == "domain_teleport"
    assert op_id not in [op["id"] for op in simulator.operations()]


def test_a_duplicate_fails_again_whatever_the_relaunch_brings() -> None:
    clock = ManualClock(START)
    simulator = Simulator(seed=3, operations=0, clock=clock)
    key = simulator.keys[0]
    op_id = simulator.create("domain_create", step=BILL)
    for _ in range(100):  # move it to ERROR until the reason drawn is a duplicate
        simulator.move(op_id, ERROR)
        if simulator.operation(op_id)["errortype"] == "duplicate":
            break
    assert simulator.operation(op_id)["errortype"] == "duplicate"

    simulator.call("operation.relaunch", (key, op_id, {"authinfo": "x"}))
    clock.advance(LONGEST_SECONDS)

    assert simulator.operation(op_id)["errortype"] == "duplicate"


async def test_a_cancelled_operation_stops_moving(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str, sim_clock: ManualClock
) -> None:
    op_id = simulator.create("domain_create")
    await sim_rpc.call("operation.cancel", sim_key, op_id)

    sim_clock.advance(LONGEST_SECONDS)

    assert (await sim_rpc.call("operation.info", sim_key, op_id))["step"] == CANCEL
