"""The values a person has entered in a view, in the shape Slack reports them.

``view.state.values`` is ``{block_id: {action_id: value}}`` for every input
block, pre-filled values included (a ``view_submission`` carries what the
person did not touch too). A value's shape depends on its element:
``{"type": "plain_text_input", "value": "…"}``, ``{"type": "static_select",
"selected_option": {…}}``, and so on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final

JSON = dict[str, Any]

# The element's initial field and the state key Slack reports it under.
_FIELDS: Final[dict[str, tuple[str, str]]] = {
    "plain_text_input": ("initial_value", "value"),
    "number_input": ("initial_value", "value"),
    "email_text_input": ("initial_value", "value"),
    "url_text_input": ("initial_value", "value"),
    "static_select": ("initial_option", "selected_option"),
    "external_select": ("initial_option", "selected_option"),
    "radio_buttons": ("initial_option", "selected_option"),
    "multi_static_select": ("initial_options", "selected_options"),
    "multi_external_select": ("initial_options", "selected_options"),
    "checkboxes": ("initial_options", "selected_options"),
    "users_select": ("initial_user", "selected_user"),
    "multi_users_select": ("initial_users", "selected_users"),
    "conversations_select": ("initial_conversation", "selected_conversation"),
    "multi_conversations_select": ("initial_conversations", "selected_conversations"),
    "channels_select": ("initial_channel", "selected_channel"),
    "multi_channels_select": ("initial_channels", "selected_channels"),
    "datepicker": ("initial_date", "selected_date"),
    "timepicker": ("initial_time", "selected_time"),
}
_MULTI_EMPTY: Final = frozenset(
    {"selected_options", "selected_users", "selected_conversations", "selected_channels"}
)


def fill_ids(blocks: list[Any], fresh: Callable[[], str]) -> None:
    """Give every block and element without an id one, as Slack does when storing a view."""
    for block in blocks:
        if isinstance(block, dict):
            block.setdefault("block_id", fresh())
            for element in _block_elements(block):
                element.setdefault("action_id", fresh())


def initial_values(blocks: list[Any]) -> JSON:
    values: JSON = {}
    for block in _input_blocks(blocks):
        element = block["element"]
        values[block["block_id"]] = {element["action_id"]: initial_value(element)}
    return values


def initial_value(element: JSON) -> JSON:
    kind = str(element.get("type"))
    initial, key = _FIELDS.get(kind, ("initial_value", "value"))
    default: Any = [] if key in _MULTI_EMPTY else None
    return {"type": kind, key: element.get(initial, default)}


def keep_entered(old: JSON, new: JSON) -> JSON:
    """What views.update keeps: entries whose block_id and action_id did not change.

    docs.slack.dev/surfaces/modals ("Preserving input entry"): the new view must
    contain "the same input blocks and elements with identical block_id and
    action_id values".
    """
    kept: JSON = {}
    for block_id, actions in new.items():
        previous = old.get(block_id, {})
        kept[block_id] = {a: previous.get(a, value) for a, value in actions.items()}
    return kept


def value_for(element: JSON, chosen: Any) -> JSON:
    """The state value for ``chosen``: a text, an option's value, or a list of them."""
    kind = str(element.get("type"))
    _, key = _FIELDS.get(kind, ("initial_value", "value"))
    if key == "selected_option":
        return {"type": kind, key: None if chosen is None else option_for(element, chosen)}
    if key == "selected_options":
        return {"type": kind, key: [option_for(element, value) for value in chosen or []]}
    return {"type": kind, key: chosen}


def option_for(element: JSON, value: Any) -> JSON:
    """The option a person picked by its value (an external select's option is given whole)."""
    if isinstance(value, dict):
        return value
    for option in all_options(element):
        if option.get("value") == value:
            return dict(option)
    raise ValueError(f"{element.get('action_id')} offers no option {value!r}")


def all_options(element: JSON) -> Iterator[JSON]:
    yield from element.get("options") or []
    for group in element.get("option_groups") or []:
        yield from group.get("options") or []


def find_element(
    blocks: list[Any], action_id: str, block_id: str | None = None
) -> tuple[str, JSON]:
    """The (block_id, element) a person acts on; ``ValueError`` if the surface has none."""
    for block in blocks:
        if not isinstance(block, dict) or block_id not in (None, block.get("block_id")):
            continue
        for element in _block_elements(block):
            if element.get("action_id") == action_id:
                return str(block.get("block_id")), element
    raise ValueError(f"no element with action_id {action_id!r}")


def input_element(blocks: list[Any], block_id: str) -> JSON:
    for block in _input_blocks(blocks):
        if block["block_id"] == block_id:
            return dict(block["element"])
    raise ValueError(f"no input block {block_id!r}")


def missing_required(blocks: list[Any], values: JSON) -> list[str]:
    """Required inputs left empty: Slack's client refuses the submit itself."""
    missing = []
    for block in _input_blocks(blocks):
        if block.get("optional"):
            continue
        value: JSON = next(iter(values.get(block["block_id"], {}).values()), {})
        if not any(v for k, v in value.items() if k != "type"):
            missing.append(block["block_id"])
    return missing


def _input_blocks(blocks: list[Any]) -> Iterator[JSON]:
    for block in blocks:
        if (
            isinstance(block, dict)
            and block.get("type") == "input"
            and isinstance(block.get("element"), dict)
        ):
            yield block


def _block_elements(block: JSON) -> Iterator[JSON]:
    candidates: list[Any] = [block.get("accessory"), block.get("element")]
    candidates.extend(block.get("elements") or [] if block.get("type") == "actions" else [])
    for element in candidates:
        if isinstance(element, dict) and element.get("type") not in (None, "image"):
            yield element
