"""Mutation models: stochastic matrices, hand-calculable entries, pedmut-style edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from locard.errors import InvalidParameter
from locard.genetics.alleles import Allele, parse_allele
from locard.stats.kinship import (
    DEFAULT_FEMALE_RATE,
    DEFAULT_MALE_RATE,
    MUTATION_MODELS,
    MutationModel,
    mutation_matrix,
)


def alleles(*names: str) -> list[Allele | None]:
    return [parse_allele(n) for n in names]


allele_names = st.sampled_from(["8", "9", "9.3", "10", "10.3", "11", "12", "12.2", "13", "OL"])
allele_sets = st.lists(allele_names, min_size=1, max_size=8, unique=True)


@given(names=allele_sets, model=st.sampled_from(MUTATION_MODELS),
       rate=st.floats(0.0, 0.3), rate2=st.floats(0.0, 0.3), decay=st.floats(0.01, 2.0),
       catch_all=st.booleans())
def test_rows_sum_to_one(names: list[str], model: str, rate: float, rate2: float, decay: float,
                         catch_all: bool) -> None:
    als = alleles(*names) + ([None] if catch_all else [])
    freqs = np.full(len(als), 1.0 / len(als))
    m = mutation_matrix(model, als, freqs, rate=rate, rate2=rate2, range=decay)
    assert m.shape == (len(als), len(als))
    assert np.all(m >= 0) and np.all(m <= 1)
    assert np.allclose(m.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_equal_model() -> None:
    m = mutation_matrix("equal", alleles("9", "10", "11"), [0.2, 0.3, 0.5], rate=0.1)
    assert np.allclose(np.diag(m), 0.9)
    assert np.allclose(m[~np.eye(3, dtype=bool)], 0.05)


def test_proportional_model_has_the_stated_overall_rate() -> None:
    p = np.array([0.2, 0.3, 0.5])
    m = mutation_matrix("proportional", alleles("9", "10", "11"), p, rate=0.01)
    # expected mutation rate sum_a p_a (1 - M[a, a]) equals rate; off-diagonal ~ target freq
    assert float(np.sum(p * (1 - np.diag(m)))) == pytest.approx(0.01, rel=1e-12)
    assert m[0, 1] / m[0, 2] == pytest.approx(0.3 / 0.5)
    assert np.allclose(p @ m, p)  # stationary


def test_proportional_rate_too_high_refused() -> None:
    with pytest.raises(InvalidParameter):
        mutation_matrix("proportional", alleles("9", "10"), [0.9, 0.1], rate=1.0)


def test_stepwise_by_hand() -> None:
    # From 10 with rate 0.01, rate2 0.001, range 0.1 among {10, 11, 12, 12.2}:
    #   integer steps: 11 (1 step, weight 0.1), 12 (2 steps, weight 0.01): total 0.01 split
    #   0.1/0.11 and 0.01/0.11; non-integer: 12.2 gets all of rate2; stay 1 - 0.011.
    m = mutation_matrix("stepwise", alleles("10", "11", "12", "12.2"), [0.25] * 4,
                        rate=0.01, rate2=0.001, range=0.1)
    assert m[0, 1] == pytest.approx(0.01 * 0.1 / 0.11)
    assert m[0, 2] == pytest.approx(0.01 * 0.01 / 0.11)
    assert m[0, 3] == pytest.approx(0.001)
    assert m[0, 0] == pytest.approx(1 - 0.011)
    # 12.2 has no integer-step partner: only rate2, spread equally over 10, 11, 12
    assert m[3, 3] == pytest.approx(1 - 0.001)
    assert np.allclose(m[3, :3], 0.001 / 3)


def test_extended_stepwise_microvariant_decay() -> None:
    # 9.3 at a 4-base locus sits 0.75 repeats above 9 and 0.25 below 10, 1.25 below 11:
    # weights range**(ceil(d) - 1) = 1, 1, 0.1 -> rate2 split 1/2.1, 1/2.1, 0.1/2.1.
    m = mutation_matrix("extended-stepwise", alleles("9", "9.3", "10", "11"), [0.25] * 4,
                        rate=0.01, rate2=0.002, range=0.1, repeat_length=4)
    row = m[1]
    assert row[0] == pytest.approx(0.002 / 2.1)
    assert row[2] == pytest.approx(0.002 / 2.1)
    assert row[3] == pytest.approx(0.002 * 0.1 / 2.1)
    assert row[1] == pytest.approx(1 - 0.002)
    # integer alleles keep the pedmut stepwise rule for whole steps
    plain = mutation_matrix("stepwise", alleles("9", "9.3", "10", "11"), [0.25] * 4,
                            rate=0.01, rate2=0.002, range=0.1)
    assert m[0, 2] == pytest.approx(plain[0, 2])
    assert m[0, 3] == pytest.approx(plain[0, 3])


def test_stepwise_leaves_non_numeric_alleles_alone() -> None:
    m = mutation_matrix("stepwise", [*alleles("9", "10", "OL"), None], [0.25] * 4,
                        rate=0.01, rate2=0.001, range=0.1)
    assert np.array_equal(m[2:, :], np.eye(4)[2:, :])
    assert np.all(m[:2, 2:] == 0)


def test_zero_rates_give_identity() -> None:
    for model in MUTATION_MODELS:
        m = mutation_matrix(model, alleles("9", "10", "10.3"), [0.3, 0.3, 0.4], rate=0.0)
        assert np.array_equal(m, np.eye(3))


def test_single_allele_is_trivial() -> None:
    assert np.array_equal(mutation_matrix("equal", alleles("9"), [1.0], rate=0.5), np.eye(1))


def test_model_defaults_and_sexes() -> None:
    model = MutationModel()
    assert model.model == "stepwise"
    assert model.male_rate == DEFAULT_MALE_RATE > model.female_rate == DEFAULT_FEMALE_RATE
    als = alleles("9", "10", "11")
    male = model.matrix(als, [0.3, 0.3, 0.4], sex="male")
    female = model.matrix(als, [0.3, 0.3, 0.4], sex="female")
    assert 1 - male[1, 1] == pytest.approx(DEFAULT_MALE_RATE)
    assert 1 - female[1, 1] == pytest.approx(DEFAULT_FEMALE_RATE)
    assert model.to_dict()["range"] == 0.1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"model": "onestep"},
        {"male_rate": -0.1},
        {"female_rate": 1.5},
        {"rate2": float("nan")},
        {"range": 0.0},
        {"male_rate": 0.7, "rate2": 0.5},
    ],
)
def test_model_validated(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidParameter):
        MutationModel(**kwargs)  # type: ignore[arg-type]


def test_bad_sex_refused() -> None:
    with pytest.raises(InvalidParameter, match="sex"):
        MutationModel().rate_for("unknown")


def test_frequency_length_checked() -> None:
    with pytest.raises(InvalidParameter, match="frequencies"):
        mutation_matrix("equal", alleles("9", "10"), [1.0], rate=0.1)


def _naive_stepwise(alleles: list[Allele | None], *, rate: float, rate2: float, decay: float,
                    extended: bool, repeat_length: int) -> np.ndarray:
    """Row by row, as the model is described: whole-repeat steps share ``rate`` by
    decay**steps, microvariant-changing steps share ``rate2`` (uniformly, or by
    decay**(ceil(distance) - 1) when extended); OL and unknowns neither mutate nor are reached."""
    import math

    n = len(alleles)
    m = np.eye(n)
    for i, a in enumerate(alleles):
        if a is None or not a.is_repeat:
            continue
        same = [(j, b) for j, b in enumerate(alleles)
                if j != i and b is not None and b.is_repeat and b.variant == a.variant]
        other = [(j, b) for j, b in enumerate(alleles)
                 if j != i and b is not None and b.is_repeat and b.variant != a.variant]
        stay = 1.0
        if same:
            w = [decay ** abs(b.repeats - a.repeats) for _, b in same]
            for (j, _), wj in zip(same, w, strict=True):
                m[i, j] = rate * wj / sum(w)
            stay -= rate
        if other:
            if extended:
                pa = a.repeats + a.variant / repeat_length
                w = [decay ** (max(1, math.ceil(abs(b.repeats + b.variant / repeat_length - pa)
                                                - 1e-9)) - 1) for _, b in other]
            else:
                w = [1.0] * len(other)
            for (j, _), wj in zip(other, w, strict=True):
                m[i, j] = rate2 * wj / sum(w)
            stay -= rate2
        m[i, i] = stay
    return m


@pytest.mark.parametrize("extended", [False, True])
def test_vectorised_stepwise_equals_naive(extended: bool) -> None:
    from locard.stats.kinship.mutation import _stepwise

    rng = np.random.default_rng(5)
    for _ in range(50):
        names = {f"{r}.{v}" if v else str(r)
                 for r, v in zip(rng.integers(5, 30, 12), rng.choice([0, 0, 0, 1, 2, 3], 12),
                                 strict=True)}
        alleles: list[Allele | None] = [parse_allele(x) for x in sorted(names)]
        alleles += [parse_allele("OL"), None]
        fast = _stepwise(alleles, rate=0.002, rate2=1e-6, decay=0.1, extended=extended,
                         repeat_length=4)
        slow = _naive_stepwise(alleles, rate=0.002, rate2=1e-6, decay=0.1, extended=extended,
                               repeat_length=4)
        np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-18)
