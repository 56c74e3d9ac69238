"""A slow, literal implementation of the continuous (gamma) model's per-locus likelihood, written
from the issue's formula and independent of locard.stats.mixture.continuous: every ordered
genotype combination of the unknowns is listed explicitly, every term uses scipy.stats.gamma."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

from scipy import stats  # type: ignore[import-untyped]


def _shift(name: str, step: int) -> str | None:
    whole, _, frac = name.partition(".")
    if not whole.isdigit():
        return None
    return f"{int(whole) + step}" + (f".{frac}" if frac else "")


def naive_loglik(
    replicates: Sequence[Mapping[str, float]],
    freqs: Mapping[str, float],
    *,
    known: Sequence[tuple[str, str]],
    n_unknowns: int,
    typed_alleles: Sequence[str],
    mx: Sequence[float],
    mu: float,
    sigma: float,
    beta: float,
    xi_b: float,
    xi_f: float,
    bp: Mapping[str, float],
    q_bp: float,
    threshold: float,
    pc: float,
    lam: float,
    theta: float,
) -> float:
    """ln L of one locus. ``replicates``: allele name -> height; ``known``: the typed
    contributors' genotypes (allele names); ``typed_alleles``: every typed person's alleles (for
    the Balding-Nichols counts); ``bp``: fragment length per allele name; ``xi_b``/``xi_f`` 0 for
    a model without that stutter."""
    observed = sorted({a for r in replicates for a, y in r.items() if y >= threshold},
                      key=lambda s: float(s))
    stutter_only: set[str] = set()
    for a in observed:
        for step, on in ((-1, xi_b > 0), (1, xi_f > 0)):
            s = _shift(a, step)
            if on and s is not None and s not in observed:
                stutter_only.add(s)
    geno_alleles = [*observed, "Q"]
    p = {a: freqs[a] for a in observed}
    p["Q"] = 1.0 - sum(p.values())

    def to_model(a: str) -> str:
        return a if a in observed else "Q"

    genotypes = [(geno_alleles[i], geno_alleles[j]) for i in range(len(geno_alleles))
                 for j in range(i, len(geno_alleles))]
    scale = mu * sigma * sigma
    total = 0.0
    for combo in itertools.product(genotypes, repeat=n_unknowns):
        people = [(to_model(a), to_model(b)) for a, b in known] + list(combo)
        # Balding-Nichols, one allele at a time
        counts = {a: 0 for a in geno_alleles}
        for a in typed_alleles:
            counts[to_model(a)] += 1
        n = len(typed_alleles)
        prior = 1.0
        for g in combo:
            prior *= 2.0 if g[0] != g[1] else 1.0
            for a in g:
                prior *= (counts[a] * theta + (1 - theta) * p[a]) / (1 + (n - 1) * theta)
                counts[a] += 1
                n += 1

        def dose(a: str, people: list[tuple[str, str]] = people) -> float:
            if a == "Q" or a not in observed:
                return 0.0
            c = [g.count(a) for g in people]
            return sum(m * ci for m, ci in zip(mx, c, strict=True)) * beta ** (
                (bp[a] - 125) / 100)

        lik = prior
        for rep in replicates:
            seen = {a for a, y in rep.items() if y >= threshold}
            factor = 1.0
            dropin = False
            for a in [*observed, *sorted(stutter_only)]:
                up, down = _shift(a, 1), _shift(a, -1)
                alpha = ((1 - xi_b - xi_f) * dose(a)
                         + (xi_b * dose(up) if up else 0.0)
                         + (xi_f * dose(down) if down else 0.0)) / sigma ** 2
                if a in seen:
                    y = rep[a]
                    if alpha > 0:
                        factor *= stats.gamma.pdf(y, alpha, scale=scale)
                    else:
                        dropin = True
                        factor *= pc * p[a] * lam * math.exp(-lam * (y - threshold))
                elif alpha > 0:
                    factor *= stats.gamma.cdf(threshold, alpha, scale=scale)
            cq = sum(m * g.count("Q") for m, g in zip(mx, people, strict=True))
            alpha_q = cq * beta ** ((q_bp - 125) / 100) / sigma ** 2
            if alpha_q > 0:
                factor *= stats.gamma.cdf(threshold, alpha_q, scale=scale)
            if not dropin:
                factor *= 1 - pc
            lik *= factor
        total += lik
    return math.log(total)
