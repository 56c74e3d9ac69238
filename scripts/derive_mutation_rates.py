#!/usr/bin/env python3
"""Derive Locard's bundled per-locus STR mutation rates.

Source: the legacy NIST STRBase mutation-rate table (apparent mutations observed in US parentage
testing, compiled from AABB annual reports), as transcribed in ``gymreklab/mutea-autosomal``
(``analyses/autosomal_validation/codis_published_rates_annotated.tab``, commit 9aefede6; Gymrek,
Willems, Reich & Erlich 2017, Nat Genet 49:1495) and converted to ``str_mutation_counts.csv``
(see the README beside it in ``../shared/data/mutation_rates/``). A table of factual counts
compiled by NIST (a US government work); redistributed with this attribution.

Writes ``src/locard/data/mutation_rates_strbase.csv``, a rate file that
``locard.formats.mutation_rates`` reads: one row per locus, ``rate = mutations / meioses``,
and ``female_rate = male_rate = rate`` because the source pools both parents (it has no
paternal/maternal split); ``# default_rate:`` is the pooled rate (sum of mutations / sum of
meioses over the listed loci), which Locard uses for every locus the table lacks (D1S1656,
D2S441, D10S1248, D12S391, D22S1045, D6S1043, ...) and flags as "pooled default". The output is
deterministic: running the script again on the same input reproduces the file byte for byte,
and ``--check`` verifies that.

Checks before writing: 18 loci, each named once and known to Locard; whole positive counts
with mutations < meioses; no paternal or maternal figures (the source has none); and, where the
raw ``.tab`` file is beside the CSV, every count equal to its ``total num mutations`` and every
rate equal to its ``rate`` column as printed (9 decimal places).

Usage: python scripts/derive_mutation_rates.py [--input CSV] [--output CSV] [--check]
"""

from __future__ import annotations

import csv
import hashlib
import math
import sys
from pathlib import Path

from locard.errors import UnknownLocus
from locard.genetics.loci import canonical_locus

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the scripts folder's shared helper
from _derive_table import DeriveError, run

REPO = Path(__file__).resolve().parents[1]
DEFAULT_INPUT = REPO.parent / "shared" / "data" / "mutation_rates" / "str_mutation_counts.csv"
DEFAULT_OUTPUT = REPO / "src" / "locard" / "data" / "mutation_rates_strbase.csv"
RAW_NAME = "codis_published_rates_annotated.tab"
SCRIPT = "scripts/derive_mutation_rates.py"
N_LOCI = 18
CITATION = ("NIST STRBase legacy mutation-rate table (apparent mutations in US parentage testing, "
            "compiled from AABB annual reports), as transcribed in gymreklab/mutea-autosomal "
            "commit 9aefede653c1cecd8cf2f46281868af018017fa6 (Gymrek M, Willems T, Reich D, "
            "Erlich Y. Nat Genet 2017;49:1495-1501)")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_counts(path: Path) -> list[tuple[str, int, int]]:
    """(locus, mutations, meioses) per row of the converted CSV, checked."""
    rows: list[tuple[str, int, int]] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            name = row["locus"].strip()
            try:
                locus = canonical_locus(name)
            except UnknownLocus:
                raise DeriveError(f"{path}: line {line}: unknown locus {name!r}") from None
            if locus in seen:
                raise DeriveError(f"{path}: line {line}: {locus} is given twice")
            seen.add(locus)
            for col in ("paternal_mutations", "paternal_meioses", "maternal_mutations",
                        "maternal_meioses"):
                if row[col].strip():
                    raise DeriveError(f"{path}: line {line}: {locus}: {col} is given; the "
                                      "source is pooled over both parents")
            try:
                mutations, meioses = int(row["unknown_mutations"]), int(row["unknown_meioses"])
            except ValueError:
                raise DeriveError(f"{path}: line {line}: {locus}: counts are not whole "
                                  "numbers") from None
            if not 0 < mutations < meioses:
                raise DeriveError(f"{path}: line {line}: {locus}: {mutations} mutations in "
                                  f"{meioses} meioses")
            rows.append((locus, mutations, meioses))
    if len(rows) != N_LOCI:
        raise DeriveError(f"{path}: {len(rows)} loci, expected {N_LOCI}")
    return rows


def check_raw(raw: Path, rows: list[tuple[str, int, int]]) -> None:
    """The converted counts against the raw file's ``total num mutations`` and ``rate``."""
    found: dict[str, tuple[int, int, float]] = {}
    with open(raw, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            name = row["Marker"].strip()
            name = {"SE33(ACTBP2)": "SE33", "PentaD": "Penta D", "PentaE": "Penta E"}.get(name,
                                                                                         name)
            num, _, den = row["total num mutations"].partition("/")
            found[canonical_locus(name)] = (int(num), int(den), float(row["rate"]))
    for locus, mutations, meioses in rows:
        if locus not in found:
            raise DeriveError(f"{raw}: no row for {locus}")
        num, den, rate = found[locus]
        if (num, den) != (mutations, meioses):
            raise DeriveError(f"{raw}: {locus}: {num}/{den}, the CSV has {mutations}/{meioses}")
        if not math.isclose(mutations / meioses, rate, rel_tol=0.0, abs_tol=5e-10):
            raise DeriveError(f"{raw}: {locus}: rate {rate} != {mutations}/{meioses}")


def derive(input_path: Path) -> str:
    rows = read_counts(input_path)
    raw = input_path.parent / RAW_NAME
    if raw.is_file():
        check_raw(raw, rows)
    pooled = sum(m for _, m, _ in rows) / sum(n for _, _, n in rows)
    lines = [
        f"# source: {CITATION}",
        "# licence: factual counts compiled by NIST (US Government work, 17 U.S.C. 105); "
        "redistributed with this attribution",
        f"# input_file: {input_path.name}",
        f"# input_sha256: {_sha256(input_path)}",
        f"# derived_by: {SCRIPT}",
        "# notes: rate = mutations / meioses (apparent mutations, not corrected for hidden "
        "ones); the source pools both parents, so female_rate = male_rate = rate. TH01 and "
        "TPOX show exactly 100 mutations each, possibly a rounded figure in the source.",
        f"# default_rate: {pooled!r}",
        "# default_rate is the pooled rate (sum of mutations / sum of meioses over the loci "
        "below), used for every locus this table lacks and flagged 'pooled default'",
        "locus,female_rate,male_rate,mutations,meioses",
    ]
    for locus, mutations, meioses in rows:
        rate = mutations / meioses
        lines.append(f"{locus},{rate!r},{rate!r},{mutations},{meioses}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    description = __doc__.split("\n\n")[0] if __doc__ else None
    return run("derive_mutation_rates", derive, default_input=DEFAULT_INPUT,
               default_output=DEFAULT_OUTPUT, description=description, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
