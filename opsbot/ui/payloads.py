"""What buttons and modals carry, one typed codec per payload, beside the ids.

Slack hands back a button's ``value`` and a modal's ``private_metadata``
exactly as we wrote them, but anyone can post a forged interaction, so each
payload is parsed once, at the edge, into a typed value; everything past the
listener trusts that value. Every codec writes with ``to_value()`` and reads
with ``parse()``, which raises :class:`PayloadError` for anything opsbot did
not write.

- :class:`OperationButtonValue`: Info, Watch, Unwatch, Relaunch and the
  answers to ``/ops cancel``: the operation id (templates write it as
  ``{{ row.id }}``, the same decimal text);
- :class:`CancelButtonValue`: Cancel on a list row or an info card;
- :class:`PageButtonValue`: Previous and Next under a list;
- :class:`RelaunchMetadata`: the relaunch modal's ``private_metadata``;
- :class:`CancelMetadata`: the cancel confirmation's ``private_metadata``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from opsbot.api.filters import MAX_INT
from opsbot.ui.echo import PAGE, button_filters

_DECIMAL: Final = re.compile(r"[0-9]{1,10}")
_SHOWN_CHARS: Final = 100


class PayloadError(ValueError):
    """A button value or private_metadata that opsbot did not write: forged, cut, or foreign."""


@dataclass(frozen=True)
class OperationButtonValue:
    """A button that acts on one operation: its id, as decimal text."""

    op_id: int

    def to_value(self) -> str:
        return str(self.op_id)

    @classmethod
    def parse(cls, value: object) -> OperationButtonValue:
        if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
            raise PayloadError(f"not an operation id: {_shown(value)}")
        op_id = int(value)
        if op_id > MAX_INT:
            raise PayloadError(f"not an operation id: {_shown(value)}")
        return cls(op_id)


@dataclass(frozen=True)
class ListedPage:
    """A page of ``/ops list`` as shown: enough to draw it again.

    ``filters`` are those the person chose, as JSON carries them, without
    ``page``; ``total`` the count shown in its heading; ``ids`` its rows, in
    the order they were shown.
    """

    filters: Mapping[str, Any]
    page: int
    total: int | None
    ids: tuple[int, ...]

    def to_fields(self) -> dict[str, Any]:
        return {
            "filters": dict(self.filters),
            PAGE: self.page,
            "total": self.total,
            "ids": list(self.ids),
        }

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> ListedPage:
        """Raises KeyError, TypeError or ValueError; :class:`CancelButtonValue` words them."""
        total = fields["total"]
        return cls(
            filters=_object(fields["filters"]),
            page=_count(fields[PAGE]),
            total=None if total is None else _count(total),
            ids=tuple(_count(row_id) for row_id in fields["ids"]),
        )


CancelSource = Literal["info", "list"]


@dataclass(frozen=True)
class CancelButtonValue:
    """What a Cancel button carries: the operation, and where it was clicked.

    Slack does not send back an ephemeral message with a click on it, so the
    message a Cancel was clicked in can be redrawn only from this value:
    ``{"id": N, "on": "info"}`` on an info card, ``{"id": N, "on": "list",
    "list": {"filters", "page", "total", "ids"}}`` on a list row. A bare id (``"N"``)
    is a Cancel whose message is not redrawn (a cancel report in a channel,
    a list row whose page would not fit in a button).
    """

    op_id: int
    source: CancelSource | None = None
    listed: ListedPage | None = None

    def to_value(self) -> str:
        if self.source is None:
            return OperationButtonValue(self.op_id).to_value()
        fields: dict[str, Any] = {"id": self.op_id, "on": self.source}
        if self.listed is not None:
            fields["list"] = self.listed.to_fields()
        return _compact(fields)

    @classmethod
    def parse(cls, value: object) -> CancelButtonValue:
        """The value as a button carries it; PayloadError when it is not one of ours."""
        if isinstance(value, str) and _DECIMAL.fullmatch(value):
            return cls(OperationButtonValue.parse(value).op_id)
        try:
            fields = _object(json.loads(_text(value)))
            op_id = _count(fields["id"])
            if fields.get("on") == "info":
                return cls(op_id, "info")
            if fields.get("on") != "list":
                return cls(op_id)
            listed = ListedPage.from_fields(_object(fields["list"]))
        except (ValueError, KeyError, TypeError):
            raise PayloadError(f"not a Cancel button value: {_shown(value)}") from None
        return cls(op_id, "list", listed)


@dataclass(frozen=True)
class PageButtonValue:
    """What Previous and Next carry: the filters the person chose, and the page to show.

    On the wire: ``{"filters": {...}, "page": N}`` (``page`` 0 is the first).
    """

    filters: Mapping[str, Any]
    page: int

    @classmethod
    def of(cls, filters: Mapping[str, Any], page: int) -> PageButtonValue:
        """The button to ``page`` of a list asked for with ``filters`` (any page key is dropped)."""
        return cls(button_filters(filters), page)

    def list_filters(self) -> dict[str, Any]:
        """The filters to list this page with."""
        return {**self.filters, PAGE: self.page}

    def to_value(self) -> str:
        return _compact({"filters": dict(self.filters), PAGE: self.page})

    @classmethod
    def parse(cls, value: object) -> PageButtonValue:
        try:
            fields = _object(json.loads(_text(value)))
            filters = _object(fields["filters"])
            return cls(filters, _count(fields[PAGE]))
        except (ValueError, KeyError, TypeError):
            raise PayloadError(f"not a page button value: {_shown(value)}") from None


@dataclass(frozen=True)
class RelaunchMetadata:
    """What the relaunch modal carries in private_metadata: the operation, and where to answer.

    On the wire: ``{"operation_id": N}``, plus ``channel_id`` and
    ``response_url`` when the modal was opened from somewhere that has them.
    """

    operation_id: int
    channel_id: str | None = None
    response_url: str | None = None

    def to_value(self) -> str:
        fields = {"operation_id": self.operation_id}
        return _compact(_answered_at(fields, self.channel_id, self.response_url))

    @classmethod
    def parse(cls, value: object) -> RelaunchMetadata:
        try:
            fields = _object(json.loads(_text(value)))
            return cls(
                operation_id=_count(fields["operation_id"]),
                **_where_to_answer(fields),
            )
        except (ValueError, KeyError, TypeError):
            raise PayloadError(f"not relaunch metadata: {_shown(value)}") from None


@dataclass(frozen=True)
class CancelMetadata:
    """What the cancel confirmation carries in private_metadata: the Cancel clicked, and
    where to answer (the row or card it sits in is redrawn through ``response_url``).

    On the wire: ``{"cancel": <the CancelButtonValue text>}``, plus
    ``channel_id`` and ``response_url`` when the click had them.
    """

    button: CancelButtonValue
    channel_id: str | None = None
    response_url: str | None = None

    def to_value(self) -> str:
        fields = {"cancel": self.button.to_value()}
        return _compact(_answered_at(fields, self.channel_id, self.response_url))

    @classmethod
    def parse(cls, value: object) -> CancelMetadata:
        try:
            fields = _object(json.loads(_text(value)))
            return cls(
                button=CancelButtonValue.parse(fields["cancel"]),
                **_where_to_answer(fields),
            )
        except (ValueError, KeyError, TypeError):
            raise PayloadError(f"not cancel metadata: {_shown(value)}") from None


def _answered_at(
    fields: Mapping[str, Any], channel_id: str | None, response_url: str | None
) -> dict[str, Any]:
    """A modal's metadata ``fields`` with where to answer, when the modal was opened from there."""
    where = {"channel_id": channel_id, "response_url": response_url}
    return {**fields, **{name: value for name, value in where.items() if value}}


def _where_to_answer(fields: Mapping[str, Any]) -> dict[str, str | None]:
    """The channel and response_url of a modal's metadata; TypeError if not text."""
    return {name: _optional_text(fields.get(name)) for name in ("channel_id", "response_url")}


def _compact(fields: Mapping[str, Any]) -> str:
    # Compact: a button value holds 2000 characters, and a list page uses many.
    return json.dumps(fields, separators=(",", ":"))


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(type(value).__name__)
    return value


def _object(value: object) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise TypeError("not a JSON object")
    return dict(value)


def _count(value: object) -> int:
    """A whole number from 0 up: ids, pages, totals (never a bool, a float or text)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT:
        raise ValueError(f"not a count: {value!r}")
    return value


def _optional_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(type(value).__name__)


def _shown(value: object) -> str:
    return repr(value)[:_SHOWN_CHARS]
