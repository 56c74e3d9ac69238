"""``locard ce analyze|plot``: raw capillary-electrophoresis runs (ABIF ``.fsa``/``.hid``) to
called profiles, with a verdict against the store's acceptance rules, and the electropherogram.

A thin layer: the analysis of a run is :func:`locard.ce.analysis.analyze_run`; the verdict
and the import are :mod:`locard.store.ce_intake`; CMF is :func:`locard.formats.cmf.write_cmf`;
the case file :func:`locard.ce.analysis.continuous_case`; the drawing is
:func:`locard.plots.electropherogram_plot`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import Progress

from locard.cli.common import console, err_console, esc, naming_file, print_json
from locard.cli.context import resolve_user
from locard.cli.options import DbOption, JsonOption, PolicyOption, PurposeOption, UserOption
from locard.errors import InputError, LocardError
from locard.genetics.kits import get_kit, positive_control

if TYPE_CHECKING:
    import numpy as np

    from locard.ce.analysis import SampleAnalysis
    from locard.ce.calling import LadderResult
    from locard.ce.sizing import SizingResult
    from locard.store import Store
    from locard.store.policy import Policy

ce_app = typer.Typer(help="Capillary electrophoresis: analyse raw .fsa/.hid runs, draw them.",
                     no_args_is_help=True)

RUN_SUFFIXES = (".fsa", ".hid")


def _runs(paths: list[str], ladder: Path) -> list[Path]:
    """The run files: each FILE, and every .fsa/.hid of each folder (the ladder left out)."""
    out: list[Path] = []
    for text in paths:
        p = Path(text)
        if p.is_dir():
            found = sorted(f for f in p.iterdir()
                           if f.suffix.lower() in RUN_SUFFIXES and f.resolve() != ladder)
            if not found:
                raise InputError(f"{p}: no .fsa or .hid runs in the folder",
                                 remedy="give run files or a plate folder holding them")
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise InputError(f"{p}: no such file or folder",
                             remedy="give .fsa/.hid run files or a plate folder")
    return out


@cache
def _policy(path: str | None = None) -> Policy:
    from locard.store.policy import load_policy

    return load_policy(path)


def _progress(total: int, show: bool) -> Iterator[None]:
    if not show:
        for _ in range(total):
            yield
        return
    with Progress(console=err_console, transient=True) as bar:
        task = bar.add_task("analysing", total=total)
        for _ in range(total):
            yield
            bar.advance(task)


@ce_app.command("analyze")
def analyze_command(
    files: list[str] = typer.Argument(..., help="Run files (.fsa/.hid) or plate folders."),
    kit: str = typer.Option(..., "--kit", help="The kit the runs were amplified with."),
    ladder: str = typer.Option(..., "--ladder", help="The allelic-ladder run of the plate."),
    positive_control_name: str | None = typer.Option(
        None, "--positive-control", help="Declared genotype of the positive control (e.g. "
        "9947A): runs named 'positive control' are checked against it."),
    do_import: bool = typer.Option(
        False, "--import", help="Store every sample whose verdict allows the index of "
        "--category, with the run's provenance, in one transaction (all or none)."),
    category: str | None = typer.Option(
        None, "--category", help="Specimen category (CODIS name, e.g. 'Forensic, Unknown') "
        "for --import, and written into --cmf (default there 'Forensic, Unknown')."),
    legal_basis: str | None = typer.Option(None, "--legal-basis", help="With --import: "
                                           "conviction, arrest, court-order, casework or "
                                           "consent (default: the category's)."),
    consent: str | None = typer.Option(None, "--consent", help="With --import: consent "
                                       "record reference."),
    cmf: str | None = typer.Option(None, "--cmf", help="Write the samples whose verdict "
                                   "allows the index of --category as a CODIS CMF file (the "
                                   "rest are listed)."),
    lab: str | None = typer.Option(None, "--lab", help="With --cmf: the source lab's ORI "
                                   "(at most 10 characters)."),
    case: str | None = typer.Option(None, "--case", help="Write a continuous-model mixture case "
                                    "file (JSON) with the peak heights as evidence, one "
                                    "replicate per run of the one sample given."),
    db: DbOption = None,
    user: UserOption = None,
    purpose: PurposeOption = None,
    policy: PolicyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Size, call and review each run against the ladder; a verdict per sample against the
    store's acceptance rules (which index it could enter, or why not). With --import the
    accepted samples are stored; --cmf and --case write them out."""
    # the analysis stack (SciPy) loads with the command, not at CLI start-up
    from locard.ce.abif import read_abif
    from locard.ce.analysis import analyze_run
    from locard.ce.calling import locate_ladder
    from locard.store.ce_intake import ce_verdict

    kit_name = get_kit(kit).name
    if positive_control_name is not None:
        positive_control(positive_control_name)  # an unknown name fails before any work
    if do_import and category is None:
        raise InputError("--import needs --category", remedy="add --category, e.g. "
                         "--category 'Forensic, Unknown'")
    if cmf is not None and lab is None:
        raise InputError("--cmf needs --lab (the source lab's ORI)", remedy="add --lab ORI")
    ladder_path = Path(ladder)
    if not ladder_path.is_file():
        raise InputError(f"{ladder}: no such ladder file",
                         remedy="give the allelic-ladder run with --ladder")
    with naming_file(ladder):
        lad = locate_ladder(read_abif(ladder_path), kit=kit_name)
    runs = _runs(files, ladder_path.resolve())
    store = _open_store(db, policy) if do_import else None
    try:
        rules = store.policy if store is not None else _policy(policy)
        analyses: list[SampleAnalysis] = []
        samples: list[dict[str, Any]] = []
        show = not as_json and err_console.is_terminal and len(runs) > 1
        for path, _ in zip(runs, _progress(len(runs), show), strict=True):
            try:
                with naming_file(str(path)):
                    analysis = analyze_run(path, ladder=lad,
                                           positive_control=positive_control_name)
            except LocardError as exc:
                samples.append({"file": str(path), "sample": None, "loci": {}, "flags": [],
                                "error": str(exc)})
                continue
            analyses.append(analysis)
            samples.append({**analysis.to_dict(),
                            "verdict": ce_verdict(analysis, rules).to_dict()})
        out: dict[str, Any] = {}
        if store is not None:
            from locard.store.ce_intake import import_analyses

            assert category is not None
            report = import_analyses(store, analyses, category=category,
                                     actor=resolve_user(user), legal_basis=legal_basis,
                                     consent=consent, purpose=purpose)
            out["import"] = report.to_dict()
    finally:
        if store is not None:
            store.close()
    if cmf is not None:
        assert lab is not None
        out["cmf"] = _write_cmf(analyses, rules, cmf, lab=lab, user=resolve_user(user),
                                category=category)
    if case is not None:
        out["case"] = _write_case(analyses, case)
    if as_json:
        print_json({"kit": kit_name, "ladder": {**lad.to_dict(), "file": ladder},
                    "samples": samples, **out})
        return
    _show(ladder, lad, samples, out)


def _open_store(db: str | None, policy: str | None) -> Store:
    from locard.store import Store

    return Store.open(db, policy=policy)


def _write_cmf(analyses: list[SampleAnalysis], rules: Policy, out: str, *, lab: str,
               user: str, category: str | None) -> dict[str, Any]:
    """The samples whose verdict allows the index of ``category`` (default 'Forensic,
    Unknown') as CMF; the others listed with the reason."""
    from locard.formats.cmf import write_cmf
    from locard.store.categories import index_for_category
    from locard.store.ce_intake import ce_verdict

    chosen = "Forensic, Unknown" if category is None else category
    index = index_for_category(chosen)
    written: list[SampleAnalysis] = []
    skipped: dict[str, str] = {}
    for a in analyses:
        verdict = ce_verdict(a, rules)
        if verdict.allows(index) and a.profile is not None:
            written.append(a)
        else:
            skipped[a.file] = verdict.why_not(index)
    with naming_file(out):
        n = write_cmf([a.profile for a in written if a.profile is not None], out,
                      source_lab=lab, submit_by_user=user[:20], specimen_category=chosen)
    return {"file": out, "written": n, "specimens": [a.sample for a in written],
            "skipped": skipped}


def _write_case(analyses: list[SampleAnalysis], out: str) -> dict[str, Any]:
    """A continuous-model case file from the runs of the one sample that is not a control."""
    from locard.ce.analysis import continuous_case

    runs = [a for a in analyses if a.control is None]
    names = sorted({a.sample for a in runs})
    if len(names) != 1:
        raise InputError(f"--case takes the runs of one sample; given {len(names)} "
                         f"({', '.join(names) or 'none but controls'})",
                         remedy="give only the replicate runs of one sample with --case")
    data = continuous_case(runs)
    Path(out).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return {"file": out, "sample": names[0], "replicates": list(data["evidence"])}


def _show(ladder: str, lad: LadderResult, samples: list[dict[str, Any]],
          out: dict[str, Any]) -> None:
    console.print(f"ladder {esc(ladder)}: {lad.found}/{lad.expected} ladder alleles found")
    for line in lad.flags():
        console.print(f"  {esc(line)}")
    for s in samples:
        console.print(f"\n{esc(s['file'])}" + (f" ({esc(s['sample'])})" if s.get("sample")
                                                 else ""))
        if "error" in s:
            console.print(f"  error: {esc(s['error'])}")
            continue
        for locus, entry in s["loci"].items():
            pairs = ", ".join(f"{a} ({h:.0f})" for a, h in zip(entry["alleles"],
                                                               entry["heights"], strict=True))
            console.print(f"  {locus:<10} {esc(pairs)}")
        for flag in s["flags"]:
            console.print(f"  flag: {esc(flag)}")
        v = s["verdict"]
        if "reason" in v:
            console.print(f"  verdict: {esc(v['reason'])}")
        else:
            console.print("  verdict: could enter " + (", ".join(v["accepted"]) or "no index"))
            for index, why in v["refused"].items():
                console.print(f"    not {index}: {esc('; '.join(why))}")
    if "import" in out:
        rep = out["import"]
        console.print(f"\nimported into {rep['index']}: "
                      + (", ".join(esc(v) for v in rep["imported"].values()) or "nothing"))
        for file, why in rep["skipped"].items():
            console.print(f"  not imported {esc(file)}: {esc(why)}")
    if "cmf" in out:
        c = out["cmf"]
        console.print(f"\nwrote {c['written']} specimen(s) to {esc(c['file'])}")
        for file, why in c["skipped"].items():
            console.print(f"  not written {esc(file)}: {esc(why)}")
    if "case" in out:
        c = out["case"]
        console.print(f"\nwrote case file {esc(c['file'])}: sample {esc(c['sample'])}, "
                      f"{len(c['replicates'])} replicate(s)")


def _sizes(sizing: SizingResult, n: int) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    scans = np.arange(n, dtype=np.float64)
    inside = sizing.in_range(scans)
    return sizing.size(scans[inside]), inside


@ce_app.command("plot")
def plot_command(
    file: str = typer.Argument(..., help="A run file (.fsa/.hid)."),
    out: str = typer.Option(..., "--out", "-o", help="Write the figure here: .svg or .png."),
    kit: str | None = typer.Option(None, "--kit", help="Kit: size the run and draw its loci."),
    ladder: str | None = typer.Option(
        None, "--ladder", help="Allelic-ladder run (with --kit): draw the bins and the calls."),
    locus: str | None = typer.Option(None, "--locus", help="Zoom to this locus (with --ladder)."),
) -> None:
    """Draw the electropherogram: every dye; with --kit sized in bp, with --ladder the bins,
    the calls (filtered peaks in grey, with their reason) and the flags."""
    import numpy as np

    from locard.ce.abif import read_abif
    from locard.ce.calling import call_sample, locate_ladder
    from locard.ce.signal import process_trace
    from locard.ce.sizing import size_run
    from locard.plots import EpgBin, EpgCall, EpgChannel, electropherogram_plot

    if ladder is not None and kit is None:
        raise InputError("--ladder needs --kit", remedy="add --kit KIT")
    with naming_file(file):
        run = read_abif(Path(file))
        sizing = size_run(run, kit=get_kit(kit).name) if kit is not None else None
        lad = None
        if ladder is not None and kit is not None:
            with naming_file(ladder):
                lad = locate_ladder(read_abif(Path(ladder)), kit=get_kit(kit).name)
        calls = call_sample(run, lad, sizing=sizing) if lad is not None else None
    channels: list[EpgChannel] = []
    flags: list[str] = []
    x_label = "scan"
    for dye in range(1, run.n_dyes + 1):
        signal = process_trace(run.trace(dye))
        if sizing is not None and sizing.ok:
            x, inside = _sizes(sizing, signal.shape[0])
            y = signal[inside]
            standard = sizing.standard.name if sizing.standard else "?"
            x_label = f"size (bp, {sizing.method}, {standard})"
        else:
            x, y = np.arange(signal.shape[0], dtype=np.float64), signal
        channels.append(EpgChannel(dye=run.dyes[dye - 1], x=x.tolist(), rfu=y.tolist()))
    if sizing is not None and not sizing.ok:
        flags.append(f"not sized: {sizing.reason}")
    bins: list[EpgBin] = []
    marks: list[EpgCall] = []
    x_range: tuple[float, float] | None = None
    if lad is not None and calls is not None:
        for name, lo in lad.loci.items():
            for allele, size in zip(lo.alleles, lo.sizes, strict=True):
                if size is not None:
                    bins.append(EpgBin(lo.dye - 1, name, allele, size - 0.5, size + 0.5))
            if locus is not None and name.lower() == locus.lower():
                x_range = (lo.window[0], lo.window[1])
        if locus is not None and x_range is None:
            raise InputError(f"--locus {locus!r} is not a locus of {lad.kit}",
                             remedy="loci: " + ", ".join(lad.loci))
        for call in calls.loci.values():
            for p in call.peaks:
                marks.append(EpgCall(p.dye - 1, p.size, p.height,
                                     p.allele if p.filtered is None else p.filtered,
                                     called=p.filtered is None and p.bin != "off-ladder"))
        flags.extend(calls.flags)
    electropherogram_plot(channels, out, bins=bins, calls=marks, flags=flags,
                          title=f"{run.sample_name or Path(file).name}", x_label=x_label,
                          x_range=x_range)
    err_console.print(f"wrote {esc(out)}")
