"""The relaunch form's asked-for fields and the review of what will change, as Slack shows them."""

from __future__ import annotations

from typing import Any

from opsbot.api.catalog import RELAUNCH_PARAMETERS
from opsbot.ui import ids
from opsbot.ui.relaunch import relaunch_modal
from opsbot.ui.relaunch_review import (
    ASKED_MARK,
    CHANGES_SHOWN,
    FieldChange,
    changed_fields,
    mark_asked,
    review_modal,
)
from opsbot.workspace.blocks import problems_as_messages, view_problems
from tests.support.surfaces import HOSTILE, NOW, all_text, assert_modal_ok, sample_operation

FIELDS = ["x-es_owner_tipo_identification", "x-es_owner_identification", "authinfo"]


def _form() -> dict[str, Any]:
    failed = sample_operation(
        1,
        domain="example.es",
        params={"x-es_owner_identification": "X123", "authinfo": "old-secret"},
    )
    chosen = [RELAUNCH_PARAMETERS[name] for name in FIELDS]
    return relaunch_modal(failed, chosen, extra_choices=[], now=NOW)


def _ok(view: dict[str, Any]) -> None:
    assert_modal_ok(view)
    assert problems_as_messages(view_problems(view)) == []


def test_the_fields_the_registry_asked_for_are_marked() -> None:
    marked = mark_asked(_form(), ["x-es_owner_tipo_identification"])

    _ok(marked)
    labels = {b["block_id"]: b["label"]["text"] for b in marked["blocks"] if b["type"] == "input"}
    assert labels["x-es_owner_tipo_identification"].endswith(f" · {ASKED_MARK}")
    assert labels["x-es_owner_identification"] == "x-es_owner_identification"


def test_what_changed_is_read_against_the_operations_current_params() -> None:
    params = {"x-es_owner_identification": "X123", "authinfo": "old-secret", "nested": {"a": 1}}

    changes = changed_fields(
        params,
        {
            "x-es_owner_identification": "X123",
            "x-es_owner_tipo_identification": "1",
            "authinfo": "new-secret",
            "nested": "flat",
        },
    )

    assert changes == [
        FieldChange("x-es_owner_tipo_identification", None, "1"),
        FieldChange("authinfo", "old-secret", "new-secret"),
        FieldChange("nested", None, "flat"),
    ]
    assert changed_fields(params, {"x-es_owner_identification": "X123"}) == []
    assert changed_fields(params, {"authinfo": "old-secret"}) == []


def test_the_review_shows_old_and_new_values_with_secrets_masked() -> None:
    changes = [
        FieldChange("x-es_owner_identification", "X123", "Y456"),
        FieldChange("authinfo", "old-secret", "new-secret"),
        FieldChange("x-es_owner_tipo_identification", None, "1"),
    ]

    review = review_modal(42, changes, metadata="sealed")

    _ok(review)
    assert review["callback_id"] == ids.CALLBACK_RELAUNCH_REVIEW
    assert (review["submit"]["text"], review["close"]["text"]) == ("Relaunch", "Back")
    text = all_text(review)
    assert "*x-es_owner_identification*\n`X123` → `Y456`" in text
    assert "*authinfo*\n`hidden` → `hidden (10 characters)`" in text
    assert "*x-es_owner_tipo_identification*\n_not set_ → `1`" in text
    assert "secret" not in text


def test_a_long_review_stays_within_the_modal_with_hostile_values_escaped() -> None:
    changes = [FieldChange(f"x-field-{n}", HOSTILE, HOSTILE * 20) for n in range(150)]

    review = review_modal(42, changes, metadata="sealed")

    _ok(review)
    assert f"…and {150 - CHANGES_SHOWN} more." in all_text(review)
