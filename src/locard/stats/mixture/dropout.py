"""Drop-out estimation (LRmix Studio / SmartRank) and sensitivity analysis of the
semi-continuous LR.

**Estimation** follows LRmix Studio's ``DropoutEstimator`` (Haned et al. 2012, FSI:Genetics
6:762, section 2.4; SmartRank does the same). For each hypothesis and each of ``simulations``
iterations, the unknown contributors get random genotypes drawn from the frequency table; then,
for every drop-out ``d`` on a grid (0.01 to 0.99 by 0.01), each allele copy of every contributor
survives with ``1 - d`` (the person of interest and, when ``vary_unknowns``, the unknowns get
``d``; the other typed contributors keep their own drop-out), and with probability ``pC`` a
random allele drops in at each locus. Where the number of distinct surviving alleles over the
loci equals the observed count (LRmix: the alleles of each replicate over the loci, averaged over
the replicates and truncated to an integer), ``d`` is kept. The 5th and 95th percentiles of the
kept values (Apache Commons Math's default estimator, ``p (n + 1)``; numpy ``weibull``) are
reported per hypothesis and over both (the smaller 5th, the larger 95th, as LRmix). Locard then
computes the LR at both and calls the one with the smaller LR the conservative drop-out.

**Sensitivity**: the LR with the drop-out of the person of interest and/or of every unknown
(under Hp and Hd) set to each value of a grid, 0.01 to 0.99, as LRmix Studio's sensitivity tab.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from locard.errors import InvalidParameter, StatisticsError
from locard.genetics.loci import locus_info
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture.casefile import MixtureCase
from locard.stats.mixture.semicontinuous import Hypothesis, MixtureLR, semicontinuous_lr
from locard.stats.provenance import make_provenance
from locard.stats.simulate import SimulationModel, simulate_codes

__all__ = [
    "DEFAULT_GRID",
    "DropoutEstimate",
    "SensitivityPoint",
    "SensitivityResult",
    "case_loci",
    "case_lr",
    "dropout_grid",
    "estimate_dropout",
    "observed_allele_count",
    "sensitivity_analysis",
]


def dropout_grid(*, start: float = 0.01, stop: float = 0.99,
                 step: float = 0.01) -> tuple[float, ...]:
    """The drop-out values ``start, start + step, ..., stop`` (rounded to 1e-9)."""
    for name, v in (("start", start), ("stop", stop)):
        if not 0.0 <= v < 1.0:
            raise InvalidParameter(name, v, expected="0 <= value < 1")
    if not step > 0 or start > stop:
        raise InvalidParameter("step", step, expected="step > 0 and start <= stop")
    n = math.floor((stop - start) / step + 1e-9) + 1
    return tuple(round(start + i * step, 9) for i in range(n))


DEFAULT_GRID = dropout_grid()


def case_lr(case: MixtureCase, table: FrequencyTable, *,
            dropout: Mapping[str, float] | None = None, hp: Hypothesis | None = None,
            hd: Hypothesis | None = None, profiles: Mapping[str, Any] | None = None,
            evidence: Any = None) -> MixtureLR:
    """The case's LR with some of its inputs replaced (drop-outs, hypotheses, profiles)."""
    spec = case.spec
    return semicontinuous_lr(
        evidence if evidence is not None else case.evidence,
        profiles if profiles is not None else case.profiles,
        hp or case.hp, hd or case.hd, table, poi=spec.poi,
        dropout=dropout if dropout is not None else case.dropout,
        dropin=spec.dropin.probability, theta=spec.theta,
        min_frequency=spec.frequencies.min_frequency)


def case_loci(case: MixtureCase, table: FrequencyTable) -> tuple[str, ...]:
    """The loci that enter the case's LR: autosomal STRs of the evidence that the table lists and
    every typed person of the hypotheses is typed at (as :func:`semicontinuous_lr` selects)."""
    typed = {*case.hp.contributors, *case.hd.contributors,
             *([case.spec.poi] if case.spec.poi else [])}
    out = []
    for locus in case.evidence.loci:
        if not locus_info(locus).is_autosomal_str or locus not in table.frequencies:
            continue
        if all(locus in case.profiles[n] and case.profiles[n].alleles(locus) for n in typed):
            out.append(locus)
    return tuple(out)


def observed_allele_count(case: MixtureCase, loci: Sequence[str]) -> int:
    """LRmix's observed allele count: per replicate the alleles over ``loci``, summed, divided
    by the number of replicates, truncated (Java integer division)."""
    reps = list(case.evidence.replicates.values())
    total = sum(len(per.get(locus, ())) for per in reps for locus in loci)
    return total // len(reps)


@dataclass(frozen=True, slots=True)
class DropoutEstimate:
    """Monte Carlo drop-out estimate: percentiles per hypothesis and over both, the LR at each
    end, and the conservative choice (the drop-out whose LR is the smaller)."""

    observed_alleles: int
    replicates: int
    simulations: int
    accepted: Mapping[str, int]
    percentile_5: Mapping[str, float]
    percentile_95: Mapping[str, float]
    low: float
    high: float
    lr_at_low: float | None
    lr_at_high: float | None
    conservative: float
    varied: tuple[str, ...]
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The estimate as a JSON-ready dict."""
        return {
            "observed_alleles": self.observed_alleles, "replicates": self.replicates,
            "simulations": self.simulations, "accepted": dict(self.accepted),
            "percentile_5": dict(self.percentile_5), "percentile_95": dict(self.percentile_95),
            "low": self.low, "high": self.high,
            "lr_at_low": self.lr_at_low, "lr_at_high": self.lr_at_high,
            "conservative": self.conservative, "varied": list(self.varied),
            "provenance": dict(self.provenance),
        }


def _survivors(codes: NDArray[np.int32], alive: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Distinct surviving allele codes per row: ``codes``/``alive`` ``[..., slots]``."""
    kept = np.where(alive, codes, 0)
    kept.sort(axis=-1)
    new = (kept[..., 1:] != kept[..., :-1]) & (kept[..., 1:] > 0)
    out: NDArray[np.int64] = new.sum(axis=-1) + (kept[..., 0] > 0)
    return out


def _accepted_dropouts(
    case: MixtureCase, model: SimulationModel, h: Hypothesis, grid: NDArray[np.float64], *,
    observed: int, simulations: int, dropin: float, vary_unknowns: bool,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    poi = case.spec.poi
    n_loci = model.n_loci
    # typed contributors: fixed genotypes [K, L, 2] coded like the model (0: not in the table)
    typed_codes = []
    typed_varies = []
    typed_d = []
    for name in h.contributors:
        prof = case.profiles[name]
        row = np.zeros((n_loci, 2), dtype=np.int32)
        for li, locus in enumerate(model.loci):
            code = {a: k + 1 for k, a in enumerate(model.alleles[li])}
            gt = list(prof.alleles(locus))
            pair = gt if len(gt) == 2 else [gt[0], gt[0]]
            # an allele outside the table still counts as an allele: a code past the table's
            row[li] = [code.get(a, 250 + j) for j, a in enumerate(pair)]
            if pair[0] == pair[1] and pair[0] not in code:
                row[li] = [250, 250]
        typed_codes.append(row)
        typed_varies.append(name == poi)
        typed_d.append(float(case.dropout[name]))
    n_unknown = h.unknowns
    accepted: list[NDArray[np.float64]] = []
    chunk = max(1, 200_000 // max(1, len(grid) * n_loci))
    for start in range(0, simulations, chunk):
        n = min(chunk, simulations - start)
        people = [np.broadcast_to(t, (n, n_loci, 2)) for t in typed_codes]
        varies = list(typed_varies)
        fixed_d = list(typed_d)
        if n_unknown:
            u = simulate_codes(model, n * n_unknown, seed=rng).astype(np.int32)
            u = u.reshape(n, n_unknown, n_loci, 2)
            for k in range(n_unknown):
                people.append(u[:, k])
                varies.append(vary_unknowns)
                fixed_d.append(float(h.unknown_dropout[k]))
        if not people:
            continue
        codes = np.stack(people, axis=1)  # [n, K, L, 2]
        k_people = codes.shape[1]
        # drop-out per (grid point, person)
        d = np.array([[g if v else fd for v, fd in zip(varies, fixed_d, strict=True)]
                      for g in grid])  # [G, K]
        uniforms = rng.random((n, len(grid), k_people, n_loci, 2))
        alive = uniforms >= d[None, :, :, None, None]
        slots = np.broadcast_to(codes[:, None], alive.shape)
        # [n, G, L, 2K]
        slots_l = np.moveaxis(slots, 3, 2).reshape(n, len(grid), n_loci, 2 * k_people)
        alive_l = np.moveaxis(alive, 3, 2).reshape(n, len(grid), n_loci, 2 * k_people)
        if dropin > 0:
            din = simulate_codes(model, n * len(grid), seed=rng)[..., 0].astype(np.int32)
            din = din.reshape(n, len(grid), n_loci, 1)
            happens = rng.random((n, len(grid), n_loci, 1)) < dropin
            slots_l = np.concatenate([slots_l, din], axis=-1)
            alive_l = np.concatenate([alive_l, happens], axis=-1)
        count = _survivors(slots_l, alive_l).sum(axis=-1)  # [n, G]
        hits = count == observed
        accepted.append(np.broadcast_to(grid, hits.shape)[hits])
    return np.concatenate(accepted) if accepted else np.zeros(0)


def estimate_dropout(
    case: MixtureCase,
    table: FrequencyTable,
    *,
    simulations: int = 1000,
    seed: int | None = None,
    vary_unknowns: bool = True,
    grid: Sequence[float] = DEFAULT_GRID,
) -> DropoutEstimate:
    """Monte Carlo drop-out estimate of LRmix Studio (see the module docstring).

    ``simulations`` iterations per hypothesis (LRmix's default is 1000), seeded with ``seed``;
    the person of interest (and with ``vary_unknowns`` every unknown) gets the simulated
    drop-out. Raises :class:`StatisticsError` when no simulation reproduces the observed count
    (as LRmix), naming the remedy."""
    if simulations < 1:
        raise InvalidParameter("simulations", simulations, expected="simulations >= 1")
    loci = case_loci(case, table)
    if not loci:
        raise StatisticsError("no locus enters the LR, nothing to estimate",
                              remedy="type the evidence and the profiles at common loci")
    model = SimulationModel.from_table(table, loci)
    observed = observed_allele_count(case, loci)
    g = np.asarray(grid, dtype=np.float64)
    rng = np.random.default_rng(seed)
    dropin = case.spec.dropin.probability
    p5: dict[str, float] = {}
    p95: dict[str, float] = {}
    counts: dict[str, int] = {}
    for hname, h in (("hd", case.hd), ("hp", case.hp)):  # LRmix's order: defence first
        kept = _accepted_dropouts(case, model, h, g, observed=observed, simulations=simulations,
                                  dropin=dropin, vary_unknowns=vary_unknowns, rng=rng)
        counts[hname] = int(kept.size)
        if kept.size == 0:
            raise StatisticsError(
                f"drop-out estimation: no simulation under {hname} left {observed} alleles",
                remedy="raise --simulations, or check the hypotheses' numbers of contributors "
                       "against the evidence")
        p5[hname] = round(float(np.percentile(kept, 5, method="weibull")), 2)
        p95[hname] = round(float(np.percentile(kept, 95, method="weibull")), 2)
    low = min(p5.values())
    high = max(p95.values())
    varied = tuple([*([case.spec.poi] if case.spec.poi else []),
                    *(["unknowns"] if vary_unknowns else [])])
    lr_low = _lr_or_none(case, table, low, vary_poi=True, vary_unknowns=vary_unknowns)
    lr_high = _lr_or_none(case, table, high, vary_poi=True, vary_unknowns=vary_unknowns)
    smaller_at_high = lr_low is None or (lr_high is not None and lr_high <= lr_low)
    conservative = high if smaller_at_high else low
    provenance = make_provenance(
        "drop-out estimation (LRmix Studio Monte Carlo)",
        parameters={"simulations": simulations, "seed": seed, "vary_unknowns": vary_unknowns,
                    "grid": [float(g[0]), float(g[-1]), len(g)], "dropin": dropin,
                    "loci": list(loci), "observed_alleles": observed,
                    "percentile_estimator": "p(n+1) (Apache Commons Math default)"},
        tables=table)
    return DropoutEstimate(
        observed_alleles=observed, replicates=len(case.evidence.replicates),
        simulations=simulations, accepted=counts, percentile_5=p5, percentile_95=p95, low=low,
        high=high, lr_at_low=lr_low, lr_at_high=lr_high, conservative=conservative,
        varied=varied, provenance=provenance)


def _with_dropout(case: MixtureCase, d: float, *, vary_poi: bool, vary_unknowns: bool
                  ) -> tuple[dict[str, float], Hypothesis, Hypothesis]:
    dropout = dict(case.dropout)
    poi = case.spec.poi
    if vary_poi and poi is not None:
        dropout[poi] = d
    hp, hd = case.hp, case.hd
    if vary_unknowns:
        hp = replace(hp, unknown_dropout=(d,) * hp.unknowns)
        hd = replace(hd, unknown_dropout=(d,) * hd.unknowns)
    return dropout, hp, hd


def _lr_or_none(case: MixtureCase, table: FrequencyTable, d: float, *, vary_poi: bool,
                vary_unknowns: bool) -> float | None:
    dropout, hp, hd = _with_dropout(case, d, vary_poi=vary_poi, vary_unknowns=vary_unknowns)
    try:
        return case_lr(case, table, dropout=dropout, hp=hp, hd=hd).lr
    except StatisticsError:
        return None


@dataclass(frozen=True, slots=True)
class SensitivityPoint:
    """The LR at one drop-out probability (None where it cannot be computed)."""
    dropout: float
    lr: float | None
    log10_lr: float | None

    def to_dict(self) -> dict[str, Any]:
        """The point as a JSON-ready dict."""
        return {"dropout": self.dropout, "lr": self.lr, "log10_lr": self.log10_lr}


@dataclass(frozen=True, slots=True)
class SensitivityResult:
    """The LR across drop-out values; ``lr`` is None where the evidence has probability 0 under
    Hd at that drop-out (LRmix skips such points)."""

    points: tuple[SensitivityPoint, ...]
    varied: tuple[str, ...]
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict."""
        return {"varied": list(self.varied), "points": [p.to_dict() for p in self.points],
                "provenance": dict(self.provenance)}


def sensitivity_analysis(
    case: MixtureCase,
    table: FrequencyTable,
    *,
    vary_poi: bool = True,
    vary_unknowns: bool = True,
    grid: Sequence[float] = DEFAULT_GRID,
) -> SensitivityResult:
    """The LR at each drop-out of ``grid`` given to the person of interest (``vary_poi``) and
    every unknown under Hp and Hd (``vary_unknowns``); the others keep the case's values."""
    if not vary_poi and not vary_unknowns:
        raise InvalidParameter("vary", "nothing", expected="vary the person of interest, the "
                               "unknowns, or both (--vary poi|unknowns|both)")
    if vary_poi and case.spec.poi is None:
        raise InvalidParameter("vary", "poi", expected="a case file with a poi, or --vary "
                               "unknowns")
    points = []
    for d in grid:
        lr = _lr_or_none(case, table, float(d), vary_poi=vary_poi, vary_unknowns=vary_unknowns)
        log10 = (math.log10(lr) if lr > 0 else -math.inf) if lr is not None else None
        points.append(SensitivityPoint(float(d), lr, log10))
    varied = tuple([*([case.spec.poi] if vary_poi and case.spec.poi else []),
                    *(["unknowns"] if vary_unknowns else [])])
    provenance = make_provenance(
        "drop-out sensitivity analysis",
        parameters={"varied": list(varied), "grid": [float(grid[0]), float(grid[-1]),
                                                     len(grid)],
                    "dropin": case.spec.dropin.probability, "theta": case.spec.theta},
        tables=table)
    return SensitivityResult(points=tuple(points), varied=varied, provenance=provenance)
