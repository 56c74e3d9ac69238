#!/usr/bin/env python3
"""Derive Locard's bundled FBI 2015 (expanded CODIS core) allele frequency tables.

Source: Moretti TR, Moreno LI, Smerick JB, Pignone ML, Hizon R, Buckleton JS, Bright J-A,
Onorato AJ (2016) Population data on the expanded CODIS core STR loci for eleven populations of
significance for forensic DNA analyses in the United States, Forensic Sci. Int. Genet.
25:175-181. FBI data, public domain (US Government work). Raw data via
mkruijver/forensicpopdata; ``fbi2015_allele_freqs.csv`` (population, locus, allele, frequency,
n_alleles, implied_count) was converted from ``Moretti2016.xlsx``.

Writes ``src/locard/data/frequencies_fbi2015.json``: one table ``FBI2015:<population>`` per
population of the file (12, in file order), 23 autosomal STRs each, with the implied allele
counts, the alleles sampled per locus (2N) and every frequency count / 2N exactly (the published
frequency column is rounded to 10 significant digits, ~4e-10 relative). Deterministic:
``--check`` verifies that the committed file is what the script writes.

Checks before writing: every implied count is a whole number, implied count / n_alleles
reproduces the frequency to the file's precision, and the counts at each locus sum to 2N.

Usage: python scripts/derive_fbi2015.py [--input CSV] [--output JSON] [--check]
"""

from __future__ import annotations

import csv
import math
import sys
from collections import defaultdict
from pathlib import Path

from locard.tables import table_from_population
from locard.tables.bundled import dump_bundle
from locard.tables.files import FBI2015_CITATION, file_sha256, read_fbi2015_csv

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the scripts folder's shared helper
from _derive_table import DeriveError, run

REPO = Path(__file__).resolve().parents[1]
DEFAULT_INPUT = REPO.parent / "shared" / "data" / "frequencies" / "fbi2015" / \
    "fbi2015_allele_freqs.csv"
DEFAULT_OUTPUT = REPO / "src" / "locard" / "data" / "frequencies_fbi2015.json"
SCRIPT = "scripts/derive_fbi2015.py"
N_LOCI = 23


def check_raw(path: Path) -> None:
    """Checks on the raw CSV, independent of Locard's parser."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    sizes: dict[tuple[str, str], int] = {}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            implied = float(row["implied_count"])
            count, two_n = round(implied), int(row["n_alleles"])
            if abs(implied - count) > 1e-6:
                raise DeriveError(f"{path}: line {line}: implied count {implied} is not whole")
            if not math.isclose(count / two_n, float(row["frequency"]), rel_tol=1e-8):
                raise DeriveError(f"{path}: line {line}: {count}/{two_n} != frequency "
                                  f"{row['frequency']}")
            key = (row["population"], row["locus"])
            totals[key] += count
            if sizes.setdefault(key, two_n) != two_n:
                raise DeriveError(f"{path}: line {line}: n_alleles varies within {key}")
    for key, total in totals.items():
        if total != sizes[key]:
            raise DeriveError(f"{path}: {key}: counts sum to {total}, n_alleles is {sizes[key]}")


def derive(input_path: Path) -> str:
    check_raw(input_path)
    populations = read_fbi2015_csv(input_path)
    for pop in populations:
        if pop.counts is None or len(pop.frequencies) != N_LOCI:
            raise DeriveError(f"{pop.name}: expected counts at {N_LOCI} loci")
        for locus, per in pop.frequencies.items():
            two_n = pop.sample_alleles[locus]
            for allele, f in per.items():
                if two_n is None or f != pop.counts[locus][allele] / two_n:
                    raise DeriveError(f"{pop.name}: {locus} {allele}: {f} is not count / 2N")
    tables = [table_from_population(p) for p in populations]
    header = {
        "citation": FBI2015_CITATION,
        "licence": "public domain (US Government work, FBI)",
        "raw_data": "Moretti2016.xlsx, via https://github.com/mkruijver/forensicpopdata, "
                    "converted to CSV",
        "input_file": input_path.name,
        "input_sha256": file_sha256(input_path),
        "derived_by": SCRIPT,
        "notes": "Autosomal STRs only (no D6S1043). Counts are the implied counts frequency "
                 "x 2N, all whole numbers summing to 2N; frequency = count / 2N exactly (the "
                 "published column is rounded to 10 significant digits). 'African Amer "
                 "Bahamian Jamaican' pools the African American, Bahamian and Jamaican samples. "
                 "Unseen alleles get the NRC II minimum 5/2N at use.",
    }
    return dump_bundle(tables, header=header)


def main(argv: list[str] | None = None) -> int:
    description = __doc__.split("\n\n")[0] if __doc__ else None
    return run("derive_fbi2015", derive, default_input=DEFAULT_INPUT,
               default_output=DEFAULT_OUTPUT, description=description, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
