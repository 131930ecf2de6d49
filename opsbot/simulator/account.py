"""One simulated account: its operations and the rules for acting on them.

Operations catch up with the clock lazily: every call first runs
:meth:`Account.advance`. Cancel and relaunch follow the live service's rules
(shared/reference/api-facts.md); ``move`` and ``create`` are the test
switches, which put an operation in a step now and let it carry on to DONE
from there.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Iterator, Mapping

from opsbot.api.catalog import parameters_named_in
from opsbot.api.operation import (
    BILL,
    CANCEL,
    CANCELLABLE_STEPS,
    DONE,
    ERROR,
    RELAUNCHABLE_TYPES,
    STEPS,
    SUPPORT,
    WAIT,
)
from opsbot.simulator import faults, lifecycle
from opsbot.simulator.dataset import new_operation
from opsbot.simulator.products import Resources
from opsbot.simulator.record import Failure, OperationSpec, SimulatedOperation, Transition


class Account:
    def __init__(
        self,
        *,
        seed: int,
        speed: float,
        resources: Resources,
        operations: Iterable[SimulatedOperation],
        ids: Iterator[int],
    ) -> None:
        self.seed = seed
        self.speed = speed
        self.resources = resources
        self._ids = ids
        self._operations = {operation.id: operation for operation in operations}

    def advance(self, now: dt.datetime) -> None:
        for operation in self._operations.values():
            if operation.upcoming:
                operation.advance(now)

    def operations(self) -> list[SimulatedOperation]:
        return list(self._operations.values())

    def find(self, op_id: int) -> SimulatedOperation | None:
        return self._operations.get(op_id)

    def get(self, op_id: int) -> SimulatedOperation:
        operation = self._operations.get(op_id)
        if operation is None:
            raise faults.operation_not_found(op_id)
        return operation

    def cancel(self, op_id: int, now: dt.datetime) -> None:
        self._put(self.check_cancellable(op_id), CANCEL, now)

    def check_cancellable(self, op_id: int) -> SimulatedOperation:
        """The operation, if a cancel may be asked of it now; the fault otherwise."""
        operation = self.get(op_id)
        if operation.step not in CANCELLABLE_STEPS:
            raise faults.invalid_step("cancel", op_id, operation.step)
        return operation

    def relaunch(self, op_id: int, params: Mapping[str, str], now: dt.datetime) -> None:
        """Back to BILL with the params merged in; it fails again if they do not help."""
        operation = self.get(op_id)
        if operation.type not in RELAUNCHABLE_TYPES:
            raise faults.not_relaunchable(op_id, operation.type)
        if operation.step != ERROR:
            raise faults.invalid_step("relaunch", op_id, operation.step)
        operation.params.update(params)
        failure = lifecycle.after_relaunch(operation.failure, operation.params)
        outcome = ERROR if failure else DONE
        self._put(operation, BILL, now, outcome=outcome, outcome_failure=failure)

    def move(self, op_id: int, step: str, now: dt.datetime) -> None:
        """Put an operation in ``step`` now (a test switch: no rule applies)."""
        if step not in STEPS:
            raise ValueError(f"unknown step {step!r}; steps are {', '.join(STEPS)}")
        operation = self._operations.get(op_id)
        if operation is None:
            raise KeyError(op_id)
        self._put(operation, step, now, failure=self._failure_in(operation, step))

    def create(self, spec: OperationSpec, now: dt.datetime) -> SimulatedOperation:
        """Create the operation ``spec`` asks for, in its step from ``now``."""
        if spec.step not in STEPS:
            raise ValueError(f"unknown step {spec.step!r}; steps are {', '.join(STEPS)}")
        op_id = next(self._ids)
        operation = new_operation(
            lifecycle.operation_rng(self.seed, op_id, 0),
            spec.type,
            self.resources,
            created=now,
            domain=spec.domain,
            speed=self.speed,
        )
        operation.id = op_id
        operation.params.update(spec.params or {})
        self._operations[op_id] = operation
        failure = self._failure_in(
            operation, spec.step, errortype=spec.errortype, last_error=spec.last_error
        )
        self._put(operation, spec.step, now, failure=failure)
        return operation

    def _failure_in(
        self,
        operation: SimulatedOperation,
        step: str,
        *,
        errortype: str | None = None,
        last_error: str | None = None,
    ) -> Failure | None:
        """Why an operation put in ERROR or SUPPORT by hand is there."""
        if step == SUPPORT or (step == ERROR and (errortype or last_error)):
            text = last_error or ("Failed" if step == ERROR else "Stopped for a manual check")
            needs = tuple(param.name for param in parameters_named_in(text))
            return Failure(errortype or ("unknown" if step == ERROR else None), text, needs)
        if step == ERROR:
            rng = self._next_attempt(operation)
            return lifecycle.choose_failure(rng, operation.type, operation.params)
        return None

    def _put(
        self,
        operation: SimulatedOperation,
        step: str,
        now: dt.datetime,
        *,
        failure: Failure | None = None,
        outcome: str = DONE,
        outcome_failure: Failure | None = None,
    ) -> None:
        """Enter ``step`` now; from an active step, plan the way on to ``outcome``."""
        operation.upcoming = []
        if step in (BILL, WAIT):
            operation.date_start = None
        elif step != CANCEL and operation.date_start is None:
            operation.date_start = now.replace(microsecond=0)
        operation.enter(Transition(now, step, failure))
        if step in lifecycle.ACTIVE_PATH:
            operation.expected_end = now + dt.timedelta(
                seconds=lifecycle.TYPICAL_SECONDS / self.speed
            )
            operation.upcoming = lifecycle.plan(
                from_step=step,
                entered_at=now,
                rng=self._next_attempt(operation),
                speed=self.speed,
                outcome=outcome,
                failure=outcome_failure,
            )

    def _next_attempt(self, operation: SimulatedOperation) -> random.Random:
        operation.attempts += 1
        return lifecycle.operation_rng(self.seed, operation.id, operation.attempts)
