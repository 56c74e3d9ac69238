"""identify: kinship ranking of missing persons and unidentified remains, and nothing else."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from locard.errors import PolicyViolation
from locard.genetics import CODIS_CORE_20, Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship import Pedigree
from locard.store import Store
from locard.store.identify import identify

from .conftest import child_of, full_profile

pytestmark = pytest.mark.usefixtures("index_dir")


@pytest.fixture
def table(nist_all: FrequencyTable) -> FrequencyTable:
    return nist_all


def pedigree_dict(father: Profile, mother: Profile) -> dict[str, Any]:
    def loci(p: Profile) -> dict[str, list[str]]:
        return {k: [str(a) for a in p.loci[k].alleles] for k in CODIS_CORE_20}

    return {"missing": "MP",
            "individuals": [
                {"id": "FA", "sex": "male", "profile": {"loci": loci(father)}},
                {"id": "MO", "sex": "female", "profile": {"loci": loci(mother)}},
                {"id": "MP", "father": "FA", "mother": "MO", "sex": "male"}]}


@pytest.fixture
def planted(store: Store) -> Iterator[tuple[Store, Pedigree]]:
    father, mother = full_profile(40), full_profile(41)
    child = child_of(father, mother)
    store.add_user("bob", role="analyst", lab="LAB-B", actor="admin")
    for seed in range(1, 5):
        store.add_profile(full_profile(seed), specimen_id=f"UHR-{seed}",
                          category="Unidentified Person", actor="admin")
        store.add_profile(full_profile(seed + 10), specimen_id=f"MP-{seed}",
                          category="Missing Person", legal_basis="casework", actor="admin")
    store.add_profile(child, specimen_id="UHR-7", category="Unidentified Person", actor="admin")
    # the same genotype in the forensic and offender indices must never be touched
    store.add_profile(child, specimen_id="F-7", category="Forensic, Unknown", actor="admin")
    store.add_profile(child, specimen_id="CO-7", category="Convicted Offender",
                      legal_basis="conviction", actor="admin")
    store.add_profile(full_profile(42), specimen_id="B-UHR-1", category="Unidentified Person",
                      actor="bob")
    yield store, Pedigree.from_dict(pedigree_dict(father, mother))


def test_planted_missing_person_ranked_first(planted: tuple[Store, Pedigree],
                                             table: FrequencyTable) -> None:
    store, pedigree = planted
    report = identify(store, pedigree, table=table, actor="admin", purpose="MP-CASE-1", top=5)
    first = report.candidates[0]
    assert (first.specimen_id, first.index, first.rank) == ("UHR-7", "unidentified", 1)
    assert first.lr > 1e6 and first.per_locus is not None
    assert math.isclose(math.prod(first.per_locus.values()), first.lr, rel_tol=1e-9)
    assert len(first.per_locus) == 20
    assert report.candidates[1].lr < first.lr / 1e3
    assert {c.index for c in report.candidates} <= {"missing_person", "unidentified"}
    assert not {c.specimen_id for c in report.candidates} & {"F-7", "CO-7"}
    assert set(report.targets) == {"missing_person", "unidentified"}
    assert report.profiles_ranked == {"missing_person": 4, "unidentified": 6}
    prov = report.provenance
    assert prov["computation"] == "identify" and prov["frequency_table"]["sha256"]
    father = prov["parameters"]["pedigree"]["individuals"][0]
    assert "profile" not in father and father["profile_digest"]  # digests, not genotypes
    audited = [e for e in store.audit_entries(actor="admin", action="search")
               if e.purpose == "MP-CASE-1"]
    assert {(e.details["query_index"], e.details["target_index"], e.details["mode"])
            for e in audited} == {("relative", "missing_person", "kinship"),
                                  ("relative", "unidentified", "kinship")}


def test_other_labs_candidate_is_restricted(planted: tuple[Store, Pedigree],
                                            table: FrequencyTable) -> None:
    store, pedigree = planted
    report = identify(store, pedigree, table=table, actor="admin", purpose="MP-CASE-2",
                      top=20)
    [other] = [c for c in report.candidates if c.lab == "LAB-B"]
    assert other.restricted and other.per_locus is None
    assert set(other.to_dict()) == {"rank", "lab", "specimen_id", "index", "lr", "log10_lr",
                                    "restricted"}


@pytest.mark.parametrize("target", ["forensic", "offender", "arrestee", "relative"])
def test_identify_refuses_any_other_index(planted: tuple[Store, Pedigree],
                                          table: FrequencyTable, target: str) -> None:
    store, pedigree = planted
    with pytest.raises(PolicyViolation):
        identify(store, pedigree, table=table, actor="admin", purpose="MP-CASE-3",
                 indices=["unidentified", target])
    refused = store.audit_entries(actor="admin", action="search_refused")
    assert refused[-1].details == {"query_index": "relative", "target_index": target,
                                   "mode": "kinship", "refused": refused[-1].details["refused"]}
    assert not [e for e in store.audit_entries(actor="admin", action="search")
                if e.purpose == "MP-CASE-3"]


def test_identify_needs_a_purpose(planted: tuple[Store, Pedigree],
                                  table: FrequencyTable) -> None:
    store, pedigree = planted
    with pytest.raises(PolicyViolation, match="purpose"):
        identify(store, pedigree, table=table, actor="admin", purpose=None)


def test_identify_records_the_rates_and_floor_it_used(planted: tuple[Store, Pedigree],
                                                      table: FrequencyTable) -> None:
    """Issue 16: the mutation rate tables (name, SHA-256) and min_frequency are in the
    provenance, and the ranked LR equals the direct missing-person LR (1e-9 relative)."""
    from dataclasses import asdict

    from locard.formats.mutation_rates import bundled_mutation_rates
    from locard.stats.kinship import missing_person_lr, rates_from_rows

    store, pedigree = planted
    rates = bundled_mutation_rates()
    assert rates.default_rate is not None
    spec = rates_from_rows("stepwise", {k: asdict(v) for k, v in rates.rates.items()},
                           default_rate=rates.default_rate,
                           table={"name": rates.name, "sha256": rates.sha256})
    report = identify(store, pedigree, table=table, actor="admin", purpose="MP-CASE-2", top=1,
                      mutation=spec, min_frequency=0.001)
    params = report.provenance["parameters"]
    assert params["mutation_rates"] == [{"name": rates.name, "sha256": rates.sha256}]
    assert params["min_frequency"] == 0.001
    assert params["mutation"]["D1S1656"]["rate_source"] == "pooled default"
    first = report.candidates[0]
    assert first.specimen_id == "UHR-7"
    child = child_of(full_profile(40), full_profile(41))  # as planted
    direct = missing_person_lr(pedigree, child, table, mutation=spec, min_frequency=0.001)
    assert first.lr == pytest.approx(direct.lr, rel=1e-9)


def test_identify_with_theta(planted: tuple[Store, Pedigree], table: FrequencyTable) -> None:
    """Issue 16 item 4: theta reaches the genotype LR tables of the ranking (the candidate's
    alleles in the Balding-Nichols draw under Hd); the ranked LR equals the direct
    missing-person LR with the same theta (1e-9 relative) and is recorded in the provenance."""
    from locard.stats.kinship import missing_person_lr

    store, pedigree = planted
    report = identify(store, pedigree, table=table, actor="admin", purpose="MP-CASE-4", top=1,
                      theta=0.01)
    assert report.provenance["parameters"]["theta"] == 0.01
    first = report.candidates[0]
    assert first.specimen_id == "UHR-7"
    child = child_of(full_profile(40), full_profile(41))  # as planted
    direct = missing_person_lr(pedigree, child, table, theta=0.01)
    assert first.lr == pytest.approx(direct.lr, rel=1e-9)
    plain = missing_person_lr(pedigree, child, table)
    assert direct.lr != pytest.approx(plain.lr, rel=1e-3)
