"""Frequency tables by spec: shipped names, files with ':POPULATION', and the listing."""

from __future__ import annotations

from pathlib import Path

import pytest

from locard.errors import FileFormatError, InputError, UnknownFrequencyTable
from locard.genetics.profiles import Profile
from locard.stats.match import random_match_probability
from locard.tables import (
    list_frequency_tables,
    load_frequency_table,
    read_frequency_tables,
)
from locard.tables.bundled import bundled_table_names, get_bundled_table

FREQ = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "frequencies"


@pytest.fixture
def freq() -> Path:
    if not FREQ.is_dir():
        pytest.skip(f"reference data not found at {FREQ} (../shared/data is not checked out)")
    return FREQ


def frequency_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".csv", ".txt", ".xml")
                  and p.name != "LICENSE" and "genotypes" not in p.name)


def test_bundled_specs() -> None:
    assert load_frequency_table("NIST1036:Cauc") is get_bundled_table("NIST1036:Cauc")
    assert load_frequency_table("nist1036").name == "NIST1036:ALL"
    floored = load_frequency_table("NIST1036:Cauc", min_frequency=0.02)
    assert floored.min_frequency == 0.02 and floored.minimum_frequency("TPOX") == 0.02
    assert floored.sha256 != get_bundled_table("NIST1036:Cauc").sha256
    with pytest.raises(UnknownFrequencyTable, match="NIST1036:Hisp"):
        load_frequency_table("NIST1036:Martian")
    with pytest.raises(UnknownFrequencyTable):
        load_frequency_table("NOSUCHTABLE")
    with pytest.raises(InputError, match="shipped table"):
        load_frequency_table("NIST1036:Cauc", format="long")


def test_every_population_of_every_file_becomes_a_table(freq: Path) -> None:
    files = frequency_files(freq)
    assert len(files) == 20
    total = 0
    for path in files:
        tables = read_frequency_tables(path)
        total += len(tables)
        for table in tables:
            assert table.loci and len(table.sha256) == 64
        # a population can also be named on its own (first and last of each file)
        for table in {tables[0].name: tables[0], tables[-1].name: tables[-1]}.values():
            spec = f"{path}:{table.population}" if len(tables) > 1 else str(path)
            assert load_frequency_table(spec) == table
    assert total == 5 + 12 + 1 + 6 + 21 + 1 + 7 + 7


def test_file_table_matches_the_bundled_one(freq: Path) -> None:
    path = freq / "nist1036" / "nist1036_allele_freqs.csv"
    table = load_frequency_table(f"{path}:Cauc")
    bundled = get_bundled_table("NIST1036:Cauc")
    assert table == bundled and table.sha256 == bundled.sha256
    assert table.name == "NIST1036:Cauc" and table.population == "Cauc"
    assert table.minimum_frequency("CSF1PO") == 5 / 722


def test_population_selection(freq: Path) -> None:
    path = freq / "fbi2015" / "fbi2015_allele_freqs.csv"
    cauc = load_frequency_table(f"{path}:Caucasian")
    assert cauc.name == "FBI2015:Caucasian" and cauc.n_individuals == 202
    assert load_frequency_table(f"{path}:caucasian") == cauc
    assert load_frequency_table(f"{path}:se-hispanic").population == "SE Hispanic"
    with pytest.raises(InputError) as info:
        load_frequency_table(str(path))
    message = str(info.value)
    assert "12 populations" in message and "'Caucasian'" in message and "'Navajo'" in message
    with pytest.raises(InputError, match=r"no population 'Martian'.*'Apache'"):
        load_frequency_table(f"{path}:Martian")
    uk = freq / "ukdna17" / "ukdna17_allele_counts.csv"
    assert load_frequency_table(f"{uk}:Chinese - EA5").population == "Chinese_-_EA5"


def test_table_without_sample_sizes(freq: Path) -> None:
    path = freq / "familias_norstr" / "NorskDB_v2023.txt"
    table = load_frequency_table(str(path))
    assert table.name == "NorskDB_v2023:NorskDB_v2023"
    assert table.n_individuals is None
    # loading is fine; a statistic that needs the 5/2N floor is not
    profile = Profile.parse("D1S1656: 11/12; TPOX: 8/8")
    with pytest.raises(InputError, match="no sample size"):
        random_match_probability(profile, table)
    floored = load_frequency_table(str(path), min_frequency=0.001)
    result = random_match_probability(profile, floored, theta=0)
    d1 = {str(a): f for a, f in table.frequencies["D1S1656"].items()}
    tpox = {str(a): f for a, f in table.frequencies["TPOX"].items()}
    assert result.value == pytest.approx(2 * d1["11"] * d1["12"] * tpox["8"] ** 2)


def test_format_option(tmp_path: Path) -> None:
    path = tmp_path / "table.txt"
    path.write_text("Allele;TH01\n6;0,5\n7;0,5\n")
    table = load_frequency_table(str(path), format="euroformix")
    assert table.name == "table:table"
    named = load_frequency_table(f"{path}:Norway", format="euroformix")
    assert named.name == "table:Norway" and named.population == "Norway"
    assert named.frequencies == table.frequencies
    with pytest.raises(FileFormatError):
        load_frequency_table(str(path), format="familias")


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"not found.*missing\.csv"):
        load_frequency_table(str(tmp_path / "missing.csv"))
    with pytest.raises(InputError, match=r"not found.*missing\.csv"):
        load_frequency_table(f"{tmp_path / 'missing.csv'}:Caucasian")
    with pytest.raises(UnknownFrequencyTable):
        load_frequency_table("  ")


def test_list_frequency_tables(freq: Path) -> None:
    rows = list_frequency_tables()
    assert [r["name"] for r in rows] == bundled_table_names()
    by_name = {r["name"]: r for r in rows}
    cauc = by_name["NIST1036:Cauc"]
    assert cauc["population"] == "Cauc" and cauc["n_individuals"] == 361
    assert cauc["n_loci"] == 29 and cauc["bundled"] is True
    assert cauc["sha256"] == get_bundled_table("NIST1036:Cauc").sha256
    assert by_name["FBI2015:Navajo"]["n_loci"] == 23
    path = freq / "strider" / "frequencies_STRBASE.xml"
    with_file = list_frequency_tables(files=[path])
    extra = with_file[len(rows):]
    assert len(extra) == 21 and all(r["path"] == str(path) and not r["bundled"] for r in extra)
    assert {r["name"] for r in extra} >= {"STRidER:Europe", "STRidER:AUSTRIA"}


def test_default_mutation_rates_are_the_bundled_published_table() -> None:
    from locard.formats.mutation_rates import bundled_mutation_rates
    from locard.reference import default_mutation_rates
    from locard.stats.kinship.mutation import POOLED_DEFAULT

    bundled = bundled_mutation_rates()
    spec = default_mutation_rates()
    assert spec.tables[0]["sha256"] == bundled.sha256
    assert spec["FGA"].model == "stepwise"
    assert spec["FGA"].female_rate == spec["FGA"].male_rate == bundled.rates["FGA"].male_rate
    assert spec["D10S1248"].rate_source == POOLED_DEFAULT
    assert spec["D10S1248"].male_rate == bundled.default_rate
