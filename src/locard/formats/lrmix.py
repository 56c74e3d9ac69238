"""Mixture inputs -> a mixture case file (``docs/mixture.md``).

- **LRmix Studio sample and reference files** (``SampleName, Marker, Allele1..n[, Height n]``,
  comma- or tab-separated) and **GeneMapper ID-X exports** (long and wide): read by
  :func:`locard.formats.genemapper.read_genemapper`, one record per replicate or person.
  :func:`case_from_profiles` turns the records into a case file: every record of the evidence
  files is a replicate, every record of the reference files a typed person.
- **SmartRank search criteria** (``SmartRankImportFile``, XML and JSON): :func:`read_smartrank_
  criteria` gives the case file SmartRank would search with: the candidate is ``CANDIDATE``
  (a contributor under Hp only, with ``candidateDropout``), the replicates are the specimens
  the file names as replicates, the other specimens are the known contributors;
  ``RareAlleleFrequency`` is the floor (``min_frequency``); ``LrThreshold`` and
  ``MaximumNumberOfResults`` are reported in the notes (options of the ranking).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from defusedxml import ElementTree

from locard.errors import FileFormatError, InputError
from locard.formats import detect_format
from locard.formats.cmf import read_cmf
from locard.formats.genemapper import read_genemapper
from locard.genetics.loci import canonical_locus
from locard.genetics.profiles import Profile

__all__ = ["CANDIDATE", "case_from_profiles", "read_mixture_profiles", "read_smartrank_criteria"]

CANDIDATE = "CANDIDATE"


def read_mixture_profiles(path: str | Path) -> dict[str, Profile]:
    """Every sample of an LRmix Studio sample/reference file, a GeneMapper export or a CODIS
    CMF file (its specimens), by name (a mixture keeps all its alleles; heights are not used
    by the semi-continuous model)."""
    result = read_cmf(path) if _is_cmf(path) else read_genemapper(path)
    if result.problems and not result.records:
        raise FileFormatError(f"no sample could be read: {result.problems[0]}", path=str(path),
                              remedy="give an LRmix Studio sample file, a GeneMapper export "
                                     "or a CMF file")
    out: dict[str, Profile] = {}
    for rec in result.records:
        name = rec.specimen_id or rec.profile.specimen_id or f"sample{rec.index}"
        if name in out:
            raise FileFormatError(f"sample {name!r} appears twice", path=str(path),
                                  remedy="give each replicate and person a distinct name")
        out[name] = rec.profile
    return out


def _is_cmf(path: str | Path) -> bool:
    """A CODIS CMF file by its extension or its first bytes (XML), as ``locard import``."""
    try:
        return detect_format(path) == "cmf"
    except FileFormatError:
        return False  # the GeneMapper reader names what is wrong


def _loci(profile: Profile, loci: Sequence[str] | None) -> dict[str, list[str]]:
    wanted = None if loci is None else {canonical_locus(x) for x in loci}
    return {locus: [str(a) for a in profile.alleles(locus)] for locus in profile.loci
            if wanted is None or locus in wanted}


def case_from_profiles(
    evidence: Mapping[str, Profile],
    references: Mapping[str, Profile],
    *,
    frequencies: str,
    poi: str | None,
    knowns: Sequence[str] = (),
    unknowns_hp: int = 0,
    unknowns_hd: int = 1,
    dropout: Mapping[str, float] | None = None,
    dropout_unknowns: float = 0.0,
    dropin: float = 0.0,
    theta: float = 0.0,
    min_frequency: float = 0.0,
    replicates: Sequence[str] | None = None,
    loci: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A case file (a JSON-ready mapping) from evidence replicates and reference profiles.

    Hp: ``knowns`` + ``poi`` + ``unknowns_hp`` unknowns; Hd: ``knowns`` + ``unknowns_hd``.
    ``dropout`` gives typed people's drop-outs (default: ``dropout_unknowns`` for everyone),
    ``replicates`` and ``loci`` select (default: all). Validate with
    :func:`locard.stats.mixture.casefile.parse_case`."""
    chosen = list(replicates) if replicates else list(evidence)
    for rep in chosen:
        if rep not in evidence:
            raise InputError(f"replicate {rep!r} is not in the evidence files",
                             remedy="choose among: " + ", ".join(evidence))
    names = [*knowns, *([poi] if poi else [])]
    for name in names:
        if name not in references:
            raise InputError(f"{name!r} is not in the reference files",
                             remedy="choose among: " + (", ".join(references) or "none"))
    given = dict(dropout or {})
    return {
        "model": "semi-continuous",
        "frequencies": {"table": frequencies, "min_frequency": min_frequency},
        "profiles": {n: _loci(references[n], loci) for n in names},
        "poi": poi,
        "evidence": {rep: _loci(evidence[rep], loci) for rep in chosen},
        "hypotheses": {"hp": {"contributors": names, "unknowns": unknowns_hp},
                       "hd": {"contributors": list(knowns), "unknowns": unknowns_hd}},
        "dropout": {**{n: given.get(n, dropout_unknowns) for n in names},
                    "unknowns_hp": [dropout_unknowns] * unknowns_hp,
                    "unknowns_hd": [dropout_unknowns] * unknowns_hd},
        "dropin": {"probability": dropin},
        "theta": theta,
    }


# --- SmartRank ---------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _xml_criteria(path: Path) -> dict[str, Any]:
    """The XML SmartRankImportFile as the JSON variant's shape."""
    try:
        root = ElementTree.parse(str(path)).getroot()
    except ElementTree.ParseError as exc:
        raise FileFormatError(f"not XML: {exc}", path=str(path),
                              remedy="give a SmartRankImportFile (XML or JSON)") from None

    def child(el: Any, name: str) -> Any:
        return next((c for c in el if _local(c.tag) == name), None)

    def text(name: str) -> str | None:
        el = child(root, name)
        return el.text.strip() if el is not None and el.text and el.text.strip() else None

    def hyp(name: str) -> dict[str, Any] | None:
        el = child(root, name)
        if el is None:
            return None
        contrib = child(el, "contributors")
        non = child(el, "noncontributors")
        unk = child(el, "unknowns")
        return {
            "contributors": {"contributor": [dict(c.attrib) for c in contrib]
                             if contrib is not None else []},
            "nonContributors": ({"nonContributor": [dict(c.attrib) for c in non]}
                                if non is not None and len(non) else None),
            "unknowns": dict(unk.attrib) if unk is not None else None,
            "candidateDropout": el.attrib.get("candidateDropout"),
        }

    reps = child(root, "replicates")
    stats = child(root, "statistics")
    return {
        "replicates": {"replicate": [dict(r.attrib) for r in reps] if reps is not None else []},
        "dropin": text("dropin"), "theta": text("theta"), "lrThreshold": text("lrthreshold"),
        "maximumNumberOfResults": text("maximumnumberofresults"),
        "rareAlleleFrequency": text("rareallelefrequency"),
        "hp": hyp("hp"), "hd": hyp("hd"),
        "specimen": [{"name": s.attrib.get("name"),
                      "locus": [{"name": loc.attrib.get("name"),
                                 "allele": [dict(a.attrib) for a in loc]} for loc in s]}
                     for s in root if _local(s.tag) == "specimen"],
        "statistics": ({"locus": [{"name": loc.attrib.get("name"),
                                   "allele": [dict(a.attrib) for a in loc]} for loc in stats]}
                       if stats is not None else None),
    }


def _number(value: Any, field: str, path: Path, default: float | None = None) -> float:
    if value is None or value == "":
        if default is None:
            raise FileFormatError(f"{field} is missing", path=str(path),
                                  remedy=f"give {field} in the search criteria")
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise FileFormatError(f"{field}: {value!r} is not a number", path=str(path),
                              remedy=f"write {field} as a decimal number") from None


def read_smartrank_criteria(path: str | Path, *, frequencies: str | None = None
                            ) -> tuple[dict[str, Any], list[str]]:
    """A SmartRank search-criteria file (XML or JSON) as a case file, and notes on what the
    case file cannot keep (a typed person's drop-out that differs between Hp and Hd: Hp's is
    kept). ``frequencies`` names the table; a file that embeds statistics still needs one here
    (the embedded values are not used)."""
    p = Path(path)
    text = p.read_text(encoding="utf-8-sig")
    if text.lstrip().startswith("<"):
        data = _xml_criteria(p)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FileFormatError(f"neither XML nor JSON: {exc}", path=str(p),
                                  remedy="give a SmartRankImportFile (XML or JSON)") from None
    notes: list[str] = []
    if frequencies is None:
        raise InputError(f"{p}: the search criteria need a frequency table",
                         remedy="give --frequencies (a bundled table or a file)")
    if data.get("statistics"):
        notes.append("the file embeds statistics; they are not used (--frequencies is)")
    specimens: dict[str, dict[str, list[str]]] = {}
    for spec in data.get("specimen") or []:
        name = spec.get("name")
        loci: dict[str, list[str]] = {}
        for loc in spec.get("locus") or []:
            loci[loc["name"]] = [str(a["value"]) for a in loc.get("allele") or []]
        specimens[str(name)] = loci
    rep_names = [r["name"] for r in (data.get("replicates") or {}).get("replicate") or []]
    if not rep_names:
        raise FileFormatError("no replicate is named", path=str(p),
                              remedy="name the replicates under Replicates")
    for r in rep_names:
        if r not in specimens:
            raise FileFormatError(f"replicate {r!r} has no Specimen", path=str(p),
                                  remedy="add a Specimen element for every replicate")
    hyps: dict[str, dict[str, Any]] = {}
    dropout: dict[str, Any] = {}
    for hname in ("hp", "hd"):
        h = data.get(hname)
        if not h:
            raise FileFormatError(f"no {hname.upper()} element", path=str(p),
                                  remedy="give both hypotheses")
        if h.get("nonContributors"):
            raise InputError(f"{p}: {hname}.nonContributors: typed non-contributors are not "
                             "supported by the case file",
                             remedy="remove them, or compute the LR with a case file")
        contributors = []
        for c in (h.get("contributors") or {}).get("contributor") or []:
            name = str(c["name"])
            if name not in specimens:
                raise FileFormatError(f"{hname}: contributor {name!r} has no Specimen",
                                      path=str(p), remedy="add its Specimen element")
            d = _number(c.get("dropout"), f"{hname} contributor {name} dropout", p)
            if name in dropout and dropout[name] != d:
                notes.append(f"{name}: drop-out {dropout[name]} under Hp and {d} under Hd; "
                             "the case file keeps Hp's")
            dropout.setdefault(name, d)
            contributors.append(name)
        unk = h.get("unknowns") or {}
        count = int(_number(unk.get("count"), f"{hname} unknowns count", p, 0.0))
        d_unk = _number(unk.get("dropout"), f"{hname} unknowns dropout", p, 0.0)
        dropout[f"unknowns_{hname}"] = [d_unk] * count
        if hname == "hp":
            contributors.append(CANDIDATE)
            dropout[CANDIDATE] = _number(h.get("candidateDropout"), "HP candidateDropout", p)
        hyps[hname] = {"contributors": contributors, "unknowns": count}
    knowns = {n for h in hyps.values() for n in h["contributors"] if n != CANDIDATE}
    case: dict[str, Any] = {
        "model": "semi-continuous",
        "frequencies": {"table": frequencies,
                        "min_frequency": _number(data.get("rareAlleleFrequency"),
                                                 "RareAlleleFrequency", p, 0.0)},
        "profiles": {**{n: specimens[n] for n in sorted(knowns)}, CANDIDATE: {}},
        "poi": CANDIDATE,
        "evidence": {r: specimens[r] for r in rep_names},
        "hypotheses": hyps,
        "dropout": dropout,
        "dropin": {"probability": _number(data.get("dropin"), "Dropin", p, 0.0)},
        "theta": _number(data.get("theta"), "Theta", p, 0.0),
    }
    search = {"lr_threshold": data.get("lrThreshold"),
              "max_results": data.get("maximumNumberOfResults")}
    if any(v is not None for v in search.values()):
        notes.append("search settings: LR threshold "
                     f"{search['lr_threshold']}, at most {search['max_results']} results "
                     "(pass them to locard mixture rank)")
    return case, notes
