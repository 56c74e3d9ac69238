"""Missing-person cases: a lab's reference pedigree, kept in the store, typed from the
relatives index.

A case is what a missing-persons team registers once and searches many times: the pedigree's
structure (member labels such as ``FA``, ``MO``, ``SIB1``, their parents and sex, and which
member is missing) and, for each typed member, a link to that relative's reference specimen in
the *relatives* index. The relatives' profiles are never copied into the case: they stay
specimens with their own legal basis or consent, and :meth:`Store.expunge`, consent withdrawal
and retention delete the link with the specimen, so the member is simply untyped afterwards
(nothing in the case records that they ever were typed).

Member labels are roles, never names: they must match :data:`MEMBER_LABEL` (letters, digits,
``_ . : -``, no blanks, at most 64 characters). Only the relatives index may be linked; a
specimen of any other index (forensic, offender, missing person, ...) is refused.

Every call is audited (``case_add``, ``case_view``, ``case_list``, ``case_remove``); the salted
specimen references (:meth:`Store.specimen_ref`) name the linked relatives in the log.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from locard.errors import InputError, NotFound, PolicyViolation
from locard.genetics.profiles import Profile
from locard.stats.kinship import Pedigree
from locard.store import schema as S
from locard.store.categories import Index
from locard.store.kernel import User, utc_now
from locard.store.store import Store

__all__ = [
    "MEMBER_LABEL",
    "CaseSummary",
    "MissingPersonCase",
    "add_case",
    "get_case",
    "list_cases",
    "parse_case_pedigree",
    "remove_case",
]

#: what a pedigree member's label may look like (a role or a code, never a name)
MEMBER_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_CASE_REF = re.compile(r"\S(?:.{0,126}\S)?")


@dataclass(frozen=True, slots=True)
class MissingPersonCase:
    """A stored case: the pedigree with the linked relatives' profiles set, and the member ->
    specimen ID links that still resolve (an expunged relative's link is gone)."""

    case_ref: str
    lab: str
    pedigree: Pedigree
    members: Mapping[str, str]
    created_at: str
    created_by: str | None = field(default=None)

    @property
    def missing(self) -> str:
        """The ID of the missing person in the case pedigree."""
        return self.pedigree.missing

    def to_dict(self) -> dict[str, Any]:
        """The case as JSON: the pedigree structure, each typed member's specimen ID and
        profile digest (not the genotype)."""
        people = []
        for person in self.pedigree.individuals:
            entry: dict[str, Any] = {"id": person.id, "father": person.father,
                                     "mother": person.mother, "sex": person.sex.value}
            if person.id in self.members:
                entry["specimen"] = self.members[person.id]
                if person.profile is not None:
                    entry["profile_digest"] = person.profile.genotype_digest()
            people.append(entry)
        return {"case_ref": self.case_ref, "lab": self.lab, "missing": self.missing,
                "individuals": people, "typed": sorted(self.members),
                "created_at": self.created_at, "created_by": self.created_by}


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """One line of :func:`list_cases`."""

    case_ref: str
    missing: str
    individuals: int
    typed: int
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        """The summary as a JSON-ready dict."""
        return {"case_ref": self.case_ref, "missing": self.missing,
                "individuals": self.individuals, "typed": self.typed,
                "created_at": self.created_at}


# --- reading a case file -----------------------------------------------------------------------


def parse_case_pedigree(data: Mapping[str, Any]) -> tuple[Pedigree, dict[str, str]]:
    """A case file: the pedigree JSON of :meth:`Pedigree.from_dict` in which a typed member
    names its stored reference with ``"specimen": "<specimen ID>"`` instead of an inline
    profile. Returns the untyped pedigree and ``{member: specimen ID}``.

    An inline ``profile`` is refused: a relative's profile enters Locard only as a specimen of
    the relatives index, with its legal basis or consent (``locard import``)."""
    if not isinstance(data, Mapping):
        raise InputError("a case file must be a JSON object with 'individuals' and 'missing'")
    raw = data.get("individuals")
    if not isinstance(raw, list):
        raise InputError("a case file needs an 'individuals' list")
    members: dict[str, str] = {}
    structure: list[dict[str, Any]] = []
    for k, entry in enumerate(raw):
        if not isinstance(entry, Mapping) or "id" not in entry:
            raise InputError(f"individual {k + 1}: expected an object with an 'id'")
        pid = str(entry["id"]).strip()
        if entry.get("profile") is not None:
            raise InputError(
                f"individual {pid!r}: a case links stored references, it does not hold "
                "profiles", remedy="import the relative's profile into the relatives index "
                "(with its legal basis or consent) and give its specimen ID as 'specimen'")
        specimen = entry.get("specimen")
        if specimen is not None:
            if not isinstance(specimen, str) or not specimen.strip():
                raise InputError(f"individual {pid!r}: 'specimen' must be a specimen ID, "
                                 f"not {specimen!r}")
            members[pid] = specimen.strip()
        structure.append({key: entry.get(key) for key in ("id", "father", "mother", "sex")})
    pedigree = Pedigree.from_dict({"individuals": structure, "missing": data.get("missing")})
    return pedigree, members


# --- store operations --------------------------------------------------------------------------


def _check_ref(case_ref: str) -> str:
    ref = case_ref.strip()
    if not _CASE_REF.fullmatch(ref):
        raise InputError(f"case reference {case_ref!r} must be 1 to 128 characters, not blank")
    return ref


def _check_labels(pedigree: Pedigree) -> None:
    for pid in pedigree.ids:
        if not MEMBER_LABEL.fullmatch(pid):
            raise InputError(
                f"pedigree member {pid!r}: a label is a role or a code (letters, digits, "
                "'_', '.', ':', '-'; no blanks; at most 64 characters)",
                remedy="label members FA, MO, SIB1, ...; names never go into Locard")


def _user_for(store: Store, actor: str, action: str) -> User:
    user = store.authorize(actor, action)
    return user


def _case_row(conn: sa.Connection, lab_id: int, ref: str) -> Any:
    return conn.execute(sa.select(S.mp_cases).where(S.mp_cases.c.lab_id == lab_id,
                                                    S.mp_cases.c.case_ref == ref)).first()


def add_case(store: Store, case_ref: str, pedigree: Pedigree, members: Mapping[str, str], *,
             actor: str, purpose: str | None = None) -> MissingPersonCase:
    """Register a missing-person case of the actor's lab (analysts and administrators).

    ``pedigree`` gives the structure (no profiles); ``members`` maps pedigree members to
    specimen IDs of the lab's relatives index. Refused, naming the value: a duplicate case
    reference, a member label that is not a code, a member not in the pedigree or the missing
    person themself, an unknown specimen, a specimen of another index, one specimen linked
    twice. The case and its links are written in one transaction with its audit entry."""
    ref = _check_ref(case_ref)
    user = _user_for(store, actor, "case")
    _check_labels(pedigree)
    if pedigree.typed:
        raise InputError(f"case {ref!r}: the pedigree carries profiles for "
                         f"{', '.join(pedigree.typed)}",
                         remedy="link stored relatives' references through members instead")
    if not members:
        raise InputError(f"case {ref!r}: no member is linked to a relative's reference",
                         remedy="give at least one typed relative ('specimen' in the case "
                                "file, or --member ID=SPECIMEN)")
    ids = set(pedigree.ids)
    for member, specimen in members.items():
        if member not in ids:
            raise InputError(f"case {ref!r}: member {member!r} is not in the pedigree",
                             remedy="members: " + ", ".join(pedigree.ids))
        if member == pedigree.missing:
            raise InputError(f"case {ref!r}: member {member!r} is the missing person, who is "
                             f"untyped in the pedigree (specimen {specimen!r})",
                             remedy="link only relatives; the missing person's own reference "
                                    "belongs in the missing-person index")
    seen: dict[str, str] = {}
    for member, specimen in members.items():
        if specimen in seen:
            raise InputError(f"case {ref!r}: specimen {specimen!r} is linked to both "
                             f"{seen[specimen]!r} and {member!r}")
        seen[specimen] = member
    try:
        return _insert_case(store, user, ref, pedigree, members, seen, purpose)
    except PolicyViolation as exc:
        store.refuse(user, "case_refused", exc, {"case_ref": ref}, purpose=purpose)
        raise  # pragma: no cover - _refuse raised
    except sa.exc.IntegrityError as exc:  # another session registered the same reference
        raise InputError(f"case {ref!r} already exists in lab {user.lab!r}",
                         remedy="choose another reference") from exc


def _insert_case(store: Store, user: User, ref: str, pedigree: Pedigree,
                 members: Mapping[str, str], seen: Mapping[str, str],
                 purpose: str | None) -> MissingPersonCase:
    structure = json.dumps({"individuals": [{"id": p.id, "father": p.father, "mother": p.mother,
                                             "sex": p.sex.value} for p in pedigree.individuals],
                            "missing": pedigree.missing}, sort_keys=True)
    with store.db.write() as conn:
        lab_id = store.lab_id(conn, user.lab)
        if _case_row(conn, lab_id, ref) is not None:
            raise InputError(f"case {ref!r} already exists in lab {user.lab!r}",
                             remedy="choose another reference, or remove the old case first")
        rows = {r.specimen_id: r for r in conn.execute(
            sa.select(S.specimens.c.id, S.specimens.c.specimen_id, S.specimens.c.idx)
            .where(S.specimens.c.lab_id == lab_id,
                   S.specimens.c.specimen_id.in_(list(seen)))).all()}
        for specimen, member in seen.items():
            row = rows.get(specimen)
            if row is None:
                raise NotFound(f"case {ref!r}, member {member!r}: no specimen {specimen!r} of "
                               f"lab {user.lab!r}",
                               remedy="import the relative's reference first")
            if row.idx != Index.RELATIVE.value:
                raise PolicyViolation(
                    f"case {ref!r}, member {member!r}: specimen {specimen!r} is in the "
                    f"{Index(row.idx).label} index; a case links only relatives' references")
        now = utc_now()
        inserted = conn.execute(S.mp_cases.insert().values(
            lab_id=lab_id, case_ref=ref, missing=pedigree.missing, pedigree_json=structure,
            created_at=now, created_by=user.id)).inserted_primary_key
        assert inserted is not None
        case_id = int(inserted[0])
        conn.execute(S.case_members.insert(), [
            {"case_id": case_id, "member": member, "specimen_pk": int(rows[specimen].id)}
            for specimen, member in seen.items()])
        store.write_audit(conn, user, "case_add", {
            "case_ref": ref, "individuals": len(pedigree.individuals),
            "members": {m: store.specimen_ref(user.lab, s) for m, s in sorted(members.items())}},
            purpose=purpose)
    return MissingPersonCase(ref, user.lab, pedigree, dict(members), now, user.name)


def get_case(store: Store, case_ref: str, *, actor: str,
             purpose: str | None = None) -> MissingPersonCase:
    """The case of the actor's lab with its linked relatives' profiles (audited as
    ``case_view``, naming the relatives read by their salted references). Unknown: NotFound."""
    ref = _check_ref(case_ref)
    user = _user_for(store, actor, "view")
    with store.db.read() as conn:
        lab_id = store.lab_id(conn, user.lab)
        row = _case_row(conn, lab_id, ref)
        linked = [] if row is None else conn.execute(
            sa.select(S.case_members.c.member, S.specimens.c.specimen_id,
                      S.genotypes.c.profile_json)
            .join(S.specimens, S.specimens.c.id == S.case_members.c.specimen_pk)
            .join(S.genotypes, S.genotypes.c.specimen_pk == S.specimens.c.id)
            .where(S.case_members.c.case_id == row.id)
            .order_by(S.case_members.c.member)).all()
        creator = None if row is None or row.created_by is None else conn.execute(
            sa.select(S.users.c.name).where(S.users.c.id == row.created_by)).scalar_one_or_none()
    with store.db.write() as conn:
        store.write_audit(conn, user, "case_view", {
            "case_ref": ref, "found": row is not None,
            "members": {m: store.specimen_ref(user.lab, s) for m, s, _ in linked}},
            purpose=purpose)
    if row is None:
        raise NotFound(f"no missing-person case {ref!r} in lab {user.lab!r}",
                       remedy="`locard case list` shows the lab's cases")
    members = {str(m): str(s) for m, s, _ in linked}
    profiles = {str(m): Profile.from_canonical_json(j).with_specimen_id(str(s))
                for m, s, j in linked}
    pedigree = Pedigree.from_dict(json.loads(row.pedigree_json)).with_profiles(profiles)
    return MissingPersonCase(ref, user.lab, pedigree, members, str(row.created_at),
                             None if creator is None else str(creator))


def list_cases(store: Store, *, actor: str) -> list[CaseSummary]:
    """The actor's lab's cases, by reference (audited as ``case_list``)."""
    user = _user_for(store, actor, "view")
    typed = (sa.select(sa.func.count()).select_from(S.case_members)
             .where(S.case_members.c.case_id == S.mp_cases.c.id).scalar_subquery())
    with store.db.read() as conn:
        lab_id = store.lab_id(conn, user.lab)
        rows = conn.execute(
            sa.select(S.mp_cases.c.case_ref, S.mp_cases.c.missing, S.mp_cases.c.pedigree_json,
                      S.mp_cases.c.created_at, typed.label("typed"))
            .where(S.mp_cases.c.lab_id == lab_id).order_by(S.mp_cases.c.case_ref)).all()
    with store.db.write() as conn:
        store.write_audit(conn, user, "case_list", {"cases": len(rows)})
    return [CaseSummary(str(r.case_ref), str(r.missing),
                        len(json.loads(r.pedigree_json)["individuals"]), int(r.typed),
                        str(r.created_at)) for r in rows]


def remove_case(store: Store, case_ref: str, *, actor: str, reason: str) -> None:
    """Delete a case and its links (analysts and administrators; audited with the reason).
    The relatives' specimens stay: each has its own legal basis or consent (expunge them, or
    withdraw the consent, to remove them)."""
    ref = _check_ref(case_ref)
    if not reason.strip():
        raise InputError("removing a case needs a reason")
    user = _user_for(store, actor, "case")
    with store.db.write() as conn:
        lab_id = store.lab_id(conn, user.lab)
        row = _case_row(conn, lab_id, ref)
        if row is None:
            raise NotFound(f"no missing-person case {ref!r} in lab {user.lab!r}")
        conn.execute(S.case_members.delete().where(S.case_members.c.case_id == row.id))
        conn.execute(S.mp_cases.delete().where(S.mp_cases.c.id == row.id))
        store.write_audit(conn, user, "case_remove", {"case_ref": ref, "reason": reason})
