"""Synthetic populations: reproducible, allele frequencies as the table, Mendelian families."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from locard.errors import InvalidParameter
from locard.genetics.loci import CODIS_CORE_20
from locard.stats.frequencies import FrequencyTable
from locard.stats.simulate import (
    SimulationModel,
    degrade,
    mixture_profile,
    simulate_codes,
    simulate_families,
    simulate_profiles,
)

NIST_CSV = (Path(__file__).resolve().parents[2].parent / "shared" / "data" / "frequencies"
            / "nist1036" / "nist1036_allele_freqs.csv")


@pytest.fixture(scope="module")
def table() -> FrequencyTable:
    try:
        from locard.tables.bundled import get_bundled_table

        return get_bundled_table("NIST1036:ALL")
    except Exception:  # not bundled yet: the reference CSV
        pass
    if not NIST_CSV.is_file():
        pytest.skip(f"reference data not found at {NIST_CSV}")
    freqs: dict[str, dict[str, float]] = defaultdict(dict)
    with NIST_CSV.open() as fh:
        for row in csv.DictReader(fh):
            if row["population"] == "ALL":
                freqs[row["locus"]][row["allele"]] = float(row["frequency"])
    return FrequencyTable.from_mapping(freqs, name="NIST1036:ALL", sample_alleles=2072)


@pytest.fixture(scope="module")
def model(table: FrequencyTable) -> SimulationModel:
    return SimulationModel.from_table(table, CODIS_CORE_20)


def test_reproducible_by_seed(model: SimulationModel, table: FrequencyTable) -> None:
    a = simulate_codes(model, 1000, seed=11)
    b = simulate_codes(model, 1000, seed=11)
    c = simulate_codes(model, 1000, seed=12)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.shape == (1000, 20, 2) and a.dtype == np.uint8
    assert bool(np.all(a[..., 0] <= a[..., 1])) and bool(np.all(a > 0))
    np.testing.assert_array_equal(simulate_codes(model, 1000, seed=11, locus_major=True),
                                  a.transpose(1, 0, 2))
    p1 = simulate_profiles(table, 5, seed=3)
    assert p1 == simulate_profiles(table, 5, seed=3)
    assert all(len(p.str_loci) == 20 and not p.is_mixture for p in p1)


def test_allele_frequencies_follow_the_table(model: SimulationModel) -> None:
    """Chi-square per locus over 20,000 people (40,000 alleles), alleles with expected count
    >= 5 (rarer ones pooled): each statistic must stay below df + 6 sqrt(2 df), about six
    standard deviations of the chi-square distribution above its mean."""
    n = 20_000
    codes = simulate_codes(model, n, seed=2024)
    for li in range(model.n_loci):
        p = model.probabilities[li]
        observed = np.bincount(codes[:, li, :].ravel(), minlength=len(p) + 1)[1:]
        expected = p * 2 * n
        big = expected >= 5
        obs = np.append(observed[big], observed[~big].sum())
        exp = np.append(expected[big], expected[~big].sum())
        keep = exp > 0
        chi2 = float((((obs - exp) ** 2)[keep] / exp[keep]).sum())
        df = int(keep.sum()) - 1
        assert chi2 < df + 6 * np.sqrt(2 * df), (model.loci[li], chi2, df)


def test_families_are_mendelian(model: SimulationModel) -> None:
    fam = simulate_families(model, 300, children=3, mutation_rate=0.0, seed=8)
    assert fam.children.shape == (300, 3, 20, 2)
    for f in range(300):
        for c in range(3):
            for li in range(20):
                kid = fam.children[f, c, li].tolist()
                dad, mum = set(fam.fathers[f, li].tolist()), set(fam.mothers[f, li].tolist())
                assert (kid[0] in dad and kid[1] in mum) or (kid[1] in dad and kid[0] in mum)
    mutated = simulate_families(model, 2000, children=1, mutation_rate=0.05, seed=8)
    bad = 0
    for f in range(2000):
        for li in range(20):
            kid = mutated.children[f, 0, li].tolist()
            dad = set(mutated.fathers[f, li].tolist())
            mum = set(mutated.mothers[f, li].tolist())
            if not ((kid[0] in dad and kid[1] in mum) or (kid[1] in dad and kid[0] in mum)):
                bad += 1
    assert bad > 0  # mutations show as Mendelian inconsistencies


def test_degrade_and_mixtures(model: SimulationModel) -> None:
    codes = simulate_codes(model, 5000, seed=1)
    none = degrade(codes, seed=2)
    np.testing.assert_array_equal(none, codes)
    trace = degrade(codes, locus_dropout=0.25, allele_dropout=0.0, seed=2)
    lost = float(np.mean(trace[..., 0] == 0))
    assert abs(lost - 0.25) < 0.01  # 100,000 loci: sd 0.0014
    ad = degrade(codes, allele_dropout=0.3, seed=3)
    het = codes[..., 0] != codes[..., 1]
    became_hom = float(np.mean(ad[..., 0][het] == ad[..., 1][het]))
    assert abs(became_hom - (0.3 + 0.7 * 0.3)) < 0.01
    mix = mixture_profile(model, codes[:3], specimen_id="M")
    assert mix.specimen_id == "M"
    members = model.decode(codes[:3])
    for locus in mix.str_loci:
        union = set().union(*(m.loci[locus].alleles for m in members))
        assert set(mix.loci[locus].alleles) == union
    with pytest.raises(InvalidParameter):
        mixture_profile(model, codes[:5])
    with pytest.raises(InvalidParameter):
        degrade(codes, locus_dropout=1.5)


def test_a_kit_draws_only_alleles_on_its_ladder(table: FrequencyTable) -> None:
    from locard.genetics.kits import get_kit, outside_ladder

    kit = get_kit("PowerPlex Fusion")
    loci = [x for x in kit.str_loci if table.has_locus(x)]
    free = SimulationModel.from_table(table, loci)
    on_ladder = SimulationModel.from_table(table, loci, kit=kit)
    # the table has Penta E alleles beyond the Fusion ladder (5-24): drawn without the kit
    assert any(outside_ladder(p, kit) for p in free.decode(simulate_codes(free, 2000, seed=1)))
    drawn = on_ladder.decode(simulate_codes(on_ladder, 2000, seed=1))
    assert not any(outside_ladder(p, kit) for p in drawn)
