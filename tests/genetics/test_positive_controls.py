"""Positive-control DNAs: literature genotypes, agreement with OSIRIS, lookup and errors."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import pytest

from locard.errors import InputError, LocardError
from locard.genetics.alleles import parse_allele
from locard.genetics.kits import get_kit, list_kits, list_positive_controls, positive_control
from locard.genetics.loci import canonical_locus, is_known_locus

REPO = Path(__file__).resolve().parents[2]
CONTROLS_XML = REPO / ".." / "shared" / "data" / "kits" / "StandardPositiveControls.xml"
requires_shared = pytest.mark.skipif(
    not CONTROLS_XML.is_file(),
    reason=f"reference data {CONTROLS_XML} is absent (the OSIRIS positive controls live outside "
           "the repository, in ../shared/data/kits)",
)

CONTROLS = ["2800M", "3657", "9947A", "9948", "DNA007", "K562", "M308", "MK1"]


def _alleles(control: str, locus: str) -> list[str]:
    return [str(a) for a in positive_control(control).alleles(locus)]


def _json() -> dict[str, object]:
    text = resources.files("locard.data").joinpath("positive_controls.json").read_text("utf-8")
    assert text.startswith('{\n "_source": ')
    data = json.loads(text)
    assert isinstance(data, dict)
    return data


def test_list_positive_controls() -> None:
    assert list_positive_controls() == CONTROLS


def test_json_header_cites_the_source() -> None:
    data = _json()
    assert list(data)[:2] == ["_source", "_generated_by"]
    blob = json.dumps(data["_source"])
    for needle in ("OSIRIS", "NCBI", "public domain", "kits/StandardPositiveControls.xml",
                   "scripts/derive_kits.py"):
        assert needle in blob


# Literature genotypes: 9947A and 2800M as published by NIST (SRM 2391) and Promega (2800M
# Control DNA in the PowerPlex technical manuals); K562 from its ATCC STR profile (CCL-243).
@pytest.mark.parametrize(("control", "locus", "expected"), [
    ("9947A", "TH01", ["8", "9.3"]),
    ("9947A", "FGA", ["23", "24"]),
    ("9947A", "vWA", ["17", "18"]),
    ("9947A", "D3S1358", ["14", "15"]),
    ("9947A", "D21S11", ["30"]),
    ("9947A", "D18S51", ["15", "19"]),
    ("9947A", "AMEL", ["X"]),
    ("2800M", "TH01", ["6", "9.3"]),
    ("2800M", "vWA", ["16", "19"]),
    ("2800M", "FGA", ["20", "23"]),
    ("2800M", "D3S1358", ["17", "18"]),
    ("2800M", "D21S11", ["29", "31.2"]),
    ("2800M", "AMEL", ["X", "Y"]),
    ("K562", "TH01", ["9.3"]),
    ("K562", "vWA", ["16"]),
    ("K562", "CSF1PO", ["9", "10"]),
    ("K562", "D13S317", ["8"]),
    ("K562", "TPOX", ["8", "9"]),
    ("K562", "AMEL", ["X"]),
])
def test_literature_genotypes(control: str, locus: str, expected: list[str]) -> None:
    assert _alleles(control, locus) == expected


def test_sex_of_controls() -> None:
    assert positive_control("9947A").sex == "female"
    assert positive_control("K562").sex == "female"
    assert positive_control("2800M").sex == "male"
    assert positive_control("9948").sex == "male"


def test_control_profiles_are_named_and_single_source_where_expected() -> None:
    for name in CONTROLS:
        assert positive_control(name).specimen_id == name
    assert positive_control("2800M").is_single_source
    assert positive_control("9947A").is_single_source
    # a cancer cell line and a tri-allelic pattern: three alleles at a locus
    assert _alleles("K562", "D21S11") == ["29", "30", "31"]


@requires_shared
def test_every_control_agrees_with_osiris_xml() -> None:
    """Read StandardPositiveControls.xml here, independently of scripts/derive_kits.py."""
    data = _json()
    controls = data["controls"]
    assert isinstance(controls, dict)
    root = ET.parse(CONTROLS_XML).getroot()
    seen = []
    for control in root.iter("PositiveControl"):
        name = control.findtext("Name", "").strip()
        seen.append(name)
        profile = positive_control(name)
        expected_known: dict[str, set[str]] = {}
        expected_other: dict[str, list[str]] = {}
        for locus in control.iter("Locus"):
            raw = locus.findtext("Name", "").strip()
            alleles = [a.findtext("Name", "").strip() for a in locus.iter("Allele")]
            if is_known_locus(raw):
                canonical = canonical_locus(raw)
                expected_known[canonical] = {str(parse_allele(a, locus=canonical))
                                             for a in alleles}
            else:
                expected_other[raw] = alleles
        assert {k: {str(a) for a in profile.alleles(k)} for k in profile} == expected_known, name
        assert controls[name]["other_loci"] == expected_other, name
    assert sorted(seen) == CONTROLS


@requires_shared
def test_amelogenin_1_2_in_the_xml_means_x_y() -> None:
    root = ET.parse(CONTROLS_XML).getroot()
    for control in root.iter("PositiveControl"):
        for locus in control.iter("Locus"):
            if locus.findtext("Name") == "AMEL":
                raw = sorted(a.findtext("Name", "") for a in locus.iter("Allele"))
                name = control.findtext("Name", "")
                assert _alleles(name, "AMEL") == [{"1": "X", "2": "Y"}[r] for r in raw]


def test_other_loci_are_only_markers_locard_does_not_know() -> None:
    controls = _json()["controls"]
    assert isinstance(controls, dict)
    for name, record in controls.items():
        assert all(not is_known_locus(locus) for locus in record["other_loci"]), name


def test_y_and_x_markers_of_controls() -> None:
    m308 = positive_control("M308")
    assert m308.sex is None  # a Y-STR control without Amelogenin
    assert _alleles("M308", "DYS391") == ["11"]
    if is_known_locus("DYS19"):
        assert _alleles("M308", "DYS19") == ["14"]
        assert _alleles("2800M", "DYS385 a/b") == ["13", "16"]
    if is_known_locus("DXS10135"):
        assert _alleles("9947A", "DXS10135") == ["21.1", "27"]


@pytest.mark.parametrize("spelling", ["2800M", "2800m", " 2800M ", "2800-m"])
def test_lookup_is_forgiving(spelling: str) -> None:
    assert positive_control(spelling).specimen_id == "2800M"


def test_lookup_other_spellings() -> None:
    assert positive_control("9947a").specimen_id == "9947A"
    assert positive_control("dna 007").specimen_id == "DNA007"
    assert positive_control("k562").specimen_id == "K562"


def test_unknown_control_names_value_and_known_ones() -> None:
    with pytest.raises(InputError) as info:
        positive_control("9999X")
    message = str(info.value)
    assert "'9999X'" in message
    for name in ("2800M", "9947A", "9948", "K562", "DNA007"):
        assert name in message
    assert isinstance(info.value, LocardError)


def test_controls_validate_against_kits() -> None:
    """2800M and 9947A are the kits' own controls: clean on every ladder. MK1's FGA 22.2 is on
    the Promega ladders only."""
    for kit in list_kits():
        for name in ("2800M", "9947A", "9948", "K562", "DNA007"):
            profile = positive_control(name).restrict(kit.locus_names)
            assert kit.validate_profile(profile) == [], (kit.name, name)
    mk1 = positive_control("MK1")
    gf = get_kit("GlobalFiler")
    assert gf.validate_profile(mk1.restrict(gf.locus_names)) == [
        "FGA: allele '22.2' is not on the GlobalFiler ladder (use --allow-off-ladder)"]
    pp21 = get_kit("PowerPlex 21")
    assert pp21.validate_profile(mk1.restrict(pp21.locus_names)) == []
    assert pp21.validate_profile(mk1) == ["D2S441: not a locus of the PowerPlex 21 kit",
                                          "D10S1248: not a locus of the PowerPlex 21 kit",
                                          "D22S1045: not a locus of the PowerPlex 21 kit",
                                          "SE33: not a locus of the PowerPlex 21 kit"]
