"""``locard synth``, ``locard search`` and ``locard db check`` (search engine commands).

For now these work on an index snapshot folder (``*.locard-index``, written by
``locard synth ... --out DB.locard-index``); the store will build and keep its own indices.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.table import Table

from locard.cli.app import app
from locard.cli.common import console, format_probability, print_json
from locard.errors import InputError
from locard.genetics.loci import CODIS_CORE_20
from locard.genetics.profiles import Profile

INDEX_SUFFIX = ".locard-index"


def _db_group() -> typer.Typer:
    """The ``db`` group, shared with the store's commands when they registered it first."""
    for group in app.registered_groups:
        if group.name == "db" and group.typer_instance is not None:
            return group.typer_instance
    db = typer.Typer(help="Database maintenance.", no_args_is_help=True)
    app.add_typer(db, name="db")
    return db


db_app = _db_group()


def _table(spec: str | None) -> Any:
    if spec is None:
        return None
    from locard.tables import load_frequency_table

    return load_frequency_table(spec)


def _read_query(path: str, specimen: str | None) -> Profile:
    if path != "-" and Path(path).suffix.lower() == ".json":
        data = json.loads(Path(path).read_text())
        items = data if isinstance(data, list) else data.get("profiles", [data])
        profiles = [Profile.from_dict(x) for x in items]
        if specimen is not None:
            profiles = [p for p in profiles if p.specimen_id == specimen]
        if len(profiles) != 1:
            raise InputError(f"{path}: {len(profiles)} profiles match",
                             remedy="choose one with --specimen ID")
        return profiles[0]
    from locard.cli.common import read_single_profile

    return read_single_profile(path, specimen=specimen)


def _write_profiles(profiles: list[Profile], out: Path, loci: tuple[str, ...]) -> None:
    suffix = out.suffix.lower()
    if suffix == ".json":
        out.write_text(json.dumps([p.to_dict() for p in profiles], indent=1))
    elif suffix == ".csv":
        width = max((len(c.alleles) for p in profiles for c in p.loci.values()), default=2)
        width = max(width, 2)
        header = ["specimenId"] + [f"{loc}_{k + 1}" for loc in loci for k in range(width)]
        lines = [",".join(header)]
        for p in profiles:
            row = [p.specimen_id or ""]
            for loc in loci:
                alleles = [str(a) for a in p.loci[loc].alleles] if loc in p.loci else []
                row += alleles + [""] * (width - len(alleles))
            lines.append(",".join(row))
        out.write_text("\n".join(lines) + "\n")
    else:
        raise InputError(f"{out}: cannot write {suffix or 'this'} files",
                         remedy=f"use .csv, .json or {INDEX_SUFFIX}")


@app.command("synth")
def synth_command(
    n: int = typer.Argument(..., help="Number of unrelated single-source profiles."),
    out_path: str = typer.Option(..., "--out", "-o",
                             help=f"Output: .csv, .json or an index snapshot ({INDEX_SUFFIX})."),
    kit: str | None = typer.Option(None, "--kit", help="Loci of this kit (default CODIS 20)."),
    frequencies: str = typer.Option("NIST1036:ALL", "--frequencies", "-f",
                                    help="Frequency table to draw alleles from."),
    seed: int = typer.Option(1, "--seed", help="Random seed (same seed, same profiles)."),
    families: int = typer.Option(0, "--families", help="Nuclear families (2 parents, "
                                 "2 full-sibling children) to add."),
    traces: int = typer.Option(0, "--traces", help="Partial traces of random members to add."),
    mixtures: int = typer.Option(0, "--mixtures", help="2-3 person mixtures to add."),
    as_json: bool = typer.Option(False, "--json", help="Summary as JSON."),
) -> None:
    """Synthetic profiles drawn from a frequency table (for tests, demos and benchmarks)."""
    out = Path(out_path)
    from locard.search import ProfileIndex
    from locard.stats.simulate import (
        SimulationModel,
        degrade,
        mixture_profile,
        simulate_codes,
        simulate_families,
    )

    if n < 0 or families < 0 or traces < 0 or mixtures < 0:
        raise InputError("counts must not be negative")
    table = _table(frequencies)
    loci = list(CODIS_CORE_20)
    if kit is not None:
        from locard.genetics.kits import get_kit

        loci = [x for x in get_kit(kit).str_loci if table.has_locus(x)]
    model = SimulationModel.from_table(table, loci)
    rng = np.random.default_rng(seed)
    codes = simulate_codes(model, n, seed=rng)
    ids = [f"SYN{i + 1:08d}" for i in range(n)]
    parts, names = [codes], list(ids)
    if families:
        fam = simulate_families(model, families, children=2, seed=rng)
        for role, arr in (("F", fam.fathers), ("M", fam.mothers),
                          ("C1", fam.children[:, 0]), ("C2", fam.children[:, 1])):
            parts.append(arr)
            names += [f"FAM{f + 1:05d}-{role}" for f in range(families)]
    all_codes = np.concatenate(parts) if len(parts) > 1 else codes
    if traces and n:
        pick = rng.integers(0, n, size=traces)
        parts.append(degrade(codes[pick], locus_dropout=0.2, allele_dropout=0.2, seed=rng))
        names += [f"TRACE{t + 1:05d}-of-{ids[int(i)]}" for t, i in enumerate(pick)]
        all_codes = np.concatenate(parts)
    mix_profiles: list[Profile] = []
    for m in range(mixtures if n >= 3 else 0):
        k = int(rng.integers(2, 4))
        members = rng.choice(n, size=k, replace=False)
        sid = f"MIX{m + 1:05d}-of-" + "+".join(ids[int(i)] for i in members)
        mix_profiles.append(mixture_profile(model, codes[members], specimen_id=sid))
    suffix = out.suffix.lower()
    if suffix == INDEX_SUFFIX or out.name.endswith(INDEX_SUFFIX):
        index = ProfileIndex.from_codes(all_codes, np.arange(len(names)), loci=model.loci,
                                        alleles=model.alleles, labels=names,
                                        locus_major=False, name=out.stem)
        for m, prof in enumerate(mix_profiles):
            index.add(len(names) + m, prof)
        index.save(out)
    else:
        profiles = model.decode(all_codes, specimen_ids=names) + mix_profiles
        _write_profiles(profiles, out, model.loci)
    summary = {"out": str(out), "profiles": len(names) + len(mix_profiles), "seed": seed,
               "table": table.name, "loci": list(model.loci), "families": families,
               "traces": traces, "mixtures": len(mix_profiles)}
    if as_json:
        print_json(summary)
    else:
        console.print(f"wrote {summary['profiles']} profiles to {out} (seed {seed}, "
                      f"{table.name}, {len(model.loci)} loci)")


@app.command("search")
def search_command(
    profile: str = typer.Argument(..., help="Query profile file (JSON, CSV, CMF, ...) or '-'."),
    index_file: str = typer.Option(..., "--index-file", help="Index snapshot folder."),
    purpose: str = typer.Option(..., "--purpose", help="Case or purpose of the search "
                                "(recorded with the result)."),
    stringency: str = typer.Option("moderate", "--stringency", help="high, moderate or low."),
    min_loci: int = typer.Option(8, "--min-loci", help="Minimum loci compared."),
    mismatches: int = typer.Option(0, "--mismatches", help="Loci allowed to fail."),
    mixture: bool = typer.Option(False, "--mixture", help="Mixture inclusion search (the "
                                 "query is a mixture; --mismatches = drop-out loci)."),
    limit: int = typer.Option(50, "--limit", help="Most candidates to list."),
    frequencies: str | None = typer.Option("NIST1036:ALL", "--frequencies", "-f",
                                           help="Table for match rarity ('' for none)."),
    specimen: str | None = typer.Option(None, "--specimen", help="Pick one specimen of a file."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
) -> None:
    """Search an index snapshot for a profile at a CODIS stringency."""
    from locard.search import ProfileIndex

    query = _read_query(profile, specimen)
    table = _table(frequencies or None)
    index = ProfileIndex.load(index_file, table=table)
    if mixture:
        found = index.search_mixture(query, max_dropout_loci=mismatches, min_loci=min_loci,
                                     limit=limit)
    else:
        found = index.search(query, stringency=stringency, min_loci=min_loci,
                             mismatches=mismatches, limit=limit)
    params = {"stringency": None if mixture else stringency, "mixture": mixture,
              "min_loci": min_loci, "mismatches": mismatches, "limit": limit}
    if as_json:
        print_json({"query": query.specimen_id, "purpose": purpose, "index": index.name,
                    "parameters": params, "table": table.name if table else None,
                    "candidates": [
                        {"specimen_id": c.specimen_id, "key": c.key, "index": c.index,
                         "stringency": c.stringency.value if c.stringency else None,
                         "compared_loci": c.compared_loci, "mismatches": c.mismatches,
                         "included_loci": c.included_loci, "rarity": c.rarity,
                         "loci": {k: v.value for k, v in c.loci.items()}}
                        for c in found]})
        return
    out = Table(title=f"{len(found)} candidate(s) in {index.name} for "
                      f"{query.specimen_id or profile} ({purpose})")
    for col in ("specimen", "stringency", "compared", "mismatches", "rarity"):
        out.add_column(col)
    for c in found:
        out.add_row(c.specimen_id or str(c.key),
                    c.stringency.value if c.stringency else f"included {c.included_loci}",
                    str(c.compared_loci), str(c.mismatches),
                    format_probability(c.rarity) if c.rarity is not None else "-")
    console.print(out)


@db_app.command("check")
def db_check_command(
    index_file: str = typer.Option(..., "--index-file", help="Index snapshot folder."),
    min_loci: int | None = typer.Option(None, "--min-loci", help="Loci that must match on "
                                        "both alleles (default: all the index's loci but 2)."),
    pairs_matrix: bool = typer.Option(False, "--pairs-matrix", help="Also the all-pairs "
                                      "match/partial table (DNAtools dbCompare)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
) -> None:
    """Self-check of an index: duplicates and near matches, optionally the pair table."""
    from locard.search import ProfileIndex, find_near_matches, pair_count_matrix

    index = ProfileIndex.load(index_file)
    check = find_near_matches(index, min_matching_loci=min_loci)
    codes, keys = index.single_codes()
    labels = index._single.main.labels

    def name(key: int) -> str:
        if labels is None:
            return str(key)
        row = int(np.searchsorted(keys, key))
        value = labels[row]
        return value.decode() if isinstance(value, bytes) else str(value)

    matrix = pair_count_matrix(index) if pairs_matrix else None
    if as_json:
        data: dict[str, Any] = check.to_dict()
        data["profiles"] = int(codes.shape[1])
        for p, d in zip(check.pairs, data["pairs"], strict=True):
            d["specimen_a"], d["specimen_b"] = name(p.key_a), name(p.key_b)
        if matrix is not None:
            data["pairs_matrix"] = matrix.tolist()
        print_json(data)
        return
    console.print(f"{index.name}: {codes.shape[1]} profiles, {len(check.pairs)} pair(s) "
                  f"matching at >= {check.min_matching_loci} loci")
    for p in check.pairs:
        console.print(f"  {name(p.key_a)}  {name(p.key_b)}  {p.kind}: {p.matching} match, "
                      f"{p.partial} partial of {p.compared}")
    if matrix is not None:
        out = Table(title="pairs by matching (rows) and partially matching (columns) loci")
        out.add_column("m\\p")
        for j in range(matrix.shape[1]):
            out.add_column(str(j), justify="right")
        for i in range(matrix.shape[0]):
            out.add_row(str(i), *(str(int(x)) for x in matrix[i]))
        console.print(out)
    sys.stdout.flush()
