"""Test fixtures: synthetic profiles, raw CMF files and a small demo database.

Test-only code that used to ship inside the package (``locard.store.demo_data``); the tests and
the import and service-load benchmarks import it from here (``from tests.fixtures import ...``,
run from the repository root). ``locard demo`` does not use it: its run-time code is
:mod:`locard.demo`.

- :func:`random_profiles`: synthetic single-source profiles drawn from the bundled NIST 1036
  frequencies;
- :func:`write_raw_cmf`: a CMF 3.2 file written from values as given, unchecked (the one CMF
  writer of the package is :func:`locard.formats.cmf.write_raw_cmf`, which checks what it writes);
- :func:`build_demo_database`: a small realistic database imported through
  :meth:`Store.import_file`, one file per category and legal basis, as a lab would.

Every profile is synthetic: no person's DNA is in these fixtures.
"""

from __future__ import annotations

import os
import random
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from locard.genetics.loci import CODIS_CORE_13, CODIS_CORE_20

__all__ = ["build_demo_database", "random_profiles", "write_raw_cmf"]

Alleles = Mapping[str, Sequence[str]]


def _allele_sampler(rng: random.Random) -> dict[str, tuple[list[str], list[float]]]:
    """Per CODIS core locus: alleles and frequencies (bundled NIST 1036, else uniform 8-15)."""
    out: dict[str, tuple[list[str], list[float]]] = {}
    try:
        from locard.tables import DEFAULT_TABLE, get_bundled_table

        table = get_bundled_table(DEFAULT_TABLE)
        for locus in CODIS_CORE_20:
            freqs = table.frequencies.get(locus)
            if freqs:
                alleles = [str(a) for a in freqs if str(a)[:1].isdigit()]
                weights = [float(freqs[a]) for a in freqs if str(a)[:1].isdigit()]
                out[locus] = (alleles, weights)
    except Exception:
        out = {}
    for locus in CODIS_CORE_20:
        out.setdefault(locus, ([str(n) for n in range(8, 16)], [1.0] * 8))
    return out


def random_profiles(n: int, *, seed: int = 1, prefix: str = "SIM",
                    loci: Sequence[str] = CODIS_CORE_20,
                    ) -> Iterator[tuple[str, dict[str, list[str]]]]:
    """``n`` synthetic single-source profiles ``(specimen_id, {locus: [a, b]})`` with alleles
    drawn from the bundled frequencies (uniform if the bundle is unavailable)."""
    rng = random.Random(seed)
    sampler = _allele_sampler(rng)
    for i in range(n):
        geno: dict[str, list[str]] = {}
        for locus in loci:
            alleles, weights = sampler[locus]
            a, b = rng.choices(alleles, weights, k=2)
            geno[locus] = sorted({a, b}, key=lambda x: float(x))
        geno["AMEL"] = ["X", "Y"] if rng.random() < 0.5 else ["X"]
        yield f"{prefix}{i:07d}", geno


def write_raw_cmf(path: str | os.PathLike[str],
              specimens: Iterable[tuple[str, str, Alleles]], *, source_lab: str,
              kit: str | None = None) -> int:
    """Write a minimal CODIS CMF 3.2 import file of ``(specimen_id, category, {locus:
    alleles})``; streams, so it suits a million profiles. Returns the count written. ``KIT``
    is written only when ``kit`` is given (an import then checks every allele against that
    kit's ladder range, which the synthetic profiles of many tests would not pass).

    Unlike :func:`locard.formats.cmf.write_raw_cmf` (the package's one CMF writer) it writes
    values as given, unchecked: tests use it to make files with deliberately bad records, and
    the benchmark to write a million profiles without building Profile objects."""
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                 '<CODISImportFile xmlns="urn:CODISImportFile-schema">\n'
                 "  <HEADERVERSION>3.2</HEADERVERSION>\n  <MESSAGETYPE>Import</MESSAGETYPE>\n"
                 f"  <DESTINATIONORI>{escape(source_lab)}</DESTINATIONORI>\n"
                 f"  <SOURCELAB>{escape(source_lab)}</SOURCELAB>\n"
                 "  <SUBMITBYUSERID>locard</SUBMITBYUSERID>\n"
                 "  <SUBMITDATETIME>2024-01-01T00:00:00</SUBMITDATETIME>\n"
                 + (f"  <KIT>{escape(kit)}</KIT>\n" if kit is not None else ""))
        for sid, category, loci in specimens:
            parts = [f'  <SPECIMEN SOURCEID="No">\n    <SPECIMENID>{escape(sid)}</SPECIMENID>\n'
                     f"    <SPECIMENCATEGORY>{escape(category)}</SPECIMENCATEGORY>\n"]
            for locus, alleles in loci.items():
                parts.append(f"    <LOCUS>\n      <LOCUSNAME>{escape(locus)}</LOCUSNAME>\n")
                for a in alleles:
                    parts.append(f"      <ALLELE><ALLELEVALUE>{escape(str(a))}"
                                 "</ALLELEVALUE></ALLELE>\n")
                parts.append("    </LOCUS>\n")
            parts.append("  </SPECIMEN>\n")
            fh.write("".join(parts))
            n += 1
        fh.write("</CODISImportFile>\n")
    return n


def _loci_of(profile: Any) -> dict[str, list[str]]:
    return {k: [str(a) for a in v.alleles] for k, v in profile.loci.items()
            if not v.inconclusive and v.alleles}


def build_demo_database(url_or_path: str | os.PathLike[str], *, seed: int = 7,
                        lab: str = "DEMO00001", admin: str = "demo-admin") -> dict[str, Any]:
    """Create a demo database at ``url_or_path`` and import a small realistic set through
    :meth:`Store.import_file`: offenders, arrestees, forensic unknowns (one partial, one
    two-person mixture), a missing person's reference, relatives with consent, unidentified
    remains, a staff elimination profile. Returns index counts and an audit-trail summary."""
    from locard.genetics.kits import positive_control
    from locard.store import Store

    store = Store.init(url_or_path, admin=admin, lab=lab)
    try:
        rng = random.Random(seed)
        sims = [loci for _, loci in random_profiles(12, seed=seed, prefix="D")]
        control = _loci_of(positive_control("2800M"))
        control_core = {k: v for k, v in control.items() if k in CODIS_CORE_20 or k == "AMEL"}
        mixture = {k: sorted(set(sims[0][k]) | set(sims[1][k]), key=float)
                   for k in CODIS_CORE_20}
        partial = {k: sims[2][k] for k in CODIS_CORE_13[:9]}
        child = {k: [sims[6][k][0], rng.choice(sims[7][k])] for k in CODIS_CORE_20}
        batches: list[tuple[str, str | None, str | None,
                            list[tuple[str, str, Alleles]]]] = [
            ("offenders.xml", "conviction", None, [
                ("CO-0001", "Convicted Offender", sims[2]),
                ("CO-0002", "Convicted Offender", sims[3]),
                ("CO-0003", "Convicted Offender", control_core)]),
            ("arrestees.xml", "arrest", None, [
                ("AR-0001", "Arrestee", sims[4]), ("AR-0002", "Arrestee", sims[5])]),
            ("casework.xml", "casework", None, [
                ("FU-0001", "Forensic, Unknown", {k: v for k, v in sims[3].items()}),
                ("FU-0002", "Forensic Partial", partial),
                ("FU-0003", "Forensic Mixture", mixture)]),
            ("missing.xml", "casework", None, [("MP-0001", "Missing Person", sims[6])]),
            ("relatives.xml", "consent", "CONSENT-2024-017", [
                ("RL-0001", "Biological Mother", sims[7]),
                ("RL-0002", "Biological Child", child)]),
            ("remains.xml", "casework", None, [("UHR-0001", "Unidentified Person", sims[8])]),
            ("staff.xml", "consent", "STAFF-CONSENT-03", [("ST-0001", "Staff", sims[9])]),
        ]
        reports = []
        with tempfile.TemporaryDirectory(prefix="locard-demo-") as tmp:
            for name, basis, consent, entries in batches:
                path = Path(tmp) / name
                write_raw_cmf(path, entries, source_lab=lab, kit="GlobalFiler")
                rep = store.import_file(path, format="cmf", legal_basis=basis, consent=consent,
                                        actor=admin, purpose="DEMO-SETUP")
                reports.append(rep.to_dict())
        counts = store.counts()
        entries_log = store.audit_entries(actor=admin)
        n_verified = store.verify_audit()
        actions: dict[str, int] = {}
        for e in entries_log:
            actions[e.action] = actions.get(e.action, 0) + 1
        return {
            "database": store.db.display_url,
            "lab": lab,
            "administrator": admin,
            "index_counts": counts,
            "imports": [{"file": Path(r["path"]).name, "imported": r["imported"],
                         "accepted": r["accepted"], "local_only": r["local_only"]}
                        for r in reports],
            "audit": {"entries": n_verified, "verified": True, "actions": actions,
                      "head_hash": entries_log[-1].entry_hash if entries_log else None},
        }
    finally:
        store.close()
