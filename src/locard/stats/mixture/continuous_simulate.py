"""Peak heights simulated from the continuous (gamma) model itself, for calibration (Tippet,
Cllr, ECE) and tests.

Per locus, contributor ``k`` with genotype ``g_k`` gives allele ``a`` the dose
``D_a = sum_k Mx_k c_ka beta^((bp_a - 125)/100)``; the expected height of position ``a`` is
``mu [(1 - xi) D_a + xi D_{a+1}]`` (backward stutter from the allele one repeat longer) and its
height is drawn as ``Gamma(shape E_a / (mu sigma^2), scale mu sigma^2)``, the model of
:mod:`locard.stats.mixture.continuous`. With probability ``dropin`` per locus one drop-in is
added: an allele drawn from the frequency table, at a position with no expected height, of
height ``AT + Exp(lambda)``. Heights below the analytical threshold ``AT`` are dropped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from locard.errors import InvalidParameter
from locard.genetics.alleles import Allele, AlleleKind
from locard.genetics.kits import Kit
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture.continuous import HeightEvidence, degradation_factor

__all__ = ["simulate_heights"]


def simulate_heights(
    genotypes: Sequence[Mapping[str, Sequence[Allele]]],
    table: FrequencyTable,
    *,
    mx: Sequence[float],
    mu: float = 1000.0,
    sigma: float = 0.15,
    beta: float = 1.0,
    xi: float = 0.0,
    threshold: float = 50.0,
    dropin: float = 0.0,
    dropin_lambda: float = 0.01,
    kit: Kit | None = None,
    replicates: int = 1,
    seed: int | np.random.Generator = 1,
) -> HeightEvidence:
    """One simulated trace (``replicates`` replicates, named ``r1``...) of the contributors
    ``genotypes`` (locus -> two alleles each) at the loci of the first, with mixture proportions
    ``mx`` (module docstring). Degradation (``beta < 1``) needs ``kit`` for fragment lengths."""
    if len(mx) != len(genotypes) or not math.isclose(sum(mx), 1.0, abs_tol=1e-9) \
            or min(mx) < 0:
        raise InvalidParameter("mx", list(mx),
                               expected=f"{len(genotypes)} proportions >= 0 summing to 1")
    for name, v, ok in (("mu", mu, mu > 0), ("sigma", sigma, sigma > 0),
                        ("beta", beta, 0 < beta <= 1), ("xi", xi, 0 <= xi < 1),
                        ("threshold", threshold, threshold > 0),
                        ("dropin", dropin, 0 <= dropin < 1)):
        if not ok:
            raise InvalidParameter(name, v, expected="a value in the model's range")
    if beta < 1 and kit is None:
        raise InvalidParameter("kit", None, expected="a kit for fragment lengths when beta < 1")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    scale = mu * sigma * sigma
    reps: dict[str, dict[str, dict[Allele, float]]] = {f"r{r + 1}": {} for r in range(replicates)}
    for locus in genotypes[0] if genotypes else ():
        dose: dict[Allele, float] = {}
        for k, person in enumerate(genotypes):
            for a in person[locus]:
                d = 1.0
                if beta < 1 and kit is not None:
                    d = degradation_factor(kit.locus(locus).fragment_length(a), beta)
                dose[a] = dose.get(a, 0.0) + mx[k] * d
        expected: dict[Allele, float] = {}
        for a, d in dose.items():
            expected[a] = expected.get(a, 0.0) + (1 - xi) * d * mu
            if xi > 0 and a.kind is AlleleKind.REPEAT and a.repeats > 1:
                s = Allele.repeat(a.repeats - 1, a.variant)
                expected[s] = expected.get(s, 0.0) + xi * d * mu
        freqs = table.frequencies[locus]
        alleles = list(freqs)
        p = np.array([freqs[a] for a in alleles], dtype=float)
        for rep in reps.values():
            heights = {a: float(rng.gamma(e / scale, scale)) for a, e in expected.items()
                       if e > 0}
            if dropin > 0 and rng.uniform() < dropin:
                a = alleles[int(rng.choice(len(alleles), p=p / p.sum()))]
                if a not in expected:
                    heights[a] = threshold + float(rng.exponential(1.0 / dropin_lambda))
            rep[locus] = {a: round(y, 1) for a, y in sorted(heights.items()) if y >= threshold}
    return HeightEvidence(reps)
