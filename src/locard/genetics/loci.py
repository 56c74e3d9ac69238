"""Loci: canonical names, one alias table, and the named locus sets (CODIS 20, CODIS 13, ESS 12).

Every spelling a lab file uses resolves to one canonical name through :func:`canonical_locus`:
case, blanks, underscores, dots, hyphens and slashes are ignored (``Penta E``, ``PENTA_E``,
``PentaE``, ``Penta_E``; ``TH01``, ``TH 01``; ``vWA``, ``VWA``), and a short alias table covers the
historical names (``Amelogenin`` -> ``AMEL``, ``HUMTH01`` -> ``TH01``, ``FIBRA`` -> ``FGA``, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from locard.errors import UnknownLocus

__all__ = [
    "CODIS_CORE_13",
    "CODIS_CORE_20",
    "ESS_12",
    "LOCI",
    "LOCUS_SETS",
    "LocusInfo",
    "LocusKind",
    "aliases_of",
    "canonical_locus",
    "is_known_locus",
    "locus_info",
    "locus_sort_key",
]


class LocusKind(StrEnum):
    """What a locus is: an autosomal STR (used in statistics), a sex or lineage marker, or a
    quality sensor."""

    AUTOSOMAL_STR = "autosomal STR"
    SEX = "sex marker"
    X_STR = "X-STR"
    Y_STR = "Y-STR"
    Y_INDEL = "Y-indel"
    QUALITY = "quality sensor"


@dataclass(frozen=True, slots=True)
class LocusInfo:
    """A locus Locard knows: its canonical name, kind and repeat unit length in bases.

    ``repeat_length`` is None where the literature consulted gives no single unit length.
    """

    name: str
    kind: LocusKind
    chromosome: str
    repeat_length: int | None = 4

    @property
    def is_autosomal_str(self) -> bool:
        """True for an autosomal STR (the loci match statistics use)."""
        return self.kind is LocusKind.AUTOSOMAL_STR


def _str(name: str, chromosome: str, repeat_length: int | None = 4) -> LocusInfo:
    return LocusInfo(name, LocusKind.AUTOSOMAL_STR, chromosome, repeat_length)


_ALL: tuple[LocusInfo, ...] = (
    # CODIS 20 core loci
    _str("CSF1PO", "5"),
    _str("D3S1358", "3"),
    _str("D5S818", "5"),
    _str("D7S820", "7"),
    _str("D8S1179", "8"),
    _str("D13S317", "13"),
    _str("D16S539", "16"),
    _str("D18S51", "18"),
    _str("D21S11", "21"),
    _str("FGA", "4"),
    _str("TH01", "11"),
    _str("TPOX", "2"),
    _str("vWA", "12"),
    _str("D1S1656", "1"),
    _str("D2S441", "2"),
    _str("D2S1338", "2"),
    _str("D10S1248", "10"),
    _str("D12S391", "12"),
    _str("D19S433", "19"),
    _str("D22S1045", "22", 3),
    # other autosomal STRs in common kits
    _str("SE33", "6"),
    _str("Penta D", "21", 5),
    _str("Penta E", "15", 5),
    _str("Penta C", "9", 5),
    _str("D6S1043", "6"),
    _str("F13A01", "6"),
    _str("F13B", "1"),
    _str("FESFPS", "15"),
    _str("LPL", "8"),
    # extended autosomal STRs of the Familias/norSTR tables (kinship work)
    _str("APOAI1", "11", None),
    _str("D2S1360", "2", None),
    _str("D3S1744", "3", None),
    _str("D3S3045", "3", None),
    _str("D4S2366", "4", None),
    _str("D4S2408", "4"),
    _str("D5S2500", "5", None),
    _str("D5S2800", "5", None),
    _str("D6S474", "6", None),
    _str("D6S477", "6", None),
    _str("D7S1517", "7", None),
    _str("D7S3048", "7", None),
    _str("D8S1132", "8", None),
    _str("D9S1122", "9", None),
    _str("D10S1435", "10", None),
    _str("D10S2325", "10", None),
    _str("D11S2368", "11", None),
    _str("D11S554", "11", None),
    _str("D13S325", "13", None),
    _str("D14S1434", "14", None),
    _str("D15S659", "15", None),
    _str("D17S1301", "17", None),
    _str("D17S906", "17", None),
    _str("D18S1364", "18", None),
    _str("D19S253", "19", None),
    _str("D20S482", "20", None),
    _str("D21S2055", "21", None),
    _str("D22GATA198B05", "22", None),
    # sex marker, and Y- and X-chromosome markers (kits and positive-control genotypes)
    LocusInfo("AMEL", LocusKind.SEX, "X/Y", None),
    *(LocusInfo(n, LocusKind.Y_STR, "Y", 4) for n in (
        "DYS19", "DYS385", "DYS389I", "DYS389II", "DYS390", "DYS391", "DYS392", "DYS393",
        "DYS437", "DYS438", "DYS439", "DYS448", "DYS449", "DYS456", "DYS458", "DYS460",
        "DYS481", "DYS518", "DYS533", "DYS549", "DYS570", "DYS576", "DYS627", "DYS635",
        "DYS643", "DYF387S1", "Y-GATA-H4")),
    *(LocusInfo(n, LocusKind.X_STR, "X", 4) for n in (
        "DXS7132", "DXS7423", "DXS8378", "DXS10074", "DXS10079", "DXS10101", "DXS10103",
        "DXS10134", "DXS10135", "DXS10146", "DXS10148", "HPRTB")),
    LocusInfo("Yindel", LocusKind.Y_INDEL, "Y", None),
    # Investigator 24plex quality sensors (not genetic markers)
    LocusInfo("QS1", LocusKind.QUALITY, "-", None),
    LocusInfo("QS2", LocusKind.QUALITY, "-", None),
)

LOCI: dict[str, LocusInfo] = {info.name: info for info in _ALL}

_HISTORICAL_ALIASES = {
    "AMELOGENIN": "AMEL",
    "AM": "AMEL",
    "HUMTH01": "TH01",
    "HUMVWA": "vWA",
    "HUMVWA31": "vWA",
    "VWA31": "vWA",
    "HUMCSF1PO": "CSF1PO",
    "HUMTPOX": "TPOX",
    "HUMFIBRA": "FGA",
    "FIBRA": "FGA",
    "HUMFESFPS": "FESFPS",
    "FES": "FESFPS",
    "F13A1": "F13A01",
    "HUMF13A01": "F13A01",
    "PENTAD": "Penta D",
    "PENTAE": "Penta E",
    "PENTAC": "Penta C",
    "YINDEL": "Yindel",
    "DYS385AB": "DYS385",
    "THO1": "TH01",  # CODIS spelling (letter O)
    "TP0X": "TPOX",  # CODIS spelling (digit zero)
}

_NORMALISE_RE = re.compile(r"[\s_\-./]+")


def _key(name: str) -> str:
    return _NORMALISE_RE.sub("", name).upper()


_BY_KEY: dict[str, str] = {_key(info.name): info.name for info in _ALL}
_BY_KEY.update(_HISTORICAL_ALIASES)
_RESOLVED: dict[str, str] = {info.name: info.name for info in _ALL}

# Named locus sets. CODIS: FBI, "Planning for the expansion of the CODIS core loci" (2015).
CODIS_CORE_13: tuple[str, ...] = (
    "CSF1PO", "D3S1358", "D5S818", "D7S820", "D8S1179", "D13S317", "D16S539", "D18S51",
    "D21S11", "FGA", "TH01", "TPOX", "vWA",
)
CODIS_CORE_20: tuple[str, ...] = (
    *CODIS_CORE_13, "D1S1656", "D2S441", "D2S1338", "D10S1248", "D12S391", "D19S433", "D22S1045",
)
# European Standard Set: Council Resolution 2009/C 296/01.
ESS_12: tuple[str, ...] = (
    "D3S1358", "vWA", "D8S1179", "D21S11", "D18S51", "TH01", "FGA",
    "D1S1656", "D2S441", "D10S1248", "D12S391", "D22S1045",
)
LOCUS_SETS: dict[str, tuple[str, ...]] = {
    "CODIS20": CODIS_CORE_20,
    "CODIS13": CODIS_CORE_13,
    "ESS12": ESS_12,
}


def canonical_locus(name: str) -> str:
    """Resolve any spelling of a marker name to Locard's canonical name.

    Raises :class:`UnknownLocus` (naming the value) for a name the alias table does not know.
    """
    found = _RESOLVED.get(name) if isinstance(name, str) else None
    if found is not None:
        return found
    if not isinstance(name, str) or not name.strip():
        raise UnknownLocus(repr(name))
    found = _BY_KEY.get(_key(name))
    if found is None:
        raise UnknownLocus(name)
    if len(_RESOLVED) < 10_000:  # spellings seen so far (bounded: file headers, not data)
        _RESOLVED[name] = found
    return found


def is_known_locus(name: str) -> bool:
    """Whether ``name`` (or an alias of it) is a locus Locard knows."""
    try:
        canonical_locus(name)
    except UnknownLocus:
        return False
    return True


def locus_info(name: str) -> LocusInfo:
    """What Locard knows of locus ``name`` (aliases accepted); raises UnknownLocus otherwise."""
    return LOCI[canonical_locus(name)]


_ORDER = {info.name: i for i, info in enumerate(_ALL)}


def locus_sort_key(name: str) -> tuple[int, str]:
    """Stable display order: CODIS core first, then other STRs, then sex and Y markers."""
    return (_ORDER.get(name, len(_ORDER)), name)


def aliases_of(name: str) -> list[str]:
    """Historical aliases that resolve to the canonical ``name`` (for ``locard loci``)."""
    canonical = canonical_locus(name)
    return sorted(alias for alias, target in _HISTORICAL_ALIASES.items() if target == canonical)
