"""Categories, acceptance rules, legal bases and the search policy matrix."""

from __future__ import annotations

from pathlib import Path

import pytest

from locard.errors import InputError, PolicyViolation
from locard.genetics import CODIS_CORE_13, CODIS_CORE_20, Profile
from locard.store import Index, check_search_allowed, default_policy, index_for_category
from locard.store.categories import CATEGORY_INDEX, known_categories
from locard.store.policy import load_policy, policy_from_text

from .conftest import core13_profile, full_profile


def test_every_cmflist_category_is_mapped_or_refused(shared_data: Path) -> None:
    import xml.etree.ElementTree as ET

    root = ET.parse(shared_data / "cmf" / "CmfList.xml").getroot()
    names = [i.text or "" for i in root.find("SpecimenCategoryType") or []]
    assert len(names) > 30
    refused = []
    for name in names:
        try:
            index_for_category(name)
        except InputError:
            refused.append(name)
    assert sorted(refused) == ["Other", "Population", "Proficiency"]


@pytest.mark.parametrize(("category", "index"), [
    ("Convicted Offender", Index.OFFENDER), ("Legal", Index.OFFENDER),
    ("Detainee", Index.OFFENDER), ("Arrestee", Index.ARRESTEE),
    ("Forensic, Unknown", Index.FORENSIC), ("forensic unknown", Index.FORENSIC),
    ("Forensic Mixture", Index.FORENSIC), ("Forensic Partial", Index.FORENSIC),
    ("Missing Person", Index.MISSING_PERSON), ("Deduced Missing Person", Index.MISSING_PERSON),
    ("Biological Mother", Index.RELATIVE), ("Paternal Relative", Index.RELATIVE),
    ("Spouse", Index.RELATIVE), ("Alleged Father", Index.RELATIVE),
    ("Unidentified Person", Index.UNIDENTIFIED), ("Deceased", Index.UNIDENTIFIED),
    ("Unidentified Human (Remains)", Index.UNIDENTIFIED),
    ("Suspect, Known", Index.SUSPECT_KNOWN), ("Victim, Known", Index.VICTIM_KNOWN),
    ("Elimination, Known", Index.ELIMINATION), ("Staff", Index.STAFF),
])
def test_category_index(category: str, index: Index) -> None:
    assert index_for_category(category) is index


def test_unknown_category_names_it_and_lists_known() -> None:
    with pytest.raises(InputError) as info:
        index_for_category("Crime Scene Thing")
    text = str(info.value)
    assert "'Crime Scene Thing'" in text and "Convicted Offender" in text
    assert "Population" not in known_categories()
    assert len(CATEGORY_INDEX) == len(known_categories())


# --- acceptance rules ------------------------------------------------------------------------


def test_offender_requires_all_20_core_loci_in_words() -> None:
    prof = full_profile(1).restrict([x for x in CODIS_CORE_20 if x not in ("D2S441", "SE33")])
    acc = default_policy().evaluate(prof, Index.OFFENDER)
    assert not acc.accepted
    assert acc.failures[0].rule == "offender-core-20"
    assert acc.failures[0].message == ("offender index requires all 20 CODIS core loci; "
                                       "missing D2S441")


def test_offender_missing_two_loci_lists_both() -> None:
    drop = ("D2S441", "D22S1045")
    prof = full_profile(1).restrict([x for x in CODIS_CORE_20 if x not in drop])
    msg = default_policy().evaluate(prof, Index.OFFENDER).failures[0].message
    assert msg.endswith("missing D2S441, D22S1045")


@pytest.mark.parametrize("index", [Index.OFFENDER, Index.ARRESTEE])
def test_reference_indices_accept_full_single_source(index: Index) -> None:
    assert default_policy().evaluate(full_profile(2), index).accepted


@pytest.mark.parametrize("index", [Index.OFFENDER, Index.ARRESTEE])
def test_reference_indices_refuse_mixtures(index: Index) -> None:
    loci = {k: [str(a) for a in v.alleles] for k, v in full_profile(3).loci.items()}
    loci["D8S1179"] = ["10", "11", "12", "13"]
    acc = default_policy().evaluate(Profile.from_mapping(loci), index)
    assert [f.rule for f in acc.failures] == [f"{index.value}-single-source"]
    assert "single-source profile" in acc.failures[0].message
    assert "; D8S1179 has 4 alleles" in acc.failures[0].message


def test_a_tri_allelic_pattern_is_accepted_for_offenders_only() -> None:
    """CODIS 'Multi-allelic Offender': the default policy accepts three alleles at one locus
    in the offender index (noted), not at two loci, and not in the arrestee index."""
    loci = {k: [str(a) for a in v.alleles] for k, v in full_profile(3).loci.items()}
    one = Profile.from_mapping(dict(loci, D8S1179=["10", "11", "12"]))
    acc = default_policy().evaluate(one, Index.OFFENDER)
    assert acc.accepted and any("tri-allelic pattern at D8S1179" in n for n in acc.notes)
    assert not default_policy().evaluate(one, Index.ARRESTEE).accepted
    two = Profile.from_mapping(dict(loci, D8S1179=["10", "11", "12"], TH01=["6", "7", "8"]))
    assert not default_policy().evaluate(two, Index.OFFENDER).accepted


def test_forensic_needs_8_of_core_13() -> None:
    acc = default_policy().evaluate(core13_profile(7, 4), Index.FORENSIC)
    rules = [f.rule for f in acc.failures]
    assert "forensic-min-8-of-core-13" in rules
    msg = next(f.message for f in acc.failures if f.rule == "forensic-min-8-of-core-13")
    assert msg.startswith("forensic index requires at least 8 of the 13 original CODIS core "
                          "loci; 7 typed, missing")
    ok = default_policy().evaluate(core13_profile(13, 4), Index.FORENSIC)
    assert ok.accepted and ok.rmp is not None and ok.rmp <= 1e-7


def test_forensic_match_rarity_rule() -> None:
    # eight loci of common alleles: rarer than 1 in 10 million fails
    common = {"TPOX": ["8", "11"], "TH01": ["6", "9.3"], "CSF1PO": ["11", "12"],
              "D16S539": ["11", "12"], "D5S818": ["11", "12"], "D13S317": ["11", "12"],
              "D7S820": ["10", "11"], "vWA": ["16", "17"]}
    pol = default_policy()
    acc = pol.evaluate(Profile.from_mapping(common), Index.FORENSIC)
    assert acc.rmp is not None and acc.rmp > 1e-7
    failure = next(f for f in acc.failures if f.rule == "forensic-match-rarity")
    assert "requires match rarity of at least 1 in 10,000,000" in failure.message
    assert "most conservative of NIST1036:AfAm" in failure.message


def test_forensic_mixture_above_contributor_limit_stays_local() -> None:
    loci = {k: [str(a) for a in v.alleles] for k, v in core13_profile(13, 5).loci.items()}
    loci["D8S1179"] = ["8", "9", "10", "11", "12"]  # >= 3 contributors
    loci["FGA"] = ["19", "20", "21", "22", "23", "24"]
    acc = default_policy().evaluate(Profile.from_mapping(loci), Index.FORENSIC)
    assert acc.accepted and acc.local_only
    assert "more than 2 contributors are kept local" in acc.notes[0]


def test_relative_rules() -> None:
    pol = default_policy()
    assert pol.evaluate(core13_profile(13, 6), Index.RELATIVE).accepted
    acc = pol.evaluate(core13_profile(12, 6), Index.RELATIVE)
    assert acc.failures[0].rule == "relative-core-13"


@pytest.mark.parametrize("index", [Index.SUSPECT_KNOWN, Index.VICTIM_KNOWN, Index.ELIMINATION,
                                   Index.STAFF])
def test_local_indices_are_local_and_single_source(index: Index) -> None:
    pol = default_policy()
    acc = pol.evaluate(core13_profile(10, 7), index)
    assert acc.accepted and acc.local_only
    loci = {"D8S1179": ["10", "11", "12"], "vWA": ["14", "15"]}
    assert not pol.evaluate(Profile.from_mapping(loci), index).accepted


# --- legal basis ------------------------------------------------------------------------------


@pytest.mark.parametrize(("index", "basis"), [
    (Index.OFFENDER, "conviction"), (Index.OFFENDER, "court-order"),
    (Index.ARRESTEE, "arrest"), (Index.FORENSIC, "casework"),
    (Index.MISSING_PERSON, "casework"), (Index.UNIDENTIFIED, "court-order"),
    (Index.SUSPECT_KNOWN, "arrest"),
])
def test_legal_basis_allowed(index: Index, basis: str) -> None:
    assert default_policy().check_legal_basis(index, basis, None) == basis


@pytest.mark.parametrize(("index", "basis"), [
    (Index.OFFENDER, "arrest"), (Index.OFFENDER, "casework"), (Index.ARRESTEE, "conviction"),
    (Index.FORENSIC, "conviction"), (Index.UNIDENTIFIED, "consent"),
])
def test_legal_basis_refused(index: Index, basis: str) -> None:
    with pytest.raises(PolicyViolation, match="is not allowed for the"):
        default_policy().check_legal_basis(index, basis, None)


@pytest.mark.parametrize(("index", "basis"), [
    (Index.OFFENDER, "conviction"), (Index.ARRESTEE, "arrest"),
    (Index.MISSING_PERSON, "casework")])
def test_reference_index_defaults_to_its_basis(index: Index, basis: str) -> None:
    assert default_policy().check_legal_basis(index, None, None) == basis


def test_index_without_default_needs_stated_basis() -> None:
    text = Path(__file__).parents[2].joinpath("src/locard/data/policy.toml").read_text()
    pol = policy_from_text(text.replace('default_legal_basis = "conviction"\n', ""))
    with pytest.raises(PolicyViolation, match="requires a stated legal basis"):
        pol.check_legal_basis(Index.OFFENDER, None, None)
    assert pol.check_legal_basis(Index.OFFENDER, None, None, category="Legal") == "court-order"


def test_forensic_defaults_to_casework() -> None:
    assert default_policy().check_legal_basis(Index.FORENSIC, None, None) == "casework"


@pytest.mark.parametrize("index", [Index.RELATIVE, Index.ELIMINATION, Index.STAFF])
def test_consent_indices_require_consent_record(index: Index) -> None:
    pol = default_policy()
    with pytest.raises(PolicyViolation, match="requires a consent record"):
        pol.check_legal_basis(index, "consent", None)
    assert pol.check_legal_basis(index, "consent", "C-1") == "consent"
    with pytest.raises(PolicyViolation):
        pol.check_legal_basis(index, "court-order", "C-1")


def test_consent_basis_needs_consent_record_anywhere() -> None:
    with pytest.raises(PolicyViolation, match="consent record"):
        default_policy().check_legal_basis(Index.MISSING_PERSON, "consent", None)


# --- search matrix ----------------------------------------------------------------------------

ALLOWED_DIRECT = [
    ("forensic", "forensic"), ("forensic", "offender"), ("forensic", "arrestee"),
    ("offender", "forensic"), ("arrestee", "forensic"),
    ("missing_person", "unidentified"), ("unidentified", "missing_person"),
    ("missing_person", "missing_person"), ("unidentified", "unidentified"),
    ("missing_person", "forensic"), ("missing_person", "offender"),
    ("missing_person", "arrestee"), ("unidentified", "forensic"),
    ("unidentified", "offender"), ("unidentified", "arrestee"), ("staff", "forensic"),
]
REFUSED_DIRECT = [
    ("offender", "offender"), ("offender", "arrestee"), ("arrestee", "offender"),
    ("relative", "missing_person"), ("relative", "unidentified"), ("relative", "offender"),
    ("relative", "forensic"), ("forensic", "relative"), ("offender", "relative"),
    ("missing_person", "relative"), ("staff", "offender"), ("staff", "staff"),
    ("forensic", "staff"), ("offender", "missing_person"), ("forensic", "elimination"),
]


@pytest.mark.parametrize(("q", "t"), ALLOWED_DIRECT)
def test_search_allowed(q: str, t: str) -> None:
    check_search_allowed(q, t, "direct")


@pytest.mark.parametrize(("q", "t"), REFUSED_DIRECT)
def test_search_refused(q: str, t: str) -> None:
    with pytest.raises(PolicyViolation, match="policy forbids a direct search"):
        check_search_allowed(q, t, "direct")


@pytest.mark.parametrize(("q", "t"), [("relative", "missing_person"), ("relative", "unidentified"),
                                      ("unidentified", "relative")])
def test_kinship_allowed(q: str, t: str) -> None:
    check_search_allowed(q, t, "kinship")


@pytest.mark.parametrize(("q", "t"), [("relative", "offender"), ("relative", "forensic"),
                                      ("relative", "arrestee"), ("forensic", "relative"),
                                      ("offender", "relative"), ("relative", "relative")])
def test_kinship_refused(q: str, t: str) -> None:
    with pytest.raises(PolicyViolation, match="policy forbids a kinship search"):
        check_search_allowed(q, t, "kinship")


def test_unknown_mode_refused() -> None:
    with pytest.raises(PolicyViolation):
        check_search_allowed("forensic", "offender", "familial")


def _default_text() -> str:
    from importlib import resources

    return resources.files("locard.data").joinpath("policy.toml").read_text()


def test_policy_cannot_open_relatives_to_offenders() -> None:
    text = _default_text().replace('relative = ["missing_person", "unidentified"]',
                                   'relative = ["missing_person", "offender"]')
    with pytest.raises(InputError, match="relatives' references may be compared only"):
        policy_from_text(text)
    text2 = _default_text().replace('offender = ["forensic"]',
                                    'offender = ["forensic", "relative"]')
    with pytest.raises(InputError, match="never be searched directly"):
        policy_from_text(text2)


def test_policy_cannot_drop_consent_for_relatives() -> None:
    text = _default_text().replace('legal_bases = ["consent"]\nconsent_required = true\n'
                                   'retention_years = 25',
                                   'legal_bases = ["consent"]\nretention_years = 25')
    with pytest.raises(InputError, match="must set consent_required"):
        policy_from_text(text)


def test_lab_policy_file_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "lab.toml"
    f.write_text(_default_text().replace("one_in = 10_000_000", "one_in = 1_000_000")
                 .replace('name = "Locard default (CODIS-like)"', 'name = "Lab X"'))
    assert load_policy(f).name == "Lab X"
    monkeypatch.setenv("LOCARD_POLICY", str(f))
    pol = load_policy()
    assert pol.name == "Lab X"
    rule = pol.indices[Index.FORENSIC].rules[-1]
    assert rule.describe() == "forensic index requires match rarity of at least 1 in 1,000,000"


def test_policy_to_dict_lists_everything() -> None:
    d = default_policy().to_dict()
    assert set(d["indices"]) == {i.value for i in Index}
    assert d["search"]["kinship"]["relative"] == ["missing_person", "unidentified"]
    assert len(CODIS_CORE_13) == 13


def test_a_non_codis_spelling_is_stored_under_its_codis_category() -> None:
    from locard.formats.cmf import CMF_SPECIMEN_CATEGORIES
    from locard.store.categories import canonical_category

    assert canonical_category("Unidentified Human (Remains)") == "Unidentified Person"
    for name in known_categories():
        assert canonical_category(name) in CMF_SPECIMEN_CATEGORIES
