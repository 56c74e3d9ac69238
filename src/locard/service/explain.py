"""What a match statistic means, in the words the match page and the PDF report both use.

One source for the explanation so that the page and the report cannot drift apart: what the
random match probability (RMP) is, over which loci it was computed, the likelihood ratio
LR = 1/RMP and its two hypotheses, and the verbal equivalent of the LR on the ENFSI scale:

    ENFSI Guideline for Evaluative Reporting in Forensic Science (European Network of
    Forensic Science Institutes, 2015), section 2.4 and table "verbal equivalents":
    LR 1 no support; 2-10 weak; 10-100 moderate; 100-1,000 moderately strong;
    1,000-10,000 strong; 10,000-1,000,000 very strong; above 1,000,000 extremely strong
    support for the first proposition over the alternative.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["ENFSI_CITATION", "VERBAL_SCALE", "explanation", "scale_rows", "verbal_equivalent"]

ENFSI_CITATION = ("ENFSI Guideline for Evaluative Reporting in Forensic Science "
                  "(European Network of Forensic Science Institutes, 2015), verbal equivalents")

#: (lower bound of the LR, inclusive; upper bound, exclusive; words), smallest first
VERBAL_SCALE: tuple[tuple[float, float, str], ...] = (
    (1.0, 2.0, "no support for either proposition"),
    (2.0, 10.0, "weak support"),
    (10.0, 100.0, "moderate support"),
    (100.0, 1_000.0, "moderately strong support"),
    (1_000.0, 10_000.0, "strong support"),
    (10_000.0, 1_000_000.0, "very strong support"),
    (1_000_000.0, math.inf, "extremely strong support"),
)

_RANGES = ("1 - 2", "2 - 10", "10 - 100", "100 - 1,000", "1,000 - 10,000", "10,000 - 1,000,000",
           "above 1,000,000")


def verbal_equivalent(lr: float | None) -> str | None:
    """The ENFSI (2015) words for a likelihood ratio of at least 1 (an infinite LR, from an
    RMP of 0, is "extremely strong support"); None for no LR or an LR below 1, which supports
    the alternative and is reported as its reciprocal, never on this scale."""
    if lr is None or math.isnan(lr) or lr < 1.0:
        return None
    for low, high, words in VERBAL_SCALE:
        if low <= lr < high:
            return words
    return VERBAL_SCALE[-1][2]


def scale_rows() -> list[tuple[str, str]]:
    """The verbal scale as (LR range, words) rows for a table."""
    return [(r, words) for r, (_lo, _hi, words) in zip(_RANGES, VERBAL_SCALE, strict=True)]


def explanation(stats: dict[str, Any], *, query: str, candidate: str,
                mismatches: int = 0) -> dict[str, Any]:
    """The explanation of a match's statistic (``ops.match_statistics``' dict): plain-text
    sentences (``what``, ``hypotheses``, ``scale``), the LR's verbal equivalent (``verbal``,
    None for a CPI or an LR below 1) and the scale's rows."""
    loci = list(stats.get("loci") or [])
    n = len(loci)
    populations = ", ".join(str(k) for k in stats.get("populations") or {}) or "-"
    if stats.get("statistic") == "CPI":
        what = (f"The combined probability of inclusion (CPI) is the probability that a "
                f"person chosen at random from the population would be included as a "
                f"possible contributor to the mixture {candidate}, over the {n} compared "
                f"loci ({', '.join(loci)}). It uses only the alleles observed, not their peak "
                f"heights, and is not a likelihood ratio.")
        return {"what": what, "hypotheses": None, "verbal": None, "scale": None,
                "rows": scale_rows(), "citation": ENFSI_CITATION}
    what = (f"The random match probability (RMP) is the probability that a person chosen at "
            f"random from the population, unrelated to the donor, would have the genotype of "
            f"{candidate} at the {n} loci compared with {query} ({', '.join(loci)}); loci "
            f"typed in only one of the two profiles are not compared and do not enter it. "
            f"Computed with {stats.get('formula')} (theta = {stats.get('theta')}), the most "
            f"conservative (largest) value of the populations {populations}.")
    hypotheses = ("Likelihood ratio LR = 1/RMP, comparing two propositions: Hp, the candidate "
                  f"{candidate} is the source of {query}; Hd, an unrelated person chosen at "
                  "random is the source. The genotypes agree, so the evidence is certain under "
                  "Hp and has the probability RMP under Hd. A close relative of the candidate "
                  "is far more likely to share the genotype than the RMP says.")
    if mismatches:
        hypotheses += (f" The profiles differ at {mismatches} compared locus or loci: 1/RMP "
                       "overstates the LR unless each difference is explained (a typing "
                       "error, a mutation, a drop-out), which the reviewer must state.")
    lr = stats.get("lr")
    verbal = verbal_equivalent(float(lr)) if lr is not None else None
    scale = (f"On the ENFSI (2015) verbal scale an LR of this size gives {verbal} for Hp over "
             "Hd." if verbal else None)
    return {"what": what, "hypotheses": hypotheses, "verbal": verbal, "scale": scale,
            "rows": scale_rows(), "citation": ENFSI_CITATION}
