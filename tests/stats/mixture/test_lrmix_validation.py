"""The LRmix validation set (Haned et al.; 76 runs over 15 cases, published with LRmix Studio):
every per-locus LR (1,140 of them) must equal LRmix's published value to 1e-9 relative.

The runs cover drop-out per contributor, drop-in, theta, 1-4 replicates and 0-4 unknowns.
Known contributors are present under both hypotheses, the suspect only under Hp (and typed, so
counted by theta, under Hd). Alleles absent from LRmix's frequency file get the floor 1/4170,
which reproduces LRmix (its results print it rounded). The LR column of the results CSV is
compared (num and deno are printed there to 12 significant digits only); the CSV's decimal
commas are parsed here, beside the JSON that gathers the same numbers."""

from __future__ import annotations

import csv
import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import shared_data_path

from locard.genetics.loci import canonical_locus
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture import Evidence, Hypothesis, MixtureLR, semicontinuous_lr

REL_TOL = 1e-9
LRMIX_FLOOR = 1 / 4170


def _folder() -> Path:
    return shared_data_path("mixtures", "lrmix_validation")


@lru_cache(maxsize=1)
def _cases_json(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "lrmix_validation_cases.json").read_text())
    return data


def _published_csv(folder: Path) -> dict[tuple[int, str], float]:
    """(run id, locus) -> LR from the results CSV (decimal commas)."""
    out: dict[tuple[int, str], float] = {}
    with (folder / "Validation_data_LRMix_results_march2013_2.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["Locus"] == "prod":
                continue
            out[(int(row["caseID"]), row["Locus"].strip('"'))] = float(
                row["LR.locus"].replace(",", "."))
    return out


def _run(case: dict[str, Any], table: FrequencyTable) -> MixtureLR:
    params = case["params"]

    def num(key: str) -> float:
        return float(params[key])

    profiles: dict[str, Profile] = {}
    for role, specimen in case["knowns"].items():
        ((specimen_id, loci),) = specimen.items()
        profiles[role] = Profile.from_mapping(loci, specimen_id=specimen_id)
    ((suspect, suspect_loci),) = case["suspect"].items()
    profiles[suspect] = Profile.from_mapping(suspect_loci, specimen_id=suspect)
    knowns = list(case["knowns"])
    dropout = {k: num(f"dknown{k.removeprefix('Known')}") for k in knowns}
    dropout[suspect] = num("dsuspect")
    hp = Hypothesis((*knowns, suspect), (num("dUHp"),) * int(params["xp"]))
    hd = Hypothesis(tuple(knowns), (num("dUHd"),) * int(params["xd"]))
    return semicontinuous_lr(
        Evidence.from_mapping(case["sample_replicates"]), profiles, hp, hd, table,
        poi=suspect, dropout=dropout, dropin=num("dropin"), theta=num("theta"),
        min_frequency=LRMIX_FLOOR)


def test_every_published_per_locus_lr_is_reproduced() -> None:
    folder = _folder()
    data = _cases_json(folder)
    published = _published_csv(folder)
    table = FrequencyTable.from_mapping(data["frequencies"], name="LRmix validation")
    compared = 0
    worst = 0.0
    failures: list[str] = []
    for case in data["cases"]:
        result = _run(case, table)
        # the result's own invariant: the total is the product of the per-locus LRs
        assert result.lr == pytest.approx(math.prod(v.lr for v in result.per_locus.values()),
                                          rel=1e-12)
        for locus, expected in case["expected_per_locus"].items():
            if locus == "prod":
                continue
            csv_lr = published[(case["id"], locus)]
            assert expected["lr"] == pytest.approx(csv_lr, rel=1e-15)  # JSON == CSV
            got = result.per_locus[canonical_locus(locus)].lr
            rel = abs(got - csv_lr) / csv_lr
            worst = max(worst, rel)
            compared += 1
            if rel > REL_TOL:
                failures.append(f"run {case['id']} {locus}: {got!r} vs {csv_lr!r} (rel {rel:.2e})")
        # Amelogenin, where the sample has it, is left out with a note
        has_amel = any("AMEL" in rep for rep in case["sample_replicates"].values())
        assert ("AMEL" in result.notes) == has_amel
        assert "AMEL" not in result.per_locus
    assert failures == []
    assert compared == 1140
    assert worst <= REL_TOL
