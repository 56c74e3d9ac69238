"""One exception tree for all of Locard.

Every error carries its context as attributes and a message that names the offending value
and, where there is one, the remedy. The CLI prints ``locard: error: <message>`` and exits
non-zero; the HTTP service maps each class to a status code in one place (``http_status``).

A remedy that names an option names one the ``locard`` command has (``--format``,
``--min-frequency``), and a test (``tests/cli/test_remedies.py``) checks every option named
in Locard's messages against the command. An error raised by a Python call may name the
keyword argument too, as ``--format (format= in Python)``; where the command has no such
option the remedy says what to do instead and marks the keyword as Python's (``from Python,
format=``).
"""

from __future__ import annotations


class LocardError(Exception):
    """Root of every error Locard raises on purpose."""

    http_status: int = 400

    def __init__(self, message: str, *, remedy: str | None = None) -> None:
        self.message = message
        self.remedy = remedy
        super().__init__(f"{message} ({remedy})" if remedy else message)


# --- input: alleles, loci, profiles, files -------------------------------------------------


class InputError(LocardError):
    """Bad input: a value, a record or a file that Locard cannot accept."""


class InvalidAllele(InputError):
    """An allele designation that cannot be parsed or is not allowed at its locus."""

    def __init__(self, value: str, *, locus: str | None = None, reason: str | None = None,
                 specimen: str | None = None, remedy: str | None = None) -> None:
        self.value = value
        self.locus = locus
        self.reason = reason or "is not an allele designation"
        self.specimen = specimen
        where = f"{locus}: " if locus else ""
        of = f" (specimen {specimen!r})" if specimen else ""
        super().__init__(f"{where}{value!r} {self.reason}{of}", remedy=remedy)


class UnknownLocus(InputError):
    """A marker name that the alias table cannot resolve."""

    def __init__(self, name: str, *, specimen: str | None = None,
                 remedy: str | None = None) -> None:
        self.name = name
        self.specimen = specimen
        where = f" in specimen {specimen!r}" if specimen else ""
        super().__init__(
            f"unknown locus {name!r}{where}",
            remedy=remedy or "see `locard loci` for the names and aliases Locard knows",
        )


class InvalidProfile(InputError):
    """A profile that breaks an invariant (e.g. too many alleles, duplicate locus)."""

    def __init__(self, message: str, *, specimen: str | None = None, locus: str | None = None,
                 remedy: str | None = None) -> None:
        self.specimen = specimen
        self.locus = locus
        prefix = f"specimen {specimen!r}: " if specimen else ""
        super().__init__(prefix + message, remedy=remedy)


class FileFormatError(InputError):
    """A file that cannot be read in the format it claims (or was given)."""

    def __init__(self, message: str, *, path: str | None = None, record: str | None = None,
                 line: int | None = None, remedy: str | None = None) -> None:
        self.path = path
        self.record = record
        self.line = line
        parts = [p for p in (path, f"line {line}" if line else None,
                             f"record {record!r}" if record else None) if p]
        prefix = (": ".join(parts) + ": ") if parts else ""
        super().__init__(prefix + message, remedy=remedy)


class UnsafeInput(FileFormatError):
    """Hostile or oversized input refused before parsing (XML entities, huge lines)."""


class CEFileError(FileFormatError):
    """A capillary-electrophoresis run (ABIF ``.fsa``/``.hid``) that cannot be read: truncated,
    not ABIF, or with a directory entry that points outside the file."""


class CEAnalysisError(InputError):
    """A capillary-electrophoresis run that was read but cannot be analysed as asked (e.g. its
    internal lane standard cannot be found or fitted); ``sample`` names the run."""

    def __init__(self, message: str, *, sample: str | None = None,
                 remedy: str | None = None) -> None:
        self.sample = sample
        prefix = f"{sample}: " if sample else ""
        super().__init__(prefix + message, remedy=remedy)


class UnknownKit(InputError):
    """A kit name Locard does not know; ``name`` is the name given."""
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown kit {name!r}",
                         remedy="see `locard kits` for the kits Locard knows")


# --- statistics ------------------------------------------------------------------------------


class StatisticsError(LocardError):
    """A statistic that cannot be computed as asked."""


class UnknownFrequencyTable(StatisticsError):
    """A frequency-table name Locard does not know; ``name`` is the name given."""
    def __init__(self, name: str, *, known: list[str] | None = None) -> None:
        self.name = name
        hint = ", ".join(known) if known else "see `locard frequencies list`"
        super().__init__(f"unknown frequency table {name!r}", remedy=f"known tables: {hint}")


class InvalidParameter(StatisticsError):
    """A numeric parameter out of its domain (theta outside [0, 1), negative rate, ...)."""

    def __init__(self, name: str, value: object, *, expected: str) -> None:
        self.name = name
        self.value = value
        super().__init__(f"{name} = {value!r} is out of range", remedy=f"expected {expected}")


class PedigreeError(StatisticsError):
    """A pedigree that is not well formed (missing parent, cycle, inconsistent sex)."""


class CombinatorialLimit(StatisticsError):
    """A computation refused because it would explode combinatorially."""


# --- store and governance ----------------------------------------------------------------


class StoreError(LocardError):
    """A failure of the database store (HTTP 500 unless a subclass says otherwise)."""
    http_status = 500


class SchemaTooNew(StoreError):
    """A database whose schema version (``found``) is newer than this Locard supports
    (``supported``).
    """
    def __init__(self, found: int, supported: int) -> None:
        self.found = found
        self.supported = supported
        super().__init__(
            f"database schema version {found} is newer than this Locard supports ({supported})",
            remedy="upgrade Locard before opening this database",
        )


class NotFound(StoreError):
    """A specimen, user, match or case that does not exist or is not visible to the caller (HTTP
    404).
    """
    http_status = 404


class MatchAlreadyRecorded(StoreError):
    """A candidate match recorded before: the same query, candidate and mode
    (``Store.record_candidate_match``); ``match_id`` is the match as recorded."""

    http_status = 409

    def __init__(self, match_id: int, *, mode: str) -> None:
        self.match_id = match_id
        self.mode = mode
        super().__init__(f"this pair is recorded already as candidate match {match_id} "
                         f"({mode})", remedy=f"review it: locard matches show {match_id}")


class PolicyViolation(LocardError):
    """A request that the policy (acceptance rules, search matrix, roles) forbids."""

    http_status = 403


class AcceptanceRejected(PolicyViolation):
    """A profile that does not meet the acceptance rule of its index."""

    http_status = 422

    def __init__(self, message: str, *, specimen: str | None = None,
                 rule: str | None = None) -> None:
        self.specimen = specimen
        self.rule = rule
        super().__init__((f"specimen {specimen!r}: " if specimen else "") + message)


class PermissionDenied(PolicyViolation):
    """An action the user's role or lab does not allow (HTTP 403)."""
    http_status = 403


class DecisionFinal(PolicyViolation):
    """A second decision on a candidate match, or a correction of a decision that is no longer
    the latest: decisions are final; a correction is a new record that supersedes the latest."""

    http_status = 409

    def __init__(self, match_id: int, *, decision_id: int, status: str, reviewer: str | None,
                 decided_at: str, reason: str | None = None) -> None:
        self.match_id = match_id
        self.decision_id = decision_id
        self.status = status
        by = f" by {reviewer}" if reviewer else ""
        super().__init__(
            f"candidate match {match_id} is already {status}{by} on {decided_at[:10]} "
            f"(decision {decision_id}){'; ' + reason if reason else ''}; a decision is final",
            remedy=f"record a correction that supersedes it: supersedes={decision_id} "
                   "(Store.correct_match_decision, the API's \"supersedes\" field, or the "
                   "match page's \"Correct this decision\" form), with a note")


class AuthenticationFailed(LocardError):
    """An unknown, inactive or mismatched user or token (HTTP 401)."""
    http_status = 401


class AuditChainBroken(StoreError):
    """An audit-log entry (``entry_id``) whose hash chain does not verify; ``reason`` says how."""
    def __init__(self, entry_id: int, reason: str) -> None:
        self.entry_id = entry_id
        self.reason = reason
        super().__init__(f"audit log entry {entry_id}: {reason}",
                         remedy="the log was altered after it was written; preserve the database "
                                "and investigate")


class ImportFailed(InputError):
    """A transactional import that imported nothing because some records were bad."""

    def __init__(self, path: str, problems: list[str], *,
                 records: list[dict[str, object]] | None = None) -> None:
        self.path = path
        self.problems = problems
        #: the problems as fields (file, record, specimen, locus, value, rule, message), for a
        #: reject file and ``--json``; None where only the messages are known
        self.records = records
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(
            f"{path}: {len(problems)} bad record(s), nothing imported:\n  {shown}{more}",
            remedy="fix the records, or use --skip-invalid to import the good ones",
        )


class SchemaTooOld(StoreError):
    """A database whose schema predates this Locard: it must be migrated before use."""

    def __init__(self, found: int, supported: int) -> None:
        self.found = found
        self.supported = supported
        super().__init__(
            f"database schema version {found} is older than this Locard uses ({supported})",
            remedy="run `locard db migrate` (or `locard init`) to bring it up to date",
        )


class SearchError(LocardError):
    """A search that cannot run as asked."""


__all__ = [
    "AcceptanceRejected",
    "AuditChainBroken",
    "AuthenticationFailed",
    "CombinatorialLimit",
    "DecisionFinal",
    "FileFormatError",
    "ImportFailed",
    "InputError",
    "InvalidAllele",
    "InvalidParameter",
    "InvalidProfile",
    "LocardError",
    "MatchAlreadyRecorded",
    "NotFound",
    "PedigreeError",
    "PermissionDenied",
    "PolicyViolation",
    "SchemaTooNew",
    "SchemaTooOld",
    "SearchError",
    "StatisticsError",
    "StoreError",
    "UnknownFrequencyTable",
    "UnknownKit",
    "UnknownLocus",
    "UnsafeInput",
]
