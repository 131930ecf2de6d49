"""Rebuild opsbot/api/catalog.json from the API's reference page and api-facts.md.

The reference page (`../shared/reference/operation-api-reference.txt`) gives
the names, types and defaults of both tables; what it cannot give (known
enumeration values, their labels, hints for free-text inputs) is written
below, each with its source. Run it after either changes:

    .venv/bin/python tools/build_catalog.py [path/to/operation-api-reference.txt]

The JSON is committed; tests/unit/test_catalog.py checks it against the
reference on every run, independently of this script.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, Final

REPO: Final = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE: Final = REPO.parent / "shared" / "reference" / "operation-api-reference.txt"
CATALOG: Final = REPO / "opsbot" / "api" / "catalog.json"

HOSTERRA: Final = "api-facts.md: Hosterra/whmcs-gandi resources/domains/additionalfields.php"

# The reference typeset `--` as an en dash in three names (api-facts.md).
EN_DASH: Final = "\N{EN DASH}"

# api-facts.md, "Operations": the steps and the types seen on the live service.
STEPS: Final = ("BILL", "WAIT", "RUN", "DONE", "ERROR", "CANCEL", "SUPPORT")
TYPES: Final = (
    "domain_create",
    "domain_renew",
    "domain_transfer_in",
    "domain_ns_set",
    "domain_transfer_reseller",
    "domain_change_owner",
    "billing_prepaid_add_money",
    "certificate_update",
    "hosting_migration_vm",
    "hosting_migration_disk",
    "vm_create",
    "vm_delete",
    "vm_reboot",
    "vm_stop",
    "disk_create",
    "disk_delete",
    "disk_attach",
    "disk_detach",
    "disk_update",
    "iface_create",
    "iface_attach",
    "iface_detach",
)

# The reference describes only page, items_per_page and sort_by; the others
# say what their name says, in words a /ops help page can show.
LIST_DESCRIPTIONS: Final = {
    "<date_created": "created before this date",
    "<date_start": "started before this date",
    "<date_updated": "updated before this date",
    ">date_created": "created after this date",
    ">date_start": "started after this date",
    ">date_updated": "updated after this date",
    "cert.hostname": "hostname of the certificate",
    "cert_id": "certificate id, or several ids separated by commas",
    "contact_id": "contact id",
    "date_created": "created at exactly this date",
    "date_start": "started at exactly this date",
    "date_updated": "updated at exactly this date",
    "disk.name": "name of the disk",
    "disk_id": "disk id",
    "domain": "domain name",
    "id": "operation id, or several ids separated by commas",
    "iface_id": "network interface id",
    "items_per_page": "number of items returned for the pagination",
    "mbox_id": "mailbox id",
    "paas.name": "name of the PaaS instance",
    "paas_id": "PaaS instance id",
    "page": "page number for pagination offset",
    "site.name": "name of the site",
    "site_id": "site id",
    "sort_by": "used to sort returned items: a field, optionally followed by DESC",
    "step": "current step of the operation",
    "type": "type of the operation",
    "vm.hostname": "hostname of the virtual machine",
    "vm_id": "virtual machine id",
}

LIST_TYPES: Final = {"int": "int", "string": "string", "int or array of int": "int_or_int_array"}

# Known enumeration values (api-facts.md), as (value, label). Labels are the
# registries' own descriptions (CIRA, Nominet, NeuStar, EURid, auDA).
KNOWN_VALUES: Final[dict[str, tuple[str, list[tuple[str, str]]]]] = {
    "x-au_registrant_id_type": (
        HOSTERRA,
        [
            ("ABN", "ABN — Australian Business Number"),
            ("ACN", "ACN — Australian Company Number"),
            ("Business Registration Number", "Business Registration Number"),
        ],
    ),
    "x-ca_business_entity_type": (
        HOSTERRA,
        [
            ("corporation", "Corporation"),
            ("trust", "Trust"),
            ("government", "Government"),
            ("education", "Education"),
            ("unincorporated-association", "Unincorporated association"),
            ("hospital", "Hospital"),
            ("trade-union", "Trade union"),
            ("political-party", "Political party"),
            ("library-archive-museum", "Library, archive or museum"),
            ("other", "Other"),
        ],
    ),
    "x-ca_legaltype": (
        HOSTERRA + "; CIRA's full set",
        [
            ("CCT", "CCT — Canadian citizen"),
            ("RES", "RES — Permanent resident of Canada"),
            ("ABO", "ABO — Aboriginal Peoples indigenous to Canada"),
            ("LGR", "LGR — Legal representative of a Canadian citizen or resident"),
            ("ASS", "ASS — Canadian unincorporated association"),
            ("CCO", "CCO — Corporation (Canada or a Canadian province or territory)"),
            ("EDU", "EDU — Canadian educational institution"),
            ("GOV", "GOV — Government or government entity in Canada"),
            ("HOP", "HOP — Canadian hospital"),
            ("INB", "INB — Indian Band recognized by the Indian Act of Canada"),
            ("LAM", "LAM — Canadian library, archive or museum"),
            ("MAJ", "MAJ — His Majesty the King"),
            ("OMK", "OMK — Official mark registered in Canada"),
            ("PLT", "PLT — Canadian political party"),
            ("PRT", "PRT — Partnership registered in Canada"),
            ("TDM", "TDM — Trademark registered in Canada by a non-Canadian owner"),
            ("TRD", "TRD — Canadian trade union"),
            ("TRS", "TRS — Trust established in Canada"),
        ],
    ),
    "x-eu_country_of_citizenship": (
        HOSTERRA,
        [
            ("AT", "AT — Austria"),
            ("BE", "BE — Belgium"),
            ("BG", "BG — Bulgaria"),
            ("CY", "CY — Cyprus"),
            ("CZ", "CZ — Czechia"),
            ("DE", "DE — Germany"),
            ("DK", "DK — Denmark"),
            ("EE", "EE — Estonia"),
            ("EL", "EL — Greece (EU code)"),
            ("ES", "ES — Spain"),
            ("FI", "FI — Finland"),
            ("FR", "FR — France"),
            ("GR", "GR — Greece (ISO code)"),
            ("HR", "HR — Croatia"),
            ("HU", "HU — Hungary"),
            ("IE", "IE — Ireland"),
            ("IT", "IT — Italy"),
            ("LT", "LT — Lithuania"),
            ("LU", "LU — Luxembourg"),
            ("LV", "LV — Latvia"),
            ("MT", "MT — Malta"),
            ("NL", "NL — Netherlands"),
            ("PL", "PL — Poland"),
            ("PT", "PT — Portugal"),
            ("RO", "RO — Romania"),
            ("SE", "SE — Sweden"),
            ("SI", "SI — Slovenia"),
            ("SK", "SK — Slovakia"),
            ("AX", "AX — Åland Islands"),
            ("GF", "GF — French Guiana"),
            ("GP", "GP — Guadeloupe"),
            ("MQ", "MQ — Martinique"),
        ],
    ),
    "x-uk_contact_type": (
        HOSTERRA + "; Nominet's FIND, GOV, IND, STAT",
        [
            ("LTD", "LTD — UK limited company"),
            ("PLC", "PLC — UK public limited company"),
            ("LLP", "LLP — UK limited liability partnership"),
            ("IP", "IP — UK industrial/provident registered company"),
            ("SCH", "SCH — UK school"),
            ("FCORP", "FCORP — Non-UK corporation"),
            ("RCHAR", "RCHAR — UK registered charity"),
            ("PTNR", "PTNR — UK partnership"),
            ("STRA", "STRA — UK sole trader"),
            ("CRC", "CRC — UK corporation by Royal Charter"),
            ("FOTHER", "FOTHER — Non-UK entity of another kind (club, association…)"),
            ("OTHER", "OTHER — UK entity of another kind (club, association, university…)"),
            ("FIND", "FIND — Non-UK individual"),
            ("GOV", "GOV — UK government body"),
            ("IND", "IND — UK individual"),
            ("STAT", "STAT — UK statutory body"),
        ],
    ),
    "x-us_app_purpose": (
        HOSTERRA,
        [
            ("P1", "P1 — Business use for profit"),
            ("P2", "P2 — Non-profit business, club, association or religious body"),
            ("P3", "P3 — Personal use"),
            ("P4", "P4 — Educational purposes"),
            ("P5", "P5 — Government purposes"),
        ],
    ),
    "x-us_nexus_category": (
        HOSTERRA,
        [
            ("C11", "C11 — US citizen"),
            ("C12", "C12 — Permanent resident of the US"),
            ("C21", "C21 — US organization incorporated in the US"),
            ("C31", "C31 — Foreign entity regularly engaged in lawful activities in the US"),
            ("C32", "C32 — Foreign entity with an office or facility in the US"),
        ],
    ),
}

# A Slack static select takes at most 100 options and ISO 3166-1 has ~249
# codes, so `*_country` enumerations stay free text with a hint instead.
COUNTRY_SOURCE: Final = "api-facts.md: ISO 3166-1 alpha-2 codes (inferred from the name)"
COUNTRY_HINT: Final = "ISO 3166-1 alpha-2 code, e.g. FR"
DATE_HINT: Final = "YYYY-MM-DD"
UNLISTED_ENUM_HINT: Final = "A value the registry defines (no public list of values is known)"
HINTS: Final = {"authinfo": "Transfer authorization (EPP) code from the current registrar"}


def main(argv: list[str]) -> None:
    reference = Path(argv[1]) if len(argv) > 1 else DEFAULT_REFERENCE
    text = reference.read_text(encoding="utf-8")
    catalog = {
        "about": (
            "Generated by tools/build_catalog.py from the operation API reference "
            "and shared/reference/api-facts.md; change the script, then rerun it."
        ),
        "sort_fields": sort_fields(text),
        "list_options": [list_option(*row) for row in list_rows(text)],
        "relaunch_parameters": [relaunch_parameter(*row) for row in relaunch_rows(text)],
    }
    CATALOG.write_text(json.dumps(catalog, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {CATALOG.relative_to(REPO)}")


def table(text: str, title: str, end: str) -> str:
    start = text.index(title)
    body = text[start : text.index(end, start)]
    return body[body.index("Mandatory") + len("Mandatory") :]


def list_rows(text: str) -> list[tuple[str, str, str | None, bool]]:
    """(name, reference type, default, is_enum) for each list option.

    An enumeration's type was a link, which left a line break between the
    name and its type: that is how the reference marks them.
    """
    body = table(text, "OperationListOptions", "RelaunchOperationParameters")
    row = re.compile(r"(\S+)(\s+)(?:(\d+)\s+)?(int or array of int|string|int)\s+no\b")
    return [(m[1], m[4], m[3], "\n" in m[2]) for m in row.finditer(body)]


def relaunch_rows(text: str) -> list[tuple[str, bool]]:
    body = table(text, "RelaunchOperationParameters", "Returns")
    return [
        (m[1].replace(EN_DASH, "--"), "\n" in m[2])
        for m in re.finditer(r"(\S+)(\s+)string\s+no\b", body)
    ]


def sort_fields(text: str) -> list[str]:
    found = re.search(r"used to sort returned items: ([^\n]+?) step\s", text)
    if found is None:
        raise SystemExit("sort_by's field list not found in the reference")
    return [field.strip() for field in found[1].split(",")]


def list_option(
    name: str, reference_type: str, default: str | None, is_enum: bool
) -> dict[str, Any]:
    values = {"step": list(STEPS), "type": list(TYPES)}.get(name, [])
    kind = LIST_TYPES[reference_type]
    return {
        "name": name,
        "type": kind,
        "default": int(default) if default is not None and kind == "int" else default,
        "description": LIST_DESCRIPTIONS[name],
        "is_date": "date_" in name,
        "is_enum": is_enum,
        "values": values,
    }


def relaunch_parameter(name: str, is_enum: bool) -> dict[str, Any]:
    source, values = KNOWN_VALUES.get(name, (None, []))
    is_country = is_enum and name.endswith("_country")
    if is_country:
        source = COUNTRY_SOURCE
    is_date = name.endswith(("_birthdate", "_birth_date"))
    return {
        "name": name,
        "type": "string",
        "default": None,
        "is_enum": is_enum,
        "values": [{"value": value, "label": label} for value, label in values],
        "values_source": source,
        "group": registry_group(name),
        "is_date": is_date,
        "hint": hint(name, is_enum=is_enum, has_values=bool(values), is_date=is_date),
    }


def registry_group(name: str) -> str:
    """`x-es_legalform` → `.es`; `x-document_…` and `authinfo` apply to every TLD."""
    if not name.startswith("x-"):
        return "generic"
    prefix = name.removeprefix("x-").split("_", 1)[0]
    return "generic" if prefix == "document" else "." + prefix


def hint(name: str, *, is_enum: bool, has_values: bool, is_date: bool) -> str:
    if is_date:
        return DATE_HINT
    if is_enum and name.endswith("_country"):
        return COUNTRY_HINT
    if is_enum and not has_values:
        return UNLISTED_ENUM_HINT
    return HINTS.get(name, "")


if __name__ == "__main__":
    main(sys.argv)
