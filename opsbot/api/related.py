"""Other operations on the same object: what else is in flight for a domain, a VM, a certificate.

Before a cancel or a relaunch a person should see what else is under way
for the object the operation acts on. The object is read from the
operation's params (a domain name, a VM's or a certificate's id or host
name) and asked for with ONE ``operation.list`` filtered on it (the
reference's OperationListOptions: ``domain``, ``vm_id``, ``vm.hostname``,
``cert_id``, ``cert.hostname``); ``step`` takes one value only, so the
steps in flight (BILL, WAIT, RUN) are picked from the answer here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from opsbot.api.operation import BILL, RUN, WAIT, Operation

IN_FLIGHT_STEPS: Final = (BILL, WAIT, RUN)
# The newest this many operations on the object are looked at: far more than
# one object ever has under way at once.
LOOKED_AT: Final = 100

# (param holding the object, the list option filtering on it, what it is),
# most telling first: an id names the object exactly, a host name nearly.
_OBJECT_PARAMS: Final = (
    ("domain", "domain", "domain"),
    ("vm_id", "vm_id", "VM"),
    ("vm_hostname", "vm.hostname", "VM"),
    ("cert_id", "cert_id", "certificate"),
    ("cert_hostname", "cert.hostname", "certificate"),
)


@dataclass(frozen=True)
class ObjectRef:
    """The object an operation acts on: the list option that finds it, and its value."""

    option: str
    value: str | int
    kind: str  # "domain", "VM", "certificate"

    @property
    def label(self) -> str:
        return f"{self.kind} {self.value}"

    def list_options(self) -> dict[str, Any]:
        """One operation.list: the newest operations on this object."""
        return {
            self.option: self.value,
            "sort_by": "date_created DESC",
            "items_per_page": LOOKED_AT,
        }


@dataclass(frozen=True)
class InFlight:
    """What else is under way on ``target``'s object, and which of it is of its type."""

    target: ObjectRef
    others: Sequence[Operation]
    same_type: Sequence[Operation]


def object_of(operation: Operation) -> ObjectRef | None:
    """The object ``operation`` acts on, when its params name one."""
    params = operation.params
    for param, option, kind in _OBJECT_PARAMS:
        value = _usable(params.get(param), integer=option.endswith("_id"))
        if value is not None:
            return ObjectRef(option, value, kind)
    return None


def in_flight(operation: Operation, target: ObjectRef, listed: Iterable[Operation]) -> InFlight:
    """Of ``listed`` (the answer to ``target.list_options()``), the others in BILL, WAIT or RUN."""
    others = [
        other for other in listed if other.id != operation.id and other.step in IN_FLIGHT_STEPS
    ]
    same_type = [other for other in others if other.type == operation.type]
    return InFlight(target, others, same_type)


def _usable(value: Any, *, integer: bool) -> str | int | None:
    if integer:
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    return value if isinstance(value, str) and value.strip() else None
