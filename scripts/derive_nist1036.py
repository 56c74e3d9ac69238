#!/usr/bin/env python3
"""Derive Locard's bundled NIST 1036 allele frequency tables.

Source: Steffen CR, Coble MD, Gettings KB, Vallone PM (2017) Corrigendum to 'U.S. population
data for 29 autosomal STR loci', Forensic Sci. Int. Genet. 31:e36-e40 (NIST 1036 data set, July
2017 revision). Public domain (US Government work). Raw data via mkruijver/forensicpopdata;
``nist1036_allele_freqs.csv`` (population, locus, allele, count, n_alleles, frequency) was
converted from ``1036-Revised-Genotypes-PopStats-July-19-2017.xlsx``.

Writes ``src/locard/data/frequencies_nist1036.json``: tables NIST1036:AfAm, :Asian, :Cauc, :Hisp
and :ALL, 29 autosomal STRs each, with the allele counts and the alleles sampled per locus (2N,
exact); every frequency is count / 2N. The output is deterministic (no time stamps): running the
script again on the same input reproduces the file byte for byte, and ``--check`` verifies that.

Checks before writing: each frequency is count / n_alleles to the file's precision; the counts
at each locus sum to n_alleles; the populations are the five expected; and ALL is the sum of the
four groups.

Usage: python scripts/derive_nist1036.py [--input CSV] [--output JSON] [--check]
"""

from __future__ import annotations

import csv
import math
import sys
from collections import Counter, defaultdict
from pathlib import Path

from locard.tables import table_from_population
from locard.tables.bundled import dump_bundle
from locard.tables.files import (
    NIST1036_CITATION,
    PopulationFrequencies,
    file_sha256,
    read_nist1036_csv,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the scripts folder's shared helper
from _derive_table import DeriveError, run

REPO = Path(__file__).resolve().parents[1]
DEFAULT_INPUT = REPO.parent / "shared" / "data" / "frequencies" / "nist1036" / \
    "nist1036_allele_freqs.csv"
DEFAULT_OUTPUT = REPO / "src" / "locard" / "data" / "frequencies_nist1036.json"
SCRIPT = "scripts/derive_nist1036.py"
POPULATIONS = ("AfAm", "Asian", "Cauc", "Hisp", "ALL")
GROUPS = ("AfAm", "Asian", "Cauc", "Hisp")


def check_raw(path: Path) -> None:
    """Checks on the raw CSV, independent of Locard's parser."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    sizes: dict[tuple[str, str], int] = {}
    group_counts: Counter[tuple[str, str]] = Counter()
    all_counts: Counter[tuple[str, str]] = Counter()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            count, two_n = int(row["count"]), int(row["n_alleles"])
            stated = float(row["frequency"])
            if not math.isclose(count / two_n, stated, rel_tol=1e-8):
                raise DeriveError(f"{path}: line {line}: {row['locus']} {row['allele']}: "
                                  f"{count}/{two_n} != frequency {row['frequency']}")
            key = (row["population"], row["locus"])
            totals[key] += count
            if sizes.setdefault(key, two_n) != two_n:
                raise DeriveError(f"{path}: line {line}: n_alleles varies within {key}")
            if row["population"] == "ALL":
                all_counts[row["locus"], row["allele"]] += count
            else:
                group_counts[row["locus"], row["allele"]] += count
    for key, total in totals.items():
        if total != sizes[key]:
            raise DeriveError(f"{path}: {key}: counts sum to {total}, n_alleles is {sizes[key]}")
    found = {pop for pop, _ in totals}
    if found != set(POPULATIONS):
        raise DeriveError(f"{path}: populations {sorted(found)}, expected {list(POPULATIONS)}")
    if all_counts != group_counts:
        raise DeriveError(f"{path}: the ALL counts are not the sum of {', '.join(GROUPS)}")


def check_parsed(populations: list[PopulationFrequencies]) -> None:
    for pop in populations:
        if pop.counts is None:
            raise DeriveError(f"{pop.name}: no counts")
        for locus, per in pop.frequencies.items():
            two_n = pop.sample_alleles[locus]
            if two_n is None or sum(pop.counts[locus].values()) != two_n:
                raise DeriveError(f"{pop.name}: {locus}: counts do not sum to 2N = {two_n}")
            for allele, f in per.items():
                if f != pop.counts[locus][allele] / two_n:
                    raise DeriveError(f"{pop.name}: {locus} {allele}: {f} is not count / 2N")
        if len(pop.frequencies) != 29:
            raise DeriveError(f"{pop.name}: {len(pop.frequencies)} loci, expected 29")


def derive(input_path: Path) -> str:
    check_raw(input_path)
    populations = {p.population: p for p in read_nist1036_csv(input_path)}
    check_parsed(list(populations.values()))
    tables = [table_from_population(populations[name]) for name in POPULATIONS]
    header = {
        "citation": NIST1036_CITATION,
        "licence": "public domain (US Government work, NIST); see "
                   "https://www.nist.gov/oism/copyrights",
        "raw_data": "1036-Revised-Genotypes-PopStats-July-19-2017.xlsx (NIST STRBase), via "
                    "https://github.com/mkruijver/forensicpopdata, converted to CSV",
        "input_file": input_path.name,
        "input_sha256": file_sha256(input_path),
        "derived_by": SCRIPT,
        "notes": "Autosomal STRs only. frequency = count / 2N, where 2N (sample_alleles) is the "
                 "number of alleles typed at the locus (two genotypes are missing: TPOX and "
                 "Penta D have 2N = 2070 in ALL). ALL is the sum of AfAm, Asian, Cauc and Hisp. "
                 "Unseen alleles get the NRC II minimum 5/2N at use.",
    }
    return dump_bundle(tables, header=header)


def main(argv: list[str] | None = None) -> int:
    description = __doc__.split("\n\n")[0] if __doc__ else None
    return run("derive_nist1036", derive, default_input=DEFAULT_INPUT,
               default_output=DEFAULT_OUTPUT, description=description, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
