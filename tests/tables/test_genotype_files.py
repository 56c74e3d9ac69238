"""Allele frequencies counted from genotype tables (the NIST 1036 genotype files): frequency =
count / 2N, N the samples with a call at the locus."""

from __future__ import annotations

from pathlib import Path

import pytest

from locard.errors import FileFormatError
from locard.tables import load_frequency_table
from locard.tables.bundled import get_bundled_table
from locard.tables.files import detect_frequency_format, read_frequency_file

NIST = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "frequencies" / "nist1036"

# 4 samples of population A, 1 of B. TH01 in A: 6/9.3, 6/6, 7/9.3, and S4 has no call
# -> N = 3, 2N = 6: 6 -> 3/6, 9.3 -> 2/6, 7 -> 1/6. D8S1179 in A: 13/14 x4 -> 2N = 8.
LONG = """sample,population,locus,allele1,allele2
S1,A,TH01,6,9.3
S1,A,D8S1179,13,14
S2,A,TH01,6,6
S2,A,D8S1179,13,14
S3,A,TH01,7,9.3
S3,A,D8S1179,13,14
S4,A,TH01,,
S4,A,D8S1179,13,14
S5,B,TH01,8,8
S5,B,D8S1179,10,12
"""
WIDE = """Sample,Pop,TH01_1,TH01_2,D8S1179_1,D8S1179_2
S1,A,6,9.3,13,14
S2,A,6,6,13,14
S3,A,7,9.3,13,14
S4,A,NA,NA,13,14
S5,B,8,8,10,12
"""


@pytest.mark.parametrize("text", [LONG, WIDE], ids=["long", "wide"])
def test_counts_alleles_by_hand(tmp_path: Path, text: str) -> None:
    f = tmp_path / "genos.csv"
    f.write_text(text)
    assert detect_frequency_format(f) == "genotypes"
    pops = {p.population: p for p in read_frequency_file(f)}
    assert set(pops) == {"A", "B"}
    a = pops["A"]
    assert a.frequencies["TH01"] == {"6": 3 / 6, "7": 1 / 6, "9.3": 2 / 6}
    assert a.counts is not None and a.counts["TH01"] == {"6": 3, "7": 1, "9.3": 2}
    assert a.sample_alleles == {"D8S1179": 8, "TH01": 6}
    assert a.frequencies["D8S1179"] == {"13": 0.5, "14": 0.5}
    assert pops["B"].frequencies["TH01"] == {"8": 1.0}
    table = load_frequency_table(f"{f}:A")
    assert table.name == "genos:A" and table.minimum_frequency("TH01") == 5 / 6
    assert "count / 2N" in (table.source or "")


def test_one_allele_of_a_pair_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    f.write_text("sample,locus,allele1,allele2\nS1,TH01,6,\n")
    with pytest.raises(FileFormatError, match="TH01: one allele of the pair is missing") as e:
        read_frequency_file(f)
    assert e.value.message.startswith(str(f)) or str(f) in str(e.value)


@pytest.mark.skipif(not (NIST / "nist1036_genotypes_wide.csv").is_file(),
                    reason="needs ../shared/data")
@pytest.mark.parametrize("name", ["nist1036_genotypes_wide.csv", "nist1036_genotypes_long.csv"])
@pytest.mark.parametrize("population", ["AfAm", "Cauc"])
def test_nist_genotypes_give_the_published_counts(name: str, population: str) -> None:
    """Cross-check: counting the 1036 genotypes reproduces the NIST allele-count table (the
    bundled NIST1036 tables) exactly, at every locus both have."""
    counted = load_frequency_table(f"{NIST / name}:{population}")
    bundled = get_bundled_table(f"NIST1036:{population}")
    common = set(counted.loci) & set(bundled.loci)
    assert len(common) >= 20
    for locus in common:
        assert counted.sample_alleles[locus] == bundled.sample_alleles[locus], locus
        assert counted.frequencies[locus] == pytest.approx(bundled.frequencies[locus],
                                                           rel=1e-12), locus
