#!/usr/bin/env python3
"""Derive Locard's internal lane standard (ILS) table from the OSIRIS kit definitions.

Source: ``ILSAndLadderInfo.xml`` (the size standards: every ``<LaneStandard>`` of every
``<ILS>`` family) and the ``<LS>``/``<ILS>`` sections of every ``*_LadderInfo.xml`` (which
standards a kit is run with, and in which kit channel), from OSIRIS (https://github.com/ncbi/osiris),
NCBI, U.S. National Library of Medicine: a United States Government Work in the public domain
(see ``PUBLIC_DOMAIN_NOTICE.txt`` beside them). Locard keeps a copy of them outside its
repository, in ``../shared/data/kits/``; this script reads them in place and writes

``src/locard/data/lane_standards.json``
    ``lane_standards``: per ``<LaneStandard>``, its name, family (``ILSName``) and sub-family,
    dye, display name, fragment sizes in bp (``Characteristics``), relative heights where
    given, and OSIRIS's correlation acceptance thresholds; ``kits``: per kit (Locard's display
    name, as in ``kits.json``), the kit channel of the lane standard (``ChannelNo``) and the
    names of the standards the kit accepts (a kit that names ``ILSName`` families accepts every
    standard of those families).

Stdlib only; deterministic output (no dates, no absolute paths); a test re-derives the file and
compares it byte for byte. The JSON layout is the one of ``scripts/derive_kits.py``.

Usage::

    python scripts/derive_ils.py                  # write src/locard/data/lane_standards.json
    python scripts/derive_ils.py --check          # exit 1 if the committed file is stale
    python scripts/derive_ils.py --data-dir DIR --out-dir DIR
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from derive_kits import (
    DEFAULT_DATA_DIR,
    DEFAULT_OUT_DIR,
    KIT_NAMES,
    _number,
    _source,
    _text,
    to_text,
)

SCRIPT = "scripts/derive_ils.py"
ILS_FILE = "ILSAndLadderInfo.xml"
OUTPUT = "lane_standards.json"

NOTES = {
    "sizes": "fragment sizes of the standard's peaks in bp, ascending (Characteristics)",
    "relative_heights": "OSIRIS's relative height class per peak (L, ML, M, MH, H), or null",
    "correlation_acceptance": "OSIRIS's minimum correlation of peak position with size "
                              "(CorrelationAcceptanceThreshold)",
    "ils_channel": "kit channel (OSIRIS KitChannelNumber) that carries the lane standard",
    "ils_fsa_channel": "the matching dye of the raw .fsa/.hid file (fsaChannelNumber)",
    "kits.lane_standards": "names of the lane standards the kit's definition accepts",
}


def _generated_by() -> str:
    return (f"{SCRIPT}: do not edit by hand; re-run `python {SCRIPT}` after the source files "
            "change")


def _lane_standard(elem: ET.Element, family: str, subfamily: str | None,
                   dye: str) -> dict[str, Any]:
    name = _text(elem, "Name")
    sizes = [_number(t) for t in _text(elem, "Characteristics").split()]
    if sizes != sorted(sizes) or len(set(sizes)) != len(sizes):
        raise SystemExit(f"{SCRIPT}: {name}: sizes are not strictly ascending: {sizes}")
    heights_text = elem.findtext("RelativeHeights")
    heights = heights_text.split() if heights_text and heights_text.strip() else None
    problem = None
    if heights is not None and len(heights) != len(sizes):
        problem = (f"the source gives {len(heights)} relative heights for {len(sizes)} sizes; "
                   "they are left out")
        print(f"{SCRIPT}: warning: {name}: {problem}", file=sys.stderr)
        heights = None
    display = elem.findtext("DisplayName")
    record: dict[str, Any] = {
        "name": name,
        "family": family,
        "subfamily": subfamily,
        "dye": dye,
        "display_name": display.strip() if display else None,
        "sizes": sizes,
        "relative_heights": heights,
        "correlation_acceptance": _number(_text(elem, "CorrelationAcceptanceThreshold")),
        "correlation_auto_acceptance": _number(_text(elem,
                                                     "CorrelationAutoAcceptanceThreshold")),
    }
    if problem:
        record["source_problem"] = problem
    return record


def derive_lane_standards(data_dir: Path) -> list[dict[str, Any]]:
    root = ET.parse(data_dir / ILS_FILE).getroot()
    standards: list[dict[str, Any]] = []
    for ils in root.iter("ILS"):
        family = _text(ils, "ILSName")
        dye = _text(ils, "DyeName")
        for child in ils:
            if child.tag == "LaneStandard":
                standards.append(_lane_standard(child, family, None, dye))
            elif child.tag == "SubFamily":
                sub = _text(child, "SubFamilyName")
                standards.extend(_lane_standard(ls, family, sub, dye)
                                 for ls in child.findall("LaneStandard"))
    names = [s["name"] for s in standards]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SystemExit(f"{SCRIPT}: lane standards defined twice: {duplicates}")
    return standards


def derive_kit_standards(data_dir: Path, standards: list[dict[str, Any]]) -> dict[str, Any]:
    by_family: dict[str, list[str]] = {}
    for s in standards:
        by_family.setdefault(s["family"], []).append(s["name"])
    known = {s["name"] for s in standards}
    kits: dict[str, Any] = {}
    for path in sorted(data_dir.glob("*_LadderInfo.xml"), key=lambda p: p.name):
        for kit_set in ET.parse(path).getroot().iter("Set"):
            osiris_name = _text(kit_set, "Name")
            name = KIT_NAMES.get(osiris_name, (osiris_name, ()))[0]
            section = kit_set.find("LS")
            if section is None:
                section = kit_set.find("ILS")
            if section is None:
                raise SystemExit(f"{SCRIPT}: {osiris_name}: no <LS> or <ILS> section")
            names = [t.strip() for t in (e.text for e in section.iter("LSName")) if t]
            for family_elem in section.iter("ILSName"):
                family = (family_elem.text or "").strip()
                if family not in by_family:
                    raise SystemExit(f"{SCRIPT}: {osiris_name}: unknown ILS family {family!r}")
                names.extend(by_family[family])
            names = list(dict.fromkeys(names))
            unknown = [n for n in names if n not in known]
            if unknown:
                print(f"{SCRIPT}: warning: {osiris_name}: lane standards not defined in "
                      f"{ILS_FILE}: {unknown} (listed under not_defined)", file=sys.stderr)
            channel = int(_text(section, "ChannelNo"))
            fsa_channels = {int(_text(ch, "KitChannelNumber")): int(_text(ch, "fsaChannelNumber"))
                            for ch in kit_set.iter("Channel")
                            if ch.find("KitChannelNumber") is not None}
            if channel not in fsa_channels:
                raise SystemExit(f"{SCRIPT}: {osiris_name}: ILS channel {channel} is not in "
                                 "FsaChannelMap")
            kits[name] = {
                "osiris_name": osiris_name,
                "ils_channel": channel,
                "ils_fsa_channel": fsa_channels[channel],
                "lane_standards": [n for n in names if n in known],
            }
            if unknown:
                kits[name]["not_defined"] = unknown
    return dict(sorted(kits.items(), key=lambda kv: kv[0].lower()))


def derive(data_dir: Path) -> dict[str, Any]:
    standards = derive_lane_standards(data_dir)
    files = [data_dir / ILS_FILE, *sorted(data_dir.glob("*_LadderInfo.xml"))]
    return {
        "_source": _source(files, "internal lane standards (size standards) and the standards "
                                  "each kit accepts", NOTES),
        "_generated_by": _generated_by(),
        "lane_standards": standards,
        "kits": derive_kit_standards(data_dir, standards),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help=f"folder with {ILS_FILE} and the *_LadderInfo.xml "
                             "(default: ../shared/data/kits)")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR,
                        help=f"where to write {OUTPUT} (default: src/locard/data)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the file in --out-dir differs")
    args = parser.parse_args(argv)
    text = to_text(derive(args.data_dir))
    target = args.out_dir / OUTPUT
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != text:
            print(f"{SCRIPT}: stale: {target} (re-run {SCRIPT})", file=sys.stderr)
            return 1
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
