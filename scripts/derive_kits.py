#!/usr/bin/env python3
"""Derive Locard's kit table and positive-control genotypes from the OSIRIS kit definitions.

Source: the kit definitions of OSIRIS (Open Source Independent Review and Interpretation
System, https://github.com/ncbi/osiris), National Center for Biotechnology Information (NCBI),
U.S. National Library of Medicine. They are a "United States Government Work" in the public
domain (see ``PUBLIC_DOMAIN_NOTICE.txt`` beside them). Locard keeps a copy of them outside its
repository, in ``../shared/data/kits/``; this script reads them in place and writes:

``src/locard/data/kits.json``
    one record per ``<Set>`` of every ``*_LadderInfo.xml``: the kit's display name and aliases,
    and per locus, in kit order, the canonical Locard locus name, the dye and its colour (from
    ``FsaChannelMap/Channel``), the kit channel (``Locus/Channel``, which is OSIRIS's
    ``KitChannelNumber``) and the matching ABIF/.fsa channel, the size range in base pairs
    (``MinBP``/``MaxBP``), the ladder alleles (canonical designations, sorted; at AMEL the
    ladder names ``1``/``2`` mean ``X``/``Y``) and, in the same order, their fragment lengths in
    base pairs (``Allele/BP``; the continuous mixture model's degradation uses them).

``src/locard/data/positive_controls.json``
    every ``<PositiveControl>`` of ``StandardPositiveControls.xml`` (9947A, 9948, K562, 2800M,
    DNA007, ...): its genotype at the loci Locard's locus table knows (canonical names and
    alleles) and, verbatim under ``other_loci``, any marker the table does not know.

Stdlib only (plus Locard's own alias table and allele parser, so that the names in the output are
exactly the ones Locard uses). ``xml.etree`` is used because these are trusted public-domain
files; Locard's readers of untrusted XML use defusedxml. The output is deterministic: no dates,
no absolute paths; re-running the script on the same sources gives the same bytes (a test checks).

Usage::

    python scripts/derive_kits.py                  # write src/locard/data/*.json
    python scripts/derive_kits.py --check          # exit 1 if the committed files are stale
    python scripts/derive_kits.py --data-dir DIR --out-dir DIR
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:  # run from a checkout without installing Locard
    sys.path.insert(0, str(ROOT / "src"))

from locard.genetics.alleles import parse_allele  # noqa: E402
from locard.genetics.loci import canonical_locus, is_known_locus, locus_sort_key  # noqa: E402

SCRIPT = "scripts/derive_kits.py"
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data" / "kits"
DEFAULT_OUT_DIR = ROOT / "src" / "locard" / "data"
CONTROLS_FILE = "StandardPositiveControls.xml"

OSIRIS = {
    "name": "OSIRIS kit definitions",
    "project": "OSIRIS (Open Source Independent Review and Interpretation System)",
    "publisher": "National Center for Biotechnology Information (NCBI), "
                 "U.S. National Library of Medicine",
    "url": "https://github.com/ncbi/osiris",
    "licence": "public domain: a United States Government Work "
               "(see PUBLIC_DOMAIN_NOTICE.txt beside the source files)",
}

# OSIRIS <Set> name -> (Locard display name, aliases). The aliases are Locard's, not OSIRIS's:
# common abbreviations and the OSIRIS file suffixes that name one kit only (OSIRIS uses "ID" for
# both Identifiler kits and "PP" for both Profiler Plus and SGM Plus, so those are left out).
# get_kit() also ignores case, blanks, "_", "-", "." and vendor words, so "PowerPlex21",
# "powerplex_21" and "Promega PowerPlex 21 System" need no entry here.
KIT_NAMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Cofiler": ("COfiler", ("COF",)),
    "GlobalFiler": ("GlobalFiler", ("GF", "GlobalFiler Express", "GFE")),
    "IdentifilerPlus": ("Identifiler Plus", ("IDPlus", "ID Plus", "Identifiler+")),
    "Identifiler": ("Identifiler", ()),
    "Minifiler": ("MiniFiler", ("MIN",)),
    "NGMSElect": ("NGM SElect", ("SElect", "NGM SElect Express")),
    "NGM": ("NGM", ()),
    "PowerPlex Fusion 6C": ("PowerPlex Fusion 6C", ("Fusion 6C", "PPF6C", "PP Fusion 6C")),
    "PowerPlex Fusion": ("PowerPlex Fusion", ("Fusion", "PPF", "PP Fusion", "Fusion 5C",
                                              "PowerPlex Fusion 5C")),
    "PowerPlex 16": ("PowerPlex 16", ("PP16", "PowerPlex 16 HS", "PP16HS")),
    "PowerPlex 18D": ("PowerPlex 18D", ("PP18D",)),
    "PowerPlex 21": ("PowerPlex 21", ("PP21",)),
    "PowerPlex ESI16": ("PowerPlex ESI 16", ("ESI16", "PPESI16")),
    "PowerPlex ESI17": ("PowerPlex ESI 17", ("ESI17", "PPESI17")),
    "PowerPlex ESX16": ("PowerPlex ESX 16", ("ESX16", "PPESX16")),
    "PowerPlex ESX17": ("PowerPlex ESX 17", ("ESX17", "PPESX17")),
    "ProfilerPlus": ("Profiler Plus", ("Profiler+",)),
    "QiagenInvestigator24plex": ("Investigator 24plex", ("24plex", "Q24p", "24plex QS",
                                                          "Investigator 24plex QS",
                                                          "Investigator 24plex GO")),
    "SGM Plus": ("SGM Plus", ("SGM+", "SGMPlus")),
}

KITS_NOTES = {
    "channel": "OSIRIS kit channel number (Locus/Channel = FsaChannelMap/Channel/KitChannelNumber)",
    "fsa_channel": "the matching channel of the raw .fsa/.hid file (fsaChannelNumber)",
    "min_bp, max_bp": "size range of the locus in base pairs (MinBP/MaxBP)",
    "ladder": "allelic ladder designations, canonical, sorted; at AMEL the OSIRIS names 1/2 "
              "are X/Y; at Yindel and the Investigator quality sensors QS1/QS2 they are kept "
              "as 1/2",
    "ladder_bp": "fragment length in base pairs (Allele/BP) of each ladder allele, in the "
                 "order of ladder",
    "colour": "dye colour, lower case",
    "source_name": "the locus name in the source file, present only where it differs",
}

CONTROLS_NOTES = {
    "loci": "genotype at the loci Locard knows: canonical locus names and alleles "
            "(AMEL 1/2 in the source are X/Y)",
    "other_loci": "markers Locard's locus table does not know (yet): names and alleles as in "
                  "the source (alleles canonicalised where they parse)",
}


def _text(elem: ET.Element, tag: str) -> str:
    value = elem.findtext(tag)
    if value is None or not value.strip():
        raise SystemExit(f"{SCRIPT}: <{elem.tag}> has no <{tag}>")
    return value.strip()


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def _file_record(path: Path) -> dict[str, str]:
    return {"file": f"kits/{path.name}",
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def _source(files: Iterable[Path], what: str, notes: dict[str, str]) -> dict[str, Any]:
    return {
        **OSIRIS,
        "what": what,
        "files": [_file_record(p) for p in sorted(files, key=lambda p: p.name)],
        "derived_by": SCRIPT,
        "notes": notes,
    }


def _generated_by() -> str:
    return (f"{SCRIPT}: do not edit by hand; re-run `python {SCRIPT}` after the source files "
            "or Locard's locus table change")


# --- kits ------------------------------------------------------------------------------------


def _derive_locus(locus: ET.Element, channels: dict[int, dict[str, Any]],
                  kit: str) -> dict[str, Any]:
    raw_name = _text(locus, "Name")
    name = canonical_locus(raw_name)
    channel = int(_text(locus, "Channel"))
    if channel not in channels:
        raise SystemExit(f"{SCRIPT}: {kit} {raw_name}: channel {channel} is not in FsaChannelMap")
    ladder_elem = locus.find("LadderAlleles")
    raw_alleles = [] if ladder_elem is None else [_text(a, "Name")
                                                  for a in ladder_elem.findall("Allele")]
    alleles = [parse_allele(a, locus=name) for a in raw_alleles]
    raw_bp = [] if ladder_elem is None else [_number(_text(a, "BP"))
                                             for a in ladder_elem.findall("Allele")]
    bp_of = dict(zip(alleles, raw_bp, strict=True))
    if len(set(alleles)) != len(alleles):
        raise SystemExit(f"{SCRIPT}: {kit} {raw_name}: duplicate ladder alleles {raw_alleles}")
    record: dict[str, Any] = {"name": name}
    if raw_name != name:
        record["source_name"] = raw_name
    record.update(
        dye=channels[channel]["dye"],
        colour=channels[channel]["colour"],
        channel=channel,
        fsa_channel=channels[channel]["fsa_channel"],
        min_bp=_number(_text(locus, "MinBP")),
        max_bp=_number(_text(locus, "MaxBP")),
        ladder=[str(a) for a in sorted(alleles)],
        ladder_bp=[bp_of[a] for a in sorted(alleles)],
    )
    return record


def _derive_set(kit_set: ET.Element, path: Path) -> dict[str, Any]:
    osiris_name = _text(kit_set, "Name")
    if osiris_name in KIT_NAMES:
        name, aliases = KIT_NAMES[osiris_name]
    else:
        print(f"{SCRIPT}: warning: no display name for kit {osiris_name!r}; using it as is",
              file=sys.stderr)
        name, aliases = osiris_name, ()
    channels: dict[int, dict[str, Any]] = {}
    fsa_map = kit_set.find("FsaChannelMap")
    for ch in [] if fsa_map is None else fsa_map.findall("Channel"):
        channels[int(_text(ch, "KitChannelNumber"))] = {
            "fsa_channel": int(_text(ch, "fsaChannelNumber")),
            "colour": _text(ch, "Color").lower(),
            "dye": _text(ch, "DyeName"),
        }
    loci = [_derive_locus(locus, channels, name) for locus in kit_set.findall("Locus")]
    names = [locus["name"] for locus in loci]
    if len(set(names)) != len(names):
        raise SystemExit(f"{SCRIPT}: {name}: a locus appears twice: {names}")
    all_aliases = {osiris_name, *aliases} - {name}
    return {
        "name": name,
        "osiris_name": osiris_name,
        "source_file": f"kits/{path.name}",
        "aliases": sorted(all_aliases, key=str.lower),
        "loci": loci,
    }


def derive_kits(data_dir: Path) -> dict[str, Any]:
    files = sorted(data_dir.glob("*_LadderInfo.xml"), key=lambda p: p.name)
    if not files:
        raise SystemExit(f"{SCRIPT}: no *_LadderInfo.xml in {data_dir}")
    kits: list[dict[str, Any]] = []
    for path in files:
        root = ET.parse(path).getroot()
        kits.extend(_derive_set(s, path) for s in root.iter("Set"))
    kits.sort(key=lambda k: k["name"].lower())
    seen: set[str] = set()
    for kit in kits:
        if kit["name"] in seen:
            raise SystemExit(f"{SCRIPT}: kit {kit['name']!r} is defined twice")
        seen.add(kit["name"])
    return {
        "_source": _source(files, "kit definitions: loci, dyes, size ranges, allelic ladders",
                           KITS_NOTES),
        "_generated_by": _generated_by(),
        "kits": kits,
    }


# --- positive controls -----------------------------------------------------------------------


def _canonical_or_raw(text: str) -> str:
    try:
        return str(parse_allele(text))
    except Exception:  # keep what the source says where Locard has no designation for it
        return text


def derive_controls(data_dir: Path) -> dict[str, Any]:
    path = data_dir / CONTROLS_FILE
    root = ET.parse(path).getroot()
    controls: dict[str, Any] = {}
    for control in root.iter("PositiveControl"):
        name = _text(control, "Name")
        if name in controls:
            raise SystemExit(f"{SCRIPT}: positive control {name!r} is defined twice")
        known: dict[str, list[str]] = {}
        other: dict[str, list[str]] = {}
        loci_elem = control.find("Loci")
        for locus in [] if loci_elem is None else loci_elem.findall("Locus"):
            raw_name = _text(locus, "Name")
            raw_alleles = [_text(a, "Name") for a in locus.findall("Allele")]
            if is_known_locus(raw_name):
                locus_name = canonical_locus(raw_name)
                alleles = sorted({parse_allele(a, locus=locus_name) for a in raw_alleles})
                target, key, values = known, locus_name, [str(a) for a in alleles]
            else:
                target, key, values = other, raw_name, [_canonical_or_raw(a) for a in raw_alleles]
            if key in target:
                raise SystemExit(f"{SCRIPT}: {name}: locus {raw_name!r} appears twice")
            target[key] = values
        controls[name] = {
            "loci": dict(sorted(known.items(), key=lambda kv: locus_sort_key(kv[0]))),
            "other_loci": dict(sorted(other.items())),
        }
    return {
        "_source": _source([path], "genotypes of standard positive-control DNAs",
                           CONTROLS_NOTES),
        "_generated_by": _generated_by(),
        "controls": dict(sorted(controls.items())),
    }


# --- output ----------------------------------------------------------------------------------


def _is_flat(value: Any) -> bool:
    if isinstance(value, dict):
        return all(not isinstance(v, (dict, list)) for v in value.values())
    if isinstance(value, list):
        return all(not isinstance(v, (dict, list)) for v in value)
    return True


def render(value: Any, depth: int = 0, inline_depth: int = 4, width: int = 160) -> str:
    """JSON with one record per line: short containers of scalars, and anything nested
    ``inline_depth`` deep (a kit's locus, a control's locus), are written on one line."""
    inline = json.dumps(value)
    if (not isinstance(value, (dict, list)) or depth >= inline_depth
            or (_is_flat(value) and len(inline) <= width)):
        return inline
    pad = " " * (depth + 1)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k)}: {render(v, depth + 1, inline_depth)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * depth + "}"
    items = [pad + render(v, depth + 1, inline_depth) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * depth + "]"


def to_text(document: dict[str, Any]) -> str:
    text = render(document) + "\n"
    if json.loads(text) != document:  # the renderer must not change the data
        raise SystemExit(f"{SCRIPT}: internal error: rendered JSON does not round-trip")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help="folder with the OSIRIS *_LadderInfo.xml and "
                             f"{CONTROLS_FILE} (default: ../shared/data/kits)")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR,
                        help="where to write kits.json and positive_controls.json "
                             "(default: src/locard/data)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the files in --out-dir differ")
    args = parser.parse_args(argv)
    outputs = {
        "kits.json": to_text(derive_kits(args.data_dir)),
        "positive_controls.json": to_text(derive_controls(args.data_dir)),
    }
    stale = []
    for filename, text in outputs.items():
        target = args.out_dir / filename
        if args.check:
            current = target.read_text(encoding="utf-8") if target.exists() else None
            if current != text:
                stale.append(str(target))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {target}")
    if stale:
        print(f"{SCRIPT}: stale: {', '.join(stale)} (re-run {SCRIPT})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
