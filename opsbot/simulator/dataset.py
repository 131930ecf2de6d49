"""The seeded history of a simulated account.

``random.Random(seed)`` drives everything, so a seed always gives the same
operations. Every type, every step and each registry that asks for extra
relaunch parameters shows up at least once (given enough operations); the
rest is drawn by weight. Ids grow with the creation date, from 100100 up as
in gandi.cli's fixture.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from opsbot.api.operation import BILL, CANCEL, DONE, ERROR, RUN, STEPS, SUPPORT, WAIT
from opsbot.simulator import lifecycle
from opsbot.simulator.products import (
    TYPE_WEIGHTS,
    TYPES,
    Resources,
    describe,
    draw_resources,
)
from opsbot.simulator.record import Failure, SimulatedOperation, Transition

FIRST_ID: Final = 100100
HISTORY: Final = dt.timedelta(days=60)

# Where the operations of an account stand when the simulator starts.
STEP_WEIGHTS: Final[Mapping[str, int]] = {
    DONE: 52,
    ERROR: 14,
    CANCEL: 7,
    SUPPORT: 3,
    BILL: 8,
    WAIT: 8,
    RUN: 8,
}

# Registries whose missing parameters every dataset shows at least once.
SHOWCASE_TLDS: Final = ("es", "ca", "it", "uk", "xn--55qx5d")


@dataclass(frozen=True)
class _Spec:
    type: str
    step: str
    tld: str | None = None
    missing_parameter: bool = False


def generate(
    *, seed: int, count: int, now: dt.datetime, speed: float, ids: Iterator[int]
) -> tuple[Resources, list[SimulatedOperation]]:
    """The resources of an account and its ``count`` operations as of ``now``."""
    rng = random.Random(seed)
    resources = draw_resources(rng)
    operations = [_history(rng, spec, resources, now, speed) for spec in _specs(rng, count)]
    operations.sort(key=lambda operation: operation.date_created)
    for operation in operations:
        operation.id = next(ids)
    return resources, operations


def new_operation(
    rng: random.Random,
    operation_type: str,
    resources: Resources,
    *,
    created: dt.datetime,
    domain: str | None = None,
    speed: float = 1.0,
) -> SimulatedOperation:
    """An operation of this type, just created: in BILL, nothing planned yet.

    Its id is 0 until the account it joins gives it one.
    """
    created = created.replace(microsecond=0)
    session_id = rng.randint(1_000_000, 9_999_999)
    description = describe(
        operation_type, rng, resources, created=created, session_id=session_id, domain=domain
    )
    return SimulatedOperation(
        id=0,
        type=operation_type,
        step=BILL,
        date_created=created,
        date_updated=created,
        expected_end=created + dt.timedelta(seconds=lifecycle.TYPICAL_SECONDS / speed),
        params=description.params,
        infos=description.infos,
        session_id=session_id,
        source=rng.choice(resources.sources),
    )


def _specs(rng: random.Random, count: int) -> list[_Spec]:
    showcase = [
        _Spec(("domain_create", "domain_transfer_in")[index % 2], ERROR, tld, True)
        for index, tld in enumerate(SHOWCASE_TLDS)
    ]
    every_step = [_Spec(_random_type(rng), step) for step in STEPS]
    every_type = [_Spec(operation_type, _random_step(rng)) for operation_type in TYPES]
    specs = [*showcase, *every_step, *every_type][:count]
    specs += [_Spec(_random_type(rng), _random_step(rng)) for _ in range(count - len(specs))]
    return specs


def _random_type(rng: random.Random) -> str:
    return rng.choices(TYPES, weights=list(TYPE_WEIGHTS.values()))[0]


def _random_step(rng: random.Random) -> str:
    return rng.choices(list(STEP_WEIGHTS), weights=list(STEP_WEIGHTS.values()))[0]


def _history(
    rng: random.Random, spec: _Spec, resources: Resources, now: dt.datetime, speed: float
) -> SimulatedOperation:
    if spec.step in lifecycle.ACTIVE_PATH:
        return _in_progress(rng, spec, resources, now, speed)
    created = now - dt.timedelta(seconds=rng.uniform(3600, HISTORY.total_seconds()))
    operation = new_operation(
        rng, spec.type, resources, created=created, domain=_domain_for(rng, spec, resources)
    )
    if spec.step == CANCEL:
        operation.enter(Transition(created + dt.timedelta(seconds=rng.uniform(2, 60)), CANCEL))
        return operation
    failure: Failure | None
    if spec.missing_parameter and spec.tld:
        failure = lifecycle.missing_parameter_failure(rng, spec.tld)
    else:
        failure = lifecycle.failure_for(spec.step, rng, operation.type, operation.params)
    for transition in lifecycle.plan(
        from_step=BILL, entered_at=created, rng=rng, speed=1.0, outcome=spec.step, failure=failure
    ):
        operation.enter(transition)
    return operation


def _in_progress(
    rng: random.Random, spec: _Spec, resources: Resources, now: dt.datetime, speed: float
) -> SimulatedOperation:
    """An operation caught in BILL, WAIT or RUN, with the rest of its way planned."""
    steps_before = lifecycle.ACTIVE_PATH[: lifecycle.ACTIVE_PATH.index(spec.step)]
    seconds_before = [lifecycle.step_seconds(rng, step) for step in steps_before]
    entered = now - dt.timedelta(seconds=rng.uniform(0, 20))
    created = entered - dt.timedelta(seconds=sum(seconds_before))
    operation = new_operation(rng, spec.type, resources, created=created)
    at = created
    for following, seconds in zip(lifecycle.ACTIVE_PATH[1:], seconds_before, strict=False):
        at += dt.timedelta(seconds=seconds)
        operation.enter(Transition(at, following))
    outcome = lifecycle.choose_outcome(rng)
    operation.upcoming = lifecycle.plan(
        from_step=spec.step,
        entered_at=now,
        rng=rng,
        speed=speed,
        outcome=outcome,
        failure=lifecycle.failure_for(outcome, rng, operation.type, operation.params),
    )
    return operation


def _domain_for(rng: random.Random, spec: _Spec, resources: Resources) -> str | None:
    if spec.tld is None:
        return None
    return rng.choice([domain.name for domain in resources.domains if domain.tld == spec.tld])
