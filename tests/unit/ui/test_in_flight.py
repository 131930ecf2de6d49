"""What else is in flight, on the cancel confirmation and the relaunch form, as Slack shows it."""

from __future__ import annotations

from typing import Any

from opsbot.api.catalog import RELAUNCH_PARAMETERS, choose_relaunch_fields
from opsbot.api.related import InFlight, ObjectRef
from opsbot.ui import limits
from opsbot.ui.in_flight import ROWS_SHOWN, InFlightView, with_in_flight
from opsbot.ui.operations import cancel_confirm_message
from opsbot.ui.relaunch import relaunch_modal
from opsbot.workspace.blocks import message_problems, problems_as_messages, view_problems
from tests.support.surfaces import (
    HOSTILE,
    NOW,
    all_text,
    assert_message_ok,
    assert_modal_ok,
    sample_operation,
)

DOMAIN = ObjectRef("domain", "example.es", "domain")


def _found(*others_and_types: tuple[int, str, str], target: ObjectRef = DOMAIN) -> InFlight:
    others = [
        sample_operation(op_id, type=type_, step=step) for op_id, type_, step in others_and_types
    ]
    return InFlight(target, others, [o for o in others if o.type == "domain_create"])


def _confirm(view: InFlightView | None) -> dict[str, Any]:
    message = cancel_confirm_message(sample_operation(1, step="WAIT"), now=NOW, in_flight=view)
    assert_message_ok(message)
    assert problems_as_messages(message_problems(message["blocks"])) == []
    return message


def _form(view: InFlightView | None) -> dict[str, Any]:
    failed = sample_operation(1)
    fields = choose_relaunch_fields(failed)
    form = relaunch_modal(failed, fields, extra_choices=[], now=NOW)
    shown = with_in_flight(form, view)
    assert_modal_ok(shown)
    assert problems_as_messages(view_problems(shown)) == []
    return shown


def test_the_cancel_confirmation_lists_what_else_is_in_flight_on_the_domain() -> None:
    found = _found((2, "domain_renew", "RUN"), (3, "domain_create", "BILL"))

    text = all_text(_confirm(InFlightView.of(found, NOW, warn_duplicates=False)))

    assert "*Also in flight on domain example.es:*" in text
    assert "*#2* `domain_renew` RUN" in text
    assert "*#3* `domain_create` BILL" in text
    # Cancelling duplicates nothing: no warning there.
    assert "duplicate" not in text


def test_the_relaunch_form_warns_when_it_would_duplicate_one_of_the_same_type() -> None:
    found = _found((2, "domain_renew", "RUN"), (3, "domain_create", "WAIT"))

    form = _form(InFlightView.of(found, NOW, warn_duplicates=True))

    warning = form["blocks"][1]["text"]["text"]
    assert warning.startswith(":warning: *Relaunching would duplicate #3*")
    assert "*#2* `domain_renew` RUN" in warning
    # The summary stays first, the form's inputs after.
    assert form["blocks"][0]["text"]["text"].startswith("*#1*")


def test_nothing_else_in_flight_is_said_and_an_unanswered_check_too() -> None:
    nothing = all_text(_confirm(InFlightView.of(_found(), NOW, warn_duplicates=False)))
    unknown = all_text(_confirm(InFlightView.unknown("domain example.es", HOSTILE)))
    without = all_text(_confirm(None))

    assert "Nothing else is in flight on domain example.es (BILL, WAIT or RUN)." in nothing
    assert "Could not check what else is in flight on domain example.es" in unknown
    assert "in flight" not in without


def test_many_in_flight_are_cut_with_the_command_showing_them_all() -> None:
    many = _found(*((n, "domain_renew", "RUN") for n in range(2, 40)))

    text = all_text(_form(InFlightView.of(many, NOW, warn_duplicates=True)))

    assert text.count("`domain_renew` RUN") == ROWS_SHOWN
    assert f"…and {38 - ROWS_SHOWN} more: `/ops list domain=example.es`" in text


def test_a_form_already_full_keeps_its_fields_rather_than_the_block() -> None:
    failed = sample_operation(1)
    everything = list(RELAUNCH_PARAMETERS.values())
    form = relaunch_modal(failed, everything, extra_choices=[], now=NOW)
    assert len(form["blocks"]) == limits.MODAL_BLOCKS

    shown = with_in_flight(
        form, InFlightView.of(_found((2, "x", "RUN")), NOW, warn_duplicates=True)
    )

    assert shown == form


def test_hostile_names_stay_escaped() -> None:
    hostile = ObjectRef("domain", HOSTILE, "domain")
    found = _found((2, HOSTILE, "RUN"), target=hostile)

    _confirm(InFlightView.of(found, NOW, warn_duplicates=False))
    _form(InFlightView.of(found, NOW, warn_duplicates=True))
