"""Allele designations at STR loci.

An allele is named by its repeat number (``13``), a microvariant (``9.3``: nine whole repeats and
three extra bases; ``Penta D 2.2``), a bin of the allelic ladder (``<5``, ``>27``), an
off-ladder call (``OL``) or, at Amelogenin, ``X`` or ``Y``. Alleles order by repeat number, then
microvariant; a ``<n`` bin sorts before ``n`` and a ``>n`` bin after every ``n.x``; ``OL`` sorts
last. Several ``OL`` peaks at one locus are several alleles: a profile numbers them (the ordinal
sits in ``repeats``, 0 for the first) and every one prints as ``OL``.

``Allele`` is a frozen value that does no work; :func:`parse_allele` is the forgiving constructor
for people and files, and raises :class:`~locard.errors.InvalidAllele` naming locus and value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from locard.errors import InvalidAllele

__all__ = ["Allele", "AlleleKind", "parse_allele"]


class AlleleKind(StrEnum):
    """What an allele designation names: a repeat number, a ladder bin, OL, or X/Y."""

    REPEAT = "repeat"  # whole or microvariant repeat number
    BELOW = "below"  # ladder bin "<n"
    ABOVE = "above"  # ladder bin ">n"
    OFF_LADDER = "off-ladder"  # "OL"
    X = "X"
    Y = "Y"


_KIND_RANK = {
    AlleleKind.X: 0,
    AlleleKind.Y: 1,
    AlleleKind.BELOW: 2,
    AlleleKind.REPEAT: 2,
    AlleleKind.ABOVE: 2,
    AlleleKind.OFF_LADDER: 3,
}

MAX_REPEATS = 200
_REPEAT_RE = re.compile(r"^(\d{1,3})(?:\.(\d))?$")
_BIN_RE = re.compile(r"^([<>])\s*(\d{1,3})$")


@dataclass(frozen=True, slots=True)
class Allele:
    """One allele designation. Build it with :func:`parse_allele` or :meth:`repeat`."""

    kind: AlleleKind
    repeats: int = 0
    variant: int = 0

    @classmethod
    def repeat(cls, repeats: int, variant: int = 0) -> Allele:
        """The repeat allele ``repeats.variant`` (``Allele.repeat(9, 3)`` is 9.3)."""
        return cls(AlleleKind.REPEAT, repeats, variant)

    @property
    def is_repeat(self) -> bool:
        """True for a repeat number (``13``, ``9.3``), not a bin, OL or X/Y."""
        return self.kind is AlleleKind.REPEAT

    @property
    def is_microvariant(self) -> bool:
        """True for a repeat with a partial repeat (``9.3``)."""
        return self.kind is AlleleKind.REPEAT and self.variant != 0

    @property
    def is_sex(self) -> bool:
        """True for Amelogenin's X or Y."""
        return self.kind in (AlleleKind.X, AlleleKind.Y)

    @property
    def number(self) -> float | None:
        """Repeat number as a float (9.3 -> 9.3); None for OL, X and Y; the bound for a bin."""
        if self.kind in (AlleleKind.REPEAT, AlleleKind.BELOW, AlleleKind.ABOVE):
            return self.repeats + self.variant / 10
        return None

    def sort_key(self) -> tuple[int, int, int]:
        """The key that orders alleles as labs list them: ``<n`` < ``n`` < ``n.1`` .. ``n.9`` <
        ``>n``."""
        # within rank 2: "<n" < "n" < "n.1" .. "n.9" < ">n"
        sub = {AlleleKind.BELOW: -1, AlleleKind.ABOVE: 10}.get(self.kind, self.variant)
        return (_KIND_RANK[self.kind], self.repeats, sub)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Allele):
            return NotImplemented
        return self.sort_key() < other.sort_key()

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Allele):
            return NotImplemented
        return self.sort_key() <= other.sort_key()

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Allele):
            return NotImplemented
        return self.sort_key() > other.sort_key()

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Allele):
            return NotImplemented
        return self.sort_key() >= other.sort_key()

    def __str__(self) -> str:
        if self.kind is AlleleKind.REPEAT:
            return f"{self.repeats}.{self.variant}" if self.variant else str(self.repeats)
        if self.kind is AlleleKind.BELOW:
            return f"<{self.repeats}"
        if self.kind is AlleleKind.ABOVE:
            return f">{self.repeats}"
        if self.kind is AlleleKind.OFF_LADDER:
            return "OL"
        return self.kind.value

    def __repr__(self) -> str:
        return f"Allele({str(self)!r})"


def parse_allele(text: object, *, locus: str | None = None) -> Allele:
    """Parse one allele designation, forgiving of case, blanks and spreadsheet floats.

    Accepted: ``13``, ``9.3``, ``13.0`` (spreadsheet float, read as 13), ``<5``, ``>27``, ``OL``,
    ``X``/``Y``. At Amelogenin the numeric coding ``1``/``2`` (X/Y) used by some kits is accepted.
    Raises :class:`InvalidAllele` naming ``locus`` and the value otherwise, e.g.
    ``D18S51: '9,3' is not an allele designation``.
    """
    if isinstance(text, Allele):
        return text
    if isinstance(text, str):
        key = (text, locus)
        found = _PARSED.get(key)
        if found is None:
            found = _parse_uncached(text, locus)
            if len(_PARSED) < 100_000:  # designations recur: a bounded memo of good ones
                _PARSED[key] = found
        return found
    return _parse_uncached(text, locus)


_PARSED: dict[tuple[str, str | None], Allele] = {}


def _parse_uncached(text: object, locus: str | None) -> Allele:
    """:func:`parse_allele` without the memo."""
    if isinstance(text, Allele):
        return text
    if isinstance(text, bool) or text is None:
        raise InvalidAllele(repr(text), locus=locus)
    if isinstance(text, int):
        raw = str(text)
    elif isinstance(text, float):
        raw = repr(text)
    elif isinstance(text, str):
        raw = text
    else:
        raise InvalidAllele(repr(text), locus=locus)
    s = raw.strip()
    up = s.upper()
    is_amel = locus is not None and locus.upper() in ("AMEL", "AMELOGENIN")
    if up in ("X", "Y"):
        if locus is not None and not is_amel:
            raise InvalidAllele(raw, locus=locus, reason="is a sex allele outside Amelogenin")
        return Allele(AlleleKind(up))
    if is_amel:
        if up == "OL":
            return Allele(AlleleKind.OFF_LADDER)
        if s in ("1", "1.0"):
            return Allele(AlleleKind.X)
        if s in ("2", "2.0"):
            return Allele(AlleleKind.Y)
        raise InvalidAllele(raw, locus=locus,
                            reason="is not an Amelogenin allele (X, Y, OL, 1 or 2)")
    if up == "OL":
        return Allele(AlleleKind.OFF_LADDER)
    m = _BIN_RE.match(s)
    if m:
        n = int(m.group(2))
        if not 1 <= n <= MAX_REPEATS:
            raise InvalidAllele(raw, locus=locus, reason="is outside the repeat range 1-200")
        return Allele(AlleleKind.BELOW if m.group(1) == "<" else AlleleKind.ABOVE, n)
    if s.endswith(".0") and s[:-2].isdigit():
        s = s[:-2]
    m = _REPEAT_RE.match(s)
    if not m:
        raise InvalidAllele(raw, locus=locus)
    repeats = int(m.group(1))
    variant = int(m.group(2) or 0)
    if not 1 <= repeats <= MAX_REPEATS:
        raise InvalidAllele(raw, locus=locus, reason="is outside the repeat range 1-200")
    return Allele(AlleleKind.REPEAT, repeats, variant)
