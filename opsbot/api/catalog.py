"""What the operation API accepts: list filters, relaunch parameters, steps, types.

The facts live in catalog.json beside this module (built by
tools/build_catalog.py from the API's reference page and api-facts.md); this
module loads them into typed, read-only tables and chooses which relaunch
fields an operation's relaunch form should show.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, Final, Literal

from opsbot.api.operation import Operation

GENERIC_GROUP: Final = "generic"

# A Slack modal holds at most 100 blocks; the rest are for the header, the
# operation's context, the error text and the "add a field" select.
MAX_RELAUNCH_FIELDS: Final = 90

# Types that move a domain from another registrar and so need its auth code.
TRANSFER_TYPES: Final = frozenset({"domain_transfer_in", "domain_transfer_reseller"})

InputKind = Literal["select", "date", "text"]


@dataclass(frozen=True)
class ListOption:
    """One of OperationListOptions, the filters of operation.list and .count.

    ``type`` is "int", "string" or "int_or_int_array"; ``values`` holds the
    known values of the two enumerations, ``step`` and ``type``.
    """

    name: str
    type: str
    default: int | str | None
    description: str
    is_date: bool
    is_enum: bool
    values: tuple[str, ...]


@dataclass(frozen=True)
class EnumValue:
    value: str
    label: str


@dataclass(frozen=True)
class RelaunchParameter:
    """One of RelaunchOperationParameters.

    ``group`` is the registry the parameter belongs to (".es", ".xn--55qx5d")
    or "generic" for those that apply to any TLD. ``values`` is empty for an
    enumeration whose values no public source lists; ``hint`` is placeholder
    text for a free-text input ("" when there is nothing useful to say).
    """

    name: str
    type: str
    default: str | None
    is_enum: bool
    values: tuple[EnumValue, ...]
    values_source: str | None
    group: str
    is_date: bool
    hint: str

    @property
    def input_kind(self) -> InputKind:
        if self.values:
            return "select"
        if self.is_date:
            return "date"
        return "text"


def _load() -> Mapping[str, Any]:
    text = resources.files("opsbot.api").joinpath("catalog.json").read_text(encoding="utf-8")
    data: Mapping[str, Any] = json.loads(text)
    return data


def _list_option(raw: Mapping[str, Any]) -> ListOption:
    return ListOption(
        name=raw["name"],
        type=raw["type"],
        default=raw["default"],
        description=raw["description"],
        is_date=raw["is_date"],
        is_enum=raw["is_enum"],
        values=tuple(raw["values"]),
    )


def _relaunch_parameter(raw: Mapping[str, Any]) -> RelaunchParameter:
    return RelaunchParameter(
        name=raw["name"],
        type=raw["type"],
        default=raw["default"],
        is_enum=raw["is_enum"],
        values=tuple(EnumValue(value=v["value"], label=v["label"]) for v in raw["values"]),
        values_source=raw["values_source"],
        group=raw["group"],
        is_date=raw["is_date"],
        hint=raw["hint"],
    )


_CATALOG: Final = _load()

LIST_OPTIONS: Final[Mapping[str, ListOption]] = MappingProxyType(
    {option.name: option for option in map(_list_option, _CATALOG["list_options"])}
)
RELAUNCH_PARAMETERS: Final[Mapping[str, RelaunchParameter]] = MappingProxyType(
    {param.name: param for param in map(_relaunch_parameter, _CATALOG["relaunch_parameters"])}
)
KNOWN_STEPS: Final[tuple[str, ...]] = LIST_OPTIONS["step"].values
SORT_FIELDS: Final[tuple[str, ...]] = tuple(_CATALOG["sort_fields"])


def registry_group_for_tld(tld: str) -> str:
    """The group of a TLD's own parameters: "ES" → ".es", "公司" → ".xn--55qx5d"."""
    label = tld.strip().strip(".").lower()
    # A label that is not valid IDNA stays as it is: no registry group matches it.
    with contextlib.suppress(UnicodeError):
        label = label.encode("idna").decode("ascii")
    return "." + label


def relaunch_parameters_for_group(group: str) -> list[RelaunchParameter]:
    """Parameters of one group, in reference order ("es" and ".es" both work)."""
    if group != GENERIC_GROUP:
        group = registry_group_for_tld(group)
    return [param for param in RELAUNCH_PARAMETERS.values() if param.group == group]


def choose_relaunch_fields(
    operation: Operation, limit: int = MAX_RELAUNCH_FIELDS
) -> list[RelaunchParameter]:
    """The relaunch inputs worth showing for this operation, most useful first.

    In this order: `authinfo` for a transfer, the TLD's own fields, the
    generic document fields (always, not only when the TLD has none: they
    apply to every registry), the parameters already in the operation's
    params, and those its last_error names. No duplicates; at most ``limit``.
    """
    chosen: dict[str, RelaunchParameter] = {}
    for param in _candidates(operation):
        chosen.setdefault(param.name, param)
    return list(chosen.values())[: max(limit, 0)]


def _candidates(operation: Operation) -> Iterable[RelaunchParameter]:
    if operation.type in TRANSFER_TYPES:
        yield RELAUNCH_PARAMETERS["authinfo"]
    if operation.tld:
        yield from relaunch_parameters_for_group(registry_group_for_tld(operation.tld))
    yield from _generic_document_fields()
    yield from (
        RELAUNCH_PARAMETERS[name] for name in operation.params if name in RELAUNCH_PARAMETERS
    )
    yield from parameters_named_in(operation.last_error or "")


def _generic_document_fields() -> list[RelaunchParameter]:
    return [
        param
        for param in relaunch_parameters_for_group(GENERIC_GROUP)
        if param.name.startswith("x-document_")
    ]


def parameters_named_in(text: str) -> list[RelaunchParameter]:
    """Relaunch parameters an error message mentions, in order of appearance."""
    found: dict[str, RelaunchParameter] = {}
    for match in _PARAMETER_NAME.finditer(text):
        param = _PARAMETERS_BY_LOWER_NAME[match.group(0).lower()]
        found.setdefault(param.name, param)
    return list(found.values())


_PARAMETERS_BY_LOWER_NAME: Final = {name.lower(): p for name, p in RELAUNCH_PARAMETERS.items()}

# Longest names first so a name is never cut short by one it starts with; the
# look-arounds stop "authinfo" matching inside "authinfos" or "x-authinfo".
_PARAMETER_NAME: Final = re.compile(
    r"(?<![\w-])(?:{})(?![\w-])".format(
        "|".join(re.escape(name) for name in sorted(RELAUNCH_PARAMETERS, key=len, reverse=True))
    ),
    re.IGNORECASE,
)
