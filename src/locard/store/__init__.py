"""The Locard database: persistence and governance (policy, audit, expungement, users).

``Store.init(url)`` creates a database, ``Store.open(url)`` opens one for use (checking the
schema version); see ``docs/store.md``.
"""

from locard.store.audit import AuditEntry, verify_chain
from locard.store.categories import CATEGORY_INDEX, Index, index_for_category, known_categories
from locard.store.database import DEFAULT_DB, normalize_url
from locard.store.policy import Policy, check_search_allowed, default_policy, load_policy
from locard.store.schema import SCHEMA_VERSION
from locard.store.store import (
    PERMISSIONS,
    ROLES,
    CandidateMatch,
    ExportOmission,
    ExportReport,
    ImportProblem,
    ImportReport,
    MatchDecision,
    SpecimenView,
    Store,
    User,
)

__all__ = [
    "CATEGORY_INDEX",
    "DEFAULT_DB",
    "PERMISSIONS",
    "ROLES",
    "SCHEMA_VERSION",
    "AuditEntry",
    "CandidateMatch",
    "ExportOmission",
    "ExportReport",
    "ImportProblem",
    "ImportReport",
    "Index",
    "MatchDecision",
    "Policy",
    "SpecimenView",
    "Store",
    "User",
    "check_search_allowed",
    "default_policy",
    "index_for_category",
    "known_categories",
    "load_policy",
    "normalize_url",
    "verify_chain",
]
