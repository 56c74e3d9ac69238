"""The demo: Locard's main job, end to end, on its embedded default (SQLite).

:func:`run_demo` builds a demo database through the real import path and exercises the whole
system on synthetic profiles (no person's DNA is in the demo):

1. the random match probability of the positive controls 2800M and 9947A over the PowerPlex 21
   loci in each NIST 1036 population;
2. a database: a synthetic offender population, arrestees, and forensic traces imported as CMF
   files with their legal basis; search on entry turns a partial trace left by one offender
   into a candidate match for review;
3. a missing-persons case: the relatives' references (mother, father and a sibling of the
   missing, with consent) and unidentified remains among synthetic unidentified-remains
   profiles; the case is registered in the database (:func:`locard.store.cases.add_case`: the
   pedigree, its members linked to the relatives' stored references) and
   :func:`locard.store.identify.identify_case` ranks the remains by kinship LR;
4. the index counts and the audit trail, verified.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from locard.errors import InputError
from locard.formats.cmf import cmf_locus_name, write_cmf
from locard.formats.records import ProfileRecord
from locard.genetics.profiles import Profile
from locard.reference import (
    DEFAULT_TABLE,
    bundled_table_names,
    default_mutation_rates,
    get_bundled_table,
    get_kit,
    positive_control,
)
from locard.stats.match import DEFAULT_THETA, random_match_probability
from locard.stats.simulate import SimulationModel, degrade, simulate_codes, simulate_families

__all__ = ["DATABASE_KIT", "DEMO_ADMIN", "DEMO_CONTROLS", "DEMO_KIT", "DEMO_LAB",
           "control_statistics", "run_demo"]

DEMO_KIT = "PowerPlex 21"  # the positive-control statistics
DATABASE_KIT = "PowerPlex Fusion"  # the database profiles: all 20 CODIS core loci
DEMO_CONTROLS = ("2800M", "9947A")
DEMO_LAB = "DEMO00001"
DEMO_ADMIN = "demo-admin"
PURPOSE = "DEMO-2026-001"
CASE_REF = "MP-2026-0017"  # the demo's missing-person case


def control_statistics(*, theta: float = DEFAULT_THETA) -> dict[str, Any]:
    """RMP of the positive controls over the PowerPlex 21 STRs in every NIST 1036 population."""
    kit = get_kit(DEMO_KIT)
    tables = [get_bundled_table(n) for n in bundled_table_names() if n.startswith("NIST1036:")]
    out: dict[str, Any] = {"kit": kit.name, "theta": theta, "controls": {}}
    for name in DEMO_CONTROLS:
        profile = positive_control(name)
        out["controls"][name] = {
            table.name: random_match_probability(profile, table, theta=theta,
                                                 loci=kit.str_loci).to_dict()
            for table in tables}
    return out


def _records(profiles: Sequence[Profile], category: str) -> list[ProfileRecord]:
    return [ProfileRecord(profile=p, specimen_id=p.specimen_id, specimen_category=category,
                          source_lab=DEMO_LAB) for p in profiles]


def _remove_previous_demo(path: Path) -> None:
    """Replace a database only if an earlier demo made it (its administrator is the demo's)."""
    if not path.exists():
        return
    from locard.store import Store

    try:
        with Store.open(path) as store:
            store.user(DEMO_ADMIN)
    except Exception:  # any failure means: not ours to delete
        raise InputError(f"{path} exists and is not a Locard demo database",
                         remedy="choose another path with --db") from None
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.with_name(path.stem + "-case.json").unlink(missing_ok=True)
    import shutil

    shutil.rmtree(f"{path}.index", ignore_errors=True)


def run_demo(db_path: str | os.PathLike[str] = "locard-demo.db", *, population: int = 5000,
             seed: int = 2026, theta: float = DEFAULT_THETA) -> dict[str, Any]:
    """Build the demo database at ``db_path`` (replacing an earlier demo there) and run the
    scenario in the module docstring; returns every figure it shows, JSON-ready."""
    from locard.store import Store
    from locard.store.cases import add_case, parse_case_pedigree
    from locard.store.identify import identify_case
    from locard.store.searching import enable_search_on_entry

    path = Path(db_path)
    _remove_previous_demo(path)
    table = get_bundled_table(DEFAULT_TABLE)
    kit = get_kit(DATABASE_KIT)
    # the kit's STRs that the table has and CMF can carry (D6S1043 has no CODIS name)
    loci = [x for x in kit.str_loci if table.has_locus(x) and cmf_locus_name(x) is not None]
    # what the kit types: alleles beyond its ladder would be off-ladder calls, which a lab
    # reviews before they reach the database (the import refuses them)
    model = SimulationModel.from_table(table, loci, kit=kit)
    rng = np.random.default_rng(seed)

    offenders = model.decode(simulate_codes(model, population, seed=rng), prefix="CO-")
    arrestees = model.decode(simulate_codes(model, 200, seed=rng), prefix="AR-")
    # a partial trace left by one offender: a third of the loci dropped out (degraded DNA)
    source = offenders[population // 3]
    kept = [locus for i, locus in enumerate(source.loci) if i % 3 != 2]
    trace = source.restrict(kept).with_specimen_id("FU-2026-0001")
    unrelated_traces = model.decode(simulate_codes(model, 3, seed=rng), prefix="FU-2026-01")

    # a family: father, mother, the missing child and a sibling
    family = simulate_families(model, 1, children=2, seed=rng)
    father, mother = model.decode(family.fathers, prefix="F")[0], model.decode(
        family.mothers, prefix="M")[0]
    missing_child, sibling = model.decode(family.children[0], prefix="C")
    remains = model.decode(simulate_codes(model, 300, seed=rng), prefix="UHR-2026-")
    found = degrade(family.children[0][:1], locus_dropout=0.2, seed=rng)
    remains_of_missing = model.decode(found, specimen_ids=["UHR-2026-0777"])[0]

    summary: dict[str, Any] = {"database": str(path), "lab": DEMO_LAB,
                               "administrator": DEMO_ADMIN, "purpose": PURPOSE}
    store = Store.init(path, admin=DEMO_ADMIN, lab=DEMO_LAB)
    try:
        enable_search_on_entry(store, actor=DEMO_ADMIN, purpose=PURPOSE)
        relatives = [
            father.with_specimen_id("RL-2026-F"), mother.with_specimen_id("RL-2026-M"),
            sibling.with_specimen_id("RL-2026-S")]
        batches = [
            ("offenders.xml", "Convicted Offender", offenders, "conviction", None),
            ("arrestees.xml", "Arrestee", arrestees, "arrest", None),
            ("remains.xml", "Unidentified Person", [*remains, remains_of_missing], "casework",
             None),
            ("relatives.xml", "Biological Father", relatives[:1], "consent", "CONSENT-2026-17"),
            ("relatives-m.xml", "Biological Mother", relatives[1:2], "consent",
             "CONSENT-2026-17"),
            ("relatives-s.xml", "Biological Sibling", relatives[2:], "consent",
             "CONSENT-2026-17"),
            ("casework.xml", "Forensic, Unknown", [trace, *unrelated_traces], "casework", None),
        ]
        imports = []
        with tempfile.TemporaryDirectory(prefix="locard-demo-") as tmp:
            for name, category, profiles, basis, consent in batches:
                file = Path(tmp) / name
                write_cmf(_records(profiles, category), file, source_lab=DEMO_LAB,
                          submit_by_user=DEMO_ADMIN, specimen_category=category,
                          kit=kit.name)
                report = store.import_file(file, format="cmf", legal_basis=basis,
                                           consent=consent, actor=DEMO_ADMIN, purpose=PURPOSE)
                imports.append({"file": name, "category": category,
                                "imported": report.imported,
                                "accepted": dict(report.accepted)})
        summary["imports"] = imports
        summary["index_counts"] = store.counts()
        summary["candidate_matches"] = [
            m.to_dict() for m in store.list_matches(actor=DEMO_ADMIN, status="pending")]
        summary["planted_trace"] = {"trace": trace.specimen_id,
                                    "source": source.specimen_id,
                                    "trace_loci": len(trace.str_loci)}

        case = {
            "missing": "child",
            "individuals": [
                {"id": "father", "sex": "male", "specimen": relatives[0].specimen_id},
                {"id": "mother", "sex": "female", "specimen": relatives[1].specimen_id},
                {"id": "child", "father": "father", "mother": "mother", "sex": "unknown"},
                {"id": "sibling", "father": "father", "mother": "mother", "sex": "unknown",
                 "specimen": relatives[2].specimen_id},
            ]}
        # the case file (for `locard case add`) and the case registered in the database, read
        # back by reference by `locard identify --case` and the web UI's missing-person page
        case_file = path.with_name(path.stem + "-case.json")
        case_file.write_text(json.dumps(case, indent=1), encoding="utf-8")
        summary["case_file"] = str(case_file)
        pedigree, members = parse_case_pedigree(case)
        add_case(store, CASE_REF, pedigree, members, actor=DEMO_ADMIN, purpose=PURPOSE)
        summary["case_ref"] = CASE_REF
        ranking = identify_case(store, CASE_REF, table=table, actor=DEMO_ADMIN,
                                purpose=PURPOSE, top=5,
                                mutation=default_mutation_rates())
        summary["identification"] = ranking.to_dict()
        summary["planted_remains"] = remains_of_missing.specimen_id
        summary["missing_person_true_profile_loci"] = len(missing_child.str_loci)

        # a token to sign in to the web UI with (this is a demo database of synthetic data)
        summary["login"] = {"user": DEMO_ADMIN,
                            "token": store.issue_token(DEMO_ADMIN, actor=DEMO_ADMIN)}
        entries = store.audit_entries(actor=DEMO_ADMIN)
        actions: dict[str, int] = {}
        for entry in entries:
            actions[entry.action] = actions.get(entry.action, 0) + 1
        summary["audit"] = {"entries": store.verify_audit(), "verified": True,
                            "actions": actions,
                            "head_hash": entries[-1].entry_hash if entries else None}
    finally:
        store.close()
    summary["control_statistics"] = control_statistics(theta=theta)
    return summary
