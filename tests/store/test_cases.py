"""Missing-person cases in the store: the pedigree kept once, typed from the relatives index,
identified by case reference; expungement really unlinks; every step audited."""

from __future__ import annotations

import math
from typing import Any

import pytest
import sqlalchemy as sa

from locard.errors import (
    InputError,
    NotFound,
    PedigreeError,
    PermissionDenied,
    PolicyViolation,
    SearchError,
)
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship import Pedigree
from locard.store import Store
from locard.store import schema as S
from locard.store.cases import add_case, get_case, list_cases, parse_case_pedigree, remove_case
from locard.store.identify import identify, identify_case

from .conftest import child_of, full_profile

pytestmark = pytest.mark.usefixtures("index_dir")


@pytest.fixture
def table(nist_all: FrequencyTable) -> FrequencyTable:
    return nist_all


def case_file(**extra: Any) -> dict[str, Any]:
    return {"missing": "MP", "individuals": [
        {"id": "FA", "sex": "male", "specimen": "REL-FA"},
        {"id": "MO", "sex": "female", "specimen": "REL-MO"},
        {"id": "MP", "father": "FA", "mother": "MO", "sex": "male", **extra}]}


@pytest.fixture
def family(store: Store) -> Store:
    """Father and mother stored as relatives (consent); their child among the remains; the
    same genotype in the forensic index, which a case must never reach."""
    father, mother = full_profile(40), full_profile(41)
    store.add_profile(father, specimen_id="REL-FA", category="Biological Father",
                      legal_basis="consent", consent="C-FA", actor="admin")
    store.add_profile(mother, specimen_id="REL-MO", category="Biological Mother",
                      legal_basis="consent", consent="C-MO", actor="admin")
    for seed in range(1, 4):
        store.add_profile(full_profile(seed), specimen_id=f"UHR-{seed}",
                          category="Unidentified Person", actor="admin")
    store.add_profile(child_of(father, mother), specimen_id="UHR-7",
                      category="Unidentified Person", actor="admin")
    store.add_profile(child_of(father, mother), specimen_id="F-7",
                      category="Forensic, Unknown", actor="admin")
    return store


def _add(store: Store, ref: str = "MP-2026-1", **kw: Any) -> None:
    pedigree, members = parse_case_pedigree(case_file())
    add_case(store, ref, pedigree, kw.pop("members", members), actor=kw.pop("actor", "admin"),
             purpose="registration", **kw)


def _n_cases(store: Store) -> tuple[int, int]:
    with store.db.read() as conn:
        return (int(conn.execute(sa.select(sa.func.count()).select_from(S.mp_cases)).scalar_one()),
                int(conn.execute(sa.select(sa.func.count())
                                 .select_from(S.case_members)).scalar_one()))


# --- the case file ---------------------------------------------------------------------------


def test_parse_case_pedigree_links_members() -> None:
    pedigree, members = parse_case_pedigree(case_file())
    assert members == {"FA": "REL-FA", "MO": "REL-MO"}
    assert pedigree.missing == "MP" and pedigree.typed == ()


def test_parse_case_pedigree_refuses_inline_profiles() -> None:
    data = case_file()
    data["individuals"][0]["profile"] = {"loci": {"TH01": ["6", "7"]}}
    with pytest.raises(InputError, match=r"'FA'.*does not hold profiles"):
        parse_case_pedigree(data)


@pytest.mark.parametrize("bad", [7, "", "  "])
def test_parse_case_pedigree_refuses_bad_specimen(bad: object) -> None:
    data = case_file()
    data["individuals"][1]["specimen"] = bad
    with pytest.raises(InputError, match=r"'MO'.*specimen ID"):
        parse_case_pedigree(data)


def test_parse_case_pedigree_validates_the_pedigree() -> None:
    data = case_file()
    data["individuals"][2]["mother"] = "NOBODY"
    with pytest.raises(PedigreeError, match="NOBODY"):
        parse_case_pedigree(data)


# --- add, read, list, remove --------------------------------------------------------------------


def test_case_round_trip(family: Store) -> None:
    _add(family)
    case = get_case(family, "MP-2026-1", actor="admin", purpose="review")
    assert case.members == {"FA": "REL-FA", "MO": "REL-MO"}
    assert set(case.pedigree.typed) == {"FA", "MO"} and case.missing == "MP"
    stored = family.get_specimen("REL-FA", actor="admin").profile
    assert stored is not None
    assert case.pedigree.individual("FA").profile == stored
    out = case.to_dict()
    assert out["typed"] == ["FA", "MO"] and out["created_by"] == "admin"
    fa = out["individuals"][0]
    assert fa["specimen"] == "REL-FA" and fa["profile_digest"] == stored.genotype_digest()
    assert "profile" not in fa  # the case view shows links and digests, never genotypes
    [summary] = list_cases(family, actor="admin")
    assert (summary.case_ref, summary.missing, summary.individuals, summary.typed) == \
        ("MP-2026-1", "MP", 3, 2)
    actions = [e.action for e in family.audit_entries(actor="admin")]
    assert {"case_add", "case_view", "case_list"} <= set(actions)
    add = [e for e in family.audit_entries(actor="admin", action="case_add")][-1]
    assert add.details["members"] == {"FA": family.specimen_ref("LAB-A", "REL-FA"),
                                      "MO": family.specimen_ref("LAB-A", "REL-MO")}
    assert "REL-FA" not in str(add.details)  # salted references, not specimen IDs
    family.verify_audit()


def test_remove_case_keeps_the_relatives(family: Store) -> None:
    _add(family)
    with pytest.raises(InputError, match="reason"):
        remove_case(family, "MP-2026-1", actor="admin", reason=" ")
    remove_case(family, "MP-2026-1", actor="admin", reason="identified, family informed")
    assert _n_cases(family) == (0, 0)
    assert family.get_specimen("REL-FA", actor="admin").profile is not None
    with pytest.raises(NotFound, match="MP-2026-1"):
        get_case(family, "MP-2026-1", actor="admin")
    with pytest.raises(NotFound):
        remove_case(family, "MP-2026-1", actor="admin", reason="again")


@pytest.mark.parametrize(("members", "error", "match"), [
    ({}, InputError, "no member is linked"),
    ({"XX": "REL-FA"}, InputError, "member 'XX' is not in the pedigree"),
    ({"MP": "REL-FA"}, InputError, "'MP' is the missing person"),
    ({"FA": "REL-FA", "MO": "REL-FA"}, InputError, "'REL-FA' is linked to both"),
    ({"FA": "REL-NONE"}, NotFound, "no specimen 'REL-NONE'"),
    ({"FA": "F-7"}, PolicyViolation, "'F-7' is in the forensic index"),
    ({"FA": "UHR-7"}, PolicyViolation, "unidentified human remains index"),
])
def test_add_case_refusals_write_nothing(family: Store, members: dict[str, str],
                                         error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        _add(family, members=members)
    assert _n_cases(family) == (0, 0)


def test_linking_another_index_is_audited(family: Store) -> None:
    with pytest.raises(PolicyViolation):
        _add(family, members={"FA": "F-7"})
    [refused] = family.audit_entries(actor="admin", action="case_refused")
    assert refused.details["case_ref"] == "MP-2026-1"
    assert "forensic" in refused.details["refused"]


def test_member_labels_are_codes_not_names(family: Store) -> None:
    data = case_file()
    data["individuals"][0]["id"] = "John Smith"
    data["individuals"][2]["father"] = "John Smith"
    pedigree, members = parse_case_pedigree(data)
    with pytest.raises(InputError, match=r"'John Smith'.*role or a code"):
        add_case(family, "MP-2026-1", pedigree, members, actor="admin")


def test_add_case_refuses_a_typed_pedigree(family: Store) -> None:
    pedigree = Pedigree.from_dict({"missing": "MP", "individuals": [
        {"id": "FA", "sex": "male", "profile": {"loci": {"TH01": ["6", "7"]}}},
        {"id": "MO", "sex": "female"}, {"id": "MP", "father": "FA", "mother": "MO"}]})
    with pytest.raises(InputError, match="carries profiles for FA"):
        add_case(family, "C-1", pedigree, {"MO": "REL-MO"}, actor="admin")


def test_duplicate_case_reference(family: Store) -> None:
    _add(family)
    with pytest.raises(InputError, match="already exists"):
        _add(family)
    assert _n_cases(family) == (1, 2)


def test_roles_and_labs(family: Store) -> None:
    family.add_user("rita", role="reviewer", actor="admin")
    family.add_user("bob", role="analyst", lab="LAB-B", actor="admin")
    with pytest.raises(PermissionDenied, match="may not case"):
        _add(family, actor="rita")
    _add(family)
    assert get_case(family, "MP-2026-1", actor="rita").members  # reviewers may read
    with pytest.raises(NotFound, match="lab 'LAB-B'"):
        get_case(family, "MP-2026-1", actor="bob")  # another lab's case does not exist for bob
    assert list_cases(family, actor="bob") == []
    # bob cannot link LAB-A's relatives into a case of his own
    with pytest.raises(NotFound, match="REL-FA"):
        _add(family, actor="bob")


# --- expungement ---------------------------------------------------------------------------------


def test_expunging_a_relative_unlinks_it(family: Store) -> None:
    _add(family)
    family.expunge("REL-FA", reason="court order", actor="admin")
    case = get_case(family, "MP-2026-1", actor="admin")
    assert case.members == {"MO": "REL-MO"} and case.pedigree.typed == ("MO",)
    assert _n_cases(family) == (1, 1)
    with family.db.read() as conn:
        assert "REL-FA" not in str(conn.execute(sa.select(S.mp_cases)).all())


def test_withdrawn_consents_leave_the_case_untyped(family: Store, table: FrequencyTable) -> None:
    _add(family)
    assert family.withdraw_consent("C-FA", actor="admin") == 1
    assert family.withdraw_consent("C-MO", actor="admin") == 1
    assert get_case(family, "MP-2026-1", actor="admin").members == {}
    with pytest.raises(SearchError, match="no relative's reference is stored"):
        identify_case(family, "MP-2026-1", table=table, actor="admin", purpose="MP-2026-1")


# --- identification by case reference ---------------------------------------------------------


def test_identify_by_case_reference(family: Store, table: FrequencyTable) -> None:
    _add(family)
    report = identify_case(family, "MP-2026-1", table=table, actor="admin",
                           purpose="MP-2026-1", top=3)
    first = report.candidates[0]
    assert (first.rank, first.specimen_id, first.index) == (1, "UHR-7", "unidentified")
    assert first.per_locus is not None and len(first.per_locus) == 20
    assert math.isclose(math.prod(first.per_locus.values()), first.lr, rel_tol=1e-9)
    assert "F-7" not in {c.specimen_id for c in report.candidates}
    assert report.provenance["parameters"]["case_ref"] == "MP-2026-1"
    # the same numbers as the inline pedigree path with the same profiles
    case = get_case(family, "MP-2026-1", actor="admin")
    inline = identify(family, case.pedigree, table=table, actor="admin", purpose="MP-2026-1",
                      top=3)
    assert [(c.specimen_id, c.lr) for c in inline.candidates] == \
        [(c.specimen_id, c.lr) for c in report.candidates]
    views = [e for e in family.audit_entries(actor="admin", action="case_view")
             if e.purpose == "MP-2026-1"]
    assert views and views[0].details["found"] is True


def test_identify_case_needs_a_purpose_before_reading(family: Store,
                                                      table: FrequencyTable) -> None:
    _add(family)
    with pytest.raises(PolicyViolation, match="purpose"):
        identify_case(family, "MP-2026-1", table=table, actor="admin", purpose=" ")
    assert not family.audit_entries(actor="admin", action="case_view")


def test_identify_unknown_case(family: Store, table: FrequencyTable) -> None:
    with pytest.raises(NotFound, match="no missing-person case 'NOPE'"):
        identify_case(family, "NOPE", table=table, actor="admin", purpose="P-1")
    [view] = family.audit_entries(actor="admin", action="case_view")
    assert view.details["found"] is False


def test_concurrent_duplicate_reference_is_an_input_error(family: Store,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Two sessions registering one reference at once: the unique constraint decides and
    the loser gets the same clear error as a plain duplicate (simulated: the pre-check is
    skipped, as if the other insert landed between check and insert)."""
    import locard.store.cases as cases

    _add(family)
    monkeypatch.setattr(cases, "_case_row", lambda conn, lab_id, ref: None)
    with pytest.raises(InputError, match="already exists"):
        _add(family)
    assert _n_cases(family) == (1, 2)
