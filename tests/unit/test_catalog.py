"""The catalog holds exactly what the API's reference page and api-facts.md say.

Both documents live in ../shared/reference beside the repository (CI copies
shared/ there too); these tests read them directly rather than trusting the
script that built catalog.json.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import pytest

from opsbot.api import catalog, operation
from opsbot.api.catalog import (
    KNOWN_STEPS,
    LIST_OPTIONS,
    RELAUNCH_PARAMETERS,
    SORT_FIELDS,
    relaunch_parameters_for_group,
)

SHARED_REFERENCE: Final = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
REFERENCE: Final = (SHARED_REFERENCE / "operation-api-reference.txt").read_text(encoding="utf-8")
FACTS: Final = (SHARED_REFERENCE / "api-facts.md").read_text(encoding="utf-8")

# Slack's limits on a static select (DESIGN.md: "100 options a select", "75 a
# button or option text"; an option's value may hold 150 characters, a
# placeholder 150).
MAX_OPTIONS: Final = 100
MAX_OPTION_TEXT: Final = 75
MAX_OPTION_VALUE: Final = 150
MAX_PLACEHOLDER: Final = 150


def reference_table(title: str, end: str) -> str:
    start = REFERENCE.index(title)
    body = REFERENCE[start : REFERENCE.index(end, start)]
    return body[body.index("Mandatory") + len("Mandatory") :]


def reference_list_rows() -> list[re.Match[str]]:
    """Rows of OperationListOptions: name, gap, default, type.

    A row whose type was a link (an enumeration) has a line break before it.
    """
    body = reference_table("OperationListOptions", "RelaunchOperationParameters")
    row = re.compile(r"(\S+)(\s+)(?:(\d+)\s+)?(int or array of int|string|int)\s+no\b")
    return list(row.finditer(body))


def reference_relaunch_rows() -> list[tuple[str, bool]]:
    """(name with `--` restored, is_enum) for each RelaunchOperationParameters row."""
    body = reference_table("RelaunchOperationParameters", "Returns")
    return [
        (m[1].replace("\N{EN DASH}", "--"), "\n" in m[2])
        for m in re.finditer(r"(\S+)(\s+)string\s+no\b", body)
    ]


def facts_section(start: str, end: str) -> str:
    begin = FACTS.index(start)
    return FACTS[begin : FACTS.index(end, begin)]


def facts_enumerations() -> list[str]:
    text = facts_section("32 of them are enumerations", "`step` and `type` in")
    return re.findall(r"x-[\w-]+", text.split(":", 1)[1])


def facts_known_values() -> dict[str, list[str]]:
    """api-facts.md's value lists, the registries' extras included."""
    text = facts_section("Values known from a registrar module", "the `*_country` ones")
    known = {}
    for name, values in re.findall(r"^  - (x-[\w-]+): (.+?)(?=^  - |\Z)", text, re.M | re.S):
        values = re.sub(r"\((?:CIRA's full set adds|Nominet also has)", ",", values)
        words = " ".join(values.replace(")", "").split())
        known[name] = [value.strip() for value in words.split(",") if value.strip()]
    return known


def facts_types() -> list[str]:
    text = facts_section("`type` values seen:", "No full list is public")
    return re.findall(r"[a-z_]+(?=[,.])", text.split(":", 1)[1])


# -- OperationListOptions ---------------------------------------------------------


def test_list_options_are_exactly_the_reference_names_in_order() -> None:
    assert list(LIST_OPTIONS) == [row[1] for row in reference_list_rows()]
    assert len(LIST_OPTIONS) == 29


@pytest.mark.parametrize("row", reference_list_rows(), ids=lambda row: row[1])
def test_list_option_type_default_and_enum_match_the_reference(row: re.Match[str]) -> None:
    option = LIST_OPTIONS[row[1]]
    expected_type = {"int": "int", "string": "string", "int or array of int": "int_or_int_array"}
    assert option.type == expected_type[row[4]]
    assert option.default == (int(row[3]) if row[3] else None)
    assert option.is_enum == ("\n" in row[2])
    assert option.description


def test_list_option_dates_are_the_nine_date_filters() -> None:
    dates = [name for name, option in LIST_OPTIONS.items() if option.is_date]
    assert dates == [
        f"{bound}date_{event}" for bound in ("<", ">") for event in ("created", "start", "updated")
    ] + ["date_created", "date_start", "date_updated"]


def test_only_step_and_type_are_enumerations_and_they_carry_the_known_values() -> None:
    assert [name for name, option in LIST_OPTIONS.items() if option.is_enum] == ["step", "type"]
    assert LIST_OPTIONS["step"].values == KNOWN_STEPS
    assert all(not option.values for name, option in LIST_OPTIONS.items() if not option.is_enum)


def test_known_steps_are_the_operation_modules_steps() -> None:
    assert KNOWN_STEPS == operation.STEPS


def test_the_type_enumeration_holds_the_22_types_of_api_facts() -> None:
    known_types = LIST_OPTIONS["type"].values
    assert list(known_types) == facts_types()
    assert len(known_types) == 22
    assert set(known_types) >= operation.RELAUNCHABLE_TYPES


def test_sort_fields_are_the_reference_list() -> None:
    found = re.search(r"used to sort returned items: ([^\n]+?) step\s", REFERENCE)
    assert found is not None
    assert list(SORT_FIELDS) == [field.strip() for field in found[1].split(",")]
    assert set(SORT_FIELDS) <= set(LIST_OPTIONS) | {"step", "type"}


# -- RelaunchOperationParameters --------------------------------------------------


def test_relaunch_parameters_are_exactly_the_reference_names_in_order() -> None:
    assert list(RELAUNCH_PARAMETERS) == [name for name, _ in reference_relaunch_rows()]
    assert len(RELAUNCH_PARAMETERS) == 140


def test_en_dash_names_are_stored_with_two_hyphens() -> None:
    for tld in ("55qx5d", "fiqs8s", "io0a7i"):
        assert f"x-xn--{tld}_registrant_document_number" in RELAUNCH_PARAMETERS
    assert not [name for name in RELAUNCH_PARAMETERS if not name.isascii()]


def test_enumerations_are_the_32_of_the_reference_and_of_api_facts() -> None:
    enums = [name for name, param in RELAUNCH_PARAMETERS.items() if param.is_enum]
    assert enums == [name for name, is_enum in reference_relaunch_rows() if is_enum]
    assert sorted(enums) == sorted(facts_enumerations())
    assert len(enums) == 32


def test_every_parameter_is_an_optional_string() -> None:
    assert {(param.type, param.default) for param in RELAUNCH_PARAMETERS.values()} == {
        ("string", None)
    }


def expected_group(name: str) -> str:
    if name == "authinfo" or name.startswith("x-document_"):
        return "generic"
    return "." + name.removeprefix("x-").split("_", 1)[0]


def test_every_parameter_is_in_the_group_its_prefix_names() -> None:
    for name, param in RELAUNCH_PARAMETERS.items():
        assert param.group == expected_group(name), name


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("authinfo", "generic"),
        ("x-document_country", "generic"),
        ("x-document_type", "generic"),
        ("x-document_value", "generic"),
        ("x-es_legalform", ".es"),
        ("x-es_owner_tipo_identification", ".es"),
        ("x-xn--55qx5d_registrant_document_type", ".xn--55qx5d"),
        ("x-xn--fiqs8s_registrant_document_number", ".xn--fiqs8s"),
        ("x-xn--io0a7i_registrant_document_number", ".xn--io0a7i"),
        ("x-ca_legaltype", ".ca"),
        ("x-cat_intendeduse", ".cat"),
        ("x-xxx_sponsored_community", ".xxx"),
        ("x-barcelona_trademarkid", ".barcelona"),
        ("x-eus_intendeduse", ".eus"),
        ("x-eu_country_of_citizenship", ".eu"),
        ("x-gal_intendeduse", ".gal"),
        ("x-madrid_intendeduse", ".madrid"),
        ("x-quebec_intendeduse", ".quebec"),
        ("x-radio_intendeduse", ".radio"),
        ("x-scot_intendeduse", ".scot"),
        ("x-sport_intendeduse", ".sport"),
        ("x-swiss_enterpriseid", ".swiss"),
        ("x-zuerich_uid_number", ".zuerich"),
        ("x-nyc_extcontact", ".nyc"),
        ("x-ltda_authority", ".ltda"),
        ("x-srl_licensenumber", ".srl"),
        ("x-promopixel_company_serial", ".promopixel"),
        ("x-pro_profession", ".pro"),
        ("x-pt_roid", ".pt"),
        ("x-jobs_website", ".jobs"),
        ("x-travel_uin", ".travel"),
        ("x-coop_sponsor", ".coop"),
        ("x-aero_ens_authid", ".aero"),
    ],
)
def test_registry_group_of_multi_part_prefixes(name: str, group: str) -> None:
    assert RELAUNCH_PARAMETERS[name].group == group


def test_known_values_are_exactly_those_of_api_facts() -> None:
    stored = {
        name: [value.value for value in param.values]
        for name, param in RELAUNCH_PARAMETERS.items()
        if param.values
    }
    assert stored == facts_known_values()
    for name in stored:
        assert RELAUNCH_PARAMETERS[name].is_enum
        assert (RELAUNCH_PARAMETERS[name].values_source or "").startswith("api-facts.md")


def test_labels_are_readable_where_the_meaning_is_known() -> None:
    nexus = {
        value.value: value.label for value in RELAUNCH_PARAMETERS["x-us_nexus_category"].values
    }
    assert nexus["C11"] == "C11 — US citizen"
    ca = {value.value: value.label for value in RELAUNCH_PARAMETERS["x-ca_legaltype"].values}
    assert ca["CCT"] == "CCT — Canadian citizen"


def test_country_enumerations_are_free_text_with_an_iso_hint() -> None:
    countries = [name for name in RELAUNCH_PARAMETERS if name.endswith("_country")]
    assert countries == ["x-document_country", "x-hk_registrant_document_origin_country"]
    for name in countries:
        param = RELAUNCH_PARAMETERS[name]
        assert param.is_enum
        assert param.values == ()
        assert param.input_kind == "text"
        assert param.hint == "ISO 3166-1 alpha-2 code, e.g. FR"
        assert param.values_source is not None
        assert "ISO 3166-1" in param.values_source


def test_enumerations_without_known_values_say_so_in_their_hint() -> None:
    unlisted = [
        param
        for name, param in RELAUNCH_PARAMETERS.items()
        if param.is_enum and not param.values and not name.endswith("_country")
    ]
    assert len(unlisted) == 32 - 7 - 2
    for param in unlisted:
        assert param.input_kind == "text"
        assert "no public list" in param.hint
        assert param.values_source is None


def test_birth_dates_are_dates() -> None:
    dates = [name for name, param in RELAUNCH_PARAMETERS.items() if param.is_date]
    assert dates == [
        name for name in RELAUNCH_PARAMETERS if name.endswith(("_birthdate", "_birth_date"))
    ]
    assert len(dates) == 5
    for name in dates:
        assert RELAUNCH_PARAMETERS[name].input_kind == "date"
        assert RELAUNCH_PARAMETERS[name].hint == "YYYY-MM-DD"


def test_input_kind_is_select_exactly_when_values_are_known() -> None:
    for param in RELAUNCH_PARAMETERS.values():
        assert (param.input_kind == "select") == bool(param.values)


def test_everything_fits_slack_selects_and_placeholders() -> None:
    for param in RELAUNCH_PARAMETERS.values():
        assert len(param.values) <= MAX_OPTIONS
        for value in param.values:
            assert 0 < len(value.label) <= MAX_OPTION_TEXT, value
            assert 0 < len(value.value) <= MAX_OPTION_VALUE, value
        assert len(param.hint) <= MAX_PLACEHOLDER
        assert len({value.value for value in param.values}) == len(param.values)


# -- groups -----------------------------------------------------------------------


def test_parameters_for_a_group_come_in_reference_order() -> None:
    es = relaunch_parameters_for_group(".es")
    assert [param.name for param in es] == [
        name for name in RELAUNCH_PARAMETERS if name.startswith("x-es_")
    ]
    assert len(es) == 12


@pytest.mark.parametrize("spelling", [".es", "es", "ES", ".ES", " es "])
def test_group_names_are_normalised(spelling: str) -> None:
    assert relaunch_parameters_for_group(spelling) == relaunch_parameters_for_group(".es")


def test_unicode_tld_finds_its_punycode_group() -> None:
    names = [param.name for param in relaunch_parameters_for_group("公司")]
    assert names == [
        "x-xn--55qx5d_registrant_document_number",
        "x-xn--55qx5d_registrant_document_type",
    ]


def test_generic_group_is_authinfo_and_the_document_fields() -> None:
    names = [param.name for param in relaunch_parameters_for_group(catalog.GENERIC_GROUP)]
    assert names == ["authinfo", "x-document_country", "x-document_type", "x-document_value"]


@pytest.mark.parametrize("tld", ["com", "fr", "", "-..-"])
def test_a_tld_without_parameters_has_an_empty_group(tld: str) -> None:
    assert relaunch_parameters_for_group(tld) == []


def test_tables_are_read_only() -> None:
    with pytest.raises(TypeError):
        LIST_OPTIONS["new"] = LIST_OPTIONS["id"]  # type: ignore[index]
    with pytest.raises(TypeError):
        RELAUNCH_PARAMETERS["new"] = RELAUNCH_PARAMETERS["authinfo"]  # type: ignore[index]
