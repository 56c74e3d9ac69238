"""Peak heights simulated from the gamma model. Tolerances: a peak of mean E has coefficient of
variation sigma sqrt(mu / E) (shape E / (mu sigma^2)); each draw at sigma = 0.01 is asserted
within 5 of its standard deviations of its mean; the mean of 4000 draws at sigma 0.3 (E = mu,
CV 0.3) within 3% of mu (6 standard errors)."""

from __future__ import annotations

import numpy as np
import pytest

from locard.errors import InvalidParameter
from locard.genetics.alleles import parse_allele
from locard.genetics.kits import get_kit
from locard.stats.mixture.continuous_simulate import simulate_heights
from locard.tables.bundled import get_bundled_table

A = parse_allele


def test_simulated_heights_follow_the_model_means_and_are_seeded() -> None:
    table = get_bundled_table("NIST1036:Cauc")
    people = [{"TH01": [A("6"), A("9.3")], "vWA": [A("16"), A("16")]},
              {"TH01": [A("7"), A("9.3")], "vWA": [A("14"), A("17")]}]
    ev = simulate_heights(people, table, mx=(0.75, 0.25), mu=2000, sigma=0.01, xi=0.1,
                          threshold=50, seed=4)
    th01 = ev.replicates["r1"]["TH01"]
    want = {A("6"): 0.9 * 0.75 * 2000, A("7"): 0.9 * 0.25 * 2000, A("9.3"): 0.9 * 2000,
            A("5"): 0.1 * 0.75 * 2000, A("8.3"): 0.1 * 2000}  # 6 -> 5, 9.3 -> 8.3
    # 7 also receives no stutter from 8 (absent); 6 receives 0.1 * 0.25 * 2000 from 7
    want[A("6")] += 0.1 * 0.25 * 2000
    assert set(th01) == set(want)
    for a, mean in want.items():
        assert th01[a] == pytest.approx(mean, rel=5 * 0.01 * (2000 / mean) ** 0.5), a
    vwa = ev.replicates["r1"]["vWA"]
    assert vwa[A("16")] == pytest.approx(0.9 * 2 * 0.75 * 2000 + 0.1 * 0.25 * 2000, rel=0.05)
    assert A("15") in vwa  # stutter of 16 (that of 14, mean 50 RFU, may fall below AT)
    # seeded: same seed, same heights; another seed, others
    assert simulate_heights(people, table, mx=(0.75, 0.25), mu=2000, sigma=0.01, xi=0.1,
                            seed=4) == ev
    assert simulate_heights(people, table, mx=(0.75, 0.25), mu=2000, sigma=0.01, xi=0.1,
                            seed=5) != ev


def test_simulated_heights_threshold_dropin_degradation_and_spread() -> None:
    table = get_bundled_table("NIST1036:Cauc")
    person = [{"TH01": [A("6"), A("9.3")], "FGA": [A("20"), A("26")]}]
    reps = simulate_heights(person, table, mx=(1.0,), mu=1000, sigma=0.3, threshold=50,
                            replicates=2000, seed=1)
    th01 = np.array([r["TH01"].get(A("6"), 0.0) for r in reps.replicates.values()]
                    + [r["TH01"].get(A("9.3"), 0.0) for r in reps.replicates.values()])
    assert th01.mean() == pytest.approx(1000, rel=0.03)
    assert all(y >= 50 for r in reps.replicates.values() for loc in r.values()
               for y in loc.values())
    # low peaks: some fall below AT and are dropped
    low = simulate_heights(person, table, mx=(1.0,), mu=60, sigma=0.5, replicates=50, seed=1)
    assert any(len(r["TH01"]) < 2 for r in low.replicates.values())
    # drop-in: alleles outside the genotype appear at AT + Exp(lambda)
    many = simulate_heights(person, table, mx=(1.0,), dropin=0.9, replicates=200, seed=2)
    extra = [y for r in many.replicates.values() for a, y in r["TH01"].items()
             if a not in (A("6"), A("9.3"))]
    assert extra and min(extra) >= 50
    # degradation: the longer FGA fragments are lower on average
    kit = get_kit("GlobalFiler")
    deg = simulate_heights(person, table, mx=(1.0,), beta=0.5, sigma=0.01, kit=kit, seed=3)
    assert deg.replicates["r1"]["FGA"][A("26")] < deg.replicates["r1"]["TH01"][A("6")]
    with pytest.raises(InvalidParameter, match="mx"):
        simulate_heights(person, table, mx=(0.5,))
    with pytest.raises(InvalidParameter, match="kit"):
        simulate_heights(person, table, mx=(1.0,), beta=0.8)
