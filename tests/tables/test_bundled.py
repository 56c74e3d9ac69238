"""The shipped frequency tables: names, lookup, identity, the 5/2N floor, and that they are
exactly what the derive scripts make from the public raw files."""

from __future__ import annotations

import csv
import importlib.util
import json
from collections import Counter
from importlib import resources
from pathlib import Path
from types import ModuleType

import pytest

from locard.errors import StatisticsError, UnknownFrequencyTable
from locard.genetics.alleles import parse_allele
from locard.genetics.loci import canonical_locus
from locard.stats.frequencies import FrequencyTable
from locard.tables import table_from_population
from locard.tables.bundled import (
    BUNDLE_FORMAT,
    DEFAULT_TABLE,
    bundled_source,
    bundled_table_names,
    dump_bundle,
    get_bundled_table,
    is_bundled_name,
    resolve_bundled_name,
)
from locard.tables.files import file_sha256, read_fbi2015_csv, read_nist1036_csv

REPO = Path(__file__).resolve().parents[2]
FREQ = REPO.parent / "shared" / "data" / "frequencies"
NIST_CSV = FREQ / "nist1036" / "nist1036_allele_freqs.csv"
FBI_CSV = FREQ / "fbi2015" / "fbi2015_allele_freqs.csv"
NIST_NAMES = ["NIST1036:AfAm", "NIST1036:Asian", "NIST1036:Cauc", "NIST1036:Hisp",
              "NIST1036:ALL"]
# SHA-256 of NIST1036:ALL's canonical JSON. A change here changes the provenance of every
# statistic computed with the default table: only on purpose, with the derive script re-run.
NIST_ALL_SHA256 = "6332c9b567b345d2328817edc4da59e9af11ae21b37dd65a24beb111cf5abae3"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"reference data not found at {path} (../shared/data is not checked out)")
    return path


def load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_names() -> None:
    names = bundled_table_names()
    assert names[:5] == NIST_NAMES
    assert DEFAULT_TABLE == "NIST1036:ALL" and DEFAULT_TABLE in names
    assert "FBI2015:Caucasian" in names and len(names) == 5 + 12
    for name in names:
        table = get_bundled_table(name)
        assert table.name == name
        assert table.population == name.split(":", 1)[1]
        assert table.source and table.min_frequency is None


def test_lookup_is_case_insensitive_and_cached() -> None:
    cauc = get_bundled_table("NIST1036:Cauc")
    assert get_bundled_table("nist1036:cauc") is cauc
    assert get_bundled_table(" NIST1036 : CAUC ") is cauc
    assert get_bundled_table("NIST1036") is get_bundled_table("NIST1036:ALL")
    assert get_bundled_table() is get_bundled_table(DEFAULT_TABLE)
    assert resolve_bundled_name("fbi2015:se hispanic") == "FBI2015:SE Hispanic"
    assert is_bundled_name("nist1036:nobody") and not is_bundled_name("tables.csv")


@pytest.mark.parametrize("name", ["NIST1036:Martian", "FOO", "FBI2015", "", "NIST1036:"])
def test_unknown_names(name: str) -> None:
    with pytest.raises(UnknownFrequencyTable) as info:
        get_bundled_table(name)
    assert "NIST1036:Cauc" in str(info.value)  # lists the known names
    assert info.value.name == name


def test_nist_values() -> None:
    everyone = get_bundled_table("NIST1036:ALL")
    assert everyone.n_individuals == 1036
    assert len(everyone.loci) == 29
    f = everyone.frequency("CSF1PO", "10")
    assert f.value == 481 / 2072 and f.source == "observed"
    assert everyone.counts is not None and everyone.counts["CSF1PO"][next(
        a for a in everyone.counts["CSF1PO"] if str(a) == "10")] == 481
    assert everyone.sample_alleles["TPOX"] == 2070
    assert get_bundled_table("NIST1036:AfAm").n_individuals == 342
    assert get_bundled_table("NIST1036:Hisp").n_individuals == 236
    assert get_bundled_table("NIST1036:Asian").n_individuals == 97


def test_minimum_frequency_is_5_over_2n() -> None:
    cauc = get_bundled_table("NIST1036:Cauc")
    assert cauc.n_individuals == 361
    assert cauc.minimum_frequency("CSF1PO") == 5 / 722
    unseen = cauc.frequency("CSF1PO", "99")
    assert unseen.value == 5 / 722 and unseen.source == "minimum" and unseen.observed is None
    rare = next(a for a, f in cauc.frequencies["D21S11"].items() if f < 5 / 722)
    raised = cauc.frequency("D21S11", rare)
    assert raised.value == 5 / 722 and raised.source == "minimum"
    everyone = get_bundled_table("NIST1036:ALL")
    assert everyone.minimum_frequency("TPOX") == 5 / 2070  # one genotype missing
    assert everyone.minimum_frequency("CSF1PO") == 5 / 2072
    floor = cauc.with_min_frequency(0.01)
    assert floor.frequency("CSF1PO", "99").value == 0.01


def test_every_table_frequencies_are_counts_over_2n() -> None:
    for name in bundled_table_names():
        table = get_bundled_table(name)
        assert table.counts is not None
        for locus, per in table.frequencies.items():
            two_n = table.sample_alleles[locus]
            assert two_n is not None and sum(table.counts[locus].values()) == two_n
            for allele, f in per.items():
                assert f == table.counts[locus][allele] / two_n, (name, locus, str(allele))


@pytest.mark.parametrize(("name", "path_name", "count_column"), [
    ("NIST1036", "nist1036/nist1036_allele_freqs.csv", "count"),
    ("FBI2015", "fbi2015/fbi2015_allele_freqs.csv", "implied_count"),
])
def test_every_bundled_frequency_is_the_raw_count_over_2n(name: str, path_name: str,
                                                          count_column: str) -> None:
    """Read the counts from the raw file itself (not through Locard's parser): every bundled
    frequency is exactly count / 2N, never the file's rounded frequency column."""
    expected: dict[tuple[str, str, str], float] = {}
    with open(need(FREQ / path_name), encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            count = float(row[count_column])
            assert count == int(count), row  # whole counts: the derivation relies on them
            locus = canonical_locus(row["locus"])
            allele = str(parse_allele(row["allele"], locus=locus))
            expected[f"{name}:{row['population']}", locus, allele] = int(count) / int(
                row["n_alleles"])
    bundled = {(table_name, locus, str(allele)): f
               for table_name in bundled_table_names() if table_name.startswith(name + ":")
               for locus, per in get_bundled_table(table_name).frequencies.items()
               for allele, f in per.items()}
    assert bundled.keys() == expected.keys()
    differ = [(key, bundled[key], value) for key, value in expected.items()
              if bundled[key] != value]
    assert differ == []


def test_all_is_the_sum_of_the_groups() -> None:
    everyone = get_bundled_table("NIST1036:ALL")
    assert everyone.counts is not None
    summed: Counter[tuple[str, str]] = Counter()
    for name in NIST_NAMES[:4]:
        counts = get_bundled_table(name).counts
        assert counts is not None
        for locus, per in counts.items():
            for allele, c in per.items():
                summed[locus, str(allele)] += c
    assert summed == Counter({(locus, str(a)): c for locus, per in everyone.counts.items()
                              for a, c in per.items()})


def test_sha256_is_stable_and_tracks_content() -> None:
    everyone = get_bundled_table("NIST1036:ALL")
    assert everyone.sha256 == NIST_ALL_SHA256
    header = bundled_source("NIST1036:ALL")
    assert {t["name"]: t["sha256"] for t in header["tables"]}["NIST1036:ALL"] == NIST_ALL_SHA256
    for name in bundled_table_names():  # every recorded SHA-256 matches the table
        recorded = {t["name"]: t["sha256"] for t in bundled_source(name)["tables"]}
        assert get_bundled_table(name).sha256 == recorded[name]
    again = FrequencyTable.from_dict(json.loads(json.dumps(everyone.to_dict())))
    assert again == everyone and again.sha256 == NIST_ALL_SHA256
    changed = everyone.to_dict()
    changed["loci"]["CSF1PO"]["frequencies"]["10"] += 1e-12
    assert FrequencyTable.from_dict(changed).sha256 != NIST_ALL_SHA256


def test_headers_cite_their_source() -> None:
    nist = bundled_source("NIST1036:Cauc")
    assert "Steffen" in nist["citation"] and "31:e36" in nist["citation"]
    assert "public domain" in nist["licence"]
    assert nist["input_file"] == "nist1036_allele_freqs.csv"
    assert nist["derived_by"] == "scripts/derive_nist1036.py"
    assert (REPO / nist["derived_by"]).is_file()
    fbi = bundled_source("FBI2015:Caucasian")
    assert "Moretti" in fbi["citation"] and fbi["derived_by"] == "scripts/derive_fbi2015.py"
    for resource in ("frequencies_nist1036.json", "frequencies_fbi2015.json"):
        text = resources.files("locard").joinpath("data").joinpath(resource).read_text("utf-8")
        data = json.loads(text)
        assert next(iter(data)) == "_source" and data["format"] == BUNDLE_FORMAT


def test_input_sha256_matches_the_raw_files() -> None:
    assert bundled_source("NIST1036:ALL")["input_sha256"] == file_sha256(need(NIST_CSV))
    assert bundled_source("FBI2015:Navajo")["input_sha256"] == file_sha256(need(FBI_CSV))


def test_bundled_nist_equals_the_parsed_raw_file() -> None:
    populations = read_nist1036_csv(need(NIST_CSV))
    assert {p.name for p in populations} == set(NIST_NAMES)
    for pop in populations:
        bundled = get_bundled_table(pop.name)
        assert table_from_population(pop) == bundled
        assert bundled.loci == tuple(pop.frequencies)
        for locus, per in pop.frequencies.items():
            assert {str(a): f for a, f in bundled.frequencies[locus].items()} == per
            assert bundled.sample_alleles[locus] == pop.sample_alleles[locus]
            assert pop.counts is not None and bundled.counts is not None
            assert {str(a): c for a, c in bundled.counts[locus].items()} == pop.counts[locus]


def test_bundled_fbi_equals_the_parsed_raw_file() -> None:
    for pop in read_fbi2015_csv(need(FBI_CSV)):
        assert table_from_population(pop) == get_bundled_table(pop.name)


def test_bundled_counts_match_the_nist_genotypes() -> None:
    """Independent of every frequency file: tally the 1036 genotypes themselves."""
    path = need(FREQ / "nist1036" / "nist1036_genotypes_long.csv")
    tally: dict[str, Counter[tuple[str, str]]] = {n: Counter() for n in NIST_NAMES}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            locus = canonical_locus(row["locus"])
            for allele in (row["allele1"], row["allele2"]):
                if allele:  # two genotypes are missing
                    key = (locus, str(parse_allele(allele, locus=locus)))
                    tally[f"NIST1036:{row['population']}"][key] += 1
                    tally["NIST1036:ALL"][key] += 1
    for name, counts in tally.items():
        table = get_bundled_table(name)
        assert table.counts is not None
        bundled = Counter({(locus, str(a)): c
                           for locus, per in table.counts.items() for a, c in per.items()})
        assert counts == bundled, name


@pytest.mark.parametrize("script", ["derive_nist1036", "derive_fbi2015"])
def test_derive_script_reproduces_the_bundle_byte_for_byte(script: str, tmp_path: Path) -> None:
    module = load_script(script)
    need(module.DEFAULT_INPUT)
    out = tmp_path / "bundle.json"
    assert module.main(["--output", str(out)]) == 0
    assert out.read_bytes() == Path(module.DEFAULT_OUTPUT).read_bytes()
    assert module.main(["--check"]) == 0
    out.write_text("{}\n")
    assert module.main(["--check", "--output", str(out)]) == 1


def test_derive_refuses_a_corrupted_input(tmp_path: Path) -> None:
    module = load_script("derive_nist1036")
    raw = need(NIST_CSV).read_text(encoding="utf-8-sig")
    bad = tmp_path / "nist1036_allele_freqs.csv"
    bad.write_text(raw.replace("ALL,CSF1PO,10,481,2072,", "ALL,CSF1PO,10,480,2072,"))
    assert module.main(["--input", str(bad), "--output", str(tmp_path / "o.json")]) == 1
    assert not (tmp_path / "o.json").exists()


def test_dump_bundle_refuses_duplicate_names() -> None:
    table = get_bundled_table("NIST1036:Cauc")
    with pytest.raises(StatisticsError, match="duplicate"):
        dump_bundle([table, table], header={})
    text = dump_bundle([table], header={"citation": "x"})
    assert text.endswith("\n") and json.loads(text)["_source"]["citation"] == "x"
    assert FrequencyTable.from_dict(json.loads(text)["tables"]["NIST1036:Cauc"]) == table
