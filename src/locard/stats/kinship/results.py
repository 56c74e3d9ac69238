"""Kinship likelihood ratios you can take apart: the total beside its per-locus values.

A :class:`KinshipLR` is the product of its per-locus values (forrel's ``LRresult``); every locus
that was asked for (or typed) but not used is listed in ``excluded`` with the reason, never
silently dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from locard.genetics.alleles import Allele

__all__ = ["KinshipLR", "LocusKinshipLR"]


@dataclass(frozen=True, slots=True)
class LocusKinshipLR:
    """One locus of a kinship LR.

    ``lr = hp_likelihood / hd_likelihood``: the probability of the genotypes under the stated
    relationship and under the alternative (unrelated). ``genotypes`` maps each person to the
    alleles used; ``frequencies`` the allele frequencies that entered the computation.
    """

    locus: str
    lr: float
    hp_likelihood: float
    hd_likelihood: float
    genotypes: dict[str, tuple[Allele, ...]]
    frequencies: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """The locus's LR as a JSON-ready dict: LR, both likelihoods, genotypes and frequencies."""
        return {
            "lr": self.lr,
            "hp_likelihood": self.hp_likelihood,
            "hd_likelihood": self.hd_likelihood,
            "genotypes": {k: [str(a) for a in v] for k, v in self.genotypes.items()},
            "frequencies": dict(self.frequencies),
        }


@dataclass(frozen=True, slots=True)
class KinshipLR:
    """A kinship likelihood ratio: ``lr`` is the product of ``per_locus[...].lr``.

    ``hypotheses`` states Hp and Hd in words; ``excluded`` maps each unused locus to the
    reason; ``provenance`` records what the number was computed from; ``renormalised`` maps each
    locus whose frequencies were divided by their total (an allele absent from the table given
    the floor) to the reason (:mod:`locard.stats.kinship.universe`).
    """

    lr: float
    per_locus: dict[str, LocusKinshipLR]
    excluded: dict[str, str]
    hypotheses: dict[str, str]
    provenance: dict[str, Any] = field(repr=False)
    renormalised: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def per_locus_lr(self) -> dict[str, float]:
        """``{locus: LR}`` for the loci that entered the product."""
        return {k: v.lr for k, v in self.per_locus.items()}

    @property
    def log10_lr(self) -> float:
        """log10 of the LR (-inf for an exclusion, LR = 0)."""
        return -math.inf if self.lr == 0 else math.log10(self.lr)

    def __repr__(self) -> str:
        return (f"KinshipLR(lr={self.lr:.4g}, loci={len(self.per_locus)}, "
                f"excluded={len(self.excluded)})")

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form: LR, log10 LR, per-locus LRs with detail, excluded loci,
        provenance."""
        return {
            "lr": self.lr,
            "log10_lr": self.log10_lr,
            "per_locus": self.per_locus_lr,
            "per_locus_detail": {k: v.to_dict() for k, v in self.per_locus.items()},
            "excluded_loci": dict(self.excluded),
            "renormalised_loci": dict(self.renormalised),
            "hypotheses": dict(self.hypotheses),
            "provenance": self.provenance,
        }
