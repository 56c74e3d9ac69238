"""The policy's ``[mixture_search]`` section: scoring new references against the stored
mixtures on entry (:mod:`locard.store.mixture_entry`; documented in docs/policy.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from locard.errors import InputError

__all__ = ["MAX_ENTRY_CONTRIBUTORS", "MixtureSearchPolicy", "parse_mixture_search"]


def _fail(source: str, message: str) -> InputError:
    return InputError(f"policy {source}: {message}",
                      remedy="fix [mixture_search] in the policy file (docs/policy.md)")


@dataclass(frozen=True, slots=True)
class MixtureSearchPolicy:
    """``[mixture_search]``: how a single-source reference entering the store is scored
    against the stored forensic mixtures by the semi-continuous LR (search on entry, mode
    ``mixture-lr``). A mixture's number of contributors ``n`` is ceil(most alleles at a locus
    / 2), at most ``max_contributors``; Hp = the reference + (n - 1) unknowns, Hd = n unknowns,
    every contributor with drop-out ``dropout``. A pair with LR >= ``lr_threshold`` becomes a
    pending candidate match. ``table`` (default: the first ``[rarity]`` table) gives the
    allele frequencies, ``min_frequency`` the floor for an observed allele it does not list."""

    on_entry: bool = True
    dropout: float = 0.1
    dropin: float = 0.05
    theta: float = 0.01
    lr_threshold: float = 1e4
    max_contributors: int = 3
    table: str | None = None
    min_frequency: float = 0.001

    def to_dict(self) -> dict[str, Any]:
        return {"on_entry": self.on_entry, "dropout": self.dropout, "dropin": self.dropin,
                "theta": self.theta, "lr_threshold": self.lr_threshold,
                "max_contributors": self.max_contributors, "table": self.table,
                "min_frequency": self.min_frequency}


#: the most contributors a stored mixture is scored with on entry: Hd's unknowns are
#: enumerated, and the semi-continuous model enumerates at most 4 unknowns
MAX_ENTRY_CONTRIBUTORS = 4


def _probability(raw: Mapping[str, Any], key: str, default: float, source: str) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise _fail(source, f"[mixture_search] {key} = {value!r}: a probability in [0, 1) "
                            f"(e.g. {key} = {default})")
    return float(value)


def parse_mixture_search(raw: Any, source: str) -> MixtureSearchPolicy:
    if not isinstance(raw, Mapping):
        raise _fail(source, "[mixture_search] must be a table")
    known = {"on_entry", "dropout", "dropin", "theta", "lr_threshold", "max_contributors",
             "table", "min_frequency"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise _fail(source, f"[mixture_search]: unknown key(s) {', '.join(unknown)} "
                            f"(known: {', '.join(sorted(known))})")
    on_entry = raw.get("on_entry", True)
    if not isinstance(on_entry, bool):
        raise _fail(source, f"[mixture_search] on_entry = {on_entry!r}: true or false")
    threshold = raw.get("lr_threshold", 1e4)
    if (isinstance(threshold, bool) or not isinstance(threshold, (int, float))
            or not threshold > 0 or threshold == float("inf")):
        raise _fail(source, f"[mixture_search] lr_threshold = {threshold!r}: a positive LR "
                            "(e.g. lr_threshold = 1e4)")
    most = raw.get("max_contributors", 3)
    if (isinstance(most, bool) or not isinstance(most, int)
            or not 1 <= most <= MAX_ENTRY_CONTRIBUTORS):
        raise _fail(source, f"[mixture_search] max_contributors = {most!r}: a whole number "
                            f"from 1 to {MAX_ENTRY_CONTRIBUTORS} (e.g. max_contributors = 3)")
    table = raw.get("table")
    if table is not None and not (isinstance(table, str) and table.strip()):
        raise _fail(source, f"[mixture_search] table = {table!r}: a bundled table name "
                            "(e.g. table = \"NIST1036:Cauc\"), or leave it out for the first "
                            "[rarity] table")
    floor = _probability(raw, "min_frequency", 0.001, source)
    if floor <= 0:
        raise _fail(source, "[mixture_search] min_frequency = 0: an observed allele the "
                            "table does not list needs a floor above 0 (e.g. 0.001)")
    return MixtureSearchPolicy(
        on_entry=on_entry, dropout=_probability(raw, "dropout", 0.1, source),
        dropin=_probability(raw, "dropin", 0.05, source),
        theta=_probability(raw, "theta", 0.01, source), lr_threshold=float(threshold),
        max_contributors=most, table=table, min_frequency=floor)
