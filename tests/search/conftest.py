"""Fixtures for the search tests: a NIST 1036 frequency table and small synthetic databases."""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from locard.genetics.loci import CODIS_CORE_20
from locard.stats.frequencies import FrequencyTable
from locard.stats.simulate import SimulationModel

# the reference matcher (search_reference.py) is imported by name from this folder
sys.path.insert(0, str(Path(__file__).resolve().parent))

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
NIST_CSV = SHARED / "frequencies" / "nist1036" / "nist1036_allele_freqs.csv"


def nist_table() -> FrequencyTable:
    """NIST 1036 (all populations): the bundled table, else read from the shared data."""
    try:
        from locard.tables.bundled import get_bundled_table

        return get_bundled_table("NIST1036:ALL")
    except Exception:  # bundled tables not available: fall back to the reference CSV
        pass
    if not NIST_CSV.is_file():
        pytest.skip(f"no bundled table and no reference data at {NIST_CSV}")
    freqs: dict[str, dict[str, float]] = defaultdict(dict)
    sizes: dict[str, int] = {}
    with NIST_CSV.open() as fh:
        for row in csv.DictReader(fh):
            if row["population"] == "ALL":
                freqs[row["locus"]][row["allele"]] = float(row["frequency"])
                sizes[row["locus"]] = int(row["n_alleles"])
    return FrequencyTable.from_mapping(freqs, name="NIST1036:ALL", sample_alleles=sizes)


@pytest.fixture(scope="session")
def table() -> FrequencyTable:
    return nist_table()


@pytest.fixture(scope="session")
def model(table: FrequencyTable) -> SimulationModel:
    return SimulationModel.from_table(table, CODIS_CORE_20)
