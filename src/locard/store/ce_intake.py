"""Capillary-electrophoresis runs into the store: the verdict against the store's acceptance
rules, and the import of analysed samples with their provenance.

:func:`ce_verdict` says, for one :class:`~locard.ce.analysis.SampleAnalysis`, which index its
profile could enter under the store's policy (:meth:`locard.store.policy.Policy.evaluate`,
the same rules an import applies) and why not for the others. Controls (a run that
:func:`locard.ce.analysis.analyze_run` found or was told is a control, or whose sample name
matches the policy's ``[controls]`` patterns) and runs with no allele called never enter.
The flags of the analysis are not a refusal: they are for the analyst to review (the web UI
shows them before an analyst accepts a profile).

:func:`import_analyses` stores every sample whose verdict allows the index of ``category``,
with the analysis's provenance (:meth:`locard.store.Store.add_profiles`), in one transaction:
all of them or, on any failure, none. The specimen ID is the run's sample name (an ID as the
lab typed it on the instrument; never a person's name).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from locard.ce.analysis import SampleAnalysis
from locard.store.categories import Index, index_for_category
from locard.store.policy import Policy

if TYPE_CHECKING:
    from locard.store.store import Store

__all__ = ["CEIntakeReport", "CEVerdict", "ce_verdict", "import_analyses"]

CONTROL_REASON = "a control or ladder is never stored ([controls] in the policy)"
NO_ALLELES = "no alleles called"


@dataclass(frozen=True, slots=True)
class CEVerdict:
    """Which index an analysed sample could enter (``accepted``; ``local_only`` those where
    it would stay local) and, per refused index, the failed rules; ``reason`` when it can
    enter none at all (a control, nothing called)."""

    sample: str
    control: bool
    accepted: tuple[str, ...] = ()
    local_only: tuple[str, ...] = ()
    refused: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    reason: str | None = None

    def allows(self, index: Index | str) -> bool:
        """True when the profile could enter ``index``."""
        return Index(index).value in self.accepted

    def why_not(self, index: Index | str) -> str:
        """Why the profile cannot enter ``index`` ("" when it can)."""
        value = Index(index).value
        if value in self.accepted:
            return ""
        if self.reason is not None:
            return self.reason
        if value in self.refused:
            return "; ".join(self.refused[value])
        return f"the policy has no {value} index"

    def to_dict(self) -> dict[str, Any]:
        """``{"control", "accepted", "local_only", "refused"}``, and ``"reason"`` when set."""
        out: dict[str, Any] = {"control": self.control, "accepted": list(self.accepted),
                               "local_only": list(self.local_only),
                               "refused": {k: list(v) for k, v in self.refused.items()}}
        if self.reason is not None:
            out["reason"] = self.reason
        return out


def ce_verdict(analysis: SampleAnalysis, policy: Policy) -> CEVerdict:
    """The verdict on ``analysis`` under ``policy`` (see the module docstring)."""
    if analysis.control is not None or policy.is_control(analysis.sample):
        return CEVerdict(analysis.sample, True, reason=CONTROL_REASON)
    if analysis.profile is None:
        return CEVerdict(analysis.sample, False, reason=NO_ALLELES)
    accepted: list[str] = []
    local: list[str] = []
    refused: dict[str, tuple[str, ...]] = {}
    for index in Index:
        if index not in policy.indices:
            continue
        outcome = policy.evaluate(analysis.profile, index)
        if outcome.accepted:
            accepted.append(index.value)
            if outcome.local_only:
                local.append(index.value)
        else:
            refused[index.value] = tuple(str(f) for f in outcome.failures)
    return CEVerdict(analysis.sample, False, tuple(accepted), tuple(local), refused)


@dataclass(frozen=True, slots=True)
class CEIntakeReport:
    """What :func:`import_analyses` did: ``imported`` maps file -> specimen ID stored
    (``keys`` their internal keys, same order); ``skipped`` maps file -> why not."""

    index: str
    imported: Mapping[str, str]
    keys: tuple[int, ...]
    skipped: Mapping[str, str]

    def to_dict(self) -> dict[str, Any]:
        """``{"index", "imported": {file: specimen ID}, "skipped": {file: reason}}``."""
        return {"index": self.index, "imported": dict(self.imported),
                "skipped": dict(self.skipped)}


def import_analyses(store: Store, analyses: Sequence[SampleAnalysis], *, category: str,
                    actor: str, legal_basis: str | None = None, consent: str | None = None,
                    purpose: str | None = None) -> CEIntakeReport:
    """Store every analysed sample whose verdict allows the index of ``category``, with its
    provenance, in one transaction (all or none: a refusal at the store's door raises and
    nothing is written). Samples the verdict refuses are skipped and listed with the
    reason."""
    index = index_for_category(category)
    chosen: list[SampleAnalysis] = []
    skipped: dict[str, str] = {}
    for a in analyses:
        verdict = ce_verdict(a, store.policy)
        if verdict.allows(index) and a.profile is not None:
            chosen.append(a)
        else:
            skipped[a.file] = verdict.why_not(index)
    keys = store.add_profiles(
        [(a.profile, a.sample, a.provenance) for a in chosen if a.profile is not None],
        category=category, actor=actor, legal_basis=legal_basis, consent=consent,
        purpose=purpose)
    return CEIntakeReport(index.value, {a.file: a.sample for a in chosen}, tuple(keys),
                          skipped)
