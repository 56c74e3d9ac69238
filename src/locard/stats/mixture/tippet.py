"""The non-contributor (Tippet) test of a semi-continuous LR, with calibration measures.

**Non-contributors** (LRmix Studio's non-contributor test; Gill & Haned 2013, FSI:Genetics
7:251): the person of interest is replaced by ``simulations`` random people drawn from the
frequency table (:mod:`locard.stats.simulate`), everything else as in the case; the share of
them with ``LR >= `` the observed LR estimates ``P(LR >= observed | Hd)``, and is bounded by
``1 / LR`` (Turing's bound). The per-locus LR depends only on the replacement's genotype at that
locus, so each distinct genotype is evaluated once per locus.

**Calibration** (``calibration`` simulations): the case is re-simulated with a random person
of interest *as a contributor* (Hp true: the known contributors, the simulated person of
interest and the Hp unknowns, each allele copy dropping out with the case's drop-outs, one
random drop-in per locus and replicate with ``pC``); its LR is labelled Hp-true, and the LR of
a fresh random non-contributor on the same simulated evidence Hd-true. Cllr, Cllr_min and the
empirical cross-entropy (ECE) come from the NFI's ``lir`` package (``lir.metrics.cllr``,
``cllr_min``, ``lir.plotting.expected_calibration_error.calculate_ece``), not from code here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from locard.errors import InvalidParameter, StatisticsError
from locard.genetics.alleles import Allele
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture.casefile import MixtureCase
from locard.stats.mixture.dropout import case_loci, case_lr
from locard.stats.mixture.semicontinuous import DEFAULT_MAX_COMBINATIONS, Evidence, locus_lr
from locard.stats.provenance import make_provenance
from locard.stats.simulate import SimulationModel, simulate_codes

__all__ = ["Calibration", "TippetResult", "calibration_measures", "non_contributor_test"]

#: log10 prior odds at which the ECE curve is reported.
ECE_LOG_PRIOR_ODDS = tuple(x / 2 for x in range(-6, 7))


@dataclass(frozen=True, slots=True)
class Calibration:
    """Cllr, Cllr_min and the ECE curve (lir) of simulated Hp-true and Hd-true LRs."""

    hp_true_log10_lrs: tuple[float, ...]
    hd_true_log10_lrs: tuple[float, ...]
    cllr: float
    cllr_min: float
    ece: Mapping[float, float]
    skipped: int

    def to_dict(self) -> dict[str, Any]:
        """The calibration as a JSON-ready dict: Cllr, Cllr_min, ECE and the log10 LRs."""
        return {"cllr": self.cllr, "cllr_min": self.cllr_min,
                "ece": [{"log10_prior_odds": k, "ece": v} for k, v in self.ece.items()],
                "hp_true_log10_lrs": list(self.hp_true_log10_lrs),
                "hd_true_log10_lrs": list(self.hd_true_log10_lrs), "skipped": self.skipped}


@dataclass(frozen=True, slots=True)
class TippetResult:
    """Non-contributor LRs (log10) with the observed LR, the share at or above it, and its
    bound; the calibration measures when asked for."""

    observed_lr: float
    non_contributor_log10_lrs: tuple[float, ...]
    share_at_or_above: float
    at_or_above: int
    calibration: Calibration | None
    provenance: Mapping[str, Any] = field(default_factory=dict)

    @property
    def observed_log10_lr(self) -> float:
        """log10 of the observed LR (-inf for 0)."""
        return math.log10(self.observed_lr) if self.observed_lr > 0 else -math.inf

    @property
    def bound(self) -> float:
        """Turing's bound on P(LR >= observed | Hd): 1 / LR (at most 1)."""
        return min(1.0, 1.0 / self.observed_lr) if self.observed_lr > 0 else 1.0

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict, with a summary of the non-contributor log10 LRs."""
        arr = np.asarray(self.non_contributor_log10_lrs)
        finite = arr[np.isfinite(arr)]
        return {
            "observed_lr": self.observed_lr, "observed_log10_lr": self.observed_log10_lr,
            "simulations": len(arr), "at_or_above": self.at_or_above,
            "share_at_or_above": self.share_at_or_above, "bound_one_over_lr": self.bound,
            "summary_log10": ({"min": float(finite.min()), "median": float(np.median(finite)),
                               "p99": float(np.percentile(finite, 99)),
                               "max": float(finite.max())} if finite.size else None),
            "non_contributor_log10_lrs": [float(x) for x in arr],
            "calibration": self.calibration.to_dict() if self.calibration else None,
            "provenance": dict(self.provenance),
        }


def _log10(x: float) -> float:
    return math.log10(x) if x > 0 else -math.inf


def _replaced(profiles: Mapping[str, Profile], name: str, loci: Sequence[str],
              genotype: Sequence[Sequence[Allele]]) -> dict[str, Profile]:
    out = dict(profiles)
    out[name] = Profile.from_mapping({locus: list(g) for locus, g in zip(loci, genotype,
                                                                          strict=True)},
                                     specimen_id=name)
    return out


def non_contributor_test(
    case: MixtureCase,
    table: FrequencyTable,
    *,
    simulations: int = 1000,
    seed: int | None = None,
    calibration: int = 0,
) -> TippetResult:
    """LRs of ``simulations`` random non-contributors in place of the person of interest, the
    share with ``LR >=`` the observed one, and (``calibration`` > 0) Cllr and ECE from that many
    simulated Hp-true / Hd-true pairs. Seeded with ``seed``; see the module docstring."""
    poi = case.spec.poi
    if poi is None:
        raise InvalidParameter("poi", None, expected="a case file with a person of interest "
                               "(poi) to replace")
    if simulations < 1:
        raise InvalidParameter("simulations", simulations, expected="simulations >= 1")
    if calibration < 0:
        raise InvalidParameter("calibration", calibration, expected="calibration >= 0")
    observed = case_lr(case, table)
    loci = tuple(observed.per_locus)
    if not loci:
        raise StatisticsError("no locus enters the LR, nothing to test",
                              remedy="type the evidence and the profiles at common loci")
    model = SimulationModel.from_table(table, loci)
    rng = np.random.default_rng(seed)
    codes = simulate_codes(model, simulations, seed=rng)  # [N, L, 2]
    spec = case.spec
    typed = list(dict.fromkeys([*case.hp.contributors, *case.hd.contributors, poi]))
    log10_lrs = np.zeros(simulations)
    for li, locus in enumerate(loci):
        cache: dict[tuple[int, int], float] = {}
        for i in range(simulations):
            key = (int(codes[i, li, 0]), int(codes[i, li, 1]))
            if key not in cache:
                gt = [model.alleles[li][c - 1] for c in key]
                profiles = dict(case.profiles)
                profiles[poi] = Profile.from_mapping({locus: gt}, specimen_id=poi)
                one = locus_lr(locus, case.evidence, profiles, typed, case.hp, case.hd,
                                 table, dropout=case.dropout, dropin=spec.dropin.probability,
                                 theta=spec.theta, min_frequency=spec.frequencies.min_frequency,
                                 max_combinations=DEFAULT_MAX_COMBINATIONS)
                cache[key] = _log10(one.lr)
            log10_lrs[i] += cache[key]
    obs_log10 = observed.log10_lr
    at_or_above = int(np.sum(log10_lrs >= obs_log10 - 1e-12))
    cal = (calibration_measures(case, table, simulations=calibration, rng=rng, loci=loci)
           if calibration else None)
    provenance = make_provenance(
        "non-contributor (Tippet) test",
        parameters={"simulations": simulations, "seed": seed, "calibration": calibration,
                    "loci": list(loci), "poi": poi, "dropout": dict(case.dropout),
                    "unknowns_hp": list(case.hp.unknown_dropout),
                    "unknowns_hd": list(case.hd.unknown_dropout),
                    "dropin": spec.dropin.probability, "theta": spec.theta,
                    "calibration_library": "lir 1.3 (cllr, cllr_min, calculate_ece)"},
        tables=table)
    return TippetResult(
        observed_lr=observed.lr, non_contributor_log10_lrs=tuple(float(x) for x in log10_lrs),
        share_at_or_above=at_or_above / simulations, at_or_above=at_or_above,
        calibration=cal, provenance=provenance)


def _simulate_evidence(case: MixtureCase, model: SimulationModel, poi_codes: np.ndarray,
                       rng: np.random.Generator) -> Evidence:
    """Evidence replicates (as many as the case's) from the Hp contributors: the known
    contributors as typed, the simulated person of interest, and random Hp unknowns."""
    poi = case.spec.poi
    loci = model.loci
    people: list[tuple[list[list[Allele]], float]] = []
    for name in case.hp.contributors:
        if name == poi:
            continue
        prof = case.profiles[name]
        gts = []
        for locus in loci:
            gt = list(prof.alleles(locus))
            gts.append(gt if len(gt) == 2 else [gt[0], gt[0]])
        people.append((gts, float(case.dropout[name])))
    people.append(([[model.alleles[li][c - 1] for c in poi_codes[li]] for li in range(len(loci))],
                   float(case.dropout[poi]) if poi is not None and poi in case.dropout else 0.0))
    if case.hp.unknowns:
        u = simulate_codes(model, case.hp.unknowns, seed=rng)
        for k, d in enumerate(case.hp.unknown_dropout):
            people.append(([[model.alleles[li][c - 1] for c in u[k, li]]
                            for li in range(len(loci))], float(d)))
    pc = case.spec.dropin.probability
    reps: dict[str, dict[str, list[Allele]]] = {}
    for rep in case.evidence.replicates:
        per: dict[str, list[Allele]] = {}
        din = simulate_codes(model, 1, seed=rng)[0, :, 0]
        for li, locus in enumerate(loci):
            seen: set[Allele] = set()
            for gts, d in people:
                for a in gts[li]:
                    if rng.random() >= d:
                        seen.add(a)
            if pc > 0 and rng.random() < pc:
                seen.add(model.alleles[li][int(din[li]) - 1])
            per[locus] = sorted(seen)
        reps[rep] = per
    return Evidence.from_mapping(reps)


def calibration_measures(
    case: MixtureCase,
    table: FrequencyTable,
    *,
    simulations: int,
    rng: np.random.Generator,
    loci: Sequence[str] | None = None,
) -> Calibration:
    """Cllr, Cllr_min and ECE (from ``lir``) of ``simulations`` simulated Hp-true cases and as
    many Hd-true LRs on the same evidence (see the module docstring)."""
    from lir.data.models import LLRData  # type: ignore[import-untyped]
    from lir.metrics import cllr, cllr_min  # type: ignore[import-untyped]
    from lir.plotting.expected_calibration_error import (  # type: ignore[import-untyped]
        calculate_ece,
    )

    poi = case.spec.poi
    if poi is None:
        raise InvalidParameter("poi", None, expected="a case file with a person of interest")
    loci = tuple(loci) if loci is not None else case_loci(case, table)
    model = SimulationModel.from_table(table, loci)
    hp_true: list[float] = []
    hd_true: list[float] = []
    skipped = 0
    for _ in range(simulations):
        pair = simulate_codes(model, 2, seed=rng)
        evidence = _simulate_evidence(case, model, pair[0], rng)
        try:
            lr1 = case_lr(case, table, evidence=evidence,
                          profiles=_replaced(case.profiles, poi, loci,
                                             [[model.alleles[li][c - 1] for c in pair[0, li]]
                                              for li in range(len(loci))])).lr
            lr0 = case_lr(case, table, evidence=evidence,
                          profiles=_replaced(case.profiles, poi, loci,
                                             [[model.alleles[li][c - 1] for c in pair[1, li]]
                                              for li in range(len(loci))])).lr
        except StatisticsError:
            skipped += 1  # the simulated evidence has probability 0 under Hd
            continue
        hp_true.append(_log10(lr1))
        hd_true.append(_log10(lr0))
    if not hp_true:
        raise StatisticsError("calibration: every simulated case had probability 0 under Hd",
                              remedy="allow drop-in (dropin.probability > 0) or add unknowns "
                                     "under Hd")
    llrs = np.array(hp_true + hd_true)
    labels = np.array([1] * len(hp_true) + [0] * len(hd_true))
    data = LLRData(features=llrs, labels=labels)
    priors_odds = np.power(10.0, np.array(ECE_LOG_PRIOR_ODDS))
    ece = calculate_ece(np.power(10.0, llrs), labels, priors_odds / (1 + priors_odds))
    return Calibration(hp_true_log10_lrs=tuple(hp_true), hd_true_log10_lrs=tuple(hd_true),
                       cllr=float(cllr(data)), cllr_min=float(cllr_min(data)),
                       ece={k: float(v) for k, v in zip(ECE_LOG_PRIOR_ODDS, ece, strict=True)},
                       skipped=skipped)
