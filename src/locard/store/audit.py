"""The tamper-evident audit log: a SHA-256 hash chain over canonical JSON entries.

Each entry's ``entry_hash`` is SHA-256 over the canonical JSON (sorted keys, no whitespace) of
its fields ``seq, at, user, role, lab, action, purpose, details, prev_hash``; ``prev_hash`` is
the previous entry's ``entry_hash`` (64 zeros for the first). Editing an entry breaks its own
hash; deleting one breaks the next entry's ``prev_hash`` (and leaves a gap in ``seq``);
reordering breaks both. :func:`verify_chain` names the first bad entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from locard.errors import AuditChainBroken

__all__ = ["GENESIS_HASH", "AuditEntry", "canonical_json", "entry_hash", "verify_chain"]

GENESIS_HASH = "0" * 64

#: actions written to the log (one entry per access)
ACTIONS = ("init", "import", "view", "search", "search_refused", "self_check", "export",
           "match_decision",
           "match_decision_correction",
           "match_recorded", "expunge", "consent_withdraw", "retention_apply", "policy_change",
           "user_change", "token_issue", "migrate", "audit_view", "access_refused")


def canonical_json(data: Any) -> str:
    """Canonical JSON: sorted keys, no whitespace, UTF-8 as is, no NaN or infinity, other types as
    ``str``.
    """
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False, default=str)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit-log entry as stored, with the hash of the entry before it and its own."""
    seq: int
    at: str
    user: str | None
    role: str | None
    lab: str | None
    action: str
    purpose: str | None
    details: dict[str, Any]
    prev_hash: str
    entry_hash: str

    def to_dict(self) -> dict[str, Any]:
        """The entry as a JSON-ready dict."""
        return {"seq": self.seq, "at": self.at, "user": self.user, "role": self.role,
                "lab": self.lab, "action": self.action, "purpose": self.purpose,
                "details": self.details, "prev_hash": self.prev_hash,
                "entry_hash": self.entry_hash}

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> AuditEntry:
        """The entry of a database row (``details`` parsed from its JSON text)."""
        return cls(int(row["seq"]), row["at"], row["user"], row["role"], row["lab"],
                   row["action"], row["purpose"], json.loads(row["details"]),
                   row["prev_hash"], row["entry_hash"])


def entry_hash(*, seq: int, at: str, user: str | None, role: str | None, lab: str | None,
               action: str, purpose: str | None, details: Mapping[str, Any] | str,
               prev_hash: str) -> str:
    """SHA-256 over the canonical JSON of an entry (``details`` as its canonical JSON text)."""
    details_text = details if isinstance(details, str) else canonical_json(details)
    body = {"seq": seq, "at": at, "user": user, "role": role, "lab": lab, "action": action,
            "purpose": purpose, "details": details_text, "prev_hash": prev_hash}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def verify_chain(rows: Iterable[Mapping[str, Any]]) -> int:
    """Check a chain given in ``seq`` order; return the number of entries.

    Raises :class:`AuditChainBroken` naming the first bad entry: an edited entry (its hash does
    not match its content), a deleted one (a gap in ``seq`` or a ``prev_hash`` that does not
    match the entry before), or reordered ones.
    """
    prev = GENESIS_HASH
    expected_seq = 1
    n = 0
    for row in rows:
        seq = int(row["seq"])
        if seq != expected_seq:
            raise AuditChainBroken(seq, f"expected entry {expected_seq} here: an entry was "
                                        "deleted or the entries were reordered")
        if row["prev_hash"] != prev:
            raise AuditChainBroken(seq, "prev_hash does not match the entry before it: an "
                                        "entry was deleted, inserted or reordered")
        recomputed = entry_hash(seq=seq, at=row["at"], user=row["user"], role=row["role"],
                                lab=row["lab"], action=row["action"], purpose=row["purpose"],
                                details=row["details"], prev_hash=row["prev_hash"])
        if recomputed != row["entry_hash"]:
            raise AuditChainBroken(seq, "content does not match its hash: the entry was edited")
        prev = row["entry_hash"]
        expected_seq += 1
        n += 1
    return n
