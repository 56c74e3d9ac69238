"""``locard synth``, ``locard search``, ``locard db check`` and ``locard db index``.

``search`` and ``db check`` work on the store (``--db``, as ``--user``, for ``--purpose``): the
policy matrix decides which indices are compared, every search is audited, and another lab's
specimen shows only its lab and specimen IDs (see ``docs/search.md``, "Searching the store").
With ``--index-file`` they work on a bare index snapshot folder (``*.locard-index``, written by
``locard synth ... --out DB.locard-index``) instead, for tests and benchmarks.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from locard.cli.common import (
    Tick,
    console,
    esc,
    list_table,
    print_json,
    print_table,
    progress,
)
from locard.cli.context import resolve_user
from locard.cli.options import DbOption, JsonOption, PolicyOption, StatedPurposeOption, UserOption
from locard.errors import InputError
from locard.genetics.loci import CODIS_CORE_20
from locard.genetics.profiles import Profile

#: this module's top-level commands (cli/app.py adds them to `locard`)
commands = typer.Typer()

INDEX_SUFFIX = ".locard-index"


#: `locard db check` and `locard db index` (cli/app.py adds them to the store's `db` group)
db_commands = typer.Typer()


def _table(spec: str | None, *, min_frequency: float | None = None) -> Any:
    if spec is None:
        return None
    from locard.reference import load_frequency_table

    return load_frequency_table(spec, min_frequency=min_frequency)


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


def _records(profiles: list[Profile], categories: list[str], lab: str) -> list[Any]:
    from locard.formats import ProfileRecord

    return [ProfileRecord(profile=p, specimen_id=p.specimen_id, specimen_category=c,
                          source_lab=lab) for p, c in zip(profiles, categories, strict=True)]


def _write_synthetic(profiles: list[Profile], categories: list[str], out: Path, *,
                     lab: str, loci: tuple[str, ...]) -> None:
    """CMF (.xml), CSV or JSON through locard.formats."""
    from locard.formats import write_profiles

    suffix = out.suffix.lower()
    records = _records(profiles, categories, lab)
    if suffix in (".xml", ".cmf"):
        write_profiles(records, out, format="cmf", source_lab=lab, submit_by_user="locard-synth")
    elif suffix == ".csv":
        write_profiles(records, out, format="csv", loci=list(loci))
    elif suffix in (".json", ".jsonl"):
        write_profiles(records, out, format=suffix[1:])
    else:
        raise InputError(f"{out}: cannot write {suffix or 'this'} files",
                         remedy=f"use .xml (CMF), .csv, .json or {INDEX_SUFFIX}")


def _import_synthetic(profiles: list[Profile], categories: list[str], *, db: str | None,
                      user: str | None, lab: str, legal_basis: str,
                      tick: Tick | None = None) -> dict[str, Any]:
    """Import through the store's real path (one CMF file per category and legal basis)."""
    import tempfile

    from locard.formats import write_profiles
    from locard.store import Store
    from locard.store.searching import enable_search_on_entry

    groups: dict[str, list[Profile]] = {}
    for profile, category in zip(profiles, categories, strict=True):
        groups.setdefault(category, []).append(profile)
    imported: dict[str, int] = {}
    with Store.open(db) as store, tempfile.TemporaryDirectory(prefix="locard-synth-") as tmp:
        actor = resolve_user(user)
        store.on_progress = tick
        enable_search_on_entry(store, actor=actor, purpose="synthetic data")
        for category, members in groups.items():
            basis = legal_basis if category not in _FORENSIC_CATEGORIES else "casework"
            path = Path(tmp) / "synthetic.xml"
            write_profiles(_records(members, [category] * len(members), lab), path,
                           format="cmf", source_lab=lab, submit_by_user="locard-synth")
            # synthetic traces may fail an acceptance rule, as real ones do: keep the good ones
            report = store.import_file(path, format="cmf", legal_basis=basis, actor=actor,
                                       purpose="synthetic data", skip_invalid=True)
            imported[category] = report.imported
            if report.problems:
                imported[f"{category} (rejected)"] = len(report.problems)
    return imported


_FORENSIC_CATEGORIES = ("Forensic Partial", "Forensic Mixture")


@commands.command("synth")
def synth_command(
    ctx: typer.Context,
    n: int = typer.Argument(..., help="Number of unrelated single-source profiles."),
    out_path: str | None = typer.Option(
        None, "--out", "-o",
        help=f"Output: .xml (CODIS CMF), .csv, .json or an index snapshot ({INDEX_SUFFIX})."),
    db: str | None = typer.Option(None, "--db", help="Import straight into this store "
                                  "(through the real import path) instead of --out."),
    category: str = typer.Option("Convicted Offender", "--category",
                                 help="Specimen category of the unrelated profiles and family "
                                      "members (traces: Forensic Partial; mixtures: Forensic "
                                      "Mixture)."),
    legal_basis: str = typer.Option("conviction", "--legal-basis",
                                    help="Legal basis recorded for each imported profile "
                                         "(--db; traces and mixtures: casework)."),
    lab: str = typer.Option("SYNTH", "--lab", help="Source lab ID written into CMF/imports."),
    user: UserOption = None,
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
    if (out_path is None) == (db is None):
        raise InputError("give exactly one of --out FILE and --db URL")
    # progress bars on a terminal, closed with the command (also on an error)
    tick = ctx.with_resource(progress()) or (lambda *_: None)
    out = Path(out_path) if out_path is not None else Path("synthetic")
    import numpy as np

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
        from locard.reference import get_kit

        loci = [x for x in get_kit(kit).str_loci if table.has_locus(x)]
    model = SimulationModel.from_table(table, loci)
    tick("simulating", 0, None)
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
        names += [f"TR{t + 1:05d}-{ids[int(i)]}" for t, i in enumerate(pick)]  # <= 24 chars
        all_codes = np.concatenate(parts)
    mix_profiles: list[Profile] = []
    mixture_members: dict[str, list[str]] = {}
    for m in range(mixtures if n >= 3 else 0):
        k = int(rng.integers(2, 4))
        members = rng.choice(n, size=k, replace=False)
        sid = f"MX{m + 1:05d}"
        mixture_members[sid] = [ids[int(i)] for i in members]
        mix_profiles.append(mixture_profile(model, codes[members], specimen_id=sid))
    suffix = out.suffix.lower()
    imported: dict[str, int] | None = None
    if db is not None:
        profiles = model.decode(all_codes, specimen_ids=names) + mix_profiles
        cats = [("Forensic Partial" if name.startswith("TR") else category) for name in names]
        cats += ["Forensic Mixture"] * len(mix_profiles)
        imported = _import_synthetic(profiles, cats, db=db, user=user, lab=lab,
                                     legal_basis=legal_basis, tick=tick)
    elif suffix == INDEX_SUFFIX or out.name.endswith(INDEX_SUFFIX):
        index = ProfileIndex.from_codes(all_codes, np.arange(len(names)), loci=model.loci,
                                        alleles=model.alleles, labels=names,
                                        locus_major=False, name=out.stem)
        for m, prof in enumerate(mix_profiles):
            index.add(len(names) + m, prof)
        tick("writing", 0, None)
        index.save(out)
    else:
        profiles = model.decode(all_codes, specimen_ids=names) + mix_profiles
        cats = [("Forensic Partial" if name.startswith("TR") else category) for name in names]
        cats += ["Forensic Mixture"] * len(mix_profiles)
        tick("writing", 0, None)
        _write_synthetic(profiles, cats, out, lab=lab, loci=model.loci)
    summary = {"out": None if db is not None else str(out), "imported": imported,
               "profiles": len(names) + len(mix_profiles), "seed": seed,
               "table": table.name, "loci": list(model.loci), "families": families,
               "traces": traces, "mixtures": len(mix_profiles),
               "mixture_members": mixture_members}
    if as_json:
        print_json(summary)
    else:
        where = f"into {db}" if db is not None else f"to {out}"
        console.print(f"wrote {summary['profiles']} profiles {where} (seed {seed}, "
                      f"{table.name}, {len(model.loci)} loci)")


def _is_profile_file(query: str) -> bool:
    return query == "-" or Path(query).is_file()


def _index_file_search(query: Profile, index_file: str, *, purpose: str, stringency: str,
                       min_loci: int, mismatches: int, mixture: bool, limit: int,
                       frequencies: str | None, as_json: bool, label: str,
                       min_frequency: float | None = None) -> None:
    from locard.search import ProfileIndex

    table = _table(frequencies or None, min_frequency=min_frequency)
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
                         "included_loci": c.included_loci, "rmp": c.rmp,
                         "loci": {k: v.value for k, v in c.loci.items()}}
                        for c in found]})
        return
    out = list_table(f"{len(found)} candidate(s) in {esc(index.name)} for "
                     f"{esc(query.specimen_id or label)} ({esc(purpose)})")
    for col in ("specimen", "stringency", "loci", "mism.", "rmp"):
        out.add_column(col, overflow="fold")
    for c in found:
        out.add_row(esc(c.specimen_id or str(c.key)),
                    c.stringency.value if c.stringency else f"included {c.included_loci}",
                    str(c.compared_loci), str(c.mismatches),
                    f"{c.rmp:.3g}" if c.rmp is not None else "-")
    print_table(out)


@commands.command("search")
def search_command(
    query: str | None = typer.Argument(None, help="A specimen ID of your lab, or a query "
                                       "profile file (JSON, CSV, CMF, ...; '-' for stdin)."),
    batch_file: str | None = typer.Option(None, "--file", help="Batch search: every profile "
                                          "of this file, one report (each search audited)."),
    purpose: str = typer.Option(..., "--purpose", help="Stated purpose: a case number "
                                "(written to the audit log; recorded with the result)."),
    lab: str | None = typer.Option(None, "--lab", help="The query specimen's lab (default: "
                                   "yours; searches start only from your lab's specimens)."),
    stringency: str = typer.Option("moderate", "--stringency", help="high, moderate or low."),
    min_loci: int = typer.Option(8, "--min-loci", help="Minimum loci compared."),
    mismatches: int = typer.Option(0, "--mismatches", help="Loci allowed to fail (drop-out "
                                   "loci for a mixture query)."),
    index: list[str] | None = typer.Option(None, "--index", help="Target index (repeat; "
                                           "default: what the policy matrix allows)."),
    query_index: str | None = typer.Option(None, "--query-index", help="Index a profile-file "
                                           "query is treated as (default forensic)."),
    limit: int = typer.Option(50, "--limit", help="Most candidates to list."),
    specimen: str | None = typer.Option(None, "--specimen", help="Pick one specimen of a file."),
    db: DbOption = None,
    user: UserOption = None,
    policy: PolicyOption = None,
    index_file: str | None = typer.Option(None, "--index-file", help="Search this bare index "
                                          "snapshot folder instead of the store."),
    mixture: bool = typer.Option(False, "--mixture", help="With --index-file: mixture "
                                 "inclusion search (the store detects mixtures itself)."),
    frequencies: str | None = typer.Option("NIST1036:ALL", "--frequencies", "-f",
                                           help="With --index-file: table for match rarity "
                                                "('' for none)."),
    min_frequency: float | None = typer.Option(
        None, "--min-frequency", help="With --index-file: floor for rare alleles (default: "
        "NRC II 5/2N; a table without sample sizes needs it)."),
    as_json: JsonOption = False,
) -> None:
    """Search the store for a specimen or a profile (or every profile of a file, --file), at a
    CODIS stringency."""
    if (query is None) == (batch_file is None):
        raise InputError("give a QUERY (specimen ID or profile file) or --file PROFILES",
                         remedy="one of them: `locard search SPECIMEN_ID --purpose CASE` or "
                                "`locard search --file PROFILES --purpose CASE`")
    if batch_file is not None:
        if index_file is not None:
            raise InputError("--file searches the store, not an --index-file snapshot",
                             remedy="leave out --index-file")
        _batch_search(batch_file, purpose=purpose, lab=lab, stringency=stringency,
                      min_loci=min_loci, mismatches=mismatches, index=index,
                      query_index=query_index, limit=limit, db=db, user=user, policy=policy,
                      as_json=as_json)
        return
    assert query is not None
    if index_file is not None:
        _index_file_search(_read_query(query, specimen), index_file, purpose=purpose,
                           stringency=stringency, min_loci=min_loci, mismatches=mismatches,
                           mixture=mixture, limit=limit, frequencies=frequencies,
                           as_json=as_json, label=query, min_frequency=min_frequency)
        return
    from locard.store import Store
    from locard.store.searching import search_store

    q: str | Profile = _read_query(query, specimen) if _is_profile_file(query) else query
    store = Store.open(db, policy=policy)
    try:
        report = search_store(store, q, actor=resolve_user(user), purpose=purpose, lab=lab,
                              query_index=query_index, stringency=stringency,
                              min_loci=min_loci, mismatches=mismatches, indices=index or None,
                              limit=limit)
    finally:
        store.close()
    if as_json:
        print_json(report.to_dict())
        return
    who = report.query_specimen or query
    out = list_table(f"{len(report)} candidate(s) for {esc(who)} ({report.query_index}; "
                     f"{', '.join(report.targets)}; {esc(purpose)})")
    for col in ("lab", "specimen", "index", "stringency", "loci", "mism.", "rmp"):
        out.add_column(col, overflow="fold")
    for c in report.candidates:
        out.add_row(esc(c.lab), esc(c.specimen_id), c.index, c.stringency or "-",
                    "-" if c.compared_loci is None else str(c.compared_loci),
                    "-" if c.mismatches is None else str(c.mismatches),
                    f"{c.rmp:.3g}" if c.rmp is not None else "-")
    print_table(out)
    if any(c.restricted for c in report.candidates):
        console.print("[dim]another lab's candidate shows only its lab and specimen IDs; "
                      "ask that lab for details[/dim]")


def _batch_search(path: str, *, purpose: str, lab: str | None, stringency: str,
                  min_loci: int, mismatches: int, index: list[str] | None,
                  query_index: str | None, limit: int, db: str | None, user: str | None,
                  policy: str | None, as_json: bool) -> None:
    """``locard search --file``: every profile of a file searched as a profile query (each
    search purposed and audited as a single one), one report."""
    from locard.cli.common import naming_file
    from locard.formats import read_profiles
    from locard.store import Store
    from locard.store.searching import search_store

    with naming_file(path):
        result = read_profiles(Path(path))
    if result.problems:
        raise InputError("\n".join(str(p) for p in result.problems),
                         remedy="correct the file, or search the good profiles one by one")
    profiles = [r.profile.with_specimen_id(r.specimen_id or r.profile.specimen_id)
                for r in result.records]
    if not profiles:
        raise InputError(f"{path}: no profiles in the file")
    store = Store.open(db, policy=policy)
    try:
        reports = [search_store(store, p, actor=resolve_user(user), purpose=purpose, lab=lab,
                                query_index=query_index, stringency=stringency,
                                min_loci=min_loci, mismatches=mismatches,
                                indices=index or None, limit=limit) for p in profiles]
    finally:
        store.close()
    hits = sum(len(r) for r in reports)
    if as_json:
        print_json({"file": path, "purpose": purpose, "queries": len(reports),
                    "candidates": hits, "searches": [r.to_dict() for r in reports]})
        return
    out = list_table(f"{hits} candidate(s) for {len(reports)} profile(s) of "
                     f"{esc(Path(path).name)} ({esc(purpose)})")
    for col in ("query", "lab", "specimen", "index", "stringency", "loci", "mism.", "rmp"):
        out.add_column(col, overflow="fold")
    for prof, report in zip(profiles, reports, strict=True):
        who = esc(prof.specimen_id or "?")
        if not report.candidates:
            out.add_row(who, "", "(none)", "", "", "", "", "")
        for c in report.candidates:
            out.add_row(who, esc(c.lab), esc(c.specimen_id), c.index, c.stringency or "-",
                        "-" if c.compared_loci is None else str(c.compared_loci),
                        "-" if c.mismatches is None else str(c.mismatches),
                        f"{c.rmp:.3g}" if c.rmp is not None else "-")
    print_table(out)


def _print_matrix(matrix: Any, title: str) -> None:
    out = Table(title=title)
    out.add_column("m\\p")
    for j in range(len(matrix[0]) if len(matrix) else 0):
        out.add_column(str(j), justify="right")
    for i, row in enumerate(matrix):
        out.add_row(str(i), *(str(int(x)) for x in row))
    console.print(out)


def _index_file_check(index_file: str, min_loci: int | None, pairs_matrix: bool,
                      as_json: bool) -> None:
    import numpy as np

    from locard.search import ProfileIndex, find_near_matches, pair_count_matrix

    index = ProfileIndex.load(index_file)
    check = find_near_matches(index, min_matching_loci=min_loci)
    codes, keys = index.single_codes()
    labels = index.single_labels()

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
        _print_matrix(matrix.tolist(), "pairs by matching (rows) and partially matching "
                                       "(columns) loci")
    sys.stdout.flush()


@db_commands.command("check")
def db_check_command(
    min_loci: int | None = typer.Option(None, "--min-loci", help="Loci that must match on "
                                        "both alleles (default: the median number of loci "
                                        "the index's profiles are typed at, minus 2)."),
    pairs_matrix: bool = typer.Option(False, "--pairs-matrix", help="Also the all-pairs "
                                      "match/partial table (DNAtools dbCompare)."),
    index: list[str] | None = typer.Option(None, "--index", help="Index to check (repeat; "
                                           "default: every index but the relatives'; the "
                                           "self-check is quality control, audited as such)."),
    purpose: StatedPurposeOption = "database self-check",
    db: DbOption = None,
    user: UserOption = None,
    policy: PolicyOption = None,
    index_file: str | None = typer.Option(None, "--index-file", help="Check this bare index "
                                          "snapshot folder instead of the store."),
    as_json: JsonOption = False,
) -> None:
    """Self-check: duplicates and near matches within indices, optionally the pair table."""
    if index_file is not None:
        _index_file_check(index_file, min_loci, pairs_matrix, as_json)
        return
    from locard.store import Store
    from locard.store.selfcheck import self_check

    store = Store.open(db, policy=policy)
    try:
        check = self_check(store, actor=resolve_user(user), purpose=purpose, min_loci=min_loci,
                           pairs_matrix=pairs_matrix, indices=index or None)
    finally:
        store.close()
    if as_json:
        print_json(check.to_dict())
        return
    for name, n in check.profiles.items():
        console.print(f"{name}: {n} single-source profile(s)")
    console.print(f"{len(check.pairs)} pair(s) matching at >= "
                  f"{check.min_matching_loci or 'the median typed minus 2'} loci")
    for p in check.pairs:
        console.print(f"  {p.index}: {p.a[0]} {p.a[1]}  {p.b[0]} {p.b[1]}  {p.kind}: "
                      f"{p.matching} match, {p.partial} partial of {p.compared}")
    for name, matrix in (check.pairs_matrix or {}).items():
        _print_matrix(matrix, f"{name}: pairs by matching (rows) and partially matching "
                              "(columns) loci")
    sys.stdout.flush()


@db_commands.command("index")
def db_index_command(
    rebuild: bool = typer.Option(False, "--rebuild", help="Re-encode every profile instead "
                                 "of applying the new events to the snapshot."),
    db: DbOption = None,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Bring the search index snapshot up to date (or rebuild it)."""
    from locard.store import Store
    from locard.store.indexing import StoreIndices

    store = Store.open(db)
    try:
        indices = StoreIndices.open(store, actor=resolve_user(user), attach=False)
        if rebuild and not indices.status.rebuilt:
            indices.rebuild(actor=resolve_user(user), reason="--rebuild")
            indices.save()
        store.db.checkpoint()  # fold and truncate the SQLite WAL (what expunge may ask)
        info = {**indices.status.to_dict(), "seq": indices.seq, "counts": indices.counts()}
    finally:
        store.close()
    if as_json:
        print_json(info)
        return
    how = f"rebuilt ({info['reason']})" if info["rebuilt"] else \
        f"{info['events_applied']} event(s) applied"
    console.print(f"Search index at {info['directory']}: {how}; "
                  + (", ".join(f"{k} {v}" for k, v in info["counts"].items()) or "empty"))

