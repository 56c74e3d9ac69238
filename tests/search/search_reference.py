"""The slow, obviously correct matcher: pure Python over Profile objects.

Checked against the kernels by the tests. Per locus, with ``same(a, b)`` the allele
equivalence: the query's alleles are all in the candidate's when each has a ``same`` allele
there, and vice versa; both ways is a match, one way partial, any shared allele 'shared'.
"""

from __future__ import annotations

from collections.abc import Sequence

from locard.genetics.alleles import Allele
from locard.genetics.profiles import Profile
from locard.search.encoding import Comparison, Equivalence, equivalent

PASSES = {
    "high": {Comparison.MATCH},
    "moderate": {Comparison.MATCH, Comparison.PARTIAL},
    "low": {Comparison.MATCH, Comparison.PARTIAL, Comparison.SHARED},
}


def compare_locus(query: Sequence[Allele], db: Sequence[Allele], eq: Equivalence) -> Comparison:
    query_in_db = all(any(equivalent(q, d, eq) for d in db) for q in query)
    db_in_query = all(any(equivalent(d, q, eq) for q in query) for d in db)
    if query_in_db and db_in_query:
        return Comparison.MATCH
    if query_in_db or db_in_query:
        return Comparison.PARTIAL
    if any(equivalent(q, d, eq) for q in query for d in db):
        return Comparison.SHARED
    return Comparison.MISMATCH


def compare(query: Profile, db: Profile, loci: Sequence[str], eq: Equivalence
            ) -> dict[str, Comparison]:
    out = {}
    for locus in loci:
        qc = query.loci.get(locus)
        if qc is None or qc.inconclusive or not qc.alleles or qc.off_ladder:
            continue  # untyped, or an off-ladder peak: kept out of matching
        dc = db.loci.get(locus)
        if dc is None or dc.inconclusive or not dc.alleles or dc.off_ladder:
            out[locus] = Comparison.NOT_COMPARED
        else:
            out[locus] = compare_locus(qc.alleles, dc.alleles, eq)
    return out


def naive_search(query: Profile, db: Sequence[tuple[int, Profile]], loci: Sequence[str], *,
                 stringency: str, min_loci: int, mismatches: int,
                 eq: Equivalence | None = None) -> dict[int, dict[str, Comparison]]:
    eq = eq or Equivalence()
    hits = {}
    for key, profile in db:
        per = compare(query, profile, loci, eq)
        compared = [c for c in per.values() if c is not Comparison.NOT_COMPARED]
        failing = [c for c in compared if c not in PASSES[stringency]]
        if len(compared) >= min_loci and len(failing) <= mismatches:
            hits[key] = per
    return hits


def naive_mixture_search(mixture: Profile, db: Sequence[tuple[int, Profile]],
                         loci: Sequence[str], *, max_dropout_loci: int, min_loci: int,
                         eq: Equivalence | None = None) -> dict[int, int]:
    """key -> included loci, for single-source profiles included in the mixture."""
    eq = eq or Equivalence()
    hits = {}
    for key, profile in db:
        if profile.is_mixture:
            continue
        per = compare(mixture, profile, loci, eq)
        compared = included = 0
        for locus, c in per.items():
            if c is Comparison.NOT_COMPARED:
                continue
            compared += 1
            db_alleles = profile.loci[locus].alleles
            qa = mixture.loci[locus].alleles
            if all(any(equivalent(d, q, eq) for q in qa) for d in db_alleles):
                included += 1
        if compared >= min_loci and compared - included <= max_dropout_loci:
            hits[key] = included
    return hits
