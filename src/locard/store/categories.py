"""Specimen categories (the CODIS CMF names) and the index each one is stored in.

A CMF file names a specimen's category (``SPECIMENCATEGORY``, the list in CODIS ``CmfList.xml``);
Locard files each specimen in one *index*, which decides its acceptance rules, its legal bases
and what it may be searched against (see ``policy.toml``). Matching of names ignores case,
blanks and punctuation: ``Forensic, Unknown`` and ``forensic unknown`` are the same category.

Three CODIS categories are refused outright: ``Population`` (population samples are bulk data
without a per-record legal basis), ``Proficiency`` and ``Other``.
"""

from __future__ import annotations

import re
from enum import StrEnum

from locard.errors import InputError

__all__ = [
    "CATEGORY_INDEX",
    "REFUSED_CATEGORIES",
    "Index",
    "index_for_category",
    "known_categories",
    "parse_index",
]


class Index(StrEnum):
    """The indices of a Locard database (CODIS-like)."""

    OFFENDER = "offender"
    ARRESTEE = "arrestee"
    FORENSIC = "forensic"
    MISSING_PERSON = "missing_person"
    RELATIVE = "relative"
    UNIDENTIFIED = "unidentified"
    SUSPECT_KNOWN = "suspect_known"
    VICTIM_KNOWN = "victim_known"
    ELIMINATION = "elimination"
    STAFF = "staff"

    @property
    def label(self) -> str:
        """The index's name as people read it."""
        return _LABELS[self]


_LABELS = {
    Index.OFFENDER: "offender",
    Index.ARRESTEE: "arrestee",
    Index.FORENSIC: "forensic",
    Index.MISSING_PERSON: "missing person",
    Index.RELATIVE: "relatives of missing persons",
    Index.UNIDENTIFIED: "unidentified human remains",
    Index.SUSPECT_KNOWN: "known suspect (local)",
    Index.VICTIM_KNOWN: "known victim (local)",
    Index.ELIMINATION: "elimination (local)",
    Index.STAFF: "staff elimination (local)",
}

#: CODIS specimen category (CmfList.xml spelling) -> Locard index.
CATEGORY_INDEX: dict[str, Index] = {
    # offender index
    "Convicted Offender": Index.OFFENDER,
    "Legal": Index.OFFENDER,
    "Detainee": Index.OFFENDER,
    "CO Duplicate": Index.OFFENDER,
    "Juvenile": Index.OFFENDER,
    "Multi-allelic Offender": Index.OFFENDER,
    "Unreviewed Offender": Index.OFFENDER,
    # arrestee index
    "Arrestee": Index.ARRESTEE,
    # forensic index (crime-scene samples)
    "Forensic, Unknown": Index.FORENSIC,
    "Forensic Mixture": Index.FORENSIC,
    "Forensic Partial": Index.FORENSIC,
    "Forensic Targeted": Index.FORENSIC,
    "Deduced Suspect": Index.FORENSIC,
    # direct references of missing persons
    "Missing Person": Index.MISSING_PERSON,
    "Deduced Missing Person": Index.MISSING_PERSON,
    # relatives of missing persons (kinship references)
    "Biological Mother": Index.RELATIVE,
    "Biological Father": Index.RELATIVE,
    "Biological Child": Index.RELATIVE,
    "Biological Sibling": Index.RELATIVE,
    "Maternal Relative": Index.RELATIVE,
    "Paternal Relative": Index.RELATIVE,
    "Spouse": Index.RELATIVE,
    "Alleged Mother": Index.RELATIVE,
    "Alleged Father": Index.RELATIVE,
    # unidentified human remains
    "Unidentified Person": Index.UNIDENTIFIED,
    "Deceased": Index.UNIDENTIFIED,
    "Unidentified Human (Remains)": Index.UNIDENTIFIED,
    # local-only indices
    "Suspect, Known": Index.SUSPECT_KNOWN,
    "Victim, Known": Index.VICTIM_KNOWN,
    "Elimination, Known": Index.ELIMINATION,
    "Volunteer": Index.ELIMINATION,
    "Staff": Index.STAFF,
}

#: CODIS categories that Locard never stores, with the reason.
REFUSED_CATEGORIES: dict[str, str] = {
    "Population": "population samples are not stored in a DNA database (no per-record "
                  "legal basis); keep them in a frequency study",
    "Proficiency": "proficiency-test samples are not stored in the DNA database",
    "Other": "'Other' names no index; give the specimen's actual category",
}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


_BY_KEY = {_key(k): v for k, v in CATEGORY_INDEX.items()}
#: spellings in use that CODIS does not list, stored under the CODIS category they mean
_STORED_AS = {"Unidentified Human (Remains)": "Unidentified Person"}
_CANONICAL = {_key(k): _STORED_AS.get(k, k) for k in CATEGORY_INDEX}
_REFUSED_BY_KEY = {_key(k): (k, v) for k, v in REFUSED_CATEGORIES.items()}
_INDEX_BY_KEY = {_key(i.value): i for i in Index} | {_key(i.label): i for i in Index}


def known_categories() -> list[str]:
    """The category names Locard accepts, in CmfList.xml spelling."""
    return sorted(CATEGORY_INDEX)


def canonical_category(name: str) -> str:
    """The CmfList.xml spelling of a category name (any case or punctuation)."""
    index_for_category(name)
    return _CANONICAL[_key(name)]


def index_for_category(name: str) -> Index:
    """The index a specimen category is stored in.

    Raises :class:`InputError` naming the category and listing the known ones.
    """
    key = _key(name)
    if key in _BY_KEY:
        return _BY_KEY[key]
    if key in _REFUSED_BY_KEY:
        canonical, why = _REFUSED_BY_KEY[key]
        raise InputError(f"specimen category {canonical!r} is not accepted: {why}")
    raise InputError(f"unknown specimen category {name!r}",
                     remedy="known categories: " + "; ".join(known_categories()))


def parse_index(name: str | Index) -> Index:
    """An index from its name (``offender``, ``missing_person``, ``missing person`` ...)."""
    if isinstance(name, Index):
        return name
    key = _key(name)
    if key in _INDEX_BY_KEY:
        return _INDEX_BY_KEY[key]
    raise InputError(f"unknown index {name!r}",
                     remedy="known indices: " + ", ".join(i.value for i in Index))
