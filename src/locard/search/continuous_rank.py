"""Database-wide ranking by the continuous (gamma peak-height) LR of a mixed trace:
ProbRank-class (Benschop et al./NFI 2023, "ProbRank"; the model of Bleka, Storvik & Gill 2016,
EuroForMix).

A ``"model": "continuous"`` case file whose Hp names the database candidate ``CANDIDATE`` (Hp:
Hd's typed contributors, the candidate and one unknown fewer than Hd) is ranked in two stages:

1. **Fixed parameters.** Hd is fitted once (maximum likelihood,
   :func:`locard.stats.mixture.casefile.fit_continuous_case`, the typed contributors of Hd the
   only typed people), and :func:`locard.stats.mixture.continuous_tables.continuous_lr_tables`
   gives, per unknown slot ``k`` and locus, the LR of every candidate genotype over the
   evidence's alleles and ``Q`` at the Hd maximum. Each slot's tables are re-indexed by the
   index's allele codes (:func:`locard.search.mixture_rank.class_lookup`) and scanned with the
   compiled top-N kernel of the semi-continuous ranking
   (:func:`locard.search.mixture_rank.rank_by_mixture_lr`); a profile's fixed-parameter LR is
   its best slot's product (the union of the slots' top-N holds the top-N by the best slot). A
   locus the candidate did not type contributes 1.
2. **Refit.** The ``refit`` best are refitted with the full maximum-likelihood LR
   (:func:`locard.stats.mixture.casefile.run_continuous_case` with the candidate as the person
   of interest: all parameters free under Hp and Hd, on the loci the candidate typed), and
   re-ordered by that LR; the others keep their fixed-parameter order after them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from locard.errors import InputError, SearchError
from locard.genetics.alleles import Allele
from locard.genetics.profiles import Profile
from locard.search.mixture_rank import (
    CANDIDATE,
    MixtureLookup,
    class_lookup,
    rank_by_mixture_lr,
)
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture.casefile import MixtureCase, fit_continuous_case, run_continuous_case
from locard.stats.mixture.continuous_fit import ContinuousHypothesis, ContinuousLR, HypothesisFit
from locard.stats.mixture.continuous_tables import ContinuousLRTables, continuous_lr_tables
from locard.stats.provenance import make_provenance

__all__ = [
    "DEFAULT_REFIT",
    "ContinuousHit",
    "ContinuousRankTables",
    "continuous_lookups",
    "continuous_rank_tables",
    "decode_candidate",
    "rank_by_continuous_lr",
    "refit_candidate",
    "refit_hits",
]

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]

#: Candidates refitted with the full maximum-likelihood LR by default.
DEFAULT_REFIT = 20


@dataclass(frozen=True, slots=True, eq=False)
class ContinuousRankTables:
    """The Hd fit, the per-slot genotype tables at its maximum, the case (for the refits), the
    loci left out with a reason, and the provenance."""

    case: MixtureCase
    table: FrequencyTable = field(repr=False)
    hd_fit: HypothesisFit = field(repr=False)
    tables: ContinuousLRTables = field(repr=False)
    candidate: str
    notes: Mapping[str, str]
    provenance: Mapping[str, Any] = field(repr=False)

    @property
    def loci(self) -> tuple[str, ...]:
        """The loci the tables score, in order."""
        return self.tables.loci

    def hypotheses_in_words(self) -> dict[str, str]:
        """Hp and Hd in words, the database profile named as the candidate."""
        hp = ContinuousHypothesis(tuple(self.case.hp.contributors), self.case.hp.unknowns)
        return {"hp": hp.describe(poi=self.candidate),
                "hd": self.hd_fit.hypothesis.describe(poi=self.candidate)}


def _check_case(case: MixtureCase, candidate: str) -> None:
    if case.spec.model != "continuous":
        raise InputError("the case file is not a continuous-model case",
                         remedy="set \"model\": \"continuous\" and give peak heights, or rank "
                                "with the semi-continuous model (locard mixture rank)")
    hp, hd = case.hp, case.hd
    if candidate not in hp.contributors:
        raise InputError(f"hypotheses.hp.contributors: the candidate {candidate!r} is not a "
                         "contributor under Hp",
                         remedy=f"add {candidate!r} to hypotheses.hp.contributors")
    if candidate in hd.contributors:
        raise InputError(f"hypotheses.hd.contributors: the candidate {candidate!r} is a "
                         "contributor under Hd",
                         remedy=f"remove {candidate!r} from hypotheses.hd.contributors")
    others = [c for c in hp.contributors if c != candidate]
    if sorted(others) != sorted(hd.contributors) or hp.unknowns != hd.unknowns - 1:
        raise InputError(
            "hypotheses: a continuous ranking needs Hp = Hd's typed contributors, the candidate "
            f"and one unknown fewer than Hd (got Hp {list(hp.contributors)} + {hp.unknowns} "
            f"unknown(s), Hd {list(hd.contributors)} + {hd.unknowns})",
            remedy=f"set hypotheses.hp.contributors to Hd's plus {candidate!r} and "
                   "hypotheses.hp.unknowns to hypotheses.hd.unknowns - 1")


def continuous_rank_tables(case: MixtureCase, table: FrequencyTable, *,
                           candidate: str = CANDIDATE,
                           max_combinations: int | None = None) -> ContinuousRankTables:
    """Fit the case's Hd once and tabulate every candidate genotype's LR per slot and locus at
    the maximum (module docstring, stage 1)."""
    _check_case(case, candidate)
    # Hd alone, its typed contributors the only typed people (the candidate is not known yet)
    hd_only = dataclasses.replace(case, hp=case.hd,
                                  spec=case.spec.model_copy(update={"poi": None}))
    fitted = fit_continuous_case(hd_only, table, which="hd", max_combinations=max_combinations)
    tables = continuous_lr_tables(fitted.loci, fitted.fit.parameters,
                                  max_combinations=max_combinations)
    spec = case.spec
    provenance = make_provenance(
        "continuous mixture LR ranking tables",
        parameters={
            "model": "continuous (gamma peak heights; Bleka, Storvik & Gill 2016, EuroForMix); "
                     "ProbRank-class fixed-parameter tables",
            "candidate": candidate,
            "hp": {"contributors": list(case.hp.contributors), "unknowns": case.hp.unknowns},
            "hd": {"contributors": list(case.hd.contributors), "unknowns": case.hd.unknowns},
            "hd_parameters": fitted.fit.parameters.to_dict(), "hd_loglik": fitted.fit.loglik,
            "theta": spec.theta, "dropin": spec.dropin.probability,
            "dropin_lambda": spec.dropin.lambda_, "degradation": spec.degradation,
            "stutter": (spec.stutter.model_dump() if spec.stutter is not None else None),
            "analytical_threshold": spec.analytical_threshold, "kit": spec.kit,
            "min_frequency": spec.frequencies.min_frequency, "seed": spec.seed,
            "replicates": list(case.evidence.replicates), "loci": list(tables.loci)},
        tables=table)
    return ContinuousRankTables(case, table, fitted, tables, candidate, dict(fitted.notes),
                                provenance)


def continuous_lookups(tables: ContinuousLRTables | ContinuousRankTables, loci: Sequence[str],
                       allele_maps: Sequence[Sequence[Allele]]) -> tuple[MixtureLookup, ...]:
    """One lookup per unknown slot: the slot's tables re-indexed by an index's codes."""
    t = tables.tables if isinstance(tables, ContinuousRankTables) else tables
    return tuple(
        class_lookup(loci, allele_maps,
                     {loc: (lt.klass, lt.lr[k]) for loc, lt in t.tables.items()})
        for k in range(t.slots))


@dataclass(frozen=True, slots=True)
class ContinuousHit:
    """One ranked profile: ``lr_fixed`` (its best slot ``slot``'s product of ``per_locus_fixed``
    at the Hd parameters) and, when refitted, ``refit`` (the full maximum-likelihood LR)."""

    row: int
    key: int | None
    slot: int
    lr_fixed: float
    per_locus_fixed: dict[str, float] = field(repr=False)
    refit: ContinuousLR | None = field(default=None, repr=False)

    @property
    def log10_lr_fixed(self) -> float:
        """log10 of ``lr_fixed`` (-inf for an LR of 0)."""
        return math.log10(self.lr_fixed) if self.lr_fixed > 0 else -math.inf

    @property
    def lr(self) -> float | None:
        """The refitted LR (None if not refitted)."""
        return None if self.refit is None else self.refit.lr

    @property
    def log10_lr(self) -> float | None:
        """log10 of the refitted LR (None if not refitted)."""
        return None if self.refit is None else self.refit.log10_lr

    def to_dict(self) -> dict[str, Any]:
        """The hit as a JSON-ready dict; per-locus LRs and fitted parameters added when refitted."""
        out: dict[str, Any] = {
            "row": self.row, "key": self.key, "slot": self.slot, "lr_fixed": self.lr_fixed,
            "log10_lr_fixed": self.log10_lr_fixed, "lr": self.lr, "log10_lr": self.log10_lr,
            "per_locus_fixed": dict(self.per_locus_fixed)}
        if self.refit is not None:
            out["per_locus"] = {k: v.lr for k, v in self.refit.per_locus.items()}
            out["parameters"] = {"hp": self.refit.hp_fit.parameters.to_dict(),
                                 "hd": self.refit.hd_fit.parameters.to_dict()}
        return out


def rank_by_continuous_lr(
    codes: U8,
    allele_maps: Sequence[Sequence[Allele]],
    loci: Sequence[str],
    tables: ContinuousLRTables | ContinuousRankTables | Sequence[MixtureLookup],
    *,
    top: int = 50,
    threshold: float | None = None,
    keys: Sequence[int] | I64 | None = None,
    locus_major: bool = False,
    alive: npt.NDArray[np.bool_] | npt.NDArray[np.uint8] | None = None,
) -> list[ContinuousHit]:
    """The ``top`` profiles of ``codes`` by fixed-parameter LR (best slot), best first (ties: the
    lower row); only those with ``LR >= threshold`` when one is given. Arguments as
    :func:`locard.search.mixture_rank.rank_by_mixture_lr`; ``tables`` may be the prepared
    per-slot lookups (:func:`continuous_lookups`)."""
    lookups = (tuple(tables) if not isinstance(tables, ContinuousLRTables | ContinuousRankTables)
               else continuous_lookups(tables, loci, allele_maps))
    if not lookups:
        raise SearchError("no slot to rank: Hd has no unknown contributor")
    best: dict[int, tuple[float, int, dict[str, float], int | None]] = {}
    for k, lookup in enumerate(lookups):
        for h in rank_by_mixture_lr(codes, allele_maps, loci, lookup, top=top,
                                    threshold=threshold, keys=keys, locus_major=locus_major,
                                    alive=alive):
            if h.row not in best or h.lr > best[h.row][0]:
                best[h.row] = (h.lr, k, h.per_locus, h.key)
    # a row found in one slot's top-N: its other slots' values too (the best slot wins)
    arr = np.asarray(codes)
    for row, (_, k, _, key) in list(best.items()):
        profile = arr[:, row, :] if locus_major else arr[row]
        for j, lookup in enumerate(lookups):
            if j == k:
                continue
            per = {locus: float(lookup.lr[li, int(profile[li, 0]), int(profile[li, 1])])
                   for li, locus in enumerate(lookup.loci)
                   if lookup.covered[li] and profile[li, 0] != 0 and profile[li, 1] != 0}
            value = math.prod(per.values())
            if value > best[row][0]:
                best[row] = (value, j, per, key)
    ordered = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:top]
    return [ContinuousHit(row, key, k, lr, per) for row, (lr, k, per, key) in ordered]


def decode_candidate(codes: U8, allele_maps: Sequence[Sequence[Allele]], loci: Sequence[str],
                     row: int, *, locus_major: bool = False,
                     candidate: str = CANDIDATE) -> Profile:
    """Row ``row`` of ``codes`` as a profile named ``candidate`` (untyped loci left out)."""
    arr = np.asarray(codes)
    profile = arr[:, row, :] if locus_major else arr[row]
    mapping = {locus: [str(allele_maps[li][int(profile[li, 0]) - 1]),
                       str(allele_maps[li][int(profile[li, 1]) - 1])]
               for li, locus in enumerate(loci) if profile[li, 0] != 0 and profile[li, 1] != 0}
    return Profile.from_mapping(mapping, specimen_id=candidate)


def refit_candidate(tables: ContinuousRankTables, profile: Profile, *,
                    max_combinations: int | None = None) -> ContinuousLR:
    """The candidate's full maximum-likelihood LR: the case with ``profile`` as the candidate
    and the person of interest (:func:`run_continuous_case`)."""
    case = tables.case
    name = tables.candidate
    profiles = {**case.profiles, name: profile.with_specimen_id(name)}
    with_candidate = dataclasses.replace(case, profiles=profiles,
                                         spec=case.spec.model_copy(update={"poi": name}))
    return run_continuous_case(with_candidate, tables.table, max_combinations=max_combinations)


def refit_hits(tables: ContinuousRankTables, hits: Sequence[ContinuousHit],
               profiles: Sequence[Profile], *, refit: int = DEFAULT_REFIT,
               max_combinations: int | None = None) -> list[ContinuousHit]:
    """Refit the first ``refit`` hits (``profiles[i]`` is ``hits[i]``'s profile) and re-order
    them by the refitted LR (ties: fixed order); the rest follow in their fixed order."""
    if refit < 0:
        raise SearchError(f"refit = {refit}: a number of candidates",
                          remedy="give --refit 0 or more")
    if len(profiles) != len(hits):
        raise SearchError(f"{len(profiles)} profiles for {len(hits)} hits")
    done = [dataclasses.replace(h, refit=refit_candidate(tables, p,
                                                         max_combinations=max_combinations))
            for h, p in zip(hits[:refit], profiles[:refit], strict=True)]
    logs = [h.refit.log10_lr if h.refit is not None else -math.inf for h in done]
    order = sorted(range(len(done)), key=lambda i: (-logs[i], i))
    return [done[i] for i in order] + list(hits[refit:])
