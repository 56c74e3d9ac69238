"""Pairwise kinship likelihood ratios from IBD coefficients (kappa).

Two people are related by ``kappa = (k0, k1, k2)``: the probabilities that at a locus they share
0, 1 or 2 alleles identical by descent (IBD) (Thompson 1975, Ann Hum Genet 39:173; Weir,
Anderson & Hepler 2006, Nat Rev Genet 7:771). Per locus, with genotypes G1 and G2,

    LR = P(G1, G2 | kappa) / P(G1, G2 | unrelated) = k0 + k1 * P1 / P0 + k2 * P2 / P0,
    Pi = P(G2 | G1, i alleles IBD)

and the total LR is the product over loci (independent loci, no linkage).

The IBD-state probabilities use the Balding-Nichols sampling formula (Balding & Nichols 1994,
Forensic Sci Int 64:125; Balding & Nichols 1995, Genetica 96:3), as Familias and forrel do: the
alleles of the two people that are not IBD are drawn one at a time from a subpopulation with
coancestry theta, the chance that the next allele is A after ``m`` alleles of which ``n_A`` were A
being ``(n_A theta + (1 - theta) p_A) / (1 + (m - 1) theta)``. Given G1 = {a, b},

- IBD 0: G2's two alleles are the 3rd and 4th draws;
- IBD 1: one allele of G2 is a copy of a or b (1/2 each), the other is the 3rd draw;
- IBD 2: G2 = G1 (probability 1 if the genotypes are equal, else 0).

With theta = 0 these reduce to the textbook formulas: parent-child A/A, A/A gives 1/p_A; full
siblings A/A, A/A give (1 + p_A)^2 / (4 p_A^2). Frequencies are those of
:func:`~locard.stats.kinship.universe.locus_universe`, as the pedigree LRs use them: the table's
values as listed; an allele absent from the table gets the floor (``min_frequency``, default
the table's 5/2N; 0: the table as given, such an allele refused) and its locus is renormalised
and listed in :attr:`KinshipLR.renormalised`. No mutation model is applied here; use a pedigree
(:mod:`locard.stats.kinship.pedigree`) for parent-child tests that must allow mutation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from locard.errors import InvalidParameter, StatisticsError
from locard.genetics.loci import LOCI, LocusKind, canonical_locus, locus_sort_key
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship.results import KinshipLR, LocusKinshipLR
from locard.stats.kinship.universe import check_min_frequency, locus_universe
from locard.stats.provenance import make_provenance

__all__ = [
    "RELATIONSHIPS",
    "Kappa",
    "check_theta",
    "ibd_probabilities",
    "kinship_lr",
    "resolve_relationship",
    "sampling_probability",
]

_KAPPA_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class Kappa:
    """IBD coefficients (k0, k1, k2): P(the pair shares 0, 1, 2 alleles IBD at a locus).

    Validated on construction: each in [0, 1] and k0 + k1 + k2 = 1 (within 1e-9). Not every
    valid kappa is a pedigree relationship (for non-inbred pairs, k1^2 >= 4 k0 k2; Thompson 1975).
    """

    k0: float
    k1: float
    k2: float

    def __post_init__(self) -> None:
        for name, value in (("k0", self.k0), ("k1", self.k1), ("k2", self.k2)):
            if not isinstance(value, (int, float)) or math.isnan(value) or not 0 <= value <= 1:
                raise InvalidParameter(f"kappa {name}", value, expected="a number in [0, 1]")
        total = self.k0 + self.k1 + self.k2
        if abs(total - 1.0) > _KAPPA_TOLERANCE:
            raise InvalidParameter("kappa", (self.k0, self.k1, self.k2),
                                   expected=f"k0 + k1 + k2 = 1 (these sum to {total:.12g})")

    def as_tuple(self) -> tuple[float, float, float]:
        """``(k0, k1, k2)``: the probabilities of sharing 0, 1 and 2 alleles IBD."""
        return (self.k0, self.k1, self.k2)


RELATIONSHIPS: dict[str, Kappa] = {
    "parent-child": Kappa(0.0, 1.0, 0.0),
    "full-siblings": Kappa(0.25, 0.5, 0.25),
    "half-siblings": Kappa(0.5, 0.5, 0.0),
    "grandparent-grandchild": Kappa(0.5, 0.5, 0.0),
    "avuncular": Kappa(0.5, 0.5, 0.0),
    "first-cousins": Kappa(0.75, 0.25, 0.0),
    "unrelated": Kappa(1.0, 0.0, 0.0),
    "identical": Kappa(0.0, 0.0, 1.0),
}
"""Named relationships and their kappa (Thompson 1975; Weir, Anderson & Hepler 2006, Table 1)."""

_NAME_RE = re.compile(r"[\s_]+")


def resolve_relationship(relationship: str | Kappa | Sequence[float]) -> tuple[str, Kappa]:
    """A relationship name ('full siblings', 'FULL_SIBLINGS' and 'full-siblings' are one),
    a :class:`Kappa`, or a (k0, k1, k2) triple -> (name, kappa)."""
    if isinstance(relationship, Kappa):
        return (f"kappa=({relationship.k0:g}, {relationship.k1:g}, {relationship.k2:g})",
                relationship)
    if isinstance(relationship, str):
        key = _NAME_RE.sub("-", relationship.strip().lower())
        found = RELATIONSHIPS.get(key)
        if found is None:
            raise InvalidParameter("relationship", relationship,
                                   expected="one of " + ", ".join(RELATIONSHIPS) + ", or a Kappa")
        return key, found
    values = tuple(relationship)
    if len(values) != 3:
        raise InvalidParameter("kappa", values, expected="three numbers (k0, k1, k2)")
    return resolve_relationship(Kappa(float(values[0]), float(values[1]), float(values[2])))


def check_theta(theta: float) -> None:
    """Refuse a coancestry outside [0, 1) (:class:`InvalidParameter` naming it)."""
    if not isinstance(theta, (int, float)) or math.isnan(theta) or not 0.0 <= theta < 1.0:
        raise InvalidParameter("theta", theta, expected="0 <= theta < 1 (typically 0-0.03)")


def sampling_probability(alleles: Sequence[str], frequencies: Mapping[str, float], *,
                         theta: float, given: Sequence[str] = ()) -> float:
    """Probability of drawing ``alleles`` in this order after ``given`` were drawn, by the
    Balding-Nichols sampling formula (Balding & Nichols 1994; NRC II 1996, eq. 4.10):
    ``P(next = A) = (n_A theta + (1 - theta) p_A) / (1 + (m - 1) theta)`` after m alleles of which
    n_A were A (for m = 0 this is p_A).

    With theta = 0.01 and p_A = 0.3, P(A, A) = p_A(theta + (1 - theta) p_A) = 0.0921, and
    P(A, A | A, A) is the NRC II eq. 4.10a conditional match probability.
    """
    check_theta(theta)
    counts: dict[str, int] = {}
    for a in given:
        counts[a] = counts.get(a, 0) + 1
    m = len(given)
    prob = 1.0
    for a in alleles:
        prob *= (counts.get(a, 0) * theta + (1 - theta) * frequencies[a]) / (1 + (m - 1) * theta)
        counts[a] = counts.get(a, 0) + 1
        m += 1
    return prob


def _genotype_probability(g: tuple[str, ...], freqs: Mapping[str, float], *, theta: float,
                          given: Sequence[str] = ()) -> float:
    """Unordered genotype (1 allele: homozygote) drawn after ``given``: 2x the ordered
    probability for a heterozygote."""
    if len(g) == 1:
        return sampling_probability((g[0], g[0]), freqs, theta=theta, given=given)
    return 2.0 * sampling_probability(g, freqs, theta=theta, given=given)


def ibd_probabilities(g1: Sequence[str], g2: Sequence[str], frequencies: Mapping[str, float], *,
                      theta: float = 0.0) -> tuple[float, float, float, float]:
    """``(P(G1), P(G2 | G1, IBD 0), P(G2 | G1, IBD 1), P(G2 | G1, IBD 2))`` for unordered
    genotypes given as their distinct alleles (one allele: a homozygote).

    IBD 0: G2 drawn after G1's two alleles; IBD 1: one allele of G2 a copy of one of G1's two
    alleles (1/2 each), the other drawn after G1's two; IBD 2: [G2 = G1].
    """
    check_theta(theta)
    a1 = tuple(sorted(set(g1)))
    a2 = tuple(sorted(set(g2)))
    if not 1 <= len(a1) <= 2 or not 1 <= len(a2) <= 2:
        raise StatisticsError("a genotype needs one or two distinct alleles",
                              remedy="kinship statistics are for single-source profiles")
    first = (a1[0], a1[0]) if len(a1) == 1 else a1
    p_g1 = _genotype_probability(a1, frequencies, theta=theta)
    p0 = _genotype_probability(a2, frequencies, theta=theta, given=first)
    # IBD 1: ordered (shared, new): shared is G1's allele copy (1/2 per slot), new is drawn.
    p1 = 0.0
    targets = [(a2[0], a2[0])] if len(a2) == 1 else [(a2[0], a2[1]), (a2[1], a2[0])]
    for shared, new in targets:
        copies = sum(1 for x in first if x == shared)
        if copies:
            p1 += 0.5 * copies * sampling_probability((new,), frequencies, theta=theta,
                                                      given=first)
    p2 = 1.0 if a1 == a2 else 0.0
    return p_g1, p0, p1, p2


def _exclusion_reason(profiles: Sequence[Profile], locus: str,
                      table: FrequencyTable) -> str | None:
    info = LOCI[locus]
    if info.kind is not LocusKind.AUTOSOMAL_STR:
        return f"not an autosomal STR ({info.kind.value})"
    for i, profile in enumerate(profiles):
        who = profile.specimen_id or f"profile {i + 1}"
        call = profile.loci.get(locus)
        if call is None:
            return f"not typed in {who}"
        if call.inconclusive:
            return f"inconclusive call in {who}"
    if not table.has_locus(locus):
        return f"no frequencies in table {table.name}"
    return None


def kinship_lr(
    profile_a: Profile,
    profile_b: Profile,
    relationship: str | Kappa | Sequence[float],
    table: FrequencyTable,
    *,
    theta: float = 0.0,
    loci: Iterable[str] | None = None,
    min_frequency: float | None = None,
) -> KinshipLR:
    """LR that two single-source profiles are related as ``relationship`` versus unrelated.

    ``relationship`` is a name of :data:`RELATIONSHIPS` ('parent-child', 'full-siblings',
    'half-siblings', 'grandparent-grandchild', 'avuncular', 'first-cousins', 'unrelated',
    'identical'), a :class:`Kappa`, or a (k0, k1, k2) triple. Per locus
    ``LR = k0 + k1 P1/P0 + k2 P2/P0`` (see the module docstring), the total the product.
    ``theta`` (default 0, as Familias' default) applies the Balding-Nichols sampling formula.
    ``min_frequency``: the frequency of an allele absent from the table (module docstring).

    Loci of either profile (or of ``loci``) missing from the other profile or from the table,
    inconclusive, or not autosomal STRs are listed in ``excluded`` with the reason. A locus with
    more than two alleles in either profile raises :class:`StatisticsError` (a mixture).
    """
    check_theta(theta)
    min_frequency = check_min_frequency(min_frequency)
    name, kappa = resolve_relationship(relationship)
    if loci is not None:
        wanted = [canonical_locus(x) for x in loci]
    else:
        wanted = sorted(set(profile_a.loci) | set(profile_b.loci), key=locus_sort_key)
    id_a = profile_a.specimen_id or "A"
    id_b = profile_b.specimen_id or "B"
    if id_a == id_b:
        id_a, id_b = f"{id_a} (1)", f"{id_b} (2)"
    per_locus: dict[str, LocusKinshipLR] = {}
    excluded: dict[str, str] = {}
    renormalised: dict[str, str] = {}
    for locus in dict.fromkeys(wanted):
        reason = _exclusion_reason((profile_a, profile_b), locus, table)
        if reason is not None:
            excluded[locus] = reason
            continue
        g1 = profile_a.loci[locus].alleles
        g2 = profile_b.loci[locus].alleles
        for who, g in ((id_a, g1), (id_b, g2)):
            if len(g) > 2:
                raise StatisticsError(
                    f"{locus}: {who} has {len(g)} alleles, so the profile is a mixture",
                    remedy="kinship statistics are for single-source profiles")
        universe = locus_universe(table, locus, typed_alleles=(*g1, *g2),
                                  min_frequency=min_frequency)
        if universe.renormalised is not None:
            renormalised[locus] = universe.renormalised
        freqs = {str(a): float(universe.frequencies[universe.index[str(a)]])
                 for a in (*g1, *g2)}
        p_g1, p0, p1, p2 = ibd_probabilities([str(a) for a in g1], [str(a) for a in g2], freqs,
                                             theta=theta)
        hd = p_g1 * p0
        hp = p_g1 * (kappa.k0 * p0 + kappa.k1 * p1 + kappa.k2 * p2)
        lr = kappa.k0 + (kappa.k1 * p1 + kappa.k2 * p2) / p0
        per_locus[locus] = LocusKinshipLR(locus, lr, hp, hd, {id_a: g1, id_b: g2}, freqs)
    if loci is not None:
        for locus in (*profile_a.loci, *profile_b.loci):
            if locus not in per_locus and locus not in excluded:
                excluded[locus] = "not in the requested locus set"
    total = math.prod(v.lr for v in per_locus.values())
    provenance = make_provenance(
        "kinship_lr",
        parameters={"relationship": name, "kappa": list(kappa.as_tuple()), "theta": theta,
                    "loci": list(per_locus),
                    "min_frequency": (min_frequency if min_frequency is not None
                                      else table.min_frequency),
                    "mutation": None},
        tables=table,
        specimen_ids=[profile_a.specimen_id, profile_b.specimen_id],
    )
    hypotheses = {"hp": f"{id_a} and {id_b} are related as {name}",
                  "hd": f"{id_a} and {id_b} are unrelated"}
    return KinshipLR(total, per_locus, excluded, hypotheses, provenance, renormalised)
