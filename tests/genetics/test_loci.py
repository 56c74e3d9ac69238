"""The alias table resolves every marker name used in ../shared/data."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from locard.errors import UnknownLocus
from locard.genetics.loci import (
    CODIS_CORE_13,
    CODIS_CORE_20,
    ESS_12,
    LOCI,
    LocusKind,
    canonical_locus,
    is_known_locus,
)


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("vWA", "vWA"), ("VWA", "vWA"), ("V W A", "vWA"),
        ("Penta E", "Penta E"), ("PENTA_E", "Penta E"), ("PentaE", "Penta E"),
        ("Penta_E", "Penta E"), ("PENTA E", "Penta E"), ("pentad", "Penta D"),
        ("TH01", "TH01"), ("TH 01", "TH01"), ("HUMTH01", "TH01"),
        ("AMEL", "AMEL"), ("Amelogenin", "AMEL"),
        ("d8s1179", "D8S1179"), ("Y indel", "Yindel"), ("FIBRA", "FGA"),
    ],
)
def test_aliases(spelling: str, canonical: str) -> None:
    assert canonical_locus(spelling) == canonical


def test_unknown_locus_names_value_and_remedy() -> None:
    with pytest.raises(UnknownLocus, match=r"unknown locus 'D8S117'.*locard loci"):
        canonical_locus("D8S117")
    assert not is_known_locus("SomeLocus")


def test_locus_sets() -> None:
    assert len(CODIS_CORE_13) == 13
    assert len(CODIS_CORE_20) == 20 and set(CODIS_CORE_13) < set(CODIS_CORE_20)
    assert len(ESS_12) == 12
    for name in (*CODIS_CORE_20, *ESS_12):
        assert LOCI[name].kind is LocusKind.AUTOSOMAL_STR
    # 7 of the ESS are in the original CODIS 13
    assert len(set(ESS_12) & set(CODIS_CORE_13)) == 7


def test_repeat_lengths() -> None:
    assert LOCI["D22S1045"].repeat_length == 3
    assert LOCI["Penta D"].repeat_length == 5
    assert LOCI["TH01"].repeat_length == 4


# --- every marker name in the reference data ---------------------------------------------------

# Names that are deliberately not STR loci Locard handles, with the reason.
NOT_STR_LOCI = {
    "SomeLocus": "placeholder locus of the LRmix Example1/example-p15 test files",
}
SKIP_FILES = {
    "SNP_": "EuroForMix SNP panel example (Locard is for STRs)",
    "Validation_data_": "LRmix validation tables (their columns are parameters, not markers)",
}


def _sniff(lines: list[str]) -> str:
    head = lines[0]
    if "\t" in head:
        return "\t"
    return ";" if head.count(";") > head.count(",") else ","


def _marker_names(path: Path) -> set[str]:
    text = path.read_bytes().decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
    text = text.replace("\r", "\n")
    names: set[str] = set()
    if path.suffix == ".xml":
        names |= set(re.findall(r"<LOCUSNAME>([^<]+)</LOCUSNAME>", text))
        names |= set(re.findall(r"<Locus>\s*<Name>([^<]+)</Name>", text))
        names |= set(re.findall(r"<marker>\s*<name>([^<]+)</name>", text))
        return {n.strip() for n in names}
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if not lines:
        return names
    sep = _sniff(lines)
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=sep))
    header = [h.strip().strip('"') for h in rows[0]]
    norm = [h.lower().replace(" ", "").replace(".", "") for h in header]
    if "marker" in norm or "locus" in norm:  # long layouts
        i = norm.index("marker") if "marker" in norm else norm.index("locus")
        names |= {r[i].strip().strip('"') for r in rows[1:] if len(r) > i and r[i].strip()}
    elif norm and norm[0] == "allele":  # wide frequency tables
        names |= {h for h in header[1:] if h}
    elif norm and norm[0] in ("specimenid", "id"):  # database exports, dbcompare
        names |= {re.sub(r"[._]\d+$", "", h) for h in header[1:] if h}
    elif "samplename" in norm:  # GeneMapper wide
        names |= {h for h in header if h and h.lower().replace(" ", "") not in
                  ("samplefile", "samplename", "height", "smaplefile")}
    elif path.parent.name == "familias_norstr":
        pass
    return names


def _familias_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        s = line.strip()
        if s and "\t" not in s and not re.match(r"^[\d.<>]+\s", s):
            names.add(s)
    return names


def _reference_files(root: Path) -> list[Path]:
    out = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in (".csv", ".txt", ".tsv", ".xml"):
            continue
        if any(marker in path.name for marker in SKIP_FILES):
            continue
        if path.parent.name in ("ce",) or "LICENSE" in path.name or path.name == "README.md":
            continue
        out.append(path)
    return out


def test_every_marker_name_in_shared_data_resolves(shared_data: Path) -> None:
    seen: dict[str, Path] = {}
    for path in _reference_files(shared_data):
        names = _familias_names(path) if path.parent.name == "familias_norstr" else (
            _marker_names(path))
        for name in names:
            seen.setdefault(name, path)
    assert len(seen) > 80, "the collector found too few marker names to be meaningful"
    unresolved = {
        name: str(path.relative_to(shared_data)) for name, path in seen.items()
        if name not in NOT_STR_LOCI and not name.lower().startswith("rs")
        and not is_known_locus(name)
    }
    assert unresolved == {}


def test_collector_sees_the_awkward_spellings(shared_data: Path) -> None:
    seen: set[str] = set()
    for path in _reference_files(shared_data):
        seen |= (_familias_names(path) if path.parent.name == "familias_norstr"
                 else _marker_names(path))
    for spelling in ("Penta E", "PENTA_E", "PENTAE", "VWA", "vWA", "TH 01", "AMEL", "Amelogenin",
                     "Y indel"):
        assert spelling in seen, spelling
