"""Missing-person identification against the store: kinship ranking, policy-scoped and audited.

:func:`identify` ranks every profile of the missing-person and unidentified-remains indices
(ONLY those) by the missing-person LR of a reference pedigree (relatives typed, the missing
person untyped). Each target index is authorized with :meth:`Store.authorize_search` as a
*kinship* search from the relatives index, so the policy matrix decides and the search, or its
refusal, is audited; naming any other index (forensic, offender, arrestee, ...) is refused.
The ranking itself is :func:`locard.search.kinship_rank.rank_index` over the encoded index:
per-locus genotype LR tables (:func:`locard.stats.kinship.genotype_lr_tables`), one table
look-up per locus and profile.

The pedigree comes either with its relatives' profiles inline (a pedigree JSON file,
:func:`identify`) or from a missing-person case stored in the lab's database, whose typed members
are linked reference specimens of the relatives index (:func:`identify_case`, see
:mod:`locard.store.cases`).

Another lab's candidate shows only its lab ID, specimen ID, index and the total LR (no
per-locus LRs, which would reveal its genotype).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from locard.errors import PolicyViolation, SearchError
from locard.search.kinship_rank import KINSHIP_TARGET_INDICES, rank_index
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship import MutationModel, Pedigree, genotype_lr_tables
from locard.stats.kinship.mutation import mutation_provenance
from locard.stats.kinship.pairwise import check_theta
from locard.stats.kinship.pedigree import MutationSpec
from locard.stats.provenance import make_provenance
from locard.store.categories import Index, parse_index
from locard.store.indexing import StoreIndices, specimen_rows
from locard.store.searching import authorize_targets
from locard.store.store import Store

__all__ = ["IDENTIFY_TARGETS", "IdentifyCandidate", "IdentifyReport", "identify",
           "identify_case"]

#: the only indices a relatives' reference is ever compared with
IDENTIFY_TARGETS = (Index.MISSING_PERSON, Index.UNIDENTIFIED)


@dataclass(frozen=True, slots=True)
class IdentifyCandidate:
    """One ranked profile; ``lr == prod(per_locus.values())`` for the user's own lab's."""

    rank: int
    lab: str
    specimen_id: str
    index: str
    lr: float
    log10_lr: float
    restricted: bool
    per_locus: dict[str, float] | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The candidate as a JSON-ready dict; per-locus LRs only when not restricted (another
        lab's).
        """
        out: dict[str, Any] = {"rank": self.rank, "lab": self.lab,
                               "specimen_id": self.specimen_id, "index": self.index,
                               "lr": self.lr, "log10_lr": self.log10_lr,
                               "restricted": self.restricted}
        if not self.restricted:
            out["per_locus"] = dict(self.per_locus or {})
        return out


@dataclass(frozen=True, slots=True)
class IdentifyReport:
    """The ranking: candidates best first, the indices ranked, provenance of the numbers."""

    missing: str
    targets: tuple[str, ...]
    loci: tuple[str, ...]
    profiles_ranked: Mapping[str, int]
    candidates: tuple[IdentifyCandidate, ...]
    purpose: str
    provenance: Mapping[str, Any] = field(repr=False)
    case_ref: str | None = None

    def __len__(self) -> int:
        return len(self.candidates)

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict (``case_ref`` only for a registered case)."""
        return {**({"case_ref": self.case_ref} if self.case_ref is not None else {}),
                "missing": self.missing, "targets": list(self.targets), "loci": list(self.loci),
                "profiles_ranked": dict(self.profiles_ranked), "purpose": self.purpose,
                "candidates": [c.to_dict() for c in self.candidates],
                "provenance": dict(self.provenance)}


def identify(store: Store, pedigree: Pedigree, *, table: FrequencyTable, actor: str,
             purpose: str | None, top: int = 20, mutation: MutationSpec = None,
             indices: Iterable[Index | str] | None = None,
             store_indices: StoreIndices | None = None,
             case_ref: str | None = None,
             min_frequency: float | None = None,
             theta: float = 0.0) -> IdentifyReport:
    """Rank the missing-person and unidentified-remains profiles by the pedigree's
    missing-person LR (Hp: the profile is the missing person; Hd: unrelated), best first.

    ``indices`` (default both) may name only those two; any other is refused with
    :class:`PolicyViolation` (and audited), as is a kinship search the policy forbids.
    ``mutation``: a :class:`MutationModel` (or one per locus), None for none. ``case_ref``
    (a stored case the pedigree came from) is recorded in the provenance. ``min_frequency``:
    the frequency of an allele absent from the table (default 5/2N; 0: the table as given).
    ``theta``: Balding-Nichols coancestry of all founder alleles, the candidate's under Hd
    included (default 0; :mod:`locard.stats.kinship.search_tables`)."""
    if top < 1:
        raise SearchError(f"top = {top}: ask for at least one candidate")
    check_theta(theta)
    wanted = (list(IDENTIFY_TARGETS) if indices is None
              else list(dict.fromkeys(parse_index(i) for i in indices)))
    # the policy matrix (kinship mode, from the relatives index) decides and audits; the hard
    # line is checked again below, whatever the policy file says
    user, targets = authorize_targets(store, Index.RELATIVE, wanted, mode="kinship",
                                      actor=actor, purpose=purpose)
    for t in targets:
        if t not in IDENTIFY_TARGETS or t.value not in KINSHIP_TARGET_INDICES:
            raise PolicyViolation(f"kinship ranking against the {t.label} index is never "
                                  "allowed")  # pragma: no cover - the policy loader refuses
    tables = genotype_lr_tables(pedigree, table, mutation=mutation,
                                min_frequency=min_frequency, theta=theta)
    if not tables:
        raise SearchError("no relative in the pedigree is typed at a locus of the table",
                          remedy="type the relatives, or use a table with their loci")
    own = store_indices or StoreIndices.open(store, actor=actor, attach=False)
    ranked: dict[str, int] = {}
    hits = []
    for t in targets:
        pidx = own[t]
        ranked[t.value] = pidx.n_single
        if pidx.n_single == 0:
            continue
        for hit in rank_index(pidx, tables, top=2 * top + 10):
            hits.append((t, hit))
    rows = specimen_rows(store, [h.key for _, h in hits if h.key is not None])
    shown: list[IdentifyCandidate] = []
    hits.sort(key=lambda th: (-th[1].log10_lr, th[0].value, th[1].key or 0))
    for t, hit in hits:
        row = rows.get(hit.key) if hit.key is not None else None
        if row is None or (row.local_only and row.lab != user.lab):
            continue
        restricted = row.lab != user.lab
        shown.append(IdentifyCandidate(
            len(shown) + 1, row.lab, row.specimen_id, t.value, hit.lr,
            hit.log10_lr if math.isfinite(hit.log10_lr) else -math.inf, restricted,
            None if restricted else dict(hit.per_locus)))
        if len(shown) >= top:
            break
    model: Any = mutation
    if isinstance(mutation, MutationModel):
        model = mutation.to_dict()
    elif isinstance(mutation, Mapping):
        model = {k: (v.to_dict() if v is not None else None) for k, v in mutation.items()}
    provenance = make_provenance(
        "identify",
        parameters={**({"case_ref": case_ref} if case_ref is not None else {}),
                    "top": top, "targets": [t.value for t in targets], "mutation": model,
                    "mutation_rates": mutation_provenance(mutation, tables)["mutation_rates"],
                    "min_frequency": (min_frequency if min_frequency is not None
                                      else table.min_frequency),
                    "theta": float(theta), "missing": pedigree.missing,
                    "pedigree": pedigree.to_dict(profiles=False), "loci": list(tables)},
        tables=table, purpose=purpose, user=user.name, lab=user.lab,
        statistic="missing-person LR, genotype LR tables (locard.stats.kinship.search_tables)")
    return IdentifyReport(pedigree.missing, tuple(t.value for t in targets), tuple(tables),
                          ranked, tuple(shown), purpose or "", provenance, case_ref)


def identify_case(store: Store, case_ref: str, *, table: FrequencyTable, actor: str,
                  purpose: str | None, top: int = 20, mutation: MutationSpec = None,
                  indices: Iterable[Index | str] | None = None,
                  store_indices: StoreIndices | None = None,
                  min_frequency: float | None = None,
                  theta: float = 0.0) -> IdentifyReport:
    """:func:`identify` for a missing-person case stored in the actor's lab: the pedigree and
    its relatives' reference profiles are read from the store (audited as ``case_view``), then
    ranked as :func:`identify` does. A purpose is required before anything is read."""
    from locard.store.cases import get_case

    if not purpose or not purpose.strip():
        raise PolicyViolation("a search requires a stated purpose (a case number)",
                              remedy="give --purpose")
    case = get_case(store, case_ref, actor=actor, purpose=purpose)
    if not case.members:
        raise SearchError(f"case {case.case_ref!r}: no relative's reference is stored any more "
                          "(expunged or consent withdrawn)",
                          remedy="link new references, or remove the case")
    return identify(store, case.pedigree, table=table, actor=actor, purpose=purpose, top=top,
                    mutation=mutation, indices=indices, store_indices=store_indices,
                    case_ref=case.case_ref, min_frequency=min_frequency, theta=theta)
