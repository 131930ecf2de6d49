"""The Cancel button's confirmation modal, in each state, as Slack takes it."""

from __future__ import annotations

import json

import pytest

from opsbot.ui import ids, limits
from opsbot.ui.cancel_modal import cancel_loading_modal, cancel_metadata, cancel_modal
from opsbot.ui.payloads import CancelButtonValue, CancelMetadata, ListedPage, PayloadError
from opsbot.workspace.blocks import problems_as_messages, view_problems
from tests.support import every_surface
from tests.support.surfaces import HOSTILE, NOW, all_text, assert_modal_ok, sample_operation

URL = "https://hooks.slack.com/actions/T0123/1/abc"


def test_every_state_passes_the_limits_and_the_workspaces_rules() -> None:
    surfaces = every_surface._cancel_modal()
    assert len(surfaces) >= 5
    for view in surfaces:
        assert_modal_ok(view)
        assert problems_as_messages(view_problems(view)) == []


def test_loading_carries_the_metadata_and_cannot_be_submitted() -> None:
    metadata = CancelMetadata(CancelButtonValue(42, "info"), "C0123", URL)

    view = cancel_loading_modal(metadata)

    assert view["callback_id"] == ids.CALLBACK_CANCEL
    assert CancelMetadata.parse(view["private_metadata"]) == metadata
    assert "submit" not in view
    assert view["close"]["text"] == "Keep it"


def test_the_loaded_confirmation_shows_the_operation_and_submits_the_cancel() -> None:
    operation = sample_operation(42, step="WAIT", domain=HOSTILE)
    metadata = CancelMetadata(CancelButtonValue(42), "C0123", URL)

    view = cancel_modal(operation, metadata, in_flight=None, now=NOW)

    assert_modal_ok(view)
    assert view["title"]["text"] == "Cancel #42"
    assert view["submit"]["text"] == "Cancel operation"
    assert view["close"]["text"] == "Keep it"
    assert "Cancel operation *#42*?" in all_text(view)
    assert CancelMetadata.parse(view["private_metadata"]) == metadata


def test_a_list_page_too_long_for_the_metadata_leaves_the_list_as_it_was() -> None:
    # A Cancel value at a button's 2000 characters, escaped again inside the metadata.
    filters = {"type": '"' * 900}
    listed = ListedPage(filters, 0, 1, (42,))
    button = CancelButtonValue(42, "list", listed)
    assert len(button.to_value()) <= limits.BUTTON_VALUE

    fits = cancel_metadata(
        CancelButtonValue(42, "list", ListedPage({}, 0, 1, (42,))),
        channel_id="C0123",
        response_url=URL,
    )
    too_long = cancel_metadata(button, channel_id="C0123", response_url=URL)

    assert fits.button.listed is not None
    assert len(too_long.to_value()) <= limits.PRIVATE_METADATA
    assert too_long.button == CancelButtonValue(42)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "42",
        "{not json",
        '{"cancel":"x"}',
        '{"cancel":42}',
        '{"cancel":"1","channel_id":5}',
        None,
    ],
)
def test_tampered_cancel_metadata_is_refused(value: object) -> None:
    with pytest.raises(PayloadError, match="not cancel metadata"):
        CancelMetadata.parse(value)


def test_cancel_metadata_is_json_with_the_cancel_value() -> None:
    value = CancelMetadata(CancelButtonValue(7, "info"), "C0123").to_value()
    assert json.loads(value) == {"cancel": '{"id":7,"on":"info"}', "channel_id": "C0123"}
