"""How an operation moves: BILL → WAIT → RUN → DONE, sometimes ERROR or SUPPORT.

Durations are realistic at speed 1 (seconds in BILL and WAIT, minutes in
RUN) and divided by the speed. Why an operation fails follows the
reference's errortype table; some failures name the relaunch parameter a
registry is missing, and a relaunch that brings it succeeds.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Mapping
from typing import Any, Final

from opsbot.api.operation import BILL, DONE, ERROR, RUN, SUPPORT, WAIT
from opsbot.simulator.products import REGISTRY_PARAMETERS
from opsbot.simulator.record import Failure, Transition

ACTIVE_PATH: Final = (BILL, WAIT, RUN)

# Seconds spent in each active step at speed 1: (shortest, longest).
STEP_SECONDS: Final[Mapping[str, tuple[float, float]]] = {
    BILL: (3.0, 15.0),
    WAIT: (5.0, 60.0),
    RUN: (20.0, 300.0),
}
TYPICAL_SECONDS: Final = sum((low + high) / 2 for low, high in STEP_SECONDS.values())

_OUTCOME_WEIGHTS: Final[Mapping[str, int]] = {DONE: 85, ERROR: 11, SUPPORT: 4}
_MISSING_PARAMETER_TYPES: Final = frozenset({"domain_create", "domain_transfer_in"})
_SUPPORT_TEXT: Final = "Stopped for a manual check by our support team"


def operation_rng(seed: int, op_id: int, attempt: int) -> random.Random:
    """The randomness of one attempt of one operation, whatever happened before."""
    return random.Random(f"opsbot-sim:{seed}:{op_id}:{attempt}")


def step_seconds(rng: random.Random, step: str) -> float:
    low, high = STEP_SECONDS[step]
    return rng.uniform(low, high)


def choose_outcome(rng: random.Random) -> str:
    return rng.choices(list(_OUTCOME_WEIGHTS), weights=list(_OUTCOME_WEIGHTS.values()))[0]


def plan(
    *,
    from_step: str,
    entered_at: dt.datetime,
    rng: random.Random,
    speed: float,
    outcome: str,
    failure: Failure | None = None,
) -> list[Transition]:
    """The transitions after ``from_step`` (entered at ``entered_at``) up to the outcome.

    ``failure`` explains the outcome (ERROR or SUPPORT) and rides on the last one.
    """
    path = [*ACTIVE_PATH[ACTIVE_PATH.index(from_step) :], outcome]
    transitions = []
    at = entered_at
    for current, following in itertools.pairwise(path):
        at += dt.timedelta(seconds=step_seconds(rng, current) / speed)
        transitions.append(Transition(at, following))
    transitions[-1] = Transition(transitions[-1].at, outcome, failure)
    return transitions


def failure_for(
    outcome: str, rng: random.Random, operation_type: str, params: Mapping[str, Any]
) -> Failure | None:
    if outcome == ERROR:
        return choose_failure(rng, operation_type, params)
    if outcome == SUPPORT:
        return Failure(errortype=None, last_error=_SUPPORT_TEXT)
    return None


def choose_failure(rng: random.Random, operation_type: str, params: Mapping[str, Any]) -> Failure:
    """A plausible reason for this operation to end in ERROR."""
    tld = str(params.get("tld") or "")
    kinds = {"authorization_error": 1, "duplicate": 1, "ratelimit": 1, "timeout": 2, "unknown": 1}
    if operation_type in _MISSING_PARAMETER_TYPES and tld in REGISTRY_PARAMETERS:
        kinds["missing_parameter"] = 6
    if operation_type == "domain_transfer_in":
        kinds["authorization_error"] = 3
    kind = rng.choices(list(kinds), weights=list(kinds.values()))[0]
    if kind == "missing_parameter":
        return missing_parameter_failure(rng, tld)
    return _FAILURE_BUILDERS[kind](rng, operation_type, params)


def missing_parameter_failure(rng: random.Random, tld: str) -> Failure:
    names = REGISTRY_PARAMETERS[tld]
    needs = tuple(sorted(rng.sample(names, rng.randint(1, min(2, len(names))))))
    return Failure("missing_parameter", missing_parameter_text(needs), needs=needs)


def missing_parameter_text(names: tuple[str, ...]) -> str:
    if len(names) == 1:
        return f"missing parameter {names[0]}"
    return f"missing parameters {', '.join(names)}"


def after_relaunch(previous: Failure | None, params: Mapping[str, Any]) -> Failure | None:
    """How a relaunch with these params ends: None for DONE, else the failure.

    A fatal failure (a duplicate) fails again; a failure that needs
    parameters fails again, naming the ones still missing, until they come.
    """
    if previous is None:
        return None
    if previous.fatal:
        return previous
    missing = tuple(name for name in previous.needs if not params.get(name))
    if not missing:
        return None
    if previous.errortype == "missing_parameter":
        return Failure(previous.errortype, missing_parameter_text(missing), needs=missing)
    return previous


def _authorization(_rng: random.Random, operation_type: str, params: Mapping[str, Any]) -> Failure:
    if operation_type == "domain_transfer_in":
        text = f"Invalid authinfo code for domain {params.get('domain')}"
        return Failure("authorization_error", text, needs=("authinfo",))
    return Failure("authorization_error", "Authorization denied: this account cannot do that")


def _duplicate(_rng: random.Random, _operation_type: str, params: Mapping[str, Any]) -> Failure:
    name = params.get("domain") or params.get("vm_hostname") or params.get("disk_name")
    what = f"{name} already exists" if name else "the object already exists"
    return Failure("duplicate", f"Duplicate: {what}", fatal=True)


def _ratelimit(_rng: random.Random, _operation_type: str, params: Mapping[str, Any]) -> Failure:
    where = "registry" if params.get("param_type") == "domain" else "backend"
    return Failure("ratelimit", f"Rate limit reached at the {where}, try again later")


def _timeout(_rng: random.Random, _operation_type: str, params: Mapping[str, Any]) -> Failure:
    where = "the registry" if params.get("param_type") == "domain" else "the hypervisor"
    return Failure("timeout", f"Timeout while waiting for {where}")


def _unknown(rng: random.Random, _operation_type: str, _params: Mapping[str, Any]) -> Failure:
    return Failure("unknown", f"Unexpected error (reference {rng.getrandbits(32):08x})")


_FAILURE_BUILDERS: Final = {
    "authorization_error": _authorization,
    "duplicate": _duplicate,
    "ratelimit": _ratelimit,
    "timeout": _timeout,
    "unknown": _unknown,
}
