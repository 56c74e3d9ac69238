from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from locard.errors import InvalidAllele, InvalidProfile, UnknownLocus
from locard.genetics.alleles import Allele
from locard.genetics.loci import CODIS_CORE_13, CODIS_CORE_20
from locard.genetics.profiles import Profile, genotype_digest


def test_parse_forgiving_and_canonical() -> None:
    p = Profile.parse(
        "D8S1179: 13/14; d21s11: 30, 31.2\nAmelogenin: X,Y; PENTA_E=7 7; TH 01: 9.3 6",
        specimen_id="S1")
    assert list(p.loci) == ["D8S1179", "D21S11", "TH01", "Penta E", "AMEL"]
    assert [str(a) for a in p.alleles("TH01")] == ["6", "9.3"]
    assert p["Penta E"].is_homozygous
    assert p.sex == "male"
    assert p.is_single_source and not p.is_mixture
    assert "vWA" not in p and "TH01" in p and "th 01" in p


def test_mixture_partial_and_sex() -> None:
    mix = Profile.parse("D3S1358: 14,15,16; vWA: 17; AMEL: X")
    assert mix.is_mixture
    assert mix.min_contributors == 2
    assert mix.sex == "female"
    assert mix.missing_loci(CODIS_CORE_13) == tuple(
        x for x in CODIS_CORE_13 if x not in ("D3S1358", "vWA"))
    assert Profile.parse("TH01: 6").sex is None


def test_inconclusive_locus_is_not_typed() -> None:
    p = Profile.from_mapping({"TH01": ["6", "7"]}, inconclusive=["FGA"])
    assert p["FGA"].inconclusive
    assert p.typed_loci == ("TH01",)
    assert Profile.from_json(p.to_json()) == p


def test_heights_follow_alleles_after_sorting() -> None:
    p = Profile.from_mapping({"FGA": ["24", "21"]}, heights={"FGA": [800, "1200.5"]})
    assert p["FGA"].alleles == (Allele.repeat(21), Allele.repeat(24))
    assert p["FGA"].heights == (1200.5, 800.0)


def test_homozygote_written_twice_equals_once() -> None:
    assert Profile.parse("TH01: 7,7") == Profile.parse("TH01: 7")


def test_errors_name_specimen_locus_and_value() -> None:
    with pytest.raises(InvalidAllele, match=r"D18S51: '9,3' is not an allele designation.*'S9'"):
        Profile.from_mapping({"D18S51": ["9,3"]}, specimen_id="S9")
    with pytest.raises(UnknownLocus, match=r"unknown locus 'D99S1' in specimen 'S9'"):
        Profile.from_mapping({"D99S1": ["9"]}, specimen_id="S9")
    with pytest.raises(InvalidProfile, match="locus vWA given twice"):
        Profile.from_mapping({"vWA": ["16"], "VWA": ["17"]})
    with pytest.raises(InvalidProfile, match="TH01: 2 allele\\(s\\) but 1 peak height"):
        Profile.from_mapping({"TH01": ["6", "7"]}, heights={"TH01": [100]})
    with pytest.raises(InvalidProfile, match="TH01: no alleles"):
        Profile.from_mapping({"TH01": []})
    with pytest.raises(InvalidProfile, match="expected 'LOCUS: a/b'"):
        Profile.parse("TH01 6 7")


def test_equality_and_hash_ignore_input_spelling() -> None:
    a = Profile.parse("vWA: 16,17; TH01: 6", specimen_id="X")
    b = Profile.from_mapping({"TH 01": [6], "VWA": ["17", "16"]}, specimen_id="X")
    assert a == b and hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a != a.with_specimen_id("Y")
    assert a.genotype_digest() == a.with_specimen_id("Y").genotype_digest()


def test_canonical_json_is_sorted_and_stable() -> None:
    p = Profile.parse("vWA: 17,16; D3S1358: 15", specimen_id="S1", kit="PowerPlex 21")
    assert p.to_json() == (
        '{"kit":"PowerPlex 21","loci":{"D3S1358":{"alleles":["15"]},'
        '"vWA":{"alleles":["16","17"]}},"specimen_id":"S1"}')


def test_from_json_accepts_short_forms() -> None:
    p = Profile.from_json('{"specimen_id": "A", "loci": {"TH01": ["6", "9.3"], "FGA": "20/23"}}')
    assert [str(a) for a in p.alleles("FGA")] == ["20", "23"]
    with pytest.raises(InvalidProfile, match="'loci'"):
        Profile.from_json('{"alleles": []}')
    with pytest.raises(InvalidProfile, match="not JSON"):
        Profile.from_json("{nope")


_allele_text = st.builds(lambda r, v: f"{r}.{v}" if v else str(r),
                         st.integers(5, 40), st.sampled_from([0, 0, 0, 1, 2, 3]))


@st.composite
def profiles(draw: st.DrawFn) -> Profile:
    loci = draw(st.lists(st.sampled_from(CODIS_CORE_20), min_size=1, max_size=20, unique=True))
    mapping = {locus: draw(st.lists(_allele_text, min_size=1, max_size=4)) for locus in loci}
    heights = None
    if draw(st.booleans()):
        heights = {locus: [draw(st.integers(50, 30000)) for _ in alleles]
                   for locus, alleles in mapping.items()}
    sid = draw(st.one_of(st.none(), st.text(min_size=1, max_size=12)))
    return Profile.from_mapping(mapping, heights=heights, specimen_id=sid)


@given(profiles())
def test_json_round_trip(profile: Profile) -> None:
    again = Profile.from_json(profile.to_json())
    assert again == profile
    assert again.to_json() == profile.to_json()


@given(profiles())
def test_parse_round_trip_of_str(profile: Profile) -> None:
    text = "; ".join(f"{k}: {v}" for k, v in profile.loci.items())
    assert Profile.parse(text).loci.keys() == profile.loci.keys()
    assert {k: c.alleles for k, c in Profile.parse(text).loci.items()} == {
        k: c.alleles for k, c in profile.loci.items()}


def test_genotype_digest_excludes_kit_and_specimen() -> None:
    """The same genotype typed with two kits has one digest; another genotype has another."""
    text = "vWA: 16,17; TH01: 6,9.3; D8S1179: 13"
    a = Profile.parse(text, specimen_id="X", kit="PowerPlex 21")
    b = Profile.parse(text, specimen_id="Y", kit="GlobalFiler")
    assert a.genotype_digest() == b.genotype_digest() == Profile.parse(text).genotype_digest()
    other = Profile.parse("vWA: 16,18; TH01: 6,9.3; D8S1179: 13", kit="PowerPlex 21")
    assert other.genotype_digest() != a.genotype_digest()
    # what is hashed: the genotype's canonical JSON, nothing of the specimen or the kit
    assert a.genotype_json() == b.genotype_json() == (
        '{"loci":{"D8S1179":{"alleles":["13"]},"TH01":{"alleles":["6","9.3"]},'
        '"vWA":{"alleles":["16","17"]}}}')
    assert a.genotype_digest() == genotype_digest(a.genotype_json())
