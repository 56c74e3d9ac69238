"""STR profiles: per-locus allele sets with optional peak heights.

A :class:`Profile` maps canonical locus names to :class:`LocusCall` values. A locus absent from the
profile was not typed (a partial profile); a locus present but ``inconclusive`` was typed without a
usable call. A single-source profile has at most two alleles per locus (one allele means a
homozygote); a locus with more than two alleles makes the profile a mixture. Sex comes from
Amelogenin (X only: female, X and Y: male).

``Profile.parse("D8S1179: 13/14; D21S11: 30, 31.2")`` is the forgiving constructor for people;
``Profile.from_json`` / ``to_json`` give a canonical JSON round trip (sorted keys, canonical names).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from locard.errors import InvalidAllele, InvalidProfile, UnknownLocus
from locard.genetics.alleles import Allele, AlleleKind, parse_allele
from locard.genetics.loci import LOCI, LocusKind, canonical_locus, locus_sort_key

__all__ = ["MAX_ALLELES_PER_LOCUS", "LocusCall", "Profile", "genotype_digest"]

MAX_ALLELES_PER_LOCUS = 8


def genotype_digest(genotype_json: str) -> str:
    """The one digest of a genotype: SHA-256 (hex) of its canonical JSON
    (:meth:`Profile.genotype_json`, which leaves out the specimen ID and the kit). Profiles,
    the store's ``genotypes.digest`` and every provenance record use it."""
    return hashlib.sha256(genotype_json.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class LocusCall:
    """The alleles called at one locus, sorted and distinct, with optional peak heights (RFU).

    ``heights[i]`` belongs to ``alleles[i]``; None where no height was reported.
    """

    alleles: tuple[Allele, ...]
    heights: tuple[float | None, ...] | None = None
    inconclusive: bool = False

    @property
    def is_homozygous(self) -> bool:
        """True when one allele was called."""
        return len(self.alleles) == 1

    @property
    def is_mixed(self) -> bool:
        """True when more than two alleles were called (a mixture at this locus)."""
        return len(self.alleles) > 2

    @property
    def off_ladder(self) -> int:
        """The number of off-ladder (``OL``) peaks at this locus; a locus with one is kept out of
        matching (an OL call has no designation to compare and no frequency)."""
        return sum(1 for a in self.alleles if a.kind is AlleleKind.OFF_LADDER)

    def __str__(self) -> str:
        if self.inconclusive:
            return "INC"
        return ",".join(str(a) for a in self.alleles)


def _make_call(locus: str, alleles: Iterable[Any], heights: Iterable[Any] | None,
               specimen: str | None, inconclusive: bool = False) -> LocusCall:
    parsed: list[Allele] = []
    hs: list[float | None] | None = None
    raw_alleles = list(alleles)
    raw_heights = list(heights) if heights is not None else None
    if raw_heights is not None and len(raw_heights) != len(raw_alleles):
        raise InvalidProfile(
            f"{locus}: {len(raw_alleles)} allele(s) but {len(raw_heights)} peak height(s)",
            specimen=specimen, locus=locus)
    by_allele: dict[Allele, float | None] = {}
    for i, raw in enumerate(raw_alleles):
        allele = parse_allele(raw, locus=locus)
        h: float | None = None
        if raw_heights is not None and raw_heights[i] not in (None, ""):
            try:
                h = float(raw_heights[i])
            except (TypeError, ValueError):
                raise InvalidProfile(f"{locus}: peak height {raw_heights[i]!r} is not a number",
                                     specimen=specimen, locus=locus) from None
            if h < 0 or h != h:
                raise InvalidProfile(f"{locus}: peak height {raw_heights[i]!r} is negative or NaN",
                                     specimen=specimen, locus=locus)
        if allele.kind is AlleleKind.OFF_LADDER:
            # every OL peak is its own allele: two off-ladder peaks at a locus stay two (the
            # n-th gets ordinal n - 1; all print as "OL")
            allele = Allele(AlleleKind.OFF_LADDER, sum(
                1 for a in by_allele if a.kind is AlleleKind.OFF_LADDER))
        if allele in by_allele:
            # a repeated allele ("13,13") is how labs write a homozygote: keep one, sum nothing
            prev = by_allele[allele]
            by_allele[allele] = prev if prev is not None else h
        else:
            by_allele[allele] = h
    info = LOCI[locus]
    for allele in by_allele:
        if allele.is_sex and info.kind is not LocusKind.SEX:
            raise InvalidAllele(str(allele), locus=locus,
                                reason="is a sex allele outside Amelogenin")
    if len(by_allele) > MAX_ALLELES_PER_LOCUS:
        raise InvalidProfile(
            f"{locus}: {len(by_allele)} alleles (at most {MAX_ALLELES_PER_LOCUS})",
            specimen=specimen, locus=locus)
    ordered = sorted(by_allele, key=Allele.sort_key)
    parsed = ordered
    if raw_heights is not None:
        hs = [by_allele[a] for a in ordered]
    if not parsed and not inconclusive:
        raise InvalidProfile(f"{locus}: no alleles", specimen=specimen, locus=locus,
                             remedy="leave an untyped locus out, or mark it inconclusive")
    return LocusCall(tuple(parsed), tuple(hs) if hs is not None else None, inconclusive)


@dataclass(frozen=True, slots=True)
class Profile:
    """An STR profile. Build one with :meth:`from_mapping`, :meth:`parse` or :meth:`from_json`.

    ``loci`` maps canonical locus names to calls, in display order. The dataclass does no
    validation itself; the constructors do.
    """

    loci: Mapping[str, LocusCall]
    specimen_id: str | None = None
    kit: str | None = None
    _hash: int = field(default=0, compare=False, repr=False)

    # --- constructors ---------------------------------------------------------------------

    @classmethod
    def from_mapping(
        cls,
        loci: Mapping[str, Iterable[Any]],
        *,
        heights: Mapping[str, Iterable[Any]] | None = None,
        inconclusive: Iterable[str] = (),
        specimen_id: str | None = None,
        kit: str | None = None,
    ) -> Profile:
        """Profile from ``{locus name (any alias): [allele, ...]}``.

        Raises :class:`UnknownLocus`, :class:`InvalidAllele` or :class:`InvalidProfile` naming
        the specimen, locus and value.
        """
        calls: dict[str, LocusCall] = {}
        raw_heights = {canonical_locus(k): v for k, v in (heights or {}).items()}
        inconclusive_set = {canonical_locus(k) for k in inconclusive}
        for raw_name, alleles in loci.items():
            try:
                name = canonical_locus(raw_name)
            except UnknownLocus as exc:
                raise UnknownLocus(raw_name, specimen=specimen_id) from exc
            if name in calls:
                raise InvalidProfile(f"locus {name} given twice (as {raw_name!r})",
                                     specimen=specimen_id, locus=name)
            try:
                calls[name] = _make_call(name, alleles, raw_heights.get(name), specimen_id,
                                         name in inconclusive_set)
            except InvalidAllele as exc:
                if specimen_id:
                    raise InvalidAllele(exc.value, locus=exc.locus, reason=exc.reason,
                                        specimen=specimen_id, remedy=exc.remedy) from exc
                raise
        for name in inconclusive_set - set(calls):
            calls[name] = LocusCall((), None, True)
        return cls._build(calls, specimen_id=specimen_id, kit=kit)

    @classmethod
    def from_calls(cls, calls: Mapping[str, LocusCall], *, specimen_id: str | None = None,
                   kit: str | None = None) -> Profile:
        """Profile from locus calls that are already valid: canonical locus names as keys and
        calls whose alleles are sorted and distinct. The fast path for
        readers that check each locus once; no further validation is done."""
        return cls._build(calls, specimen_id=specimen_id, kit=kit)

    @classmethod
    def _build(cls, calls: Mapping[str, LocusCall], *, specimen_id: str | None,
               kit: str | None) -> Profile:
        ordered = dict(sorted(calls.items(), key=lambda kv: locus_sort_key(kv[0])))
        return cls(ordered, specimen_id, kit)

    @classmethod
    def parse(cls, text: str, *, specimen_id: str | None = None, kit: str | None = None) -> Profile:
        """Parse ``"D8S1179: 13/14; D21S11: 30, 31.2; AMEL: X,Y"`` (``;`` or newlines between
        loci, ``/``, ``,`` or blanks between alleles)."""
        loci: dict[str, list[str]] = {}
        for chunk in text.replace("\n", ";").split(";"):
            chunk = chunk.strip()
            if not chunk:
                continue
            if ":" not in chunk and "=" not in chunk:
                raise InvalidProfile(f"cannot read {chunk!r}: expected 'LOCUS: a/b'",
                                     specimen=specimen_id)
            sep = ":" if ":" in chunk else "="
            name, _, rest = chunk.partition(sep)
            alleles = [a for a in rest.replace("/", " ").replace(",", " ").split() if a]
            loci[name.strip()] = alleles
        return cls.from_mapping(loci, specimen_id=specimen_id, kit=kit)

    # --- views ------------------------------------------------------------------------------

    def __hash__(self) -> int:
        if not self._hash:  # computed on first use: most profiles are never hashed
            object.__setattr__(self, "_hash", hash(tuple(self.loci.items())) or 1)
        return self._hash

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Profile):
            return NotImplemented
        return (self.specimen_id == other.specimen_id and self.kit == other.kit
                and dict(self.loci) == dict(other.loci))

    def __iter__(self) -> Iterator[str]:
        return iter(self.loci)

    def __len__(self) -> int:
        return len(self.loci)

    def __getitem__(self, locus: str) -> LocusCall:
        return self.loci[canonical_locus(locus)]

    def __contains__(self, locus: object) -> bool:
        if not isinstance(locus, str):
            return False
        try:
            return canonical_locus(locus) in self.loci
        except UnknownLocus:
            return False

    def alleles(self, locus: str) -> tuple[Allele, ...]:
        """The alleles called at ``locus`` (any spelling of its name)."""
        return self[locus].alleles

    @property
    def typed_loci(self) -> tuple[str, ...]:
        """Loci with a conclusive call (inconclusive loci excluded)."""
        return tuple(k for k, v in self.loci.items() if not v.inconclusive)

    @property
    def str_loci(self) -> tuple[str, ...]:
        """Typed autosomal STR loci (no Amelogenin, Y markers or quality sensors)."""
        return tuple(k for k in self.typed_loci if LOCI[k].kind is LocusKind.AUTOSOMAL_STR)

    @property
    def max_alleles(self) -> int:
        """The most alleles called at any one locus (0 for an empty profile)."""
        return max((len(c.alleles) for c in self.loci.values()), default=0)

    @property
    def is_mixture(self) -> bool:
        """True when any autosomal STR locus has more than two alleles."""
        return any(len(self.loci[k].alleles) > 2 for k in self.str_loci)

    @property
    def is_single_source(self) -> bool:
        """True unless some locus has more than two alleles."""
        return not self.is_mixture

    @property
    def min_contributors(self) -> int:
        """Lower bound on the number of contributors: ceil(max alleles at a locus / 2)."""
        n = max((len(self.loci[k].alleles) for k in self.str_loci), default=0)
        return max(1, (n + 1) // 2)

    def missing_loci(self, required: Iterable[str]) -> tuple[str, ...]:
        """The loci of ``required`` not typed in this profile (partial profiles)."""
        typed = set(self.typed_loci)
        return tuple(canonical_locus(r) for r in required if canonical_locus(r) not in typed)

    @property
    def sex(self) -> str | None:
        """'female' (X only), 'male' (Y present) or None (Amelogenin not typed)."""
        call = self.loci.get("AMEL")
        if call is None or call.inconclusive or not call.alleles:
            return None
        kinds = {a.kind for a in call.alleles}
        return "male" if AlleleKind.Y in kinds else "female"

    def restrict(self, loci: Iterable[str]) -> Profile:
        """The same profile with only the given loci."""
        keep = {canonical_locus(x) for x in loci}
        return Profile._build({k: v for k, v in self.loci.items() if k in keep},
                              specimen_id=self.specimen_id, kit=self.kit)

    def with_specimen_id(self, specimen_id: str | None) -> Profile:
        """The same genotype under specimen ID ``specimen_id``."""
        return Profile._build(self.loci, specimen_id=specimen_id, kit=self.kit)

    # --- canonical JSON --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form :meth:`from_dict` reads (alleles, and heights and flags where
        present)."""
        loci: dict[str, Any] = {}
        for name, call in self.loci.items():
            entry: dict[str, Any] = {"alleles": [str(a) for a in call.alleles]}
            if call.heights is not None:
                entry["heights"] = list(call.heights)
            if call.inconclusive:
                entry["inconclusive"] = True
            loci[name] = entry
        out: dict[str, Any] = {"loci": loci}
        if self.specimen_id is not None:
            out["specimen_id"] = self.specimen_id
        if self.kit is not None:
            out["kit"] = self.kit
        return out

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no whitespace, canonical locus names and alleles."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    def genotype_json(self) -> str:
        """Canonical JSON of the genotype alone: ``{"loci": ...}`` of :meth:`to_dict` (alleles,
        heights, inconclusive flags), sorted keys, no whitespace; no specimen ID, no kit."""
        return json.dumps({"loci": self.to_dict()["loci"]}, sort_keys=True,
                          separators=(",", ":"))

    def genotype_digest(self) -> str:
        """SHA-256 of the genotype alone (no specimen ID or kit): equal genotypes, equal digest,
        whichever kit typed them (:func:`genotype_digest` of :meth:`genotype_json`)."""
        return genotype_digest(self.genotype_json())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        """The profile :meth:`to_dict` wrote (raises :class:`~locard.errors.InvalidProfile`
        naming the problem)."""
        if not isinstance(data, Mapping) or "loci" not in data:
            raise InvalidProfile("a profile object needs a 'loci' member")
        specimen = data.get("specimen_id")
        raw = data["loci"]
        if not isinstance(raw, Mapping):
            raise InvalidProfile("'loci' must be an object of locus -> alleles", specimen=specimen)
        alleles: dict[str, Iterable[Any]] = {}
        heights: dict[str, Iterable[Any]] = {}
        inconclusive: list[str] = []
        for name, entry in raw.items():
            if isinstance(entry, Mapping):
                alleles[name] = entry.get("alleles", [])
                if entry.get("heights") is not None:
                    heights[name] = entry["heights"]
                if entry.get("inconclusive"):
                    inconclusive.append(name)
                    if not entry.get("alleles"):
                        del alleles[name]
            elif isinstance(entry, (list, tuple)):
                alleles[name] = entry
            elif isinstance(entry, str):
                alleles[name] = entry.replace("/", ",").split(",")
            else:
                raise InvalidProfile(f"{name}: cannot read alleles from {entry!r}",
                                     specimen=specimen, locus=name)
        return cls.from_mapping(alleles, heights=heights or None, inconclusive=inconclusive,
                                specimen_id=specimen, kit=data.get("kit"))

    @classmethod
    def from_canonical_json(cls, text: str | bytes) -> Profile:
        """Read back what :meth:`to_json` wrote (e.g. a stored genotype): canonical locus
        names, sorted distinct canonical alleles. The fast path for Locard's own data; anything
        else falls back to the checking constructor :meth:`from_json`."""
        data = json.loads(text)
        try:
            calls: dict[str, LocusCall] = {}
            for name, entry in data["loci"].items():
                if name not in LOCI:
                    raise KeyError(name)
                alleles = tuple(parse_allele(a, locus=name) for a in entry["alleles"])
                heights = entry.get("heights")
                calls[name] = LocusCall(alleles, tuple(heights) if heights is not None else None,
                                        bool(entry.get("inconclusive", False)))
                for first, second in pairwise(alleles):
                    if not first.sort_key() < second.sort_key():  # sorted and distinct
                        raise ValueError(name)
        except (KeyError, TypeError, ValueError, AttributeError, InvalidAllele):
            return cls.from_dict(data)
        return cls._build(calls, specimen_id=data.get("specimen_id"), kit=data.get("kit"))

    @classmethod
    def from_json(cls, text: str) -> Profile:
        """The profile in JSON text ``text`` (see :meth:`from_dict`)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidProfile(f"not JSON: {exc}") from None
        return cls.from_dict(data)

    def __str__(self) -> str:
        body = "; ".join(f"{k}: {v}" for k, v in self.loci.items())
        return f"{self.specimen_id}: {body}" if self.specimen_id else body
