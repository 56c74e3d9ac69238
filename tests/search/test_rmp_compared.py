"""A search candidate's ``rmp`` is over the compared loci only (issue 10, item 1): a partial
query does not lend the candidate's untyped loci a genotype probability."""

from __future__ import annotations

import math

from tests.fixtures import random_profiles

from locard.genetics.loci import CODIS_CORE_20
from locard.genetics.profiles import Profile
from locard.search import ProfileIndex
from locard.stats.match import genotype_probability
from locard.tables.bundled import get_bundled_table


def test_candidate_rmp_is_over_the_compared_loci() -> None:
    table = get_bundled_table("NIST1036:Cauc")
    (sid, geno), = random_profiles(1, seed=5, prefix="CO-")
    reference = Profile.from_mapping(geno, specimen_id=sid)
    index = ProfileIndex.build([(1, reference)], table=table)
    typed = list(CODIS_CORE_20[:10])
    [cand] = index.search(reference.restrict(typed), min_loci=8)
    assert cand.compared_loci == 10
    by_hand = math.prod(
        genotype_probability(*[table.frequency(k, a).value for a in reference.loci[k].alleles])
        for k in typed)
    assert cand.rmp is not None
    assert math.isclose(cand.rmp, by_hand, rel_tol=1e-12)
    everything = math.prod(
        genotype_probability(*[table.frequency(k, a).value for a in reference.loci[k].alleles])
        for k in CODIS_CORE_20)
    assert everything < cand.rmp * 1e-4
