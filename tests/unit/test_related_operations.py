"""Which object an operation acts on, and what else is in flight on it."""

from __future__ import annotations

from typing import Any

from opsbot.api.operation import Operation
from opsbot.api.related import IN_FLIGHT_STEPS, ObjectRef, in_flight, object_of


def operation(
    op_id: int, type_: str = "domain_create", step: str = "ERROR", **params: Any
) -> Operation:
    return Operation.from_api({"id": op_id, "type": type_, "step": step, "params": params})


def test_the_object_is_the_domain_the_vm_or_the_certificate() -> None:
    assert object_of(operation(1, domain="example.com")) == ObjectRef(
        "domain", "example.com", "domain"
    )
    assert object_of(operation(2, "vm_reboot", vm_id=42, vm_hostname="web1")) == ObjectRef(
        "vm_id", 42, "VM"
    )
    assert object_of(operation(3, "vm_stop", vm_hostname="web1")) == ObjectRef(
        "vm.hostname", "web1", "VM"
    )
    assert object_of(operation(4, "cert_renew", cert_hostname="www.example.com")) == ObjectRef(
        "cert.hostname", "www.example.com", "certificate"
    )
    assert object_of(operation(5, "contact_update")) is None
    # A value of the wrong kind names nothing.
    assert object_of(operation(6, "vm_stop", vm_id="42", domain=" ")) is None


def test_one_list_call_asks_for_the_newest_on_that_object() -> None:
    target = ObjectRef("domain", "example.com", "domain")

    assert target.list_options() == {
        "domain": "example.com",
        "sort_by": "date_created DESC",
        "items_per_page": 100,
    }
    assert target.label == "domain example.com"


def test_in_flight_are_the_others_in_bill_wait_or_run_and_same_type_ones_stand_out() -> None:
    failed = operation(1, domain="example.com")
    listed = [
        failed,
        operation(2, step="RUN", domain="example.com"),
        operation(3, "domain_renew", step="WAIT", domain="example.com"),
        operation(4, "domain_renew", step="DONE", domain="example.com"),
        operation(5, "domain_ns_set", step="BILL", domain="example.com"),
        operation(6, step="ERROR", domain="example.com"),
    ]

    found = in_flight(failed, object_of(failed) or ObjectRef("domain", "x", "domain"), listed)

    assert [o.id for o in found.others] == [2, 3, 5]
    assert [o.id for o in found.same_type] == [2]
    assert set(IN_FLIGHT_STEPS) == {"BILL", "WAIT", "RUN"}
