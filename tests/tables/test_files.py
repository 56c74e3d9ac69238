"""Frequency file parsers: every real file in ../shared/data/frequencies, spot values checked
against the raw files, and hand-made bad files for the error messages."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from locard.errors import FileFormatError, InputError, UnsafeInput
from locard.genetics.loci import LOCI, LocusKind
from locard.tables.files import (
    FORMATS,
    NIST1036_CITATION,
    PopulationFrequencies,
    detect_frequency_format,
    read_familias,
    read_fbi2015_csv,
    read_frequency_file,
    read_long_csv,
    read_nist1036_csv,
    read_strider_xml,
    read_ukdna17_csv,
    read_wide_csv,
)

FREQ = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "frequencies"


@pytest.fixture
def freq() -> Path:
    if not FREQ.is_dir():
        pytest.skip(f"reference data not found at {FREQ} (../shared/data is not checked out)")
    return FREQ


# file (relative to frequencies/), detected format, number of populations, largest allowed
# |sum of frequencies - 1| at any locus (0 for count files: exact)
REAL_FILES = [
    ("nist1036/nist1036_allele_freqs.csv", "nist1036", 5, 1e-12),
    ("fbi2015/fbi2015_allele_freqs.csv", "fbi2015", 12, 1e-8),
    ("fbi2015/FBI_extended_Cauc_022024.csv", "wide", 1, 1e-3),  # 4 decimals
    ("ukdna17/ukdna17_allele_counts.csv", "ukdna17", 6, 1e-12),
    ("strider/frequencies_STRBASE.xml", "strider-xml", 21, 1e-4),
    ("strider/STRBASE_frequencies_2015-02-09_Europe.csv", "wide", 1, 1e-3),
    *[(f"familias_norstr/{n}_v2023.txt", "familias", 1, 1e-4)
      for n in ("AfrikaDB", "EuropaDB", "MidtAsiaDB", "NorskDB", "OstAsiaDB", "SydAmerikaDB",
                "VestAsiaDB")],
    *[(f"euroformix/{n}.csv", "wide", 1, 6e-3)  # SGMPlus_UK sums to 0.995 at one locus
      for n in ("ESX17_Norway", "Fusion6C_Norway", "Identifiler_Caucasian", "Identifiler_NIST",
                "NGM_Holland", "SGMPlus_Norway", "SGMPlus_UK")],
]


def test_the_list_covers_every_frequency_file(freq: Path) -> None:
    on_disk = {str(p.relative_to(freq)) for p in freq.rglob("*")
               if p.suffix in (".csv", ".txt", ".xml") and p.name not in ("LICENSE",)
               and "genotypes" not in p.name}  # NIST genotypes are not frequency tables
    assert on_disk == {f for f, *_ in REAL_FILES}


@pytest.mark.parametrize(("name", "fmt", "n_pops", "tolerance"), REAL_FILES,
                         ids=[f for f, *_ in REAL_FILES])
def test_every_real_file_loads(freq: Path, name: str, fmt: str, n_pops: int,
                               tolerance: float) -> None:
    path = freq / name
    assert detect_frequency_format(path) == fmt
    pops = read_frequency_file(path)
    assert len(pops) == n_pops
    assert len({p.population for p in pops}) == n_pops
    assert read_frequency_file(path, format=fmt) == pops
    for pop in pops:
        assert isinstance(pop, PopulationFrequencies)
        assert pop.frequencies, pop.name
        assert set(pop.sample_alleles) == set(pop.frequencies)
        for locus, per in pop.frequencies.items():
            assert LOCI[locus].kind is LocusKind.AUTOSOMAL_STR, locus
            assert per and all(0 < f <= 1 for f in per.values())
            assert abs(math.fsum(per.values()) - 1) <= tolerance, (pop.name, locus)
            two_n = pop.sample_alleles[locus]
            if pop.counts is not None:
                assert two_n is not None
                assert set(pop.counts[locus]) == set(per)
                assert sum(pop.counts[locus].values()) == two_n
        for locus in pop.skipped:
            assert locus not in pop.frequencies


def test_nist1036_spot_values(freq: Path) -> None:
    pops = {p.population: p for p in read_nist1036_csv(freq / "nist1036/nist1036_allele_freqs.csv")}
    assert list(pops) == ["ALL", "AfAm", "Asian", "Cauc", "Hisp"]
    everyone = pops["ALL"]
    assert everyone.name == "NIST1036:ALL"
    assert everyone.source == NIST1036_CITATION
    assert everyone.frequencies["CSF1PO"]["10"] == 481 / 2072
    assert everyone.counts is not None and everyone.counts["CSF1PO"]["10"] == 481
    assert everyone.sample_alleles["CSF1PO"] == 2072
    # the two missing genotypes (OT05588 TPOX, C88H Penta D)
    assert everyone.sample_alleles["TPOX"] == 2070
    assert everyone.sample_alleles["Penta D"] == 2070
    assert pops["AfAm"].sample_alleles["TPOX"] == 682
    assert pops["Hisp"].sample_alleles["Penta D"] == 470
    assert set(pops["Cauc"].sample_alleles.values()) == {722}  # N = 361
    assert set(pops["Asian"].sample_alleles.values()) == {194}  # N = 97
    assert len(everyone.frequencies) == 29
    assert {"D6S1043", "F13A01", "F13B", "FESFPS", "LPL", "Penta C", "vWA"} <= set(
        everyone.frequencies)
    assert everyone.frequencies["D21S11"]["30.2"] > 0  # microvariants keep their name


def test_fbi2015_spot_values(freq: Path) -> None:
    pops = {p.population: p for p in read_fbi2015_csv(freq / "fbi2015/fbi2015_allele_freqs.csv")}
    cauc = pops["Caucasian"]
    assert cauc.name == "FBI2015:Caucasian"
    assert cauc.frequencies["D3S1358"]["15"] == 100 / 404  # count / 2N, not the rounded column
    assert cauc.counts is not None and cauc.counts["D3S1358"]["15"] == 100
    assert cauc.sample_alleles["D3S1358"] == 404
    assert cauc.frequencies["vWA"]["16"] == 83 / 404
    assert len(cauc.frequencies) == 23 and "D6S1043" not in cauc.frequencies
    assert pops["SE Hispanic"].frequencies["D18S51"][">27"] == 1 / 526


def test_fbi_wide_table(freq: Path) -> None:
    [wide] = read_wide_csv(freq / "fbi2015/FBI_extended_Cauc_022024.csv")
    assert wide.frequencies["D3S1358"]["13"] == 0.0025
    assert wide.frequencies["D16S539"]["13"] == 0.1634
    assert wide.frequencies["TH01"]["9.3"] == 0.3045
    assert "13" not in wide.frequencies["TPOX"]  # a 0 is unobserved
    assert set(wide.sample_alleles.values()) == {404}
    assert wide.counts is None
    # 'X,X'/'X,Y' rows, Y markers and the N = 0 loci (DYS570, DYS576) are skipped, not errors
    assert set(wide.skipped) == {"AMEL", "DYS391", "DYS570", "DYS576", "Yindel"}
    assert "not an autosomal STR" in wide.skipped["AMEL"]
    # the same data as the FBI 2015 long file's Caucasians, rounded to 4 decimals; N is 2N
    long = {p.population: p for p in read_fbi2015_csv(freq / "fbi2015/fbi2015_allele_freqs.csv")}
    cauc = long["Caucasian"]
    assert set(wide.frequencies) == set(cauc.frequencies)
    for locus, per in wide.frequencies.items():
        assert wide.sample_alleles[locus] == cauc.sample_alleles[locus]
        assert set(per) == set(cauc.frequencies[locus]), locus
        for allele, f in per.items():
            assert f == pytest.approx(cauc.frequencies[locus][allele], abs=5.1e-5)


def test_ukdna17_spot_values(freq: Path) -> None:
    pops = {p.population: p for p in read_ukdna17_csv(freq / "ukdna17/ukdna17_allele_counts.csv")}
    white = pops["White_-_EA1_&_EA2"]
    assert white.source_name == "UKDNA17"
    assert white.frequencies["vWA"]["14"] == 240 / 2550
    assert white.counts is not None and white.counts["vWA"]["14"] == 240
    assert len(white.frequencies) == 16
    assert pops["Chinese_-_EA5"].sample_alleles["FGA"] == 406


def test_familias_spot_values(freq: Path) -> None:
    [norsk] = read_familias(freq / "familias_norstr/NorskDB_v2023.txt")
    assert norsk.population == "NorskDB_v2023"
    assert norsk.frequencies["D1S1656"]["10"] == 0.001
    assert norsk.frequencies["D1S1656"]["11"] == 0.073863
    assert norsk.frequencies["D1S1656"]["17.3"] == 0.152324
    assert set(norsk.sample_alleles.values()) == {None}
    assert norsk.counts is None
    assert {"Penta E", "Penta D", "D22GATA198B05", "D3S3045"} <= set(norsk.frequencies)
    # alleles named by fragment length (bp) are beyond the repeat range: the locus is skipped
    assert set(norsk.skipped) == {"APOAI1", "D11S554", "D17S906"}
    assert "fragment length" in norsk.skipped["D11S554"]
    [europa] = read_familias(freq / "familias_norstr/EuropaDB_v2023.txt")
    assert europa.skipped == {}


def test_strider_xml(freq: Path) -> None:
    pops = {p.population: p for p in read_strider_xml(freq / "strider/frequencies_STRBASE.xml")}
    austria = pops["AUSTRIA"]
    assert austria.source_name == "STRidER"
    assert "2015-02-09" in austria.source
    assert austria.frequencies["vWA"]["18"] == 0.259009  # marker name 'VWA'
    assert austria.frequencies["vWA"]["18"] == pytest.approx(115 / 444, abs=5e-7)  # n = people
    assert austria.sample_alleles["vWA"] == 444
    assert {"Europe", "Entire Database", "GERMANY"} <= set(pops)
    assert pops["GERMANY"].sample_alleles["vWA"] == 2 * 662
    assert set(austria.skipped) == {"DYS391", "Yindel"}  # 'Y indel'
    # markers listed without any origin (TPOX, CSF1PO, D6S1043, ...) have no data: absent
    assert len(pops["Europe"].frequencies) == 16
    assert "TPOX" not in pops["Europe"].frequencies


def test_strider_csv(freq: Path) -> None:
    [europe] = read_frequency_file(freq / "strider/STRBASE_frequencies_2015-02-09_Europe.csv")
    assert europe.frequencies["TH01"]["6"] == 0.231653
    assert europe.frequencies["SE33"]["6.3"] == 1.65399e-4
    assert europe.frequencies["D21S11"]["35.2"] == 3.8625e-4
    assert set(europe.sample_alleles.values()) == {None}
    # the CSV is the XML's 'Europe' origin
    xml = {p.population: p for p in read_strider_xml(freq / "strider/frequencies_STRBASE.xml")}
    assert europe.frequencies["TH01"]["6"] == pytest.approx(
        xml["Europe"].frequencies["TH01"]["6"], rel=1e-5)


def test_euroformix_comma_and_semicolon(freq: Path) -> None:
    [esx] = read_frequency_file(freq / "euroformix/ESX17_Norway.csv")
    assert esx.frequencies["TH01"]["5"] == 0.00259844093543874
    assert esx.frequencies["D16S539"]["6"] == 0.000899280575539568
    [ngm] = read_frequency_file(freq / "euroformix/NGM_Holland.csv")  # ';'-separated
    assert ngm.frequencies["TH01"]["5"] == 0.007194245
    assert "2.2" not in ngm.frequencies.get("D16S539", {})  # empty cells are absent
    [sgm] = read_frequency_file(freq / "euroformix/SGMPlus_Norway.csv")
    assert sgm.frequencies["TH01"]["6"] == 0.209
    assert len(sgm.frequencies) == 10


# --- small files made here ------------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str, *, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def raises(path: Path, *fragments: str, **kwargs: str) -> FileFormatError:
    with pytest.raises(FileFormatError) as info:
        read_frequency_file(path, **kwargs)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return info.value


LONG_HEADER = "locus,allele,frequency\n"


def test_long_csv_plain(tmp_path: Path) -> None:
    path = write(tmp_path, "mine.csv", "Locus,Allele,Frequency\nTH 01,6,0.25\nth01,9.3,0.75\n"
                 "AMEL,X,0.5\nDYS391,10,1\n", bom=True)
    assert detect_frequency_format(path) == "long"
    [pop] = read_frequency_file(path)
    assert pop.name == "mine:mine"
    assert pop.frequencies == {"TH01": {"6": 0.25, "9.3": 0.75}}
    assert pop.sample_alleles == {"TH01": None}
    assert set(pop.skipped) == {"AMEL", "DYS391"}


def test_long_csv_counts_and_populations(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "population,marker,allele,count,n\n"
                 "A,vWA,14,3,2\nA,vWA,15,1,2\nB,vWA,14,4,2\n")
    pops = {p.population: p for p in read_long_csv(path)}
    assert pops["A"].frequencies["vWA"] == {"14": 0.75, "15": 0.25}
    assert pops["A"].sample_alleles["vWA"] == 4  # n is people: 2N = 4
    assert pops["A"].counts == {"vWA": {"14": 3, "15": 1}}
    assert pops["B"].frequencies["vWA"] == {"14": 1.0}


def test_unknown_locus(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", LONG_HEADER + "TH01,6,1\nD99S999,6,1\n")
    err = raises(path, "line 3", "unknown locus 'D99S999'")
    assert err.line == 3 and err.path == str(path)


def test_bad_allele(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", LONG_HEADER + "D18S51,9,0.5\nD18S51,\"9,3\",0.5\n")
    raises(path, "line 3", "D18S51", "'9,3'")


def test_sex_allele_at_an_str(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", LONG_HEADER + "D18S51,X,1\n")
    raises(path, "line 2", "D18S51", "'X'", "sex allele")


def test_non_numeric_frequency(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", LONG_HEADER + "FGA,21,abc\n")
    raises(path, "line 2", "FGA", "frequency 'abc' is not a number")


def test_frequency_out_of_range(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", LONG_HEADER + "FGA,21,1.5\n")
    raises(path, "line 2", "FGA", "'1.5'", "outside [0, 1]")


def test_missing_column(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "locus,allele,freqency\nFGA,21,1\n")
    raises(path, "line 1", "missing column 'frequency'", format="long")
    path = write(tmp_path, "nist1036_bad.csv", "population,locus,allele,count,frequency\n"
                 "ALL,FGA,21,1,1\n")
    raises(path, "line 1", "missing column 'n_alleles'")


def test_count_disagrees_with_frequency(tmp_path: Path) -> None:
    path = write(tmp_path, "nist1036_x.csv", "population,locus,allele,count,n_alleles,frequency\n"
                 "ALL,CSF1PO,10,481,2072,0.2321428571\nALL,CSF1PO,11,1591,2072,0.7\n")
    raises(path, "line 3", "CSF1PO", "'0.7'", "1591/2072")


def test_duplicate_allele_and_bad_sum(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", LONG_HEADER + "TPOX,8,0.5\nTPOX,8.0,0.5\n")
    raises(path, "line 3", "TPOX", "'8' listed twice")
    path = write(tmp_path, "b.csv", LONG_HEADER + "TPOX,8,0.5\nTPOX,9,0.2\n")
    raises(path, "line 2", "TPOX", "sum to 0.7000")


def test_wrong_field_count_and_inconsistent_n(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", LONG_HEADER + "TPOX,8,0.5,7\n")
    raises(path, "line 2", "4 fields")
    path = write(tmp_path, "b.csv", "locus,allele,count,n_alleles\nTPOX,8,1,2\nTPOX,9,1,4\n")
    raises(path, "line 3", "TPOX", "4 alleles sampled, but 2")


def test_wide_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "kit.csv", "Allele;TH01;VWA;AMEL\n6;0,25;;\n9.3;0,75;1;\nX;;;1\n")
    [pop] = read_frequency_file(path)
    assert pop.frequencies == {"TH01": {"6": 0.25, "9.3": 0.75}, "vWA": {"9.3": 1.0}}
    assert set(pop.skipped) == {"AMEL"}
    with_n = write(tmp_path, "n.csv", "Allele,TH01,TPOX\n6,1,0\nN,20,0\n")
    [pop] = read_frequency_file(with_n)
    assert pop.frequencies == {"TH01": {"6": 1.0}}  # TPOX: N = 0, no data
    assert pop.sample_alleles == {"TH01": 20}


def test_wide_csv_errors(tmp_path: Path) -> None:
    raises(write(tmp_path, "a.csv", "Allele,TH01,FOO1\n6,1,1\n"), "line 1", "'FOO1'")
    raises(write(tmp_path, "b.csv", "Allele,TH01\n6,0.5\n7,x\n"), "line 3", "TH01", "'x'")
    raises(write(tmp_path, "c.csv", "Allele,TH01\n6,0.5\n6,0.5\n"), "line 3", "'6' listed twice")
    raises(write(tmp_path, "d.csv", "Allele,TH01\n6.x,1\n"), "line 2", "TH01", "'6.x'")


def test_familias_errors(tmp_path: Path) -> None:
    raises(write(tmp_path, "f.txt", "TH01\n6\t0.5\n7\tnope\n"), "line 3", "TH01", "'nope'",
           format="familias")
    raises(write(tmp_path, "g.txt", "TH01\n6\t0.5\n7\t0.5\n\nNOTALOCUS\n8\t1\n"), "line 5",
           "unknown locus 'NOTALOCUS'")
    raises(write(tmp_path, "h.txt", "6\t0.5\n7\t0.5\n"), "line 1", format="familias")
    ok = write(tmp_path, "ok.txt", "Penta E\n5\t0.5\n7\t0.5\n\nAMEL\n1\t0.5\n2\t0.5\n")
    [pop] = read_frequency_file(ok)
    assert pop.frequencies == {"Penta E": {"5": 0.5, "7": 0.5}}
    assert set(pop.skipped) == {"AMEL"}


XML = """<?xml version="1.0" encoding="UTF-8"?>
<frequencies>
  <marker>
    <name>VWA</name>
    <origin name="X" n="2">
      <frequency allele="14">0.75</frequency>
      <frequency allele="{allele}">0.25</frequency>
    </origin>
  </marker>
</frequencies>
"""


def test_strider_xml_small_and_errors(tmp_path: Path) -> None:
    [pop] = read_frequency_file(write(tmp_path, "ok.xml", XML.format(allele="15")))
    assert pop.frequencies == {"vWA": {"14": 0.75, "15": 0.25}}
    assert pop.sample_alleles == {"vWA": 4}
    raises(write(tmp_path, "bad.xml", XML.format(allele="1x")), "line 7", "vWA", "'1x'")
    raises(write(tmp_path, "broken.xml", "<frequencies><marker></frequencies>"),
           "not well-formed XML", "line 1")
    raises(write(tmp_path, "other.xml", "<profiles/>"), "expected <frequencies>")
    bomb = ('<?xml version="1.0"?><!DOCTYPE f [<!ENTITY a "aaaa">]>'
            "<frequencies>&a;</frequencies>")
    with pytest.raises(UnsafeInput):
        read_frequency_file(write(tmp_path, "bomb.xml", bomb))


def test_dispatch_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown frequency file format 'excel'"):
        read_frequency_file(tmp_path / "x.csv", format="excel")
    with pytest.raises(InputError, match="not found"):
        read_frequency_file(tmp_path / "missing.csv")
    raises(write(tmp_path, "what.csv", "a,b,c\n1,2,3\n"), "cannot tell")
    raises(write(tmp_path, "empty.csv", ""), "empty file")
    assert "long" in FORMATS and "strider-xml" in FORMATS


def test_format_aliases(tmp_path: Path) -> None:
    path = write(tmp_path, "w.csv", "Allele,TH01\n6,1\n")
    assert read_frequency_file(path, format="euroformix") == read_frequency_file(path)
    assert read_frequency_file(path, format="STRIDER_CSV") == read_frequency_file(path)
    [pop] = read_frequency_file(path, population="Norway")
    assert pop.population == "Norway"


def test_oversized_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import locard.tables.files as ff

    monkeypatch.setattr(ff, "MAX_FILE_BYTES", 10)
    for name in ("big.csv", "big.xml"):
        with pytest.raises(UnsafeInput, match="at most 10"):
            read_frequency_file(write(tmp_path, name, LONG_HEADER + "TH01,6,1\n"),
                                format="long" if name.endswith(".csv") else None)
