"""Helpers shared by the sub-commands: output (rich tables or JSON) and reading profiles."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console

from locard import jsonsafe
from locard.errors import FileFormatError, InputError, LocardError
from locard.genetics.profiles import Profile

console = Console(highlight=False, soft_wrap=False)
err_console = Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    """One JSON document on stdout, strict JSON by :func:`locard.jsonsafe.dumps` (the service's
    encoder too): -inf is "-Infinity", +inf "Infinity", NaN null."""
    sys.stdout.write(jsonsafe.dumps(data, indent=2))
    sys.stdout.write("\n")


def format_probability(value: float) -> str:
    """'1.23e-25 (1 in 8.1e+24)' style, for people."""
    if value <= 0:
        return "0"
    return f"{value:.3g} (1 in {1 / value:.3g})"


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
