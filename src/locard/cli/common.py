"""Helpers shared by the sub-commands: output (rich tables or JSON) and reading profiles."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from locard import jsonsafe
from locard.errors import FileFormatError, InputError, LocardError
from locard.genetics.profiles import Profile

# emoji=False: a population name such as ':GERMANY:' in user text is not an emoji code
console = Console(highlight=False, soft_wrap=False, emoji=False)
err_console = Console(stderr=True, highlight=False, emoji=False)


def esc(value: object) -> str:
    """User text (a specimen ID, a file name, a table name) made safe to print through rich:
    its square brackets are not markup."""
    return escape(str(value))


def print_json(data: Any) -> None:
    """One JSON document on stdout, strict JSON by :func:`locard.jsonsafe.dumps` (the service's
    encoder too): -inf is "-Infinity", +inf "Infinity", NaN null."""
    sys.stdout.write(jsonsafe.dumps(data, indent=2))
    sys.stdout.write("\n")


def read_single_profile(path: str, *, specimen: str | None = None) -> Profile:
    """Read one profile from a file (JSON, CSV, CMF, GeneMapper) or stdin ('-').

    A file holding several profiles needs ``specimen`` to pick one.
    """
    if path == "-":
        text = sys.stdin.read()
        return Profile.from_json(text) if text.lstrip().startswith("{") else Profile.parse(text)
    from locard.formats import read_profiles

    result = read_profiles(Path(path))
    if result.problems:
        raise InputError("\n".join(str(p) for p in result.problems))
    profiles = [r.profile for r in result.records]
    if specimen is not None:
        chosen = [p for p in profiles if p.specimen_id == specimen]
        if not chosen:
            raise InputError(f"{path}: no specimen {specimen!r}",
                             remedy="specimens in the file: "
                                    + ", ".join(str(p.specimen_id) for p in profiles[:20]))
        return chosen[0]
    if len(profiles) != 1:
        raise InputError(f"{path}: {len(profiles)} profiles in the file",
                         remedy="choose one with --specimen ID")
    return profiles[0]



@contextmanager
def naming_file(path: str) -> Iterator[None]:
    """Re-raise a Locard error met while reading ``path`` with the file named first (the
    error's class and remedy kept)."""
    try:
        yield
    except LocardError as exc:
        if isinstance(exc, FileFormatError) or exc.message.startswith(f"{path}:"):
            raise
        raise type(exc)(f"{path}: {exc.message}", remedy=exc.remedy) from exc


def print_wrapped(text: str, *, indent: str = "", hang: str = "    ",
                  style: str | None = None) -> None:
    """Print plain ``text`` (no markup) wrapped at the terminal's width, continuation lines
    indented by ``hang`` beyond ``indent``, so that long lines stay readable at 80 columns."""
    import textwrap

    width = max(console.width, 40)
    lines = textwrap.wrap(text, width=width, initial_indent=indent,
                          subsequent_indent=indent + hang, break_on_hyphens=False,
                          break_long_words=True) or [indent]
    for line in lines:
        console.print(line, markup=False, style=style, soft_wrap=True)


def list_table(title: str | None = None) -> Table:
    """A compact table for long listings (specimens, search candidates): a rule under the
    header and a single space between columns instead of a box, so that a row of IDs, an
    index, a category and a date stays on one line at 80 columns."""
    return Table(title=title, box=box.SIMPLE_HEAD, padding=0, show_edge=False)


def print_table(table: Table) -> None:
    """Print a rich table so that it reads at 80 columns: rich wraps a title inside the
    table's own width (centred, broken over several lines); a title wider than the table is
    printed instead as plain text above it, wrapped at the terminal's width."""
    from rich.text import Text

    title = table.title
    if title is not None:
        plain = title.plain if isinstance(title, Text) else Text.from_markup(str(title)).plain
        width = min(console.measure(table).maximum, console.width)
        if len(plain) > width:
            table.title = None
            print_wrapped(plain, style="italic")
    console.print(table)


#: ``(phase, done, total)``: what :func:`progress` yields (the store's ``on_progress``)
Tick = Callable[[str, int, "int | None"], None]


@contextmanager
def progress(*, show: bool | None = None, to: Console | None = None) -> Iterator[Tick | None]:
    """Progress bars for a long command (one per phase: reading, checking, writing, ...) on
    stderr, only when stderr is a terminal (``show`` overrides); yields the callback to hand
    to ``Store.on_progress``, or None when nothing is shown. A phase of unknown length shows
    a spinner and the time spent; a new phase completes the ones before it."""
    con = to or err_console
    if not (con.is_terminal if show is None else show):
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(SpinnerColumn(), TextColumn("{task.description:<20}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=con) as bars:
        tasks: dict[str, TaskID] = {}

        def tick(phase: str, done: int, total: int | None) -> None:
            task = tasks.get(phase)
            if task is None:
                for other in tasks.values():  # the phase before is over
                    t = bars.tasks[other]
                    bars.update(other, total=t.total or t.completed or 1,
                                completed=t.total or t.completed or 1)
                task = tasks[phase] = bars.add_task(phase, total=total)
            bars.update(task, completed=done, total=total)

        yield tick


REJECT_COLUMNS = ("file", "record", "specimen", "locus", "value", "rule", "message")


def write_rejects(path: str, problems: Sequence[Mapping[str, Any]]) -> int:
    """Write an import's rejected records to ``path`` as CSV (:data:`REJECT_COLUMNS`, one row
    per problem; a record that broke two rules has two rows); returns the rows written."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(REJECT_COLUMNS)
        for prob in problems:
            out.writerow(["" if prob.get(k) is None else prob.get(k) for k in REJECT_COLUMNS])
    return len(problems)


def error_json(exc: BaseException) -> dict[str, Any]:
    """The JSON shape of an error under ``--json`` (printed on stdout by the error funnel):
    ``{"error": message, "remedy": remedy or null, "type": class name}``, with ``problems``
    (every rejected record) for a failed import."""
    if isinstance(exc, LocardError):
        body: dict[str, Any] = {"error": exc.message, "remedy": exc.remedy,
                                "type": type(exc).__name__}
        records = getattr(exc, "records", None)
        if records is not None:
            body["problems"] = list(records)
        return body
    return {"error": str(exc), "remedy": None, "type": type(exc).__name__}
