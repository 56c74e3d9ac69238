"""Off-ladder (OL) peaks are kept out of matching (issue 11, item 7): a locus that carries an OL
peak, in the query or in the candidate, is not compared, and the match statistic leaves it out."""

from __future__ import annotations

from locard.genetics.profiles import Profile
from locard.search import Comparison, ProfileIndex
from locard.store.policy import default_policy
from locard.store.statistics import compared_loci, match_rmp

LOCI = ("D3S1358", "vWA", "FGA", "D8S1179", "D21S11", "TH01")
BASE = {"D3S1358": ["15", "16"], "vWA": ["17", "18"], "FGA": ["21", "22"],
        "D8S1179": ["12", "13"], "D21S11": ["28", "29"], "TH01": ["6", "9.3"]}


def _index(*profiles: Profile) -> ProfileIndex:
    return ProfileIndex.build(list(enumerate(profiles, start=1)), loci=LOCI)


def test_an_ol_peak_in_the_candidate_matches_nothing() -> None:
    # the candidate's vWA is 'OL, OL': before, an OL matched any allele, so vWA counted as a
    # match with the query's 17/18
    candidate = Profile.from_mapping(dict(BASE, vWA=["OL", "OL"]), specimen_id="C1")
    query = Profile.from_mapping(BASE)
    hits = _index(candidate).search(query, stringency="high", min_loci=5, mismatches=0)
    assert [h.specimen_id for h in hits] == ["C1"]
    assert hits[0].loci["vWA"] is Comparison.NOT_COMPARED
    assert hits[0].compared_loci == 5


def test_an_ol_peak_in_the_query_is_not_compared() -> None:
    candidate = Profile.from_mapping(BASE, specimen_id="C1")
    query = Profile.from_mapping(dict(BASE, FGA=["21", "OL"]))
    (hit,) = _index(candidate).search(query, stringency="high", min_loci=5, mismatches=0)
    # a query locus that is not compared is left out of the comparison, like an untyped one
    assert hit.loci.get("FGA", Comparison.NOT_COMPARED) is Comparison.NOT_COMPARED
    assert hit.compared_loci == 5


def test_the_match_statistic_leaves_ol_loci_out() -> None:
    candidate = Profile.from_mapping(dict(BASE, TH01=["6", "OL"]), specimen_id="C1")
    query = Profile.from_mapping(BASE)
    assert "TH01" not in compared_loci(query, candidate, loci=LOCI)
    stat = match_rmp(default_policy(), query, candidate)
    assert stat is not None and "TH01" not in stat.per_locus
