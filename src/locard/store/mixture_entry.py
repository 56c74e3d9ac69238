"""Mixture search on entry: new single-source references scored against the stored mixtures.

The reverse of ``locard mixture rank``: when references are imported, each new single-source
profile of an index the policy matrix lets the forensic index be compared with in
``mixture-lr`` mode (the direct matrix, :data:`locard.store.policy.MATRIX_OF_MODE`) is scored
against every stored forensic mixture (not local-only) by the semi-continuous (LRmix) LR,
with the policy's ``[mixture_search]`` settings (:class:`MixtureSearchPolicy`):

- a mixture's number of contributors ``n`` is ceil(most alleles at a locus / 2)
  (:attr:`Profile.min_contributors`), at most ``max_contributors``;
- Hp: the reference (``CANDIDATE``) and ``n - 1`` unknowns; Hd: ``n`` unknowns (the reference
  a typed non-contributor, as LRmix); every contributor with drop-out ``dropout``, drop-in
  ``dropin``, Balding-Nichols ``theta``; the frequencies of ``table`` (default: the first
  ``[rarity]`` table) with ``min_frequency`` for an observed allele it does not list;
- the loci entering are the mixture's autosomal STRs the table lists; a locus the reference
  did not type contributes LR 1, as in the ranking.

The LR is a product of per-locus look-ups in the mixture's genotype-class tables
(:func:`locard.search.mixture_rank.mixture_lr_tables`, computed once per mixture and kept by
the hook). Each pair with ``LR >= lr_threshold`` becomes a pending candidate match (mode
``mixture-lr``, query the mixture, candidate the reference, ``likelihood_ratio`` set), unless
that pair was recorded in that mode before; the import's search is authorized for its purpose
and audited as one ``search`` entry (mode ``mixture-lr``, ``on_entry``) with the hypotheses,
the parameters, the table and each recorded match's per-locus LRs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa

from locard.errors import LocardError
from locard.genetics.loci import locus_info
from locard.genetics.profiles import Profile
from locard.search.mixture_rank import CANDIDATE, MixtureLRTables, mixture_lr_tables
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture.casefile import parse_case
from locard.store import schema as S
from locard.store.categories import Index
from locard.store.indexing import StoreIndices, specimen_rows
from locard.store.mixture_policy import MixtureSearchPolicy
from locard.store.policy import load_rarity_tables
from locard.store.store import Store

__all__ = ["MIXTURE_ENTRY_TRACE_INDEX", "MixtureEntrySearch", "mixture_case_for"]

MIXTURE_MODE = "mixture-lr"
#: the index whose stored mixtures new references are scored against
MIXTURE_ENTRY_TRACE_INDEX = Index.FORENSIC


def mixture_case_for(mixture: Profile, table: FrequencyTable,
                     settings: MixtureSearchPolicy) -> dict[str, Any]:
    """The case file (see docs/mixture.md) scoring a reference ``CANDIDATE`` against
    ``mixture`` with the policy's settings: n = min(min_contributors, max_contributors)."""
    n = max(1, min(mixture.min_contributors, settings.max_contributors))
    loci = [k for k in mixture.str_loci
            if locus_info(k).is_autosomal_str and k in table.frequencies]
    d = settings.dropout
    return {
        "model": "semi-continuous",
        "frequencies": {"table": table.name, "min_frequency": settings.min_frequency},
        "profiles": {CANDIDATE: {}}, "poi": CANDIDATE,
        "evidence": {"trace": {k: [str(a) for a in mixture.alleles(k)] for k in loci}},
        "hypotheses": {"hp": {"contributors": [CANDIDATE], "unknowns": n - 1},
                       "hd": {"contributors": [], "unknowns": n}},
        "dropout": {CANDIDATE: d, "unknowns_hp": [d] * (n - 1), "unknowns_hd": [d] * n},
        "dropin": {"probability": settings.dropin}, "theta": settings.theta}


def _genotype_lr(tables: MixtureLRTables, profile: Profile) -> dict[str, float]:
    """The per-locus LRs of a single-source ``profile`` (loci it did not type left out)."""
    out: dict[str, float] = {}
    for locus in tables.loci:
        if locus not in profile.loci:
            continue
        alleles = profile.alleles(locus)
        if not alleles or len(alleles) > 2:
            continue
        out[locus] = tables.genotype_lr(locus, alleles[0], alleles[-1])
    return out


@dataclass
class MixtureEntrySearch:
    """Scores new references against the stored mixtures (see the module docstring); the
    search-on-entry hook (:class:`locard.store.searching.EntrySearch`) calls it after its own
    allele-by-allele search. ``recorded`` lists the candidate match IDs made."""

    store: Store
    indices: StoreIndices
    actor: str
    purpose: str
    recorded: list[int] = field(default_factory=list)
    #: mixture key -> its LR tables (or the reason it cannot be scored)
    _tables: dict[int, MixtureLRTables | str] = field(default_factory=dict, repr=False)

    @property
    def settings(self) -> MixtureSearchPolicy:
        """The policy's mixture-search settings."""
        return self.store.policy.mixture_search

    def table(self) -> FrequencyTable:
        """The frequency table mixtures are scored with: the policy's mixture-search table, else its
        first rarity table.
        """
        policy = self.store.policy
        name = self.settings.table or policy.rarity_tables[0]
        found: FrequencyTable = load_rarity_tables((name,))[0]
        return found

    def targets(self) -> list[Index]:
        """The indices whose new references are scored: those the matrix lets the forensic
        index be compared with in ``mixture-lr`` mode."""
        return self.store.policy.allowed_targets(MIXTURE_ENTRY_TRACE_INDEX, MIXTURE_MODE)

    def _mixture_tables(self, key: int, mixture: Profile,
                        table: FrequencyTable) -> MixtureLRTables | str:
        found = self._tables.get(key)
        if found is None:
            try:
                case = parse_case(mixture_case_for(mixture, table, self.settings),
                                  source="[mixture_search]")
                found = mixture_lr_tables(case, table, candidate=CANDIDATE)
            except LocardError as exc:  # e.g. too many genotype combinations
                found = f"{type(exc).__name__}: {exc}"
            self._tables[key] = found
        return found

    def __call__(self, new_keys: Sequence[int]) -> list[int]:
        """Score the new specimens ``new_keys`` (local-only ones already left out by the
        caller); returns the candidate match IDs recorded."""
        settings = self.settings
        if not settings.on_entry or not new_keys:
            return []
        store = self.store
        new = np.array(sorted({int(k) for k in new_keys}), dtype=np.int64)
        references: list[tuple[int, Profile]] = []
        targets: list[Index] = []
        for t in self.targets():
            batch = self.indices[t].subset(new)
            if batch.n_single == 0:
                continue
            targets.append(t)
            for key in batch.keys(mixtures=False).tolist():
                profile = batch.get(key)
                if profile is not None:
                    references.append((int(key), profile))
        if not references:
            return []
        traces = self.indices[MIXTURE_ENTRY_TRACE_INDEX]
        rows = specimen_rows(store, [*(int(k) for k in traces.keys(mixtures=True).tolist()),
                                     *(k for k, _ in references)])
        mixture_keys = [int(k) for k in traces.keys(mixtures=True).tolist()
                        if (row := rows.get(int(k))) is not None and not row.local_only]
        if not mixture_keys:  # nothing to compare with: no search, nothing to audit
            return []
        user = store.authorize_search(MIXTURE_ENTRY_TRACE_INDEX, targets, MIXTURE_MODE,
                                      actor=self.actor, purpose=self.purpose,
                                      defer_audit=True)
        table = self.table()
        before = len(self.recorded)
        matches: list[dict[str, Any]] = []
        skipped: dict[str, str] = {}
        scored = 0
        for m_key in mixture_keys:
            m_row = rows.get(m_key)
            mixture = traces.get(m_key)
            if m_row is None or m_row.local_only or mixture is None:
                continue
            tables = self._mixture_tables(m_key, mixture, table)
            if isinstance(tables, str):
                skipped[store.specimen_ref(m_row.lab, m_row.specimen_id)] = tables
                continue
            scored += 1
            for r_key, profile in references:
                r_row = rows.get(r_key)
                if r_row is None or r_row.local_only:
                    continue
                per_locus = _genotype_lr(tables, profile)
                lr = math.prod(per_locus.values())
                if not lr >= settings.lr_threshold:
                    continue
                if self._recorded(m_key, r_key):
                    continue
                mid = store.record_candidate_match(
                    query=(m_row.lab, m_row.specimen_id),
                    candidate=(r_row.lab, r_row.specimen_id), mode=MIXTURE_MODE,
                    stringency="lr", compared_loci=len(per_locus), mismatches=0,
                    likelihood_ratio=lr, actor=self.actor, purpose=self.purpose)
                self.recorded.append(mid)
                matches.append({
                    "match": mid, "lr": lr,
                    "per_locus": per_locus if user.lab in (m_row.lab, r_row.lab) else None})
        store.audit_search(user, MIXTURE_ENTRY_TRACE_INDEX, targets, MIXTURE_MODE,
                           purpose=self.purpose, hits=len(matches), details={
                               "on_entry": True, "references": len(references),
                               "mixtures": scored, "mixtures_skipped": skipped,
                               "hypotheses": {
                                   "hp": "the reference and n - 1 unknown people",
                                   "hd": "n unknown people (n = ceil(most alleles at a "
                                         "locus / 2), at most max_contributors)"},
                               "parameters": settings.to_dict(),
                               "frequencies": {"name": table.name,
                                               "sha256": table.describe().get("sha256")},
                               "matches": matches})
        return self.recorded[before:]

    def _recorded(self, query_pk: int, candidate_pk: int) -> bool:
        m = S.candidate_matches
        with self.store.db.read() as conn:
            return conn.execute(sa.select(m.c.id).where(
                m.c.query_pk == query_pk, m.c.candidate_pk == candidate_pk,
                m.c.mode == MIXTURE_MODE)).first() is not None
