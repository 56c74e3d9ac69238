"""Daily imports (issue 11, items 2-4): a mixed file in one pass on each category's default
legal basis, consent references per record (CSV column, side file), the export -> import round
trip, records received from another lab (explicit, audited, owned by the importer), and the
offender duplicate check with its defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.fixtures import random_profiles, write_raw_cmf

from locard.errors import ImportFailed, InputError, PolicyViolation
from locard.genetics import CODIS_CORE_13
from locard.store import SCHEMA_VERSION, Store
from locard.store import schema as S
from locard.store.policy import default_policy, policy_from_text
from locard.store.selfcheck import self_check

LAB = "LAB-A"


def _mixed(path: Path, *, source_lab: str = LAB) -> Path:
    """Offenders, an arrestee, traces, a 'Legal' offender and remains: one CMF file."""
    people = list(random_profiles(8, seed=3, prefix="P"))
    entries = [(f"CO-{i}", "Convicted Offender", g) for i, (_, g) in enumerate(people[:3])]
    entries.append(("AR-1", "Arrestee", people[3][1]))
    entries.append(("LG-1", "Legal", people[4][1]))
    core13 = {k: v for k, v in people[5][1].items() if k in CODIS_CORE_13}
    entries.append(("F-1", "Forensic, Unknown", core13))
    entries.append(("UHR-1", "Unidentified Person", people[6][1]))
    write_raw_cmf(path, entries, source_lab=source_lab)
    return path


def _bases(store: Store) -> dict[str, tuple[str, str]]:
    with store.db.read() as conn:
        rows = conn.execute(sa.select(S.specimens.c.specimen_id, S.specimens.c.idx,
                                      S.specimens.c.legal_basis)).all()
    return {r.specimen_id: (r.idx, r.legal_basis) for r in rows}


def test_policy_maps_every_category_to_a_default_basis() -> None:
    policy = default_policy()
    assert policy.default_legal_basis("Convicted Offender") == "conviction"
    assert policy.default_legal_basis("Legal") == "court-order"
    assert policy.default_legal_basis("Arrestee") == "arrest"
    assert policy.default_legal_basis("Forensic, Unknown") == "casework"
    assert policy.default_legal_basis("Biological Mother") == "consent"
    # a category's default must be one of its index's legal bases
    text = Path(__file__).parents[2].joinpath("src/locard/data/policy.toml").read_text()
    legal = '"Legal" = "court-order"\n'
    assert legal in text
    with pytest.raises(InputError, match="'casework' is not among"):
        policy_from_text(text.replace(legal, '"Convicted Offender" = "casework"\n'))
    with pytest.raises(InputError, match="unknown specimen category"):
        policy_from_text(text.replace(legal, '"Crime Thing" = "casework"\n'))


def test_mixed_file_imports_in_one_pass(store: Store, tmp_path: Path) -> None:
    rep = store.import_file(_mixed(tmp_path / "mixed.xml"), actor="admin")
    assert rep.imported == 7 and not rep.problems
    assert _bases(store) == {
        "CO-0": ("offender", "conviction"), "CO-1": ("offender", "conviction"),
        "CO-2": ("offender", "conviction"), "AR-1": ("arrestee", "arrest"),
        "LG-1": ("offender", "court-order"), "F-1": ("forensic", "casework"),
        "UHR-1": ("unidentified", "casework")}


def test_explicit_basis_still_applies_to_every_record(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as err:
        store.import_file(_mixed(tmp_path / "mixed.xml"), legal_basis="conviction",
                          actor="admin")
    assert "without --legal-basis" in str(err.value)


def _csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    people = dict(random_profiles(len(rows), seed=11, prefix="R"))
    loci = list(next(iter(people.values())))
    lines = ["specimenId,specimenCategory,consent," + ",".join(f"{k}_1,{k}_2" for k in loci)]
    for (sid, cat, consent), geno in zip(rows, people.values(), strict=True):
        cells = [",".join((g + g)[:2]) for g in (geno[k] for k in loci)]
        lines.append(f"{sid},{cat},{consent}," + ",".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_consent_per_record_from_csv_column(store: Store, tmp_path: Path) -> None:
    f = _csv(tmp_path / "refs.csv", [("CO-1", "Convicted Offender", ""),
                                     ("RM-1", "Biological Mother", "C-1"),
                                     ("RF-1", "Biological Father", "C-2")])
    rep = store.import_file(f, actor="admin")
    assert dict(rep.accepted) == {"offender": 1, "relative": 2}
    assert store.get_specimen("RM-1", actor="admin").consent == "C-1"
    assert store.get_specimen("RF-1", actor="admin").consent == "C-2"
    assert store.get_specimen("CO-1", actor="admin").consent is None
    assert store.withdraw_consent("C-1", actor="admin") == 1
    assert store.get_specimen("RF-1", actor="admin").consent == "C-2"


def test_consent_missing_for_one_record_names_the_ways(store: Store, tmp_path: Path) -> None:
    f = _csv(tmp_path / "refs.csv", [("RM-1", "Biological Mother", "C-1"),
                                     ("RF-1", "Biological Father", "")])
    with pytest.raises(ImportFailed) as err:
        store.import_file(f, actor="admin")
    text = str(err.value)
    assert "'RF-1'" in text and "--consent-file" in text and "'RM-1'" not in text


def test_consent_side_file_mapping(store: Store, tmp_path: Path) -> None:
    f = _csv(tmp_path / "refs.csv", [("RM-1", "Biological Mother", ""),
                                     ("RF-1", "Biological Father", "C-9")])
    store.import_file(f, consents={"RM-1": "C-8"}, actor="admin")
    assert store.get_specimen("RM-1", actor="admin").consent == "C-8"
    assert store.get_specimen("RF-1", actor="admin").consent == "C-9"


def test_round_trip_export_import(store: Store, tmp_path: Path) -> None:
    store.import_file(_mixed(tmp_path / "mixed.xml"), actor="admin")
    out = tmp_path / "export.xml"
    assert store.export(out, actor="admin").count == 7
    with Store.init(tmp_path / "fresh.db", admin="admin", lab=LAB) as fresh:
        rep = fresh.import_file(out, actor="admin")
        assert rep.imported == 7
        assert _bases(fresh) == _bases(store)


def test_refusal_of_another_labs_file_says_what_to_run(store: Store, tmp_path: Path) -> None:
    f = _mixed(tmp_path / "from-b.xml", source_lab="LAB-B")
    with pytest.raises(ImportFailed) as err:
        store.import_file(f, actor="admin")
    assert f"run: locard import {f} --received-from LAB-B" in str(err.value)


def test_received_from_another_lab(store: Store, tmp_path: Path) -> None:
    f = _mixed(tmp_path / "from-b.xml", source_lab="LAB-B")
    with pytest.raises(ImportFailed, match="not 'LAB-C'"):
        store.import_file(f, received_from="LAB-C", actor="admin")
    rep = store.import_file(f, received_from="LAB-B", actor="admin", purpose="exchange")
    assert rep.imported == 7 and rep.lab == LAB
    view = store.get_specimen("CO-0", actor="admin")  # the importer owns and sees it
    assert view.lab == LAB and not view.restricted and view.source_lab == "LAB-B"
    assert view.to_dict()["source_lab"] == "LAB-B"
    entry = [e for e in store.audit_entries(actor="admin", action="import")][-1]
    assert entry.details["received_from"] == "LAB-B" and entry.details["imported"] == 7
    out = tmp_path / "out.xml"
    assert store.export(out, actor="admin").count == 7
    keys = list(store.iter_genotypes(actor="admin", purpose="check"))
    assert len(keys) == 7


def test_own_records_have_no_source_lab(store: Store, tmp_path: Path) -> None:
    store.import_file(_mixed(tmp_path / "mixed.xml"), actor="admin")
    view = store.get_specimen("CO-0", actor="admin")
    assert view.source_lab is None


def test_received_from_refuses_own_lab(store: Store, tmp_path: Path) -> None:
    with pytest.raises(PolicyViolation, match="your own lab"):
        store.import_file(_mixed(tmp_path / "m.xml"), received_from=LAB, actor="admin")


def test_migration_0009_adds_source_lab(db_url: str) -> None:
    with Store.init(db_url, admin="admin", lab=LAB):
        pass
    old = Store.open(db_url)
    with old.db.write() as conn:
        conn.execute(sa.text("ALTER TABLE specimens DROP COLUMN source_lab"))
        conn.execute(S.schema_migrations.delete().where(S.schema_migrations.c.version > 8))
        Store.set_meta(conn, "schema_version", "8")
    old.close()
    assert Store.migrate(db_url, actor="admin")[:1] == ["0009_specimen_source_lab"]
    with Store.open(db_url) as s:
        assert s.schema_version() == SCHEMA_VERSION
        with s.db.read() as conn:
            assert S.has_column(conn, "specimens", "source_lab")


# --- item 2: the offender duplicate check -----------------------------------------------------


def test_offender_aliases_found_with_defaults(store: Store, tmp_path: Path,
                                              index_dir: Path) -> None:
    """4 planted aliases (the same person under another ID, 1-2 loci differing or missing)
    among 300 offenders typed at the 20 CODIS core loci: all found by the defaults."""
    people = list(random_profiles(300, seed=21, prefix="CO"))
    entries = [(sid, "Convicted Offender", g) for sid, g in people]
    alias: list[tuple[str, str]] = []

    def variant(g: dict[str, list[str]], loci: list[str]) -> dict[str, list[str]]:
        out = dict(g)
        for k in loci:  # one allele replaced by another person's, never the same genotype
            a = out[k]
            other = next(x for _, p in people[10:] for x in p[k] if x not in a)
            out[k] = sorted({a[0], other}, key=float)
        return out

    extra = dict(people[3][1], **{"Penta D": ["9", "12"], "Penta E": ["7", "15"]})
    edits = [variant(people[0][1], ["D3S1358"]),
             variant(people[1][1], ["FGA", "TH01"]),
             variant(people[2][1], ["D8S1179", "D21S11"]),
             variant(extra, ["vWA"])]  # typed at 2 loci more than the original
    for i, g in enumerate(edits):
        sid = f"ALIAS-{i}"
        entries.append((sid, "Convicted Offender", g))
        alias.append((people[i][0], sid))
    write_raw_cmf(tmp_path / "off.xml", entries, source_lab=LAB)
    # skip_invalid: a rare synthetic allele outside the kit's ladder is not what this tests
    rep = store.import_file(tmp_path / "off.xml", legal_basis="conviction", skip_invalid=True,
                            actor="admin")
    assert rep.imported >= 300
    check = self_check(store, actor="admin", purpose="QC")
    assert "offender" in check.indices
    found = {frozenset((p.a[1], p.b[1])) for p in check.pairs if p.index == "offender"}
    assert {frozenset(a) for a in alias} <= found
    assert check.min_matching_loci == 18
    [entry] = [e for e in store.audit_entries(actor="admin", action="self_check")]
    assert entry.purpose == "QC" and "offender" in entry.details["indices"]


def test_self_check_never_compares_relatives(store: Store) -> None:
    with pytest.raises(PolicyViolation, match="relatives"):
        self_check(store, actor="admin", purpose="QC", indices=["relative"])
