"""The five methods of the operation namespace, as the simulator answers them.

Each takes the caller's account, the call's moment and clock
(:class:`CallContext`) and the call's arguments after the API key, and
returns what goes on the wire or raises the fault.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from opsbot.api import errors
from opsbot.api.catalog import RELAUNCH_PARAMETERS
from opsbot.simulator import faults
from opsbot.simulator.account import Account
from opsbot.simulator.query import parse_options, require_int


@dataclass(frozen=True)
class CallContext:
    """When a call is answered (UTC), and the API's clock its date filters are read on."""

    now: dt.datetime
    zone: dt.tzinfo


def list_operations(
    account: Account, call: CallContext, opts: object = None
) -> list[dict[str, Any]]:
    query = parse_options(opts, call.zone)
    return [operation.to_struct(call.now) for operation in query.select(account.operations())]


def flood_operations(
    account: Account, call: CallContext, opts: object = None, *, rows: int
) -> list[dict[str, Any]]:
    """operation.list from an API that ignores items_per_page: ``rows`` rows, whatever was asked.

    The matching operations, repeated until there are ``rows``, each bare
    (id, type, step), so that tens of thousands fit in a reply a client reads.
    """
    query = parse_options(opts, call.zone)
    matching = [operation for operation in account.operations() if query.matches(operation)]
    return [
        {"id": operation.id, "type": operation.type, "step": operation.step}
        for operation in itertools.islice(itertools.cycle(matching), rows)
    ]


def count_operations(account: Account, call: CallContext, opts: object = None) -> int:
    return parse_options(opts, call.zone).count(account.operations())


def operation_info(account: Account, call: CallContext, operation: object) -> dict[str, Any]:
    return account.get(require_int("operation", operation)).to_struct(call.now)


def cancel_operation(account: Account, call: CallContext, operation: object) -> bool:
    account.cancel(require_int("operation", operation), call.now)
    return True


def accept_cancel(account: Account, _call: CallContext, operation: object) -> bool:
    """A cancel accepted but not carried out yet: checked as a cancel is, nothing moves."""
    account.check_cancellable(require_int("operation", operation))
    return True


def relaunch_operation(
    account: Account, call: CallContext, operation: object, params: object = None
) -> bool:
    op_id = require_int("operation", operation)
    account.relaunch(op_id, _relaunch_params(params), call.now)
    return True


def _relaunch_params(params: object) -> dict[str, str]:
    """RelaunchOperationParameters: names from the reference, string values."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise faults.bad_parameter(faults.OBJECT_STRUCT, "params: expected a struct")
    checked = {}
    for name, value in params.items():
        if name not in RELAUNCH_PARAMETERS:
            raise faults.bad_parameter(faults.OBJECT_STRUCT, f"unknown parameter {name[:60]!r}")
        if not isinstance(value, str):
            raise faults.bad_parameter(errors.OBJECT_STRING, f"{name}: expected a string")
        checked[name] = value
    return checked


@dataclass(frozen=True)
class Method:
    handler: Callable[..., Any]
    required: int
    optional: int = 0

    def accepts(self, count: int) -> bool:
        return self.required <= count <= self.required + self.optional

    @property
    def arity(self) -> str:
        """How many parameters the call takes, the API key included."""
        low, high = self.required + 1, self.required + self.optional + 1
        return str(low) if low == high else f"{low} to {high}"


METHODS: Final[Mapping[str, Method]] = {
    "operation.list": Method(list_operations, required=0, optional=1),
    "operation.count": Method(count_operations, required=0, optional=1),
    "operation.info": Method(operation_info, required=1),
    "operation.cancel": Method(cancel_operation, required=1),
    "operation.relaunch": Method(relaunch_operation, required=1, optional=1),
}
