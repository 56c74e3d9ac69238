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
    "get_kit",
    "list_kits",
    "list_positive_controls",
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

    def on_ladder(self, allele: Allele) -> bool:
        return allele in self.ladder


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
