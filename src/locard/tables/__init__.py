"""Frequency tables, in one place: the type, the shipped tables, the file readers, lookup by name.

- the type: :class:`FrequencyTable` (defined in :mod:`locard.stats.frequencies`, beside the
  statistics that use it, and re-exported here);
- the shipped tables: :mod:`locard.tables.bundled` (``get_bundled_table``, ``DEFAULT_TABLE``);
- the readers of the files labs exchange: :mod:`locard.tables.files` (``read_frequency_file``);
- a table by name or path: :func:`load_frequency_table`, :func:`list_frequency_tables` (this
  module; :mod:`locard.reference` re-exports them beside the other reference data).

A table spec is either a shipped table (``NIST1036:Cauc``, ``nist1036`` = ``NIST1036:ALL``;
see :mod:`locard.tables.bundled`) or a frequency file (any format
:func:`~locard.tables.files.read_frequency_file` reads), optionally followed by
``:POPULATION`` to pick one population of a multi-population file
(``fbi2015_allele_freqs.csv:Caucasian``). A table read from a file is named
``SOURCE:POPULATION`` (``NIST1036:Cauc``, ``FBI2015:Caucasian``). A file that names neither
source nor population (Familias, EuroForMix) uses its stem for both, and there ``:NAME`` names
the population (``ESX17_Norway.csv:Norway`` is the table ``ESX17_Norway:Norway``).

A table without sample sizes (Familias, EuroForMix, STRidER CSV) loads fine; a statistic that
needs the NRC II 5/2N minimum frequency then raises :class:`~locard.errors.InputError` unless a
minimum frequency is configured (``min_frequency=``).

This package sits above :mod:`locard.stats` and :mod:`locard.formats` (it joins the type to the
readers) and below :mod:`locard.search` and :mod:`locard.store`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from locard.errors import InputError, UnknownFrequencyTable
from locard.stats.frequencies import AlleleFrequency, FrequencyTable
from locard.tables.bundled import (
    DEFAULT_TABLE,
    bundled_table_names,
    get_bundled_table,
    is_bundled_name,
)
from locard.tables.files import PopulationFrequencies, read_frequency_file

__all__ = [
    "DEFAULT_TABLE",
    "AlleleFrequency",
    "FrequencyTable",
    "PopulationFrequencies",
    "bundled_table_names",
    "get_bundled_table",
    "list_frequency_tables",
    "load_frequency_table",
    "read_frequency_file",
    "read_frequency_tables",
    "table_from_population",
]


def table_from_population(population: PopulationFrequencies, *,
                          min_frequency: float | None = None) -> FrequencyTable:
    """The :class:`FrequencyTable` of one population read from a file, named
    ``SOURCE:POPULATION``."""
    return FrequencyTable.from_mapping(
        population.frequencies,
        name=population.name,
        population=population.population,
        sample_alleles=population.sample_alleles,
        counts=population.counts,
        source=population.source,
        min_frequency=min_frequency,
    )


def read_frequency_tables(path: str | Path, *, format: str | None = None,
                          min_frequency: float | None = None) -> list[FrequencyTable]:
    """Every population of a frequency file, as tables, in file order."""
    return [table_from_population(p, min_frequency=min_frequency)
            for p in read_frequency_file(path, format=format)]


def _population_key(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", name.casefold())


def _pick(path: str, populations: list[PopulationFrequencies],
          wanted: str | None) -> PopulationFrequencies:
    names = [p.population for p in populations]
    listing = ", ".join(repr(n) for n in names)
    if wanted is None:
        if len(populations) == 1:
            return populations[0]
        raise InputError(f"{path} holds {len(populations)} populations: {listing}",
                         remedy=f"name one, as {path}:POPULATION")
    for p in populations:
        if p.population == wanted:
            return p
    if len(populations) == 1 and populations[0].population == Path(path).stem:
        # the file names no population (Familias, wide tables): ':NAME' names it
        return dataclasses.replace(populations[0], population=wanted)
    matches = [p for p in populations if _population_key(p.population) == _population_key(wanted)]
    if len(matches) == 1:
        return matches[0]
    raise InputError(f"{path} has no population {wanted!r} (populations: {listing})",
                     remedy=f"name one, as {path}:POPULATION")


def _looks_like_path(text: str) -> bool:
    return "/" in text or "\\" in text or bool(Path(text).suffix)


def load_frequency_table(spec: str, *, format: str | None = None,
                         min_frequency: float | None = None) -> FrequencyTable:
    """The table named by ``spec``: a shipped table, or a file with an optional ``:POPULATION``.

    ``format`` names the file format (default: detected); ``min_frequency`` sets a floor that
    replaces the 5/2N rule. Raises :class:`UnknownFrequencyTable` for an unknown shipped table
    or name, :class:`InputError` for a missing file or population, and
    :class:`~locard.errors.FileFormatError` for a bad file.
    """
    text = spec.strip()
    if not text:
        raise UnknownFrequencyTable(spec, known=bundled_table_names())
    path: Path | None = None
    population: str | None = None
    if Path(text).is_file():
        path = Path(text)
    elif is_bundled_name(text):
        if format is not None:
            raise InputError(f"format={format!r} applies to frequency files, and {spec!r} "
                             "is a shipped table")
        table = get_bundled_table(text)
        return table.with_min_frequency(min_frequency) if min_frequency is not None else table
    else:
        head, sep, tail = text.rpartition(":")
        if sep and head and Path(head).is_file():
            path, population = Path(head), tail.strip()
    if path is None:
        head, sep, _ = text.rpartition(":")
        candidate = head if sep and head and _looks_like_path(head) else text
        if _looks_like_path(candidate):
            raise InputError(f"frequency file not found: {candidate}")
        raise UnknownFrequencyTable(spec, known=bundled_table_names())
    chosen = _pick(str(path), read_frequency_file(path, format=format), population or None)
    return table_from_population(chosen, min_frequency=min_frequency)


def _describe(table: FrequencyTable, *, bundled: bool, path: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": table.name,
        "population": table.population,
        "n_individuals": table.n_individuals,
        "n_loci": len(table.loci),
        "sha256": table.sha256,
        "source": table.source,
        "bundled": bundled,
    }
    if path is not None:
        entry["path"] = path
    return entry


def list_frequency_tables(*, files: Iterable[str | Path] = ()) -> list[dict[str, Any]]:
    """One row per table (for ``locard frequencies list``): name, population, N
    (``n_individuals``, None without sample sizes), ``n_loci``, ``sha256``, ``source``,
    ``bundled``; the shipped tables first, then every population of each file in ``files``."""
    rows = [_describe(get_bundled_table(n), bundled=True) for n in bundled_table_names()]
    for f in files:
        rows.extend(_describe(t, bundled=False, path=str(f)) for t in read_frequency_tables(f))
    return rows
