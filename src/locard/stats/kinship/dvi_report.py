"""DVI results as the tables a DVI team uses and a report per family.

:func:`dvi_tables` gives the rows; :func:`write_dvi_outputs` writes them to a folder:

- ``lr_matrix.csv``: one row per victim, one column per missing person (``family:missing``), the
  pairwise LRs (``0`` excluded by the genetics; sex-incompatible pairs are listed in
  ``pairings.csv``);
- ``pairings.csv``: every victim and missing person with a pairwise LR, the posterior, the GLR
  and the conclusion (undisputed, most probable, excluded, possible);
- ``assignments.csv``: the most probable joint assignments per component with their joint LR
  and posterior;
- ``families.md``: per family, each missing person's identification or candidates;
- ``provenance.json``: the parameters, frequency table, mutation rates and inputs' digests.

The numbers are those of :class:`DVIResult`, formatted with ``repr`` precision in the CSVs.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from locard.stats.kinship.dvi_joint import NOT_IDENTIFIED, DVIResult

__all__ = ["dvi_tables", "family_report", "write_dvi_outputs"]


def _num(x: float | None) -> str:
    if x is None:
        return ""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(float(x))


def dvi_tables(result: DVIResult) -> dict[str, list[dict[str, Any]]]:
    """``{"lr_matrix": rows, "pairings": rows, "assignments": rows}`` (see the module docs)."""
    m = result.matrix
    labels = m.labels
    lr_rows = [{"victim": v, **{labels[c]: _num(float(m.lr[i, c])) for c in range(len(labels))}}
               for i, v in enumerate(m.victims)]
    undisputed = {(u.victim, u.label or u.family): u for u in result.undisputed}
    sex_ok = m.sex_compatible
    pair_rows: list[dict[str, Any]] = []
    for i, victim in enumerate(m.victims):
        best, _ = result.best(victim)
        for c, label in enumerate(labels):
            key = (victim, label)
            post = result.posteriors[victim].get(label, 0.0)
            if key in undisputed:
                conclusion = f"undisputed (round {undisputed[key].step})"
            elif key in result.exclusion_reasons:
                conclusion = f"excluded ({result.exclusion_reasons[key]})"
            elif best == label:
                conclusion = "most probable"
            else:
                conclusion = "possible" if post > 0 else "not retained"
            pair_rows.append({
                "victim": victim, "family": m.families[c], "missing": m.missing[c],
                "lr": _num(float(m.lr[i, c])),
                "lr_given_identified": _num(undisputed[key].lr) if key in undisputed else "",
                "sex_compatible": bool(sex_ok[i, c]), "posterior": _num(post),
                "glr": _num(result.glr.get(victim, {}).get(label)), "conclusion": conclusion})
    assign_rows = []
    for rank, a in enumerate(result.assignments, start=1):
        assign_rows.append({"component": a.component, "rank": rank,
                            "pairs": "; ".join(f"{v}={c}" for v, c in a.pairs) or "(none)",
                            "lr": _num(a.lr), "posterior": _num(a.posterior)})
    return {"lr_matrix": lr_rows, "pairings": pair_rows, "assignments": assign_rows}


def family_report(result: DVIResult) -> str:
    """A markdown report: per family, each missing person's identification or candidates."""
    m = result.matrix
    labels = m.labels
    lines = ["# DVI report", "",
             f"{len(m.victims)} victims, {len(set(m.families))} families, {len(labels)} missing "
             f"persons; {len(result.undisputed)} undisputed identifications. Prior: "
             f"{result.parameters.get('prior')}; undisputed threshold "
             f"{result.parameters.get('undisputed_threshold'):g}"
             f"{' (strict)' if result.parameters.get('strict') else ''}.", ""]
    undisputed = {u.label or u.family: u for u in result.undisputed}
    for fam in dict.fromkeys(m.families):
        lines += [f"## Family {fam}", ""]
        for c, label in enumerate(labels):
            if m.families[c] != fam:
                continue
            lines.append(f"### Missing person {m.missing[c]}")
            if label in undisputed:
                u = undisputed[label]
                lines.append(f"- **Identified (undisputed, round {u.step})**: victim {u.victim}, "
                             f"LR {u.lr:.4g}")
            else:
                cands = sorted(((v, result.posteriors[v].get(label, 0.0)) for v in m.victims),
                               key=lambda kv: -kv[1])
                cands = [(v, p) for v, p in cands if p > 0]
                if not cands:
                    lines.append("- no admissible victim")
                for v, p in cands[:5]:
                    i = m.victims.index(v)
                    glr = result.glr.get(v, {}).get(label)
                    lines.append(f"- victim {v}: posterior {p:.4g}, pairwise LR "
                                 f"{float(m.lr[i, c]):.4g}"
                                 + (f", GLR {glr:.4g}" if glr is not None else ""))
            lines.append("")
    unplaced = [v for v in m.victims if result.best(v)[0] == NOT_IDENTIFIED]
    if unplaced:
        lines += ["## Victims most probably not among the missing", "",
                  ", ".join(unplaced), ""]
    return "\n".join(lines)


def _write_csv(path: Path, rows: list[dict[str, Any]], header: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def write_dvi_outputs(result: DVIResult, folder: str | Path) -> list[Path]:
    """Write the tables, the family report and the provenance into ``folder`` (created)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    tables = dvi_tables(result)
    m = result.matrix
    paths = [out / "lr_matrix.csv", out / "pairings.csv", out / "assignments.csv",
             out / "families.md", out / "provenance.json"]
    _write_csv(paths[0], tables["lr_matrix"], ["victim", *m.labels])
    _write_csv(paths[1], tables["pairings"],
               ["victim", "family", "missing", "lr", "lr_given_identified", "sex_compatible",
                "posterior", "glr", "conclusion"])
    _write_csv(paths[2], tables["assignments"],
               ["component", "rank", "pairs", "lr", "posterior"])
    paths[3].write_text(family_report(result), encoding="utf-8")
    paths[4].write_text(json.dumps(result.provenance, indent=2, sort_keys=True, default=str),
                        encoding="utf-8")
    return paths
