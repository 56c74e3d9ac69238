"""Multiplex STR kits (loci, dyes, size ranges, allelic ladders) and positive-control DNAs.

Source: the kit definitions of OSIRIS (https://github.com/ncbi/osiris; NCBI, U.S. National
Library of Medicine; public domain, a United States Government Work): the ``*_LadderInfo.xml``
files and ``StandardPositiveControls.xml``. ``scripts/derive_kits.py`` derives the packaged
tables ``locard/data/kits.json`` and ``locard/data/positive_controls.json`` from them; each
table's ``_source`` header names the files (with their SHA-256) and the script. The tables are
read once, lazily, with :mod:`importlib.resources`.

:func:`get_kit` is forgiving: case, blanks, ``_``, ``-``, ``.``, ``/``, the vendor words
``AmpFLSTR``/``Promega``/``Qiagen``/``Applied Biosystems`` and a trailing ``System``/``Kit``
are ignored, and common abbreviations are known (``PP21``, ``GF``, ``Fusion 6C``, ``ESX17``,
``SGM+``, ...). :meth:`Kit.validate_profile` checks a profile against a kit, one message per
problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from locard.errors import FileFormatError, InputError, UnknownKit, UnknownLocus
from locard.genetics.alleles import Allele, AlleleKind, parse_allele
from locard.genetics.loci import LOCI, LocusKind, canonical_locus
from locard.genetics.profiles import Profile

__all__ = [
    "Kit",
    "KitLocus",
    "LadderFlag",
    "find_kit",
    "get_kit",
    "ladder_range",
    "list_kits",
    "list_positive_controls",
    "outside_ladder",
    "positive_control",
]

_DATA_PACKAGE = "locard.data"
_KITS_RESOURCE = "kits.json"
_CONTROLS_RESOURCE = "positive_controls.json"


@dataclass(frozen=True, slots=True)
class KitLocus:
    """One locus of a kit as OSIRIS defines it.

    ``channel`` is the kit's dye channel (OSIRIS ``KitChannelNumber``, 1 = blue); ``fsa_channel``
    the matching channel of a raw .fsa/.hid file where it differs in order (GlobalFiler's purple
    SID dye is kit channel 5 but .fsa channel 6). ``min_bp``/``max_bp`` bound the locus in base
    pairs; ``ladder`` holds the allelic-ladder alleles, sorted (``X``, ``Y`` at AMEL).
    """

    name: str
    dye: str
    colour: str
    channel: int
    min_bp: float
    max_bp: float
    ladder: tuple[Allele, ...]
    fsa_channel: int | None = None
    ladder_bp: tuple[float, ...] = ()

    def on_ladder(self, allele: Allele) -> bool:
        """True if ``allele`` is in this locus's allelic ladder."""
        return allele in self.ladder

    def fragment_length(self, allele: Allele) -> float:
        """The allele's fragment length in base pairs: the ladder's (OSIRIS ``Allele/BP``), or
        for an allele off the ladder, the nearest ladder allele's shifted by the difference in
        bases (repeat length times the repeat difference, plus the microvariant bases), using the
        ladder's own bases-per-repeat (4 when the ladder cannot tell)."""
        sizes = dict(zip(self.ladder, self.ladder_bp, strict=False))
        if allele in sizes:
            return sizes[allele]
        numbered = [(a, b) for a, b in sizes.items() if a.is_repeat]
        if not numbered or not allele.is_repeat:
            return self.max_bp
        (lo, lo_bp), (hi, hi_bp) = numbered[0], numbered[-1]
        unit = round((hi_bp - lo_bp) / (hi.repeats - lo.repeats)) if hi.repeats > lo.repeats else 4
        unit = unit if unit > 0 else 4

        def bases(a: Allele) -> int:
            return a.repeats * unit + a.variant

        near = min(numbered, key=lambda ab: abs(bases(ab[0]) - bases(allele)))
        return near[1] + bases(allele) - bases(near[0])

    @property
    def ladder_range(self) -> tuple[float, float] | None:
        """(lowest, highest) repeat number of the ladder; None for a ladder of X/Y only."""
        numbers = [a.number for a in self.ladder if a.is_repeat and a.number is not None]
        return (min(numbers), max(numbers)) if numbers else None


@dataclass(frozen=True, slots=True)
class Kit:
    """A multiplex kit: its display name, its loci in kit (dye, then size) order, its aliases.

    Build one with :func:`get_kit`; the data come from OSIRIS (see the module docstring).
    """

    name: str
    loci: tuple[KitLocus, ...]
    aliases: tuple[str, ...] = ()
    osiris_name: str = ""

    @property
    def locus_names(self) -> tuple[str, ...]:
        """Canonical Locard names of every locus, in kit order."""
        return tuple(locus.name for locus in self.loci)

    @property
    def str_loci(self) -> tuple[str, ...]:
        """The autosomal STRs only (no Amelogenin, X/Y markers, quality sensors), in kit order."""
        return tuple(n for n in self.locus_names if LOCI[n].kind is LocusKind.AUTOSOMAL_STR)

    def __contains__(self, locus: object) -> bool:
        if not isinstance(locus, str):
            return False
        try:
            return canonical_locus(locus) in self.locus_names
        except UnknownLocus:
            return False

    def locus(self, name: str) -> KitLocus:
        """The kit's locus ``name`` (any alias). Raises :class:`UnknownLocus` for a name that is
        unknown or not in this kit."""
        canonical = canonical_locus(name)
        for locus in self.loci:
            if locus.name == canonical:
                return locus
        raise UnknownLocus(name, remedy=f"the {self.name} loci are {', '.join(self.locus_names)}")

    def validate_profile(self, profile: Profile, *, allow_off_ladder: bool = False) -> list[str]:
        """Check ``profile`` against this kit; return one message per problem (empty: valid).

        Problems, each message naming the locus and value:

        - a locus that is not in the kit (``Penta E: not a locus of the GlobalFiler kit``),
          whatever ``allow_off_ladder`` says;
        - an allele that is not on the kit's allelic ladder
          (``D21S11: allele '30.5' is not on the PowerPlex 21 ladder (use --allow-off-ladder)``),
          an ``OL`` call, and a ladder bin (``<5``, ``>27``): all three are accepted only with
          ``allow_off_ladder=True``. Off-ladder alleles are real (rare variants, microvariants
          the ladder lacks) but deserve a deliberate decision: they usually have no frequency in
          a population table, and ``OL`` and bins are not designations that can be matched
          exactly.

        Not problems: loci of the kit that the profile lacks (a partial profile), inconclusive
        loci of the kit (their alleles are not checked), and the number of alleles per locus.
        """
        problems: list[str] = []
        by_name = {locus.name: locus for locus in self.loci}
        for name, call in profile.loci.items():
            kit_locus = by_name.get(name)
            if kit_locus is None:
                problems.append(f"{name}: not a locus of the {self.name} kit")
                continue
            if call.inconclusive or allow_off_ladder:
                continue
            for allele in call.alleles:
                if allele.kind is AlleleKind.OFF_LADDER:
                    problems.append(f"{name}: allele 'OL' is an off-ladder call "
                                    "(use --allow-off-ladder)")
                elif allele.kind in (AlleleKind.BELOW, AlleleKind.ABOVE):
                    problems.append(f"{name}: allele '{allele}' is a bin outside the {self.name} "
                                    "ladder (use --allow-off-ladder)")
                elif not kit_locus.on_ladder(allele):
                    problems.append(f"{name}: allele '{allele}' is not on the {self.name} "
                                    "ladder (use --allow-off-ladder)")
        return problems

    def __str__(self) -> str:
        return self.name


# --- loading ---------------------------------------------------------------------------------

_KEY_RE = re.compile(r"[\s_\-./,®™]+")
_VENDOR_PREFIXES = ("AMPFLSTR", "PROMEGA", "QIAGEN", "APPLIEDBIOSYSTEMS", "THERMOFISHER")
_SUFFIXES = ("SYSTEM", "KIT")


def _kit_key(name: str) -> str:
    key = _KEY_RE.sub("", name).upper()
    for prefix in _VENDOR_PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            key = key[len(prefix):]
    for suffix in _SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            key = key[: -len(suffix)]
    return key


def _control_key(name: str) -> str:
    return _KEY_RE.sub("", name).upper()


def _read_resource(resource: str) -> dict[str, Any]:
    text = resources.files(_DATA_PACKAGE).joinpath(resource).read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise FileFormatError("expected a JSON object", path=f"locard/data/{resource}")
    return data


def _kit_from_record(record: Mapping[str, Any]) -> Kit:
    loci = []
    for raw in record["loci"]:
        name = canonical_locus(str(raw["name"]))
        loci.append(KitLocus(
            name=name,
            dye=str(raw["dye"]),
            colour=str(raw["colour"]),
            channel=int(raw["channel"]),
            min_bp=float(raw["min_bp"]),
            max_bp=float(raw["max_bp"]),
            ladder=tuple(parse_allele(a, locus=name) for a in raw["ladder"]),
            fsa_channel=int(raw["fsa_channel"]) if raw.get("fsa_channel") is not None else None,
            ladder_bp=tuple(float(b) for b in raw.get("ladder_bp", ())),
        ))
    return Kit(
        name=str(record["name"]),
        loci=tuple(loci),
        aliases=tuple(str(a) for a in record.get("aliases", ())),
        osiris_name=str(record.get("osiris_name", "")),
    )


@cache
def _kits() -> tuple[tuple[Kit, ...], dict[str, Kit]]:
    data = _read_resource(_KITS_RESOURCE)
    kits = tuple(_kit_from_record(record) for record in data["kits"])
    by_key: dict[str, Kit] = {}
    for kit in kits:
        for alias in (kit.name, kit.osiris_name, *kit.aliases):
            if not alias:
                continue
            key = _kit_key(alias)
            other = by_key.setdefault(key, kit)
            if other is not kit:
                raise FileFormatError(f"kit alias {alias!r} names both {other.name!r} and "
                                      f"{kit.name!r}", path=f"locard/data/{_KITS_RESOURCE}")
    return kits, by_key


@cache
def _controls() -> dict[str, Profile]:
    data = _read_resource(_CONTROLS_RESOURCE)
    return {
        str(name): Profile.from_mapping(record["loci"], specimen_id=str(name))
        for name, record in data["controls"].items()
    }


# --- public API ------------------------------------------------------------------------------


def list_kits() -> list[Kit]:
    """Every kit Locard knows, sorted by name (derived from the OSIRIS kit definitions)."""
    return list(_kits()[0])


def get_kit(name: str) -> Kit:
    """The kit called ``name`` (or an alias: ``PP21``, ``PowerPlex21``, ``GF``, ``Fusion 6C``).

    Raises :class:`~locard.errors.UnknownKit` naming the value.
    """
    if not isinstance(name, str) or not name.strip():
        raise UnknownKit(repr(name))
    kit = _kits()[1].get(_kit_key(name))
    if kit is None:
        raise UnknownKit(name)
    return kit


_PANEL_SUFFIX_RE = re.compile(r"[\s_\-.]*(v\d+(\.\d+)*[a-z]?|panels?|bins?|idx|id|hid|"
                              r"fast|kit)$", re.IGNORECASE)


def find_kit(name: str | None) -> Kit | None:
    """The kit a file's kit or panel name means, or None when Locard does not know it.

    Forgiving like :func:`get_kit`, and it also drops the version and panel words a GeneMapper
    ``Panel`` column adds (``PowerPlex_ESX_17_IDX_v2.0``, ``GlobalFiler_Panels_v1``)."""
    if not name or not name.strip():
        return None
    text = name.strip()
    while True:
        try:
            return get_kit(text)
        except UnknownKit:
            pass
        shorter = _PANEL_SUFFIX_RE.sub("", text)
        if shorter == text or not shorter:
            return None
        text = shorter


@dataclass(frozen=True, slots=True)
class LadderFlag:
    """An allele outside the allelic-ladder range of its locus: ``low``-``high`` are the
    ladder's lowest and highest repeat numbers in ``kit`` (a kit's name), or, with ``kit``
    None, the widest range of every kit Locard knows."""

    locus: str
    allele: str
    low: float
    high: float
    kit: str | None

    @property
    def reason(self) -> str:
        """The message without the locus: ``allele '39.3' is outside the GlobalFiler ladder
        (8-19)``."""
        where = (f"the {self.kit} ladder" if self.kit is not None
                 else "the ladder of every kit Locard knows")
        return f"allele '{self.allele}' is outside {where} ({self.low:g}-{self.high:g})"

    def __str__(self) -> str:
        return f"{self.locus}: {self.reason}"


@cache
def _widest_ranges() -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for kit in list_kits():
        for locus in kit.loci:
            found = locus.ladder_range
            if found is None:
                continue
            low, high = out.get(locus.name, found)
            out[locus.name] = (min(low, found[0]), max(high, found[1]))
    return out


def ladder_range(locus: str, kit: Kit | None = None) -> tuple[float, float] | None:
    """(lowest, highest) repeat number on the allelic ladder of ``locus``: the kit's, or
    without a kit the widest over every kit Locard knows; None where no ladder has the locus
    (or the kit lacks it)."""
    name = canonical_locus(locus)
    if kit is None:
        return _widest_ranges().get(name)
    for kit_locus in kit.loci:
        if kit_locus.name == name:
            return kit_locus.ladder_range
    return None


def outside_ladder(profile: Profile, kit: Kit | None = None) -> list[LadderFlag]:
    """Every allele of ``profile`` whose repeat number lies outside its locus's ladder range
    (below the lowest ladder allele or above the highest), in ``kit`` when it is known, else
    in the widest range of every kit Locard knows (so ``D10S1248: 39.3`` is caught either way).

    A microvariant inside the range (``9.3`` between ladder alleles) is not flagged: virtual
    bins are real alleles. Explicit designations are not flagged either: an ``OL`` call (kept
    out of matching), a ladder bin ``<n``/``>n`` and Amelogenin's X/Y. A locus the kit (or every
    kit) lacks has no range and is not checked here."""
    flags: list[LadderFlag] = []
    for name, call in profile.loci.items():
        if call.inconclusive:
            continue
        used = kit
        bounds = ladder_range(name, kit)
        if bounds is None and kit is not None:
            used, bounds = None, ladder_range(name)  # a locus the kit lacks: widest known
        if bounds is None:
            continue
        low, high = bounds
        for allele in call.alleles:
            number = allele.number
            if allele.is_repeat and number is not None and not low <= number <= high:
                flags.append(LadderFlag(name, str(allele), low, high,
                                        used.name if used is not None else None))
    return flags


def list_positive_controls() -> list[str]:
    """Names of the positive-control DNAs Locard knows (OSIRIS StandardPositiveControls.xml)."""
    return sorted(_controls())


def positive_control(name: str) -> Profile:
    """The genotype of a standard positive-control DNA (``2800M``, ``9947A``, ``9948``, ``K562``,
    ``DNA007``, ...), ignoring case and blanks, as a :class:`Profile` whose ``specimen_id`` is
    the control's name.

    Source: OSIRIS ``StandardPositiveControls.xml`` (NCBI, public domain). The profile holds the
    loci Locard's locus table knows (autosomal STRs, Amelogenin, X- and Y-STRs, quality
    sensors); a marker of the source that the table does not know is kept, verbatim, under
    ``other_loci`` in ``locard/data/positive_controls.json``. To compare a control with a
    run of one kit, restrict it first: ``positive_control("2800M").restrict(kit.locus_names)``.

    Raises :class:`~locard.errors.InputError` naming the value and the known controls.
    """
    controls = _controls()
    if isinstance(name, str):
        key = _control_key(name)
        for known, profile in controls.items():
            if _control_key(known) == key:
                return profile
    raise InputError(f"unknown positive control {name!r}",
                     remedy=f"known controls: {', '.join(sorted(controls))}")
