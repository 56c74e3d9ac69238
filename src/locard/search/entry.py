"""Search on entry, the pure part: a batch of new profiles against one target index, forward or
in reverse, and one orientation per pair.

The store decides what a batch may be compared with (the policy matrix), authorises, audits and
records the pending candidate matches (:class:`locard.store.searching.EntrySearch`); this module
only compares indices with indices.

What a pair must satisfy does not depend on the direction:

* two single-source profiles agree at ``stringency`` on every compared locus but
  ``mismatches``, with at least ``min_loci`` compared. High (same alleles), moderate (one's
  alleles contained in the other's) and low (an allele shared) are symmetric relations, so are
  the loci compared, the loci failing and the stringency reached: searching either profile with
  the other gives the same result;
* a single-source profile and a mixture pair up when the single-source profile is included in
  the mixture on every compared locus but ``mismatches`` (drop-out), the test of
  :meth:`~locard.search.index.ProfileIndex.search_mixture` of the mixture, and from the other
  side ``search(mixture_inclusion=True)``; such a pair is reported at moderate stringency (as
  CODIS reports a mixture search);
* two mixtures are not compared.

``forward`` searches each new profile against the target; ``reverse`` each target profile
against the batch's single-source profiles only, so a bulk import (100,000 offenders against a
few hundred forensic traces) runs a few hundred searches instead of 100,000. The batch's
mixtures are always searched forward (they are few). ``auto`` picks reverse when the batch holds
more single-source profiles than the target holds profiles (:func:`entry_direction`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from locard.errors import InputError, SearchError
from locard.genetics.profiles import Profile
from locard.search.candidates import Candidate, Stringency
from locard.search.index import ProfileIndex

__all__ = [
    "ENTRY_STRATEGIES",
    "EntryPair",
    "check_entry_strategy",
    "entry_direction",
    "entry_pairs",
    "one_per_pair",
]

#: how a batch is compared with a target index: ``forward`` searches each new profile against
#: the target; ``reverse`` each target profile against the batch only; ``auto`` picks whichever
#: runs fewer searches (reverse when the batch holds more single-source profiles than the
#: target holds profiles)
ENTRY_STRATEGIES = ("auto", "forward", "reverse")


@dataclass(frozen=True, slots=True)
class EntryPair:
    """One comparison found on entry, oriented as it is recorded: ``query`` the new
    specimen's key, ``candidate`` the other's (both new: see :func:`one_per_pair`)."""

    query: int
    candidate: int
    stringency: Stringency
    compared_loci: int
    mismatches: int
    loci: tuple[str, ...] = field(compare=False)  # compared loci (for the rmp)
    profile: Profile = field(compare=False, repr=False)  # the candidate's
    candidate_is_mixture: bool = False

    @property
    def pair(self) -> tuple[int, int]:
        """The two keys, smaller first (the same whichever way round the pair was found)."""
        return (min(self.query, self.candidate), max(self.query, self.candidate))


def check_entry_strategy(strategy: str) -> str:
    """``strategy`` if it is one of :data:`ENTRY_STRATEGIES`, else :class:`InputError`."""
    if strategy not in ENTRY_STRATEGIES:
        raise InputError(f"search on entry strategy {strategy!r} is not one of "
                         + ", ".join(ENTRY_STRATEGIES))
    return strategy


def entry_direction(batch: ProfileIndex, target: ProfileIndex, strategy: str = "auto") -> str:
    """``forward`` or ``reverse``: ``strategy`` itself unless it is ``auto``; then reverse
    exactly when ``batch.n_single > len(target)`` (the reverse runs ``len(target)`` searches,
    the forward ``batch.n_single``)."""
    if check_entry_strategy(strategy) != "auto":
        return strategy
    return "reverse" if batch.n_single > len(target) else "forward"


def entry_pairs(batch: ProfileIndex, target: ProfileIndex, *, direction: str,
                stringency: Stringency = Stringency.MODERATE, min_loci: int = 8,
                mismatches: int = 0) -> list[EntryPair]:
    """Every pair of a profile of ``batch`` (the new ones) and a profile of ``target`` that
    satisfies the test of the module docstring, each oriented new -> other (``query`` in
    ``batch``). ``direction`` (``forward`` or ``reverse``, :func:`entry_direction`) changes the
    work done, never the pairs. A key in both (the batch is part of the target) is not
    paired with itself; a pair of two new profiles may come twice, once each way round
    (:func:`one_per_pair` keeps one). A profile typed at fewer than ``min_loci`` of the
    index's loci is skipped."""
    if direction not in ("forward", "reverse"):
        raise InputError(f"search on entry direction {direction!r} is not forward or reverse")
    out: list[EntryPair] = []
    if len(target) == 0:
        return out
    s, m, n = stringency, mismatches, min_loci
    # the batch's mixtures: forward, each included single-source target profile
    for key in batch.keys(mixtures=True).tolist():
        mixture = batch.get(key)
        if mixture is None:  # pragma: no cover - listed alive just now
            continue
        try:
            found = target.search_mixture(mixture, max_dropout_loci=m, min_loci=n, limit=None)
        except SearchError:  # typed at fewer than min_loci of the index's loci
            continue
        out.extend(_pair(key, c, Stringency.MODERATE, c.profile, False)
                   for c in found if c.key != key)
    if direction == "forward":
        for key in batch.keys(mixtures=False).tolist():
            profile = batch.get(key)
            if profile is None:  # pragma: no cover - listed alive just now
                continue
            try:
                found = target.search(profile, stringency=s, min_loci=n, mismatches=m,
                                      limit=None, mixture_inclusion=True)
            except SearchError:
                continue
            out.extend(_pair(key, c, c.stringency or s, c.profile, c.is_mixture)
                       for c in found if c.key != key)
        return out
    # reverse: each target profile against the batch's single-source profiles only
    if batch.n_single == 0:
        return out
    for mixtures in (False, True):
        for key in target.keys(mixtures=mixtures).tolist():
            profile = target.get(key)
            if profile is None:  # pragma: no cover - listed alive just now
                continue
            try:
                found = (batch.search_mixture(profile, max_dropout_loci=m, min_loci=n,
                                              limit=None) if mixtures
                         else batch.search(profile, stringency=s, min_loci=n, mismatches=m,
                                           limit=None, include_mixtures=False))
            except SearchError:
                continue
            for c in found:
                if c.key == key:
                    continue
                out.append(EntryPair(
                    c.key, key, Stringency.MODERATE if mixtures else (c.stringency or s),
                    c.compared_loci, c.mismatches, c.compared_locus_names, profile, mixtures))
    return out


def _pair(query: int, c: Candidate, stringency: Stringency, profile: Profile,
          candidate_is_mixture: bool) -> EntryPair:
    return EntryPair(query, c.key, stringency, c.compared_loci, c.mismatches,
                     c.compared_locus_names, profile, candidate_is_mixture)


def one_per_pair(found: Iterable[EntryPair]) -> list[EntryPair]:
    """One comparison per pair of specimens, in the order of :attr:`EntryPair.pair`: where a
    pair was found both ways round (both specimens new), the orientation with the lower query
    key (the search from the lower key is the one recorded)."""
    best: dict[tuple[int, int], EntryPair] = {}
    for f in found:
        have = best.get(f.pair)
        if have is None or f.query < have.query:
            best[f.pair] = f
    return [best[p] for p in sorted(best)]
