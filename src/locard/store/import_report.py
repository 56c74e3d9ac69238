"""What an import reports: every problem (where, what, which rule) and the counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from locard.store.candidates import CandidateMatch

__all__ = ["ImportProblem", "ImportReport"]


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One bad record: where, what and which rule."""

    file: str
    specimen: str | None
    message: str
    rule: str | None = None
    locus: str | None = None
    value: str | None = None
    record: int | None = None

    def __str__(self) -> str:
        rule = f" [rule {self.rule}]" if self.rule else ""
        if self.message.startswith(Path(self.file).name + ":"):
            return self.message + rule  # a reader's message names the place already
        where = [self.file]
        if self.record is not None:
            where.append(f"record {self.record}")
        if self.specimen:
            where.append(f"specimen {self.specimen!r}")
        if self.locus:
            where.append(self.locus)
        if self.value is not None:
            where.append(f"value {self.value!r}")
        return ": ".join(where) + f": {self.message}{rule}"

    def to_dict(self) -> dict[str, Any]:
        """The problem as a JSON-ready dict."""
        return {"file": self.file, "specimen": self.specimen, "record": self.record,
                "locus": self.locus, "value": self.value, "rule": self.rule,
                "message": self.message}


@dataclass
class ImportReport:
    """What an import did: counts accepted/rejected per index, every problem."""

    path: str
    format: str | None
    source_digest: str
    lab: str
    accepted: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    local_only: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    seconds: float = 0.0
    first_pk: int | None = None
    last_pk: int | None = None
    #: the specimen IDs stored, in file order
    specimens: list[str] = field(default_factory=list)
    #: the candidate matches that search on entry recorded for this import
    matches: list[CandidateMatch] = field(default_factory=list)
    #: a dry run (``import_file(dry_run=True)``): nothing was written; ``accepted`` is what
    #: would be, ``would_import`` what an import with the same options would store
    dry_run: bool = False
    would_import: int | None = None
    #: records skipped as controls or ladders (the policy's ``[controls]`` patterns): their
    #: sample names, in file order; never stored, not errors
    controls: list[str] = field(default_factory=list)
    #: alleles outside the kit's ladder range in records that were stored all the same (the
    #: index's ``outside_ladder = "flag"``, or ``allow_off_ladder``)
    flagged: list[ImportProblem] = field(default_factory=list)

    @property
    def imported(self) -> int:
        """The number of profiles accepted, all indices together."""
        return sum(self.accepted.values())

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict (seconds rounded to the millisecond)."""
        return {"path": self.path, "format": self.format, "source_sha256": self.source_digest,
                "lab": self.lab, "imported": self.imported,
                "accepted": dict(self.accepted), "rejected": dict(self.rejected),
                "local_only": self.local_only, "seconds": round(self.seconds, 3),
                "problems": [p.to_dict() for p in self.problems],
                "specimens": list(self.specimens),
                "matches_created": len(self.matches),
                "matches": [m.to_dict() for m in self.matches],
                "dry_run": self.dry_run, "would_import": self.would_import,
                "controls": list(self.controls),
                "flagged": [p.to_dict() for p in self.flagged]}
