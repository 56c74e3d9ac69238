"""Synthetic populations: single-source profiles, families, degraded traces and mixtures.

Pure numerics on a :class:`~locard.stats.frequencies.FrequencyTable`. Genotypes are drawn per
locus under Hardy-Weinberg and linkage equilibrium (each allele independently from the table's
frequencies, renormalised over the alleles listed), vectorised with a seeded
:class:`numpy.random.Generator`, so the same seed gives the same population.

Genotypes come back *encoded*: ``codes[i, l, :]`` holds two allele codes of person ``i`` at locus
``l``, sorted (``codes[..., 0] <= codes[..., 1]``); code ``k >= 1`` names
``model.alleles[l][k - 1]`` and code 0 means "not typed" (locus drop-out). A homozygote is
``(a, a)``; a heterozygote that lost one allele by allele drop-out also reads ``(a, a)``, as it
does on an electropherogram. :meth:`SimulationModel.decode` turns codes into
:class:`~locard.genetics.profiles.Profile` objects (for small N).

Sampling uses a 65,536-entry inverse-CDF lookup table per locus (frequencies quantised to
1/65,536, about 1.5e-5: far below the 1/2N resolution of any population sample), which draws
a million 20-locus genotypes in about a second.

Families follow Mendelian transmission: each child receives one allele drawn at random from
each parent; with probability ``mutation_rate`` per transmitted allele the allele steps one
repeat up or down (single-step stepwise mutation model; the step goes to the allele one repeat
away when the table lists it, else to the neighbouring allele of the table).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from locard.errors import InvalidParameter, StatisticsError
from locard.genetics.alleles import Allele, AlleleKind
from locard.genetics.kits import Kit, ladder_range
from locard.genetics.loci import CODIS_CORE_20, canonical_locus
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable

__all__ = [
    "Codes",
    "Family",
    "SimulationModel",
    "degrade",
    "mixture_profile",
    "simulate_codes",
    "simulate_families",
    "simulate_profiles",
]

Codes = npt.NDArray[np.uint8]
_LUT_BITS = 16
_LUT_SIZE = 1 << _LUT_BITS


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _check_probability(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0 or value != value:
        raise InvalidParameter(name, value, expected="a probability in [0, 1]")


@dataclass(frozen=True, slots=True)
class SimulationModel:
    """The loci, allele lists and sampling tables of one frequency table.

    ``alleles[l]`` lists the alleles of locus ``loci[l]`` in allele order (code ``k`` is
    ``alleles[l][k - 1]``); ``probabilities[l]`` their renormalised frequencies; ``lut[l]`` the
    inverse-CDF table (uint8 codes, 65,536 entries); ``step_up``/``step_down`` the code reached
    by a one-repeat mutation (index = code, entry 0 unused).
    """

    table_name: str
    loci: tuple[str, ...]
    alleles: tuple[tuple[Allele, ...], ...]
    probabilities: tuple[npt.NDArray[np.float64], ...]
    lut: npt.NDArray[np.uint8]
    step_up: npt.NDArray[np.uint8]
    step_down: npt.NDArray[np.uint8]

    @classmethod
    def from_table(cls, table: FrequencyTable, loci: Sequence[str] | None = None, *,
                   kit: Kit | None = None) -> SimulationModel:
        """Model over ``loci`` (default: the CODIS 20 core loci the table has). With ``kit``,
        only the alleles inside the kit's ladder range at each locus are drawn (their
        frequencies renormalised): the profiles that kit types without off-ladder calls."""
        wanted = ([canonical_locus(x) for x in loci] if loci is not None
                  else [x for x in CODIS_CORE_20 if table.has_locus(x)])
        if not wanted:
            raise StatisticsError(f"{table.name}: no loci to simulate")
        n_loci = len(wanted)
        lut = np.zeros((n_loci, _LUT_SIZE), dtype=np.uint8)
        up = np.zeros((n_loci, 256), dtype=np.uint8)
        down = np.zeros((n_loci, 256), dtype=np.uint8)
        alleles_out: list[tuple[Allele, ...]] = []
        probs_out: list[npt.NDArray[np.float64]] = []
        for li, locus in enumerate(wanted):
            per = table.frequencies.get(locus)
            if not per:
                raise StatisticsError(f"{table.name} has no frequencies for {locus}",
                                      remedy="choose loci the table covers")
            span = ladder_range(locus, kit) if kit is not None else None
            items = sorted((a, f) for a, f in per.items()
                           if f > 0 and a.kind is AlleleKind.REPEAT
                           and (span is None or (a.number is not None
                                                 and span[0] <= a.number <= span[1])))
            if not items:
                raise StatisticsError(f"{table.name}: {locus}: no repeat alleles to draw")
            if len(items) > 255:
                raise StatisticsError(f"{table.name}: {locus}: more than 255 alleles")
            alleles = tuple(a for a, _ in items)
            p = np.array([f for _, f in items], dtype=np.float64)
            p /= p.sum()
            edges = np.rint(np.cumsum(p) * _LUT_SIZE).astype(np.int64)
            edges[-1] = _LUT_SIZE
            starts = np.concatenate(([0], edges[:-1]))
            for k in range(len(alleles)):
                lut[li, starts[k]:edges[k]] = k + 1
            index = {(a.repeats, a.variant): k + 1 for k, a in enumerate(alleles)}
            for k, a in enumerate(alleles):
                code = k + 1
                up[li, code] = index.get((a.repeats + 1, a.variant), min(code + 1, len(alleles)))
                down[li, code] = index.get((a.repeats - 1, a.variant), max(code - 1, 1))
            alleles_out.append(alleles)
            probs_out.append(p)
        return cls(table.name, tuple(wanted), tuple(alleles_out), tuple(probs_out), lut, up,
                   down)

    @property
    def n_loci(self) -> int:
        """The number of loci simulated."""
        return len(self.loci)

    def decode(self, codes: Codes, *, specimen_ids: Sequence[str] | None = None,
               prefix: str = "SIM") -> list[Profile]:
        """Profiles from codes ``[n, n_loci, 2]`` (code 0: locus left out)."""
        arr = np.asarray(codes)
        if arr.ndim != 3 or arr.shape[1] != self.n_loci:
            raise StatisticsError(f"codes of shape {arr.shape} do not fit {self.n_loci} loci")
        out: list[Profile] = []
        rows = arr.tolist()
        for i, row in enumerate(rows):
            loci: dict[str, list[Allele]] = {}
            for li, slots in enumerate(row):
                alleles = [self.alleles[li][c - 1] for c in slots if c]
                if alleles:
                    loci[self.loci[li]] = alleles
            sid = specimen_ids[i] if specimen_ids is not None else f"{prefix}{i + 1:07d}"
            out.append(Profile.from_mapping(loci, specimen_id=sid))
        return out


def _draw(model: SimulationModel, rng: np.random.Generator, n: int, locus_major: bool) -> Codes:
    shape = (model.n_loci, n, 2) if locus_major else (n, model.n_loci, 2)
    out = np.empty(shape, dtype=np.uint8)
    for li in range(model.n_loci):
        r = rng.integers(0, _LUT_SIZE, size=(n, 2), dtype=np.uint16)
        drawn = model.lut[li][r]
        lo = np.minimum(drawn[:, 0], drawn[:, 1])
        hi = np.maximum(drawn[:, 0], drawn[:, 1])
        if locus_major:
            out[li, :, 0] = lo
            out[li, :, 1] = hi
        else:
            out[:, li, 0] = lo
            out[:, li, 1] = hi
    return out


def simulate_codes(model: SimulationModel, n: int, *,
                   seed: int | np.random.Generator | None = None,
                   locus_major: bool = False) -> Codes:
    """Encoded genotypes of ``n`` unrelated people: uint8 ``[n, n_loci, 2]`` (or
    ``[n_loci, n, 2]`` with ``locus_major``, the layout of the search index), sorted per locus."""
    if n < 0:
        raise InvalidParameter("n", n, expected="n >= 0")
    return _draw(model, _rng(seed), int(n), locus_major)


def simulate_profiles(table: FrequencyTable, n: int, *, loci: Sequence[str] | None = None,
                      seed: int | np.random.Generator | None = None,
                      prefix: str = "SIM") -> list[Profile]:
    """``n`` unrelated single-source profiles as Profile objects (for small n)."""
    model = SimulationModel.from_table(table, loci)
    return model.decode(simulate_codes(model, n, seed=seed), prefix=prefix)


@dataclass(frozen=True, slots=True)
class Family:
    """Encoded nuclear families: ``fathers``/``mothers`` ``[f, n_loci, 2]``, ``children``
    ``[f, c, n_loci, 2]``; the children of one family are full siblings."""

    fathers: Codes
    mothers: Codes
    children: Codes


def _transmit(model: SimulationModel, parent: Codes, rng: np.random.Generator,
              mutation_rate: float) -> Codes:
    """One allele per locus from each parent row ``[..., n_loci, 2]`` -> ``[..., n_loci]``."""
    pick = rng.integers(0, 2, size=parent.shape[:-1], dtype=np.int64)
    allele = np.take_along_axis(parent, pick[..., None], axis=-1)[..., 0]
    if mutation_rate > 0:
        mutate = rng.random(allele.shape) < mutation_rate
        if mutate.any():
            where = np.nonzero(mutate)
            direction = rng.integers(0, 2, size=len(where[0]))
            li = where[-1]
            old = allele[where]
            allele[where] = np.where(direction == 1, model.step_up[li, old],
                                     model.step_down[li, old])
    return allele


def simulate_families(model: SimulationModel, n_families: int, *, children: int = 2,
                      mutation_rate: float = 0.002,
                      seed: int | np.random.Generator | None = None) -> Family:
    """``n_families`` nuclear families with ``children`` full siblings each (Mendelian
    transmission, single-step mutation with probability ``mutation_rate`` per allele)."""
    _check_probability("mutation_rate", mutation_rate)
    if n_families < 0 or children < 0:
        raise InvalidParameter("n_families/children", (n_families, children),
                               expected="non-negative counts")
    rng = _rng(seed)
    fathers = _draw(model, rng, n_families, False)
    mothers = _draw(model, rng, n_families, False)
    shape = (n_families, children, model.n_loci, 2)
    kids = np.empty(shape, dtype=np.uint8)
    for c in range(children):
        a = _transmit(model, fathers, rng, mutation_rate)
        b = _transmit(model, mothers, rng, mutation_rate)
        kids[:, c, :, 0] = np.minimum(a, b)
        kids[:, c, :, 1] = np.maximum(a, b)
    return Family(fathers, mothers, kids)


def degrade(codes: Codes, *, locus_dropout: float = 0.0, allele_dropout: float = 0.0,
            seed: int | np.random.Generator | None = None) -> Codes:
    """A partial trace of each profile: each locus is lost with probability ``locus_dropout``
    (codes (0, 0)); each allele of a surviving heterozygote drops with ``allele_dropout``
    (at most one per locus: the locus then reads as the remaining allele, (a, a)).

    Works on ``[..., n_loci, 2]`` codes; the input is not modified."""
    _check_probability("locus_dropout", locus_dropout)
    _check_probability("allele_dropout", allele_dropout)
    rng = _rng(seed)
    out = np.array(codes, dtype=np.uint8, copy=True)
    lo, hi = out[..., 0], out[..., 1]
    het = lo != hi
    drop_lo = het & (rng.random(lo.shape) < allele_dropout)
    drop_hi = het & ~drop_lo & (rng.random(lo.shape) < allele_dropout)
    lo_new = np.where(drop_lo, hi, lo)
    hi_new = np.where(drop_hi, lo, hi)
    lost = rng.random(lo.shape) < locus_dropout
    out[..., 0] = np.where(lost, 0, lo_new)
    out[..., 1] = np.where(lost, 0, hi_new)
    return out


def mixture_profile(model: SimulationModel, members: Codes, *, specimen_id: str | None = None,
                    allele_dropout: float = 0.0,
                    seed: int | np.random.Generator | None = None) -> Profile:
    """The mixture of 2-4 contributors ``members`` (``[k, n_loci, 2]``): per locus the union of
    their alleles; each allele of the union drops out with ``allele_dropout`` (a locus that
    loses every allele is left out)."""
    arr = np.asarray(members, dtype=np.uint8)
    if arr.ndim != 3 or arr.shape[1:] != (model.n_loci, 2):
        raise StatisticsError(f"members of shape {arr.shape} do not fit {model.n_loci} loci")
    if not 1 <= arr.shape[0] <= 4:
        raise InvalidParameter("contributors", arr.shape[0], expected="1 to 4 members")
    _check_probability("allele_dropout", allele_dropout)
    rng = _rng(seed)
    loci: dict[str, list[Allele]] = {}
    for li, locus in enumerate(model.loci):
        codes = sorted({int(c) for c in arr[:, li, :].ravel() if c})
        if allele_dropout > 0:
            codes = [c for c in codes if rng.random() >= allele_dropout]
        if codes:
            loci[locus] = [model.alleles[li][c - 1] for c in codes]
    return Profile.from_mapping(loci, specimen_id=specimen_id)
