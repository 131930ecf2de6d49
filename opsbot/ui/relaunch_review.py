"""Relaunch that starts from the error: the fields it asked for first, then what will change.

The relaunch form (:mod:`opsbot.ui.relaunch`) puts first the fields the
operation's last_error names, marked as what the registry asked for
(:func:`mark_asked`). When the person changed something, submitting shows a
review before the API is called (:func:`review_modal`, pushed on the form so
that *Back* returns to it): each changed field, its old value and its new
one, secrets masked both ways. Nothing changed is a relaunch as is, one click.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from opsbot.api.secret_params import is_secret_parameter
from opsbot.ui import ids, limits
from opsbot.ui.render import Modal, render_modal

ASKED_MARK: Final = "asked for by the registry"
# The review's heading and its closing note take two blocks.
CHANGES_SHOWN: Final = limits.MODAL_BLOCKS - 3
VALUE_SHOWN: Final = 200


@dataclass(frozen=True)
class FieldChange:
    """One field the relaunch changes; ``old`` None when it had no value the form knew."""

    name: str
    old: str | None
    new: str

    @property
    def secret(self) -> bool:
        return is_secret_parameter(self.name)

    @property
    def old_shown(self) -> str | None:
        if self.old is None:
            return None
        return "hidden" if self.secret else self.old

    @property
    def new_shown(self) -> str:
        return f"hidden ({len(self.new)} characters)" if self.secret else self.new


def changed_fields(params: Mapping[str, Any], values: Mapping[str, str]) -> list[FieldChange]:
    """What the submitted ``values`` change in the operation's current ``params``.

    Read against the operation as the API gives it at submit time, not the
    form: a redrawn form shows what was typed as its values, and a secret is
    never drawn at all.
    """
    changes = []
    for name, value in values.items():
        old = _text(params.get(name))
        if old != value:
            changes.append(FieldChange(name, old, value))
    return changes


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool | dict | list):
        return None
    text = str(value).strip()
    return text or None


def mark_asked(form: Modal, asked: Sequence[str]) -> Modal:
    """``form`` with the inputs of the ``asked`` fields labelled as the registry's request."""
    wanted = set(asked)
    blocks = []
    for block in form.get("blocks") or []:
        if block.get("type") == "input" and block.get("block_id") in wanted:
            label = f"{block['label']['text']} · {ASKED_MARK}"
            block = {**block, "label": {**block["label"], "text": label}}
        blocks.append(block)
    return limits.enforce_limits({**form, "blocks": blocks}, "modal")


def review_modal(op_id: int, changes: Sequence[FieldChange], *, metadata: str) -> Modal:
    """What will change, with Relaunch (submit) and Back (close: the form is under it).

    ``metadata``: what the submission needs back (opaque here: the caller
    encrypts it, since it holds the new values).
    """
    return render_modal(
        "relaunch_review.j2",
        operation_id=op_id,
        changes=list(changes[:CHANGES_SHOWN]),
        more=max(len(changes) - CHANGES_SHOWN, 0),
        value_shown=VALUE_SHOWN,
        metadata=metadata,
        callback_id=ids.CALLBACK_RELAUNCH_REVIEW,
    )
