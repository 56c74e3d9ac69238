"""Specimens out: export to CMF, CSV or JSON, never silently leaving anything out."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from locard.formats import ProfileRecord, write_profiles
from locard.formats.cmf import CmfLimit, cmf_limits
from locard.genetics.profiles import Profile
from locard.store import schema as S
from locard.store.categories import parse_index
from locard.store.kernel import Kernel

__all__ = ["ExportOmission", "ExportReport", "Exports"]


@dataclass(frozen=True, slots=True)
class ExportOmission:
    """Something an export did not write, and why: a whole record (``skipped``), or a part of
    one (``left_out``: a locus without a CODIS name, a kit CODIS does not list)."""

    specimen: str
    what: str
    value: str | None
    message: str

    def __str__(self) -> str:
        return f"specimen {self.specimen!r}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """The omission as a JSON-ready dict."""
        return {"specimen": self.specimen, "what": self.what, "value": self.value,
                "message": self.message}


@dataclass
class ExportReport:
    """What an export wrote: ``count`` specimens to ``path``; ``left_out`` the parts of written
    records that the format cannot carry; ``skipped`` the records it could not write at all
    (only records stored before the import applied the format's rule). Never silent.
    ``local_only`` counts the written profiles kept local (marked in CSV and JSON);
    ``excluded_local_only`` those not written because the export excluded them."""

    path: str
    format: str
    count: int
    left_out: list[ExportOmission] = field(default_factory=list)
    skipped: list[ExportOmission] = field(default_factory=list)
    local_only: int = 0
    excluded_local_only: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict: count, path, format, what was left out or skipped."""
        return {"exported": self.count, "path": self.path, "format": self.format,
                "left_out": [x.to_dict() for x in self.left_out],
                "skipped": [x.to_dict() for x in self.skipped],
                "local_only": self.local_only,
                "excluded_local_only": self.excluded_local_only}


class Exports(Kernel):
    """Export of a :class:`~locard.store.Store`."""

    # --- export -----------------------------------------------------------------------------------

    def export(self, path: str | os.PathLike[str], *, format: str = "cmf",
               index: str | None = None, actor: str,
               purpose: str | None = None, exclude_local_only: bool = False) -> ExportReport:
        """Write the actor's lab's specimens (optionally one index) to a file; returns what was
        written and, never silently, what was not. Expunged specimens no longer exist, so they
        cannot be exported.

        CMF: the import applies the writer's rule (:func:`locard.formats.cmf.cmf_limits`), so
        every stored record is written; a locus without a CODIS name (or a kit CODIS does not
        list) is left out and listed in ``left_out``. A record that an older Locard stored
        although CMF cannot carry it (a specimen ID over 24 characters) is not written and is
        listed in ``skipped``; it no longer blocks the others.

        ``exclude_local_only`` leaves out the profiles the lab keeps local (never searched
        nationally), as a submission to a national database must; otherwise CSV and JSON mark
        each of them (``localOnly`` column, ``"local_only": true``).

        CSV writes a ``consent`` column: the reference of the consent record a specimen was
        stored under (a reference code, never a personal identifier), so relatives' references
        import again in one pass without ``--consent-file``."""
        with self.acting_long(actor, "export", purpose=purpose) as act:
            user = act.user
            q = (sa.select(S.specimens.c.specimen_id, S.specimens.c.category, S.specimens.c.kit,
                           S.specimens.c.local_only, S.genotypes.c.profile_json,
                           S.consents.c.consent_ref)
                 .join(S.genotypes, S.genotypes.c.specimen_pk == S.specimens.c.id)
                 .outerjoin(S.consents, S.consents.c.id == S.specimens.c.consent_id)
                 .where(S.specimens.c.lab_id == user.lab_id).order_by(S.specimens.c.id))
            if index:
                q = q.where(S.specimens.c.idx == parse_index(index).value)
            self.report_progress("reading", 0, None)
            with self.db.read() as conn:
                rows = conn.execute(q).all()
            is_cmf = format.strip().lower() in ("cmf", "xml", "codis")
            excluded = sum(1 for r in rows if r.local_only) if exclude_local_only else 0
            if exclude_local_only:
                rows = [r for r in rows if not r.local_only]
            self.report_progress("preparing", 0, len(rows))
            records = [ProfileRecord(
                profile=Profile.from_canonical_json(r.profile_json).with_specimen_id(r.specimen_id),
                specimen_id=r.specimen_id, specimen_category=r.category, source_lab=user.lab,
                kit=r.kit, local_only=None if is_cmf else bool(r.local_only),
                consent=None if is_cmf else r.consent_ref) for r in rows]
            options: dict[str, Any] = {}
            report = ExportReport(str(path), format, 0, excluded_local_only=excluded)
            if is_cmf:
                left_out: list[tuple[str, CmfLimit]] = []
                options = {"source_lab": user.lab, "submit_by_user": user.name[:20],
                           "skip_unsupported_loci": True, "left_out": left_out}
                writable = []
                for rec in records:
                    blocking = [x for x in cmf_limits(rec) if x.blocking]
                    report.skipped.extend(ExportOmission(str(rec.specimen_id), x.what, x.value,
                                                         f"not written: {x}") for x in blocking)
                    if not blocking:
                        writable.append(rec)
                records = writable
            self.report_progress("writing", 0, None)
            report.count = write_profiles(records, Path(path), format=format, **options)
            report.local_only = sum(1 for r in records if r.local_only)
            self.report_progress("writing", report.count, report.count)
            if options:
                report.left_out = [ExportOmission(sid, x.what, x.value, f"left out: {x}")
                                   for sid, x in left_out]
            act.details.update({"file_ref": self.file_ref(Path(path).name), "format": format,
                                "index": index, "count": report.count,
                                "left_out": len(report.left_out),
                                "skipped": len(report.skipped),
                                "exclude_local_only": exclude_local_only,
                                "excluded_local_only": excluded})
        return report
