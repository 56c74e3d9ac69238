"""The statistic of a match: the candidate's RMP over the compared loci only (issue 10, item 1),
one quantity under one name (``rmp``) in the database, with its migration."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa

from locard.genetics import CODIS_CORE_13, Profile
from locard.stats.match import genotype_probability
from locard.store import SCHEMA_VERSION, Store
from locard.store import schema as S
from locard.store.policy import load_rarity_tables
from locard.store.searching import enable_search_on_entry, search_store
from locard.store.statistics import NOT_COMPARED, compared_loci, match_rmp, profile_rmp

from .conftest import full_profile

EXTRA = {"Penta D": ["9", "12"], "Penta E": ["7", "14"], "SE33": ["19", "27.2"]}


def _offender(seed: int) -> Profile:
    """20 CODIS core loci, three more autosomal STRs and Amelogenin (23 STR loci)."""
    loci = {k: [str(a) for a in c.alleles] for k, c in full_profile(seed).loci.items()}
    return Profile.from_mapping({**loci, **EXTRA})


def _naive_rmp(store: Store, profile: Profile, loci: list[str]) -> float:
    """NRC II 4.10 by hand over ``loci``, the largest over the policy's tables."""
    values = []
    for table in load_rarity_tables(store.policy.rarity_tables):
        prob = 1.0
        for locus in loci:
            freqs = [table.frequency(locus, a).value for a in profile.loci[locus].alleles]
            prob *= genotype_probability(*freqs, theta=store.policy.theta)
        values.append(prob)
    return max(values)


def test_partial_trace_rmp_is_over_the_compared_loci(store: Store, index_dir: object) -> None:
    offender = _offender(3)
    store.add_profile(offender, specimen_id="CO-3", category="Convicted Offender",
                      legal_basis="conviction", actor="admin")
    assert enable_search_on_entry(store, actor="admin", purpose="ENTRY") is not None
    trace = offender.restrict(list(CODIS_CORE_13[:12]))  # a 12-locus partial trace
    store.add_profile(trace, specimen_id="F-12", category="Forensic, Unknown", actor="admin")
    [m] = store.list_matches(actor="admin")
    assert (m.query_specimen, m.candidate_specimen, m.compared_loci) == ("F-12", "CO-3", 12)

    stat = match_rmp(store.policy, trace, offender)
    assert stat is not None and stat.statistic == "RMP"
    assert set(stat.loci) == set(CODIS_CORE_13[:12]) == set(compared_loci(trace, offender))
    # the number search on entry stored is the number the match detail computes
    assert m.rmp == stat.rmp
    assert math.prod(stat.per_locus.values()) == pytest.approx(stat.rmp, rel=1e-12)
    assert stat.rmp == pytest.approx(_naive_rmp(store, offender, list(CODIS_CORE_13[:12])),
                                     rel=1e-12)
    # the loci the trace never typed carry no genotype probability
    untyped = set(offender.str_loci) - set(CODIS_CORE_13[:12])
    assert len(untyped) == 11 and not untyped & set(stat.per_locus)
    assert all(stat.excluded[k] == NOT_COMPARED for k in untyped)
    # ... and the defect: over all 23 loci of the reference the RMP is far smaller
    everything = profile_rmp(store.policy, offender)
    assert everything is not None and len(everything.per_locus) == 23
    assert everything.rmp < stat.rmp * 1e-6
    # a search with the trace reports the same number
    report = search_store(store, "F-12", actor="admin", purpose="CASE-12")
    [hit] = [h for h in report.candidates if h.specimen_id == "CO-3"]
    assert hit.rmp == m.rmp and hit.to_dict()["rmp"] == m.rmp


def test_specimen_rmp_is_the_probability(store: Store) -> None:
    """``rmp`` on a specimen is the RMP (a probability), not 1/RMP."""
    offender = _offender(5)
    store.add_profile(offender, specimen_id="CO-5", category="Convicted Offender",
                      legal_basis="conviction", actor="admin")
    trace = offender.restrict(list(CODIS_CORE_13))
    store.add_profile(trace, specimen_id="F-5", category="Forensic, Unknown", actor="admin")
    view = store.get_specimen("F-5", actor="admin", purpose="CASE-5")
    assert view.rmp is not None and 0 < view.rmp < 1e-7
    assert view.rmp == pytest.approx(_naive_rmp(store, trace, list(CODIS_CORE_13)), rel=1e-12)
    assert view.to_dict()["rmp"] == view.rmp and "match_rarity" not in view.to_dict()


def test_migration_0004_renames_match_rarity_to_rmp(db_url: str) -> None:
    """A database at schema 3 kept 1/RMP in ``specimens.match_rarity`` and the RMP in
    ``candidate_matches.match_rarity``; after the migration both hold the RMP as ``rmp``."""
    with Store.init(db_url, admin="admin", lab="LAB-A") as s:
        for i, sid in enumerate(("CO-1", "F-1", "F-2", "F-3")):
            s.add_profile(_offender(i) if sid.startswith("CO") else
                          _offender(i).restrict(list(CODIS_CORE_13)), specimen_id=sid,
                          category="Convicted Offender" if sid.startswith("CO")
                          else "Forensic, Unknown", legal_basis="conviction"
                          if sid.startswith("CO") else None, actor="admin")
        mid = s.record_candidate_match(query=("LAB-A", "F-1"), candidate=("LAB-A", "CO-1"),
                                       mode="direct", stringency="moderate",
                                       compared_loci=13, mismatches=0, rmp=None,
                                       actor="admin", purpose="CASE-1")
    # make it a schema-3 database: the old column name and the old meaning
    old = Store.open(db_url)
    with old.db.write() as conn:
        for table in ("specimens", "candidate_matches"):
            conn.execute(sa.text(f"ALTER TABLE {table} RENAME COLUMN rmp TO match_rarity"))
        for sid, value in (("CO-1", 4e20), ("F-1", math.inf), ("F-2", None), ("F-3", 0.0)):
            conn.execute(sa.text("UPDATE specimens SET match_rarity = :v "
                                 "WHERE specimen_id = :s"), {"v": value, "s": sid})
        conn.execute(sa.text("UPDATE candidate_matches SET match_rarity = 2.5e-13 "
                             "WHERE id = :m"), {"m": mid})
        conn.execute(S.schema_migrations.delete().where(S.schema_migrations.c.version > 3))
        Store.set_meta(conn, "schema_version", "3")
    old.close()
    assert "0004_rmp_name" in Store.migrate(db_url, actor="admin")
    with Store.open(db_url) as s:
        assert s.schema_version() == SCHEMA_VERSION
        with s.db.read() as conn:
            got = dict(conn.execute(sa.select(S.specimens.c.specimen_id,
                                              S.specimens.c.rmp)).all())
            cm = conn.execute(sa.select(S.candidate_matches.c.rmp)).scalar_one()
        assert got["CO-1"] == pytest.approx(2.5e-21, rel=1e-12)
        assert got["F-1"] == 0.0  # 1 in infinity: RMP 0
        assert got["F-2"] is None and got["F-3"] is None  # none, and a meaningless 0
        assert cm == pytest.approx(2.5e-13, rel=1e-12)
        [m] = s.list_matches(actor="admin")
        assert m.rmp == cm
        s.verify_audit()


def test_migration_0004_on_a_fresh_database_is_a_no_op(db_url: str) -> None:
    with Store.init(db_url, admin="admin") as s, s.db.read() as conn:
        for table in ("specimens", "candidate_matches"):
            assert S.has_column(conn, table, "rmp")
            assert not S.has_column(conn, table, "match_rarity")
