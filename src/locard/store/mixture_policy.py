"""The policy's ``[mixture_search]`` section: scoring new references against the stored
mixtures on entry (:mod:`locard.store.mixture_entry`; documented in docs/policy.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from locard.store.policy_file import MixtureSearchSection

__all__ = ["MAX_ENTRY_CONTRIBUTORS", "MixtureSearchPolicy", "mixture_search_policy",
           "parse_mixture_search"]


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
        """The settings as a JSON-ready dict."""
        return {"on_entry": self.on_entry, "dropout": self.dropout, "dropin": self.dropin,
                "theta": self.theta, "lr_threshold": self.lr_threshold,
                "max_contributors": self.max_contributors, "table": self.table,
                "min_frequency": self.min_frequency}


#: the most contributors a stored mixture is scored with on entry: Hd's unknowns are
#: enumerated, and the semi-continuous model enumerates at most 4 unknowns
MAX_ENTRY_CONTRIBUTORS = 4


def parse_mixture_search(raw: Any, source: str) -> MixtureSearchPolicy:
    """The ``[mixture_search]`` table of policy file ``source``, validated by its pydantic
    model (:class:`locard.store.policy_file.MixtureSearchSection`): an :class:`InputError`
    names the key path and the value."""
    from locard.store.policy_file import validate_mixture_search  # pydantic: when read

    return mixture_search_policy(validate_mixture_search(raw, source))


def mixture_search_policy(section: MixtureSearchSection) -> MixtureSearchPolicy:
    """The effective ``[mixture_search]`` settings from the validated section."""
    return MixtureSearchPolicy(
        on_entry=section.on_entry, dropout=section.dropout, dropin=section.dropin,
        theta=section.theta, lr_threshold=float(section.lr_threshold),
        max_contributors=section.max_contributors, table=section.table,
        min_frequency=section.min_frequency)
