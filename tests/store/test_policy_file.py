"""The policy file as pydantic models (locard.store.policy_file): the shipped default loads
unchanged, a bad file is refused naming the file, the key path and the value with a remedy, and
the published JSON schema describes the file the loader reads."""

from __future__ import annotations

import hashlib
import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from locard.errors import InputError
from locard.store import Index, default_policy
from locard.store.policy import load_policy, policy_from_text
from locard.store.policy_file import key_path, policy_json_schema

ROOT = Path(__file__).resolve().parents[2]


def _text() -> str:
    return resources.files("locard.data").joinpath("policy.toml").read_text(encoding="utf-8")


def _refused(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        policy_from_text(text, source="lab.toml")
    return info.value


# --- the shipped default ---------------------------------------------------------------------


def test_the_shipped_policy_loads_unchanged() -> None:
    """The digest is the SHA-256 of the parsed TOML as sorted JSON (what audit entries
    record); the typed fields are the file's values, read by hand from policy.toml."""
    data = tomllib.loads(_text())
    pol = default_policy()
    assert pol.sha256 == hashlib.sha256(
        json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    assert pol.name == "Locard default (CODIS-like)"
    assert pol.rarity_tables == ("NIST1036:AfAm", "NIST1036:Cauc", "NIST1036:Hisp",
                                 "NIST1036:Asian")
    assert pol.theta == 0.01
    assert pol.search_on_entry is True
    assert list(pol.legal_basis_words) == ["conviction", "arrest", "court-order", "casework",
                                           "consent"]
    forensic = pol.indices[Index.FORENSIC]
    assert [(r.name, r.kind, dict(r.params)) for r in forensic.rules] == [
        ("forensic-min-8-of-core-13", "required_loci",
         {"loci": "CODIS_CORE_13", "min_count": 8}),
        ("forensic-mixture-contributors", "max_contributors", {"max": 2, "action": "local"}),
        ("forensic-match-rarity", "match_rarity", {"one_in": 10_000_000})]
    # the rule's parameters keep their TOML types (an integer stays an integer)
    assert type(forensic.rules[2].params["one_in"]) is int
    assert pol.indices[Index.OFFENDER].rules[1].params == {"tri_allelic_loci": 1}
    assert pol.indices[Index.STAFF].outside_ladder == "flag"
    assert pol.indices[Index.RELATIVE].retention_years == 25
    assert pol.category_legal_basis == {"Legal": "court-order"}
    assert len(pol.control_patterns) == 5
    assert pol.mixture_search.lr_threshold == 1e4 and pol.mixture_search.table is None


# --- bad files: the file, the key path, the value, a remedy ------------------------------------


@pytest.mark.parametrize(("old", "new", "where", "value"), [
    ("retention_years = 3 ", 'retention_years = "3" ', "[index.arrestee] retention_years",
     "'3'"),
    ("consent_required = true\nretention_years = 25",
     'consent_required = "yes"\nretention_years = 25', "[index.relative] consent_required",
     "'yes'"),
    ("max = 2", "max = 2.5", "[[index.forensic.rules]] #2 max", "2.5"),
    ('theta = 0.01\n\n[legal_bases]', 'theta = 1.5\n\n[legal_bases]', "[rarity] theta",
     "1.5"),
    ('legal_bases = ["conviction", "court-order"]', 'legal_bases = ["conviction", "courtorder"]',
     "[index.offender] legal_bases[1]", "'courtorder'"),
    ('patterns = [\n', 'patterns = [\n    7,\n', "[controls] patterns[0]", "7"),
])
def test_a_value_of_the_wrong_type_or_range_names_key_and_value(old: str, new: str, where: str,
                                                               value: str) -> None:
    text = _text()
    assert old in text
    exc = _refused(text.replace(old, new, 1))
    assert exc.message.startswith("policy lab.toml: ")
    assert f"{where} = {value}: " in exc.message
    assert exc.remedy is not None and "--policy" in exc.remedy
    assert "docs/policy.md" in exc.remedy


def test_an_unknown_key_is_refused_with_the_known_keys() -> None:
    exc = _refused(_text().replace("[index.staff]\n", "[index.staff]\ncolour = 1\n"))
    assert "[index.staff] colour = 1: unknown key (known: legal_bases, default_legal_basis, " \
           "consent_required, local_only, retention_years, outside_ladder, rules)" in exc.message


def test_an_unknown_top_level_key_is_refused() -> None:
    """A misspelt key no longer passes silently (it did: the loader read only what it knew)."""
    exc = _refused("serach_on_entry = false\n" + _text())
    assert "serach_on_entry = False: unknown key" in exc.message
    assert "search_on_entry" in exc.message  # among the known keys


def test_a_misspelt_rule_parameter_is_refused() -> None:
    exc = _refused(_text().replace("tri_allelic_loci = 1", "tri_alleles = 1"))
    assert "[[index.offender.rules]] #2 tri_alleles = 1: unknown key" in exc.message


def test_a_bad_index_name_is_named() -> None:
    exc = _refused(_text().replace("[index.victim_known]", "[index.victim]"))
    assert "[index.victim]: unknown index (known indices: offender," in exc.message
    # the section the misspelling left without its keys is named too
    assert "[index.victim_known] legal_bases: missing" in exc.message


def test_a_missing_index_section_is_named() -> None:
    text = _text()
    start = text.index("[index.staff]")
    end = text.index("# Default legal basis of a specimen category")
    exc = _refused(text[:start] + text[end:])
    assert "no [index.staff] section (every index needs one)" in exc.message


def test_a_bad_index_in_the_search_matrix_is_named() -> None:
    exc = _refused(_text().replace('offender = ["forensic"]', 'offender = ["forensics"]'))
    assert "[search.direct] offender = 'forensics': unknown index (known: offender," \
        in exc.message
    exc = _refused(_text().replace('offender = ["forensic"]',
                                   'offender = ["forensic"]\noffenders = ["forensic"]'))
    assert "[search.direct] 'offenders': unknown index" in exc.message


def test_an_unknown_rule_kind_and_a_rule_without_kind_are_named() -> None:
    exc = _refused(_text().replace('kind = "match_rarity"', 'kind = "rarity"'))
    assert ("[[index.forensic.rules]] #3 kind = 'rarity': unknown rule kind (known: "
            "required_loci, single_source, max_contributors, match_rarity)") in exc.message
    exc = _refused(_text().replace('kind = "match_rarity"\n', ""))
    assert "[[index.forensic.rules]] #3 kind: missing" in exc.message


def test_an_unknown_locus_set_names_the_rule() -> None:
    exc = _refused(_text().replace('loci = "CODIS_CORE_20"', 'loci = "CODIS_21"', 1))
    assert "[[index.offender.rules]] #1 'offender-core-20' loci: unknown locus set 'CODIS_21'" \
        in exc.message


def test_a_policy_file_error_names_the_file(tmp_path: Path) -> None:
    f = tmp_path / "lab.toml"
    f.write_text(_text().replace("max = 2", 'max = "two"'))
    with pytest.raises(InputError, match=rf"policy {f}: \[\[index.forensic.rules\]\] #2 "
                                         r"max = 'two'"):
        load_policy(f)


def test_search_on_entry_is_a_typed_field() -> None:
    assert policy_from_text("search_on_entry = false\n" + _text()).search_on_entry is False
    on = _text().replace("[search.direct]", "[search]\non_entry = false\n\n[search.direct]")
    assert policy_from_text(on).search_on_entry is False
    # the top-level key wins over [search] on_entry
    both = "search_on_entry = true\n" + on
    assert policy_from_text(both).search_on_entry is True


@pytest.mark.parametrize(("loc", "path"), [
    (("search_on_entry",), "search_on_entry"),
    (("rarity", "theta"), "[rarity] theta"),
    (("index", "offender", "rules", 0, "max_contributors", "max"),
     "[[index.offender.rules]] #1 max"),
    (("mixture_search", "max_contributors"), "[mixture_search] max_contributors"),
    (("index", "staff", "legal_bases", 2), "[index.staff] legal_bases[2]"),
    (("controls", "patterns", 0), "[controls] patterns[0]"),
])
def test_key_path(loc: tuple[int | str, ...], path: str) -> None:
    assert key_path(loc) == path


# --- the published schema ------------------------------------------------------------------


def _keys_outside(data: Any, node: dict[str, Any], defs: dict[str, Any], at: str) -> list[str]:
    """Keys of ``data`` the schema ``node`` does not describe (a naive walk: $ref,
    properties, additionalProperties, items, and for a rule the member its kind names)."""
    if "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    if "oneOf" in node and isinstance(data, dict):
        node = next(defs[m["$ref"].rsplit("/", 1)[-1]] for m in node["oneOf"]
                    if defs[m["$ref"].rsplit("/", 1)[-1]]["properties"]["kind"]["const"]
                    == data["kind"])
    out: list[str] = []
    if isinstance(data, dict):
        props = node.get("properties")
        for key, value in data.items():
            if props is not None and key in props:
                out += _keys_outside(value, props[key], defs, f"{at}.{key}")
            elif isinstance(node.get("additionalProperties"), dict):
                out += _keys_outside(value, node["additionalProperties"], defs, f"{at}.{key}")
            else:
                out.append(f"{at}.{key}")
    elif isinstance(data, list) and "items" in node:
        for n, item in enumerate(data):
            out += _keys_outside(item, node["items"], defs, f"{at}[{n}]")
    return out


def test_the_published_schema_describes_the_shipped_policy() -> None:
    schema = json.loads((ROOT / "docs" / "policy.schema.json").read_text(encoding="utf-8"))
    assert schema == json.loads(json.dumps(policy_json_schema()))
    assert schema["additionalProperties"] is False
    data = tomllib.loads(_text())
    assert _keys_outside(data, schema, schema["$defs"], "") == []
    assert _keys_outside({"index": {"offender": {"colour": 1}}}, schema, schema["$defs"],
                         "") == [".index.offender.colour"]
    assert set(schema["$defs"]["Indices"]["properties"]) == {i.value for i in Index}
    assert set(schema["$defs"]["Indices"]["required"]) == {i.value for i in Index}


def test_the_policy_constants_agree_with_the_models() -> None:
    """The names the loader and the docs tests use without importing pydantic are the models'."""
    from typing import get_args

    from locard.store.policy import LEGAL_BASES, OUTSIDE_LADDER, RULE_KINDS
    from locard.store.policy_file import RULE_MODELS, IndexSection, LegalBasis

    assert tuple(RULE_MODELS) == RULE_KINDS
    assert get_args(IndexSection.model_fields["outside_ladder"].annotation) == OUTSIDE_LADDER
    assert get_args(LegalBasis) == LEGAL_BASES
