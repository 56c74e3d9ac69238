"""Specimens in: import (staging, the checks at the door, writing), single profiles.

(Export is in :mod:`locard.store.exports`.)"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shlex
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from locard.errors import ImportFailed, InputError, LocardError, PolicyViolation, UnknownKit
from locard.formats import ProfileRecord, read_profiles
from locard.formats.cmf import cmf_limits
from locard.genetics.kits import Kit, find_kit, outside_ladder
from locard.genetics.profiles import Profile, genotype_digest
from locard.store import schema as S
from locard.store.audit import canonical_json
from locard.store.candidates import Candidates
from locard.store.categories import Index, canonical_category, index_for_category
from locard.store.governance import Governance
from locard.store.import_report import ImportProblem, ImportReport
from locard.store.kernel import LongAct, User, utc_now, utc_today

__all__ = [
    "BATCH",
    "ImportProblem",
    "ImportReport",
    "Imports",
    "genotype_json",
]


BATCH = 10_000


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def genotype_json(profile: Profile, cache: dict[int, tuple[Any, str]] | None = None) -> str:
    """Canonical JSON of the genotype alone (no specimen ID, no kit): the same text as
    :meth:`Profile.genotype_json` (tested), built faster. ``cache`` (per import) reuses the text
    of locus calls that the reader shares between profiles."""
    parts = []
    for locus in sorted(profile.loci):
        call = profile.loci[locus]
        hit = cache.get(id(call)) if cache is not None else None
        if hit is None or hit[0] is not call:
            entry: dict[str, Any] = {"alleles": [str(a) for a in call.alleles]}
            if call.heights is not None:
                entry["heights"] = list(call.heights)
            if call.inconclusive:
                entry["inconclusive"] = True
            text = json.dumps(entry, sort_keys=True, separators=(",", ":"))
            if cache is not None and len(cache) < 500_000:
                cache[id(call)] = (call, text)
        else:
            text = hit[1]
        parts.append(f"{json.dumps(locus)}:{text}")
    return '{"loci":{' + ",".join(parts) + "}}"


@dataclass
class _Staged:
    record_no: int | None
    specimen_id: str
    profile: Profile
    category: str
    index: Index
    legal_basis: str
    local_only: bool
    kit: str | None
    rmp: float | None
    #: the record's own consent reference (CSV column, side file), else the import's
    consent: str | None = None
    #: the lab a received record came from (``received_from``); None: the lab's own
    source_lab: str | None = None


class _Rollback(LocardError):
    """Internal: raised inside the write transaction to roll back a failing import."""

    def __init__(self) -> None:
        super().__init__("import rolled back")


class Imports(Candidates, Governance):
    """Import and export of a :class:`~locard.store.Store`."""

    # --- import ----------------------------------------------------------------------------------

    def import_file(self, path: str | os.PathLike[str], *, format: str | None = None,
                    category: str | None = None, legal_basis: str | None = None,
                    consent: str | None = None, lab: str | None = None,
                    skip_invalid: bool = False, allow_expunged: bool = False,
                    actor: str, purpose: str | None = None,
                    dry_run: bool = False, received_from: str | None = None,
                    consents: Mapping[str, str] | None = None, kit: str | None = None,
                    allow_off_ladder: bool = False) -> ImportReport:
        """Import a profile file (CMF, GeneMapper, CSV, JSON: see ``locard.formats``).

        Transactional: with a bad record (parse problem, unknown category, missing legal basis
        or consent, failed acceptance rule, duplicate, expunged specimen) nothing is imported
        and :class:`ImportFailed` lists every problem, unless ``skip_invalid`` imports the
        good records. All specimens and their genotypes commit in one transaction.

        A specimen ID that was expunged is refused unless ``allow_expunged`` is set *and* a
        legal basis is given explicitly: the old record is never resurrected; a new one is
        created on the new basis.

        ``dry_run`` does everything but the commit (reading, every check, duplicates against
        the database) and returns the report with ``dry_run`` set: nothing is stored, no search
        on entry runs, and :class:`ImportFailed` is not raised; ``would_import`` says how many
        profiles the same import would store (0 when it would fail as all or nothing).

        Without ``legal_basis`` every record gets its category's default legal basis
        (:meth:`Policy.default_legal_basis`), so a file mixing offenders and traces imports in
        one pass. A record that needs consent takes its consent reference from the file (a CSV
        ``consent`` column), else from ``consents`` (specimen ID -> reference, ``--consent-file``),
        else ``consent``.

        A record whose source lab is another lab's is refused unless ``received_from`` names
        that lab: an explicit, audited choice to take in data received from it. The importing
        lab owns such specimens (views, searches, exports them); the source lab is kept as
        provenance (``specimens.source_lab``).

        Data quality at the door: a record whose sample name matches the policy's ``[controls]``
        patterns (positive and negative controls, blanks, allelic ladders) is skipped and listed
        in ``report.controls``, never stored. Every record's kit is recorded: the file's (CMF
        ``KIT``, a GeneMapper ``Panel`` or CSV ``kit`` column), else ``kit``. An allele outside
        that kit's ladder range refuses the record where the index's ``outside_ladder`` is
        ``reject`` (rule ``ladder-range``) unless ``allow_off_ladder`` is set. Where the kit is
        not known, the widest range of every kit Locard knows is used and an allele outside it
        is flagged only. Every flagged allele of a stored record is listed in
        ``report.flagged``.
        """
        found_kit = self._import_kit(kit)
        started = time.perf_counter()
        p = Path(path)
        with self.acting_long(actor, "import", lab=lab, purpose=purpose) as act:
            report = self._import_checked(act, p, format=format, category=category,
                                          legal_basis=legal_basis, consent=consent,
                                          skip_invalid=skip_invalid,
                                          allow_expunged=allow_expunged, dry_run=dry_run,
                                          received_from=received_from, consents=consents,
                                          kit=kit, found_kit=found_kit,
                                          allow_off_ladder=allow_off_ladder, started=started)
        if report.first_pk is not None and report.last_pk is not None:
            keys = list(range(report.first_pk, report.last_pk + 1))
            self.report_progress("searching on entry", 0, None)
            made: list[int] = []
            for hook in self.on_import:
                made.extend(hook(act.lab, keys) or ())
            report.matches = self.matches_by_id(made)
        return report

    def _import_checked(self, act: LongAct, p: Path, *, format: str | None,
                        category: str | None, legal_basis: str | None, consent: str | None,
                        skip_invalid: bool, allow_expunged: bool, dry_run: bool,
                        received_from: str | None, consents: Mapping[str, str] | None,
                        kit: str | None, found_kit: Kit | None, allow_off_ladder: bool,
                        started: float) -> ImportReport:
        """The import once the door has admitted it (``act``): read, check, then commit in
        the act's one write transaction; the act records the outcome (a dry run, a failure
        or the import)."""
        lab_code = act.lab
        if received_from is not None and received_from.strip() in ("", lab_code):
            raise PolicyViolation(
                f"--received-from {received_from!r} names your own lab; it is for records "
                "received from another lab", remedy="leave out --received-from")
        if allow_expunged and legal_basis is None:
            raise PolicyViolation("re-importing an expunged specimen needs an explicit legal "
                                  "basis", remedy="give --legal-basis")
        digest = _file_digest(p)
        self.report_progress("reading", 0, None)
        result = read_profiles(p, format=format)
        report = ImportReport(str(p), format, digest, lab_code)
        for prob in result.problems:
            if prob.record is not None and self.policy.is_control(prob.record):
                report.controls.append(prob.record)  # an empty control, a ladder: not errors
                continue
            report.problems.append(ImportProblem(
                str(prob.path or p), prob.record, prob.message, "parse", prob.locus,
                None if prob.value is None else str(prob.value), prob.line or prob.index))
            report.rejected["(unparsed)"] += 1
        staged = self._stage(result.records, report, category=category,
                             legal_basis=legal_basis, consent=consent, lab=lab_code,
                             allow_expunged=allow_expunged, received_from=received_from,
                             consents=consents, kit=kit, found_kit=found_kit,
                             allow_off_ladder=allow_off_ladder)
        if dry_run:
            self._dry_run_import(staged, report, act=act, p=p, skip_invalid=skip_invalid,
                                 started=started)
            return report
        if report.problems and not skip_invalid:
            self._fail_import(act, report)
            return report
        try:
            self._commit_import(staged, report, act=act, p=p, digest=digest, consent=consent,
                                legal_basis=legal_basis, category=category, format=format,
                                skip_invalid=skip_invalid, started=started,
                                received_from=received_from)
        except _Rollback:
            self._fail_import(act, report)
        return report

    def _dry_run_import(self, staged: list[_Staged], report: ImportReport, *, act: LongAct,
                        p: Path, skip_invalid: bool, started: float) -> None:
        """The end of a dry run: the duplicate check the commit would make, then the report
        (audited, as every read of the database is)."""
        with self.db.read() as conn:
            lab_id = conn.execute(sa.select(S.labs.c.id).where(S.labs.c.code == report.lab)
                                  ).scalar_one_or_none()
            existing: set[str] = set() if lab_id is None else set(conn.execute(
                sa.select(S.specimens.c.specimen_id).where(S.specimens.c.lab_id == lab_id)
            ).scalars())
        for s in staged:
            if s.specimen_id in existing:
                report.problems.append(ImportProblem(
                    str(p), s.specimen_id, f"specimen is already in the database for lab "
                    f"{report.lab}", "duplicate", record=s.record_no))
                report.rejected[s.index.value] += 1
                report.accepted[s.index.value] -= 1
        report.accepted = +report.accepted
        kept = [s for s in staged if s.specimen_id not in existing]
        report.dry_run = True
        report.specimens = [s.specimen_id for s in kept]
        report.local_only = sum(1 for s in kept if s.local_only)
        report.would_import = len(kept) if skip_invalid or not report.problems else 0
        report.seconds = time.perf_counter() - started
        act.details.update({
            "file_ref": self.file_ref(p.name), "sha256": report.source_digest,
            "lab": report.lab, "dry_run": True, "imported": 0,
            "would_import": report.would_import, "accepted": dict(report.accepted),
            "rejected": dict(report.rejected), "problems": len(report.problems)})

    def _commit_import(self, staged: list[_Staged], report: ImportReport, *, act: LongAct,
                       p: Path, digest: str, consent: str | None, legal_basis: str | None,
                       category: str | None, format: str | None, skip_invalid: bool,
                       started: float, received_from: str | None = None) -> None:
        lab_code, user = report.lab, act.user
        with act.write() as conn:
            lab_id = self.ensure_lab(conn, lab_code)
            existing = set(conn.execute(sa.select(S.specimens.c.specimen_id).where(
                S.specimens.c.lab_id == lab_id)).scalars())
            dup = [s for s in staged if s.specimen_id in existing]
            if dup:
                for s in dup:
                    report.problems.append(ImportProblem(
                        str(p), s.specimen_id, f"specimen is already in the database for lab "
                        f"{lab_code}", "duplicate", record=s.record_no))
                    report.rejected[s.index.value] += 1
                    report.accepted[s.index.value] -= 1
                report.accepted = +report.accepted
                if not skip_invalid:
                    raise _Rollback()
                staged = [s for s in staged if s.specimen_id not in existing]
            consent_id = (self.ensure_consent(conn, lab_id, consent, user)
                          if consent else None)
            consent_ids = {ref: self.ensure_consent(conn, lab_id, ref, user)
                           for ref in sorted({s.consent for s in staged if s.consent})
                           if ref != consent}
            self._write_specimens(conn, staged, lab_id=lab_id, consent_id=consent_id,
                                  user=user, digest=digest, report=report,
                                  consent_ids=consent_ids)
            report.seconds = time.perf_counter() - started
            act.details.update({
                "file_ref": self.file_ref(p.name), "sha256": digest, "format": format,
                "lab": lab_code,
                "imported": report.imported, "accepted": dict(report.accepted),
                "rejected": dict(report.rejected), "skip_invalid": skip_invalid,
                "legal_basis": legal_basis, "category": category,
                "consent": consent, "problems": len(report.problems),
                "consents_per_record": len(consent_ids), "received_from": received_from,
                "first_key": report.first_pk, "last_key": report.last_pk})

    def _fail_import(self, act: LongAct, report: ImportReport) -> None:
        """End the import as failed: the act records it, then raises :class:`ImportFailed`
        listing every problem."""
        act.fail(ImportFailed(report.path, [str(x) for x in report.problems],
                              records=[x.to_dict() for x in report.problems]), {
            "file_ref": self.file_ref(Path(report.path).name),
            "sha256": report.source_digest,
            "lab": report.lab, "imported": 0, "failed": True,
            "problems": len(report.problems), "rejected": dict(report.rejected)})

    def _stage(self, records: Sequence[ProfileRecord], report: ImportReport, *,
               category: str | None,
               legal_basis: str | None, consent: str | None, lab: str,
               allow_expunged: bool, received_from: str | None = None,
               consents: Mapping[str, str] | None = None, kit: str | None = None,
               found_kit: Kit | None = None,
               allow_off_ladder: bool = False) -> list[_Staged]:
        staged: list[_Staged] = []
        seen: set[str] = set()
        path = report.path
        tomb = self.tombstone_hashes()
        withdrawn = self.withdrawn_consents(lab)
        for n_rec, rec in enumerate(records):
            if n_rec % 1000 == 0:
                self.report_progress("checking", n_rec, len(records))
            profile: Profile = rec.profile
            sid = rec.specimen_id or profile.specimen_id
            rec_no = rec.line or rec.index
            cat_raw = category or rec.specimen_category

            def bad(message: str, rule: str, idx: str = "(unknown)",
                    sid: str | None = sid, rec_no: int | None = rec_no) -> None:
                report.problems.append(ImportProblem(path, sid, message, rule, record=rec_no))
                report.rejected[idx] += 1

            if not sid:
                bad("record has no specimen ID", "specimen-id")
                continue
            if self.policy.is_control(sid):
                report.controls.append(sid)  # a control or ladder: never stored
                continue
            if sid in seen:
                bad("specimen ID appears twice in the file", "duplicate")
                continue
            seen.add(sid)
            src_lab = rec.source_lab
            if received_from is None and src_lab and src_lab != lab:
                bad(f"record's source lab {src_lab!r} is not the importing lab {lab!r}; to "
                    f"import records received from lab {src_lab} (filed under {lab}, with "
                    f"{src_lab} kept as their source), run: locard import "
                    f"{shlex.quote(path)} --received-from {shlex.quote(src_lab)}",
                    "source-lab")
                continue
            if received_from is not None and src_lab and src_lab != received_from:
                bad(f"record's source lab {src_lab!r} is not {received_from!r} "
                    f"(--received-from); give --received-from {src_lab} for this file",
                    "source-lab")
                continue
            if not cat_raw:
                bad("record has no specimen category (give --category)", "category")
                continue
            try:
                idx = index_for_category(cat_raw)
                cat = canonical_category(cat_raw)
            except InputError as exc:
                bad(str(exc), "category")
                continue
            # one rule with the CMF export: what CMF cannot carry at all is refused here (a
            # locus without a CODIS name is kept; the export leaves it out and says so)
            blocking = [x for x in cmf_limits(ProfileRecord(
                profile, specimen_id=sid, specimen_category=cat, kit=rec.kit or profile.kit))
                if x.blocking]
            if blocking:
                for limit in blocking:
                    report.problems.append(ImportProblem(
                        path, sid, f"{limit}, so the CMF export could not write it",
                        "cmf-export", limit.locus, limit.value, record=rec_no))
                report.rejected[idx.value] += 1
                continue
            rec_consent = rec.consent or (consents or {}).get(sid) or consent
            try:
                basis = self.policy.check_legal_basis(idx, legal_basis, rec_consent,
                                                      category=cat)
            except PolicyViolation as exc:
                bad(str(exc), "legal-basis", idx.value)
                continue
            if rec_consent is not None and rec_consent in withdrawn:
                bad(f"consent {rec_consent!r} has been withdrawn", "consent", idx.value)
                continue
            if self.specimen_ref(lab, sid) in tomb and not allow_expunged:
                bad("this specimen ID was expunged; re-importing it needs an explicit new legal "
                    "basis (--legal-basis) and --allow-expunged", "expunged", idx.value)
                continue
            rec_kit = rec.kit or profile.kit or kit
            kit_obj = found_kit if rec_kit == kit else find_kit(rec_kit)
            flags = [ImportProblem(path, sid, f"{flag.reason} (use --allow-off-ladder)"
                                   if kit_obj is not None else flag.reason, "ladder-range",
                                   flag.locus, flag.allele, record=rec_no)
                     for flag in outside_ladder(profile, kit_obj)]
            if (flags and kit_obj is not None and not allow_off_ladder
                    and self.policy.indices[idx].outside_ladder == "reject"):
                report.problems.extend(flags)
                report.rejected[idx.value] += 1
                continue
            acc = self.policy.evaluate(profile, idx)
            if not acc.accepted:
                for failure in acc.failures:
                    report.problems.append(ImportProblem(path, sid, failure.message,
                                                         failure.rule, record=rec_no))
                report.rejected[idx.value] += 1
                continue
            # stored all the same: the remedy that refusal names does not apply
            report.flagged.extend(replace(
                f, message=f.message.removesuffix(" (use --allow-off-ladder)")) for f in flags)
            staged.append(_Staged(rec_no, sid, profile, cat, idx, basis, acc.local_only,
                                  rec_kit, acc.rmp, rec_consent if rec_consent != consent else None,
                                  received_from))
            report.accepted[idx.value] += 1
        return staged

    @staticmethod
    def _import_kit(kit: str | None) -> Kit | None:
        """The kit named by an import's ``kit`` option (None without one); :class:`UnknownKit`
        naming the value when Locard does not know it."""
        if kit is None:
            return None
        found = find_kit(kit)
        if found is None:
            raise UnknownKit(kit)
        return found

    def _write_specimens(self, conn: sa.Connection, staged: list[_Staged], *, lab_id: int,
                         consent_id: int | None, user: User, digest: str,
                         report: ImportReport,
                         consent_ids: Mapping[str, int] | None = None) -> None:
        if not staged:
            return
        first = int(self.get_meta(conn, "next_specimen_pk") or "1")
        self.set_meta(conn, "next_specimen_pk", str(first + len(staged)))
        now = utc_now()
        today = utc_today()
        retention: dict[Index, str | None] = {}
        for idx, ip in self.policy.indices.items():
            retention[idx] = (_add_years(today, ip.retention_years).isoformat()
                              if ip.retention_years > 0 else None)
        cache: dict[int, tuple[Any, str]] = {}
        spec_ins = S.specimens.insert()
        geno_ins = S.genotypes.insert()
        for start in range(0, len(staged), BATCH):
            chunk = staged[start:start + BATCH]
            spec_rows: list[dict[str, Any]] = []
            geno_rows: list[dict[str, Any]] = []
            for i, s in enumerate(chunk, start=first + start):
                gj = genotype_json(s.profile, cache)
                spec_rows.append({
                    "id": i, "lab_id": lab_id, "specimen_id": s.specimen_id,
                    "category": s.category, "idx": s.index.value,
                    "legal_basis": s.legal_basis,
                    "consent_id": (consent_ids or {}).get(s.consent, consent_id)
                    if s.consent else consent_id, "source_lab": s.source_lab,
                    "local_only": s.local_only, "kit": s.kit, "rmp": s.rmp,
                    "retention_until": retention[s.index], "created_at": now,
                    "created_by": user.id, "source_digest": digest})
                geno_rows.append({
                    "specimen_pk": i, "profile_json": gj,
                    "digest": genotype_digest(gj),
                    "n_loci": len(s.profile.loci),
                    "is_mixture": s.profile.max_alleles > 2 and s.profile.is_mixture})
            conn.execute(spec_ins, spec_rows)
            conn.execute(geno_ins, geno_rows)
            self.report_progress("writing", start + len(chunk), len(staged))
        report.local_only = sum(1 for s in staged if s.local_only)
        report.specimens = [s.specimen_id for s in staged]
        report.first_pk, report.last_pk = first, first + len(staged) - 1
        conn.execute(S.events.insert().values(at=now, kind="import", first_pk=first,
                                              last_pk=first + len(staged) - 1))
        self._record_pending_searches(conn, first, first + len(staged) - 1, now)

    def _record_pending_searches(self, conn: sa.Connection, first: int, last: int,
                                 now: str) -> None:
        """Search on entry is durable: every installed hook with an ``outbox`` (its
        parameters: a search on entry) gets a ``search_outbox`` row in the import's own
        transaction; the hook deletes it once the hits are recorded, and rows a crash left
        behind are resumed on start (:func:`locard.store.searching.resume_pending_searches`)."""
        rows = [{"at": now, "first_pk": first, "last_pk": last,
                 "params": canonical_json(params)}
                for hook in self.on_import
                if (params := getattr(hook, "outbox", None)) is not None]
        if rows:
            conn.execute(S.search_outbox.insert(), rows)

    def add_profile(self, profile: Profile, *, category: str, actor: str,
                    specimen_id: str | None = None, legal_basis: str | None = None,
                    consent: str | None = None, purpose: str | None = None,
                    provenance: Mapping[str, Any] | None = None) -> int:
        """Add one profile through the same rules as an import; returns its key.
        ``provenance`` (JSON-serialisable: file hashes, sample IDs, parameters, never a
        person's name) is stored with the specimen and shown in its view."""
        return self.add_profiles([(profile, specimen_id, provenance)], category=category,
                                 actor=actor, legal_basis=legal_basis, consent=consent,
                                 purpose=purpose)[0]

    def add_profiles(self, items: Sequence[tuple[Profile, str | None, Mapping[str, Any] | None]],
                     *, category: str, actor: str, legal_basis: str | None = None,
                     consent: str | None = None, purpose: str | None = None) -> list[int]:
        """Add profiles, each ``(profile, specimen ID or None for the profile's own,
        provenance or None)``, through the same rules as an import, in ONE transaction:
        every one is stored or none is (the first refusal raises). Returns their keys."""
        if not items:
            return []
        with self.acting_long(actor, "import", purpose=purpose) as act:
            user = act.user
            recs: list[ProfileRecord] = []
            for n, (profile, specimen_id, _) in enumerate(items, start=1):
                sid = specimen_id or profile.specimen_id
                if not sid:
                    raise InputError("a profile needs a specimen ID")
                recs.append(ProfileRecord(profile=profile.with_specimen_id(sid), specimen_id=sid,
                                          specimen_category=category, kit=profile.kit, index=n))
            sids = [r.specimen_id for r in recs]
            if len(set(sids)) != len(sids):
                dup = next(s for s in sids if sids.count(s) > 1)
                raise InputError(f"specimen {dup!r} is given twice",
                                 remedy="give each profile its own specimen ID")
            provenance = [canonical_json(dict(p)) if p is not None else None for _, _, p in items]
            report = ImportReport("<profile>", None, "", user.lab)
            staged = self._stage(recs, report, category=category, legal_basis=legal_basis,
                                 consent=consent, lab=user.lab, allow_expunged=False)
            if report.problems:
                first = report.problems[0]
                if first.rule in ("legal-basis", "consent", "category", "expunged"):
                    raise PolicyViolation(first.message)
                from locard.errors import AcceptanceRejected

                raise AcceptanceRejected("; ".join(p.message for p in report.problems),
                                         specimen=first.specimen or sids[0], rule=first.rule)
            if report.controls:
                raise PolicyViolation(f"specimen {report.controls[0]!r} is named like a control or "
                                      "ladder (the policy's [controls] patterns): never stored")
            with act.write() as conn:
                lab_id = self.lab_id(conn, user.lab)
                taken = conn.execute(sa.select(S.specimens.c.specimen_id).where(
                    S.specimens.c.lab_id == lab_id, S.specimens.c.specimen_id.in_(sids))).first()
                if taken:
                    raise InputError(f"specimen {taken.specimen_id!r} is already in the database")
                consent_id = self.ensure_consent(conn, lab_id, consent, user) if consent else None
                self._write_specimens(conn, staged, lab_id=lab_id, consent_id=consent_id,
                                      user=user, digest="", report=report)
                assert report.first_pk is not None
                rows = [{"specimen_pk": report.first_pk + i, "provenance": text}
                        for i, text in enumerate(provenance) if text is not None]
                if rows:
                    conn.execute(S.specimen_provenance.insert(), rows)
                act.items = []  # one audit entry per profile, written with the rows
                for s, text in zip(staged, provenance, strict=True):
                    details: dict[str, Any] = {
                        "single": True, "specimen_ref": self.specimen_ref(user.lab, s.specimen_id),
                        "index": s.index.value, "legal_basis": s.legal_basis}
                    if text is not None:
                        details["provenance"] = True
                    act.items.append(details)
        assert report.first_pk is not None and report.last_pk is not None
        keys = list(range(report.first_pk, report.last_pk + 1))
        for hook in self.on_import:
            hook(user.lab, keys)
        return keys
