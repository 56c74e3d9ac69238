"""``locard ce analyze|plot``: raw capillary-electrophoresis runs (ABIF ``.fsa``/``.hid``) to
called profiles, with a verdict against the store's acceptance rules, and the electropherogram.

A thin layer: reading, sizing and calling are :mod:`locard.ce`; the verdict is
:meth:`locard.store.policy.Policy.evaluate` on the called profile; the drawing is
:func:`locard.plots.electropherogram_plot`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import typer
from rich.progress import Progress

from locard.cli.common import console, err_console, esc, naming_file, print_json
from locard.cli.options import JsonOption
from locard.errors import InputError, LocardError
from locard.genetics.kits import get_kit, positive_control
from locard.genetics.profiles import Profile

if TYPE_CHECKING:
    from locard.ce.abif import AbifRun
    from locard.ce.calling import LadderResult, SampleCalls
    from locard.ce.sizing import SizingResult
    from locard.store.policy import Policy

ce_app = typer.Typer(help="Capillary electrophoresis: analyse raw .fsa/.hid runs, draw them.",
                     no_args_is_help=True)

RUN_SUFFIXES = (".fsa", ".hid")
POSITIVE = re.compile(r"pos(itive)?[\s_-]*(control|ctrl|con)?|\bpc\b", re.IGNORECASE)
NEGATIVE = re.compile(r"neg(ative)?[\s_-]*(control|ctrl|con)?|blank|\bnc\b", re.IGNORECASE)


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


def _control_kind(run: AbifRun, path: Path) -> str | None:
    text = f"{run.sample_name or ''} {path.stem}"
    if NEGATIVE.search(text):
        return "negative"
    if POSITIVE.search(text):
        return "positive"
    return None


def _verdict(calls: SampleCalls, kind: str | None, control_pattern: bool) -> dict[str, Any]:
    """Which index the called profile could enter under the store's acceptance rules, and
    why not for the others. Controls never enter the store."""
    from locard.store.categories import Index

    if kind is not None or control_pattern:
        return {"control": True, "accepted": [], "refused": {},
                "reason": "a control or ladder is never stored ([controls] in the policy)"}
    genotype = calls.genotype()
    if not genotype:
        return {"control": False, "accepted": [], "refused": {},
                "reason": "no alleles called"}
    policy = _policy()
    profile = Profile.from_dict({"specimen_id": calls.sample, "loci": genotype})
    accepted: list[str] = []
    refused: dict[str, list[str]] = {}
    local: list[str] = []
    for index in Index:
        if index not in policy.indices:
            continue
        outcome = policy.evaluate(profile, index)
        if outcome.accepted:
            accepted.append(index.value)
            if outcome.local_only:
                local.append(index.value)
        else:
            refused[index.value] = [str(f) for f in outcome.failures]
    return {"control": False, "accepted": accepted, "local_only": local, "refused": refused}


def _control_flags(calls: SampleCalls, kind: str | None, positive: str | None) -> list[str]:
    genotype = calls.genotype()
    if kind == "negative":
        return [f"negative control: {locus} has peaks called {', '.join(alleles)}"
                for locus, alleles in genotype.items()]
    if kind == "positive" and positive is not None:
        expected = positive_control(positive).restrict(get_kit(calls.kit).locus_names)
        out: list[str] = []
        for locus in sorted(set(expected.typed_loci) | set(genotype)):
            want = sorted(str(a) for a in expected.alleles(locus)) \
                if locus in expected.typed_loci else []
            got = sorted(genotype.get(locus, []))
            if want != got:
                out.append(f"positive control: {locus} called {'/'.join(got) or 'nothing'}, "
                           f"{positive} is {'/'.join(want) or 'untyped'}")
        return out
    return []


@cache
def _policy() -> Policy:
    from locard.store.policy import load_policy

    return load_policy()


def _analyse(path: Path, ladder: LadderResult, positive: str | None) -> dict[str, Any]:
    from locard.ce.abif import read_abif
    from locard.ce.calling import call_sample

    with naming_file(str(path)):
        run = read_abif(path)
        calls = call_sample(run, ladder)
    kind = _control_kind(run, path)
    extra = _control_flags(calls, kind, positive)
    record = calls.to_dict()
    record["file"] = str(path)
    record["flags"] = list(calls.flags) + extra
    record["control"] = kind
    record["verdict"] = _verdict(calls, kind,
                                 _policy().is_control(run.sample_name or path.stem))
    return record


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
    as_json: JsonOption = False,
) -> None:
    """Size, call and check each run against the ladder; a verdict per sample against the
    store's acceptance rules (which index it could enter, or why not)."""
    # the analysis stack (SciPy) loads with the command, not at CLI start-up
    from locard.ce.abif import read_abif
    from locard.ce.calling import locate_ladder

    kit_name = get_kit(kit).name
    if positive_control_name is not None:
        positive_control(positive_control_name)  # an unknown name fails before any work
    ladder_path = Path(ladder)
    if not ladder_path.is_file():
        raise InputError(f"{ladder}: no such ladder file",
                         remedy="give the allelic-ladder run with --ladder")
    with naming_file(ladder):
        lad = locate_ladder(read_abif(ladder_path), kit=kit_name)
    runs = _runs(files, ladder_path.resolve())
    samples: list[dict[str, Any]] = []
    show = not as_json and err_console.is_terminal and len(runs) > 1
    for path, _ in zip(runs, _progress(len(runs), show), strict=True):
        try:
            samples.append(_analyse(path, lad, positive_control_name))
        except LocardError as exc:
            samples.append({"file": str(path), "sample": None, "loci": {}, "flags": [],
                            "error": str(exc)})
    ladder_account = {name: {"found": locus.found, "expected": len(locus.alleles),
                             "note": locus.note} for name, locus in lad.loci.items()}
    if as_json:
        print_json({"kit": kit_name, "ladder": {"file": ladder, "found": lad.found,
                                                "expected": lad.expected,
                                                "loci": ladder_account},
                    "samples": samples})
        return
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
        if v.get("control") or (not v["accepted"] and not v["refused"]):
            console.print(f"  verdict: {esc(v['reason'])}")
        else:
            console.print("  verdict: could enter " + (", ".join(v["accepted"]) or "no index"))
            for index, why in v["refused"].items():
                console.print(f"    not {index}: {esc('; '.join(why))}")


def _sizes(sizing: SizingResult, n: int) -> tuple[np.ndarray, np.ndarray]:
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
