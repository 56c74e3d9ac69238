"""Frequency tables shipped with Locard, read from its own package data.

Each bundle is a JSON file under ``locard/data/`` derived by a script in ``scripts/`` from a
public-domain source, with a ``_source`` header naming the citation, the input file and its
SHA-256, the script, and the SHA-256 of every table it holds:

- ``frequencies_nist1036.json`` (``scripts/derive_nist1036.py``): NIST 1036 U.S. population data,
  Steffen et al. (2017), FSI:Genetics 31:e36; tables ``NIST1036:AfAm``, ``NIST1036:Asian``,
  ``NIST1036:Cauc``, ``NIST1036:Hisp`` and ``NIST1036:ALL``, 29 autosomal STRs, with counts and
  2N per locus.
- ``frequencies_fbi2015.json`` (``scripts/derive_fbi2015.py``): FBI expanded CODIS data,
  Moretti et al. (2016), FSI:Genetics 25:175; ``FBI2015:<population>`` for 12 populations,
  23 autosomal STRs.

A table's name is ``SOURCE:POPULATION`` (``NIST1036:Cauc``: name ``'NIST1036:Cauc'``, population
``'Cauc'``); lookup ignores case, and a source name alone means its default population
(``NIST1036`` = ``NIST1036:ALL``). :data:`DEFAULT_TABLE` is the table Locard uses when none is
named. Population frequencies exist only for match statistics, never to classify a person.

This module reads only its own package data (``importlib.resources``); :func:`dump_bundle` is
the pure writer the derive scripts use.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any, Final

from locard.errors import StatisticsError, UnknownFrequencyTable
from locard.stats.frequencies import FrequencyTable

__all__ = [
    "BUNDLE_FORMAT",
    "DEFAULT_TABLE",
    "bundled_source",
    "bundled_table_names",
    "dump_bundle",
    "get_bundled_table",
    "is_bundled_name",
    "resolve_bundled_name",
]

BUNDLE_FORMAT: Final = "locard-frequency-bundle/1"
DEFAULT_TABLE: Final = "NIST1036:ALL"

# The shipped bundles, in listing order.
_RESOURCES: Final[tuple[str, ...]] = ("frequencies_nist1036.json", "frequencies_fbi2015.json")
# What a source name alone means.
_DEFAULT_POPULATION: Final[dict[str, str]] = {"NIST1036": "ALL"}


def _read_resource(resource: str) -> dict[str, Any] | None:
    ref = resources.files("locard").joinpath("data").joinpath(resource)
    if not ref.is_file():
        return None
    data: Any = json.loads(ref.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
        raise StatisticsError(f"bundled frequency file {resource} is not a {BUNDLE_FORMAT} file",
                              remedy="reinstall Locard")
    return data


@functools.cache
def _catalogue() -> dict[str, tuple[str, dict[str, Any]]]:
    """``{table name: (resource, table dict)}`` over every shipped bundle, in listing order."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for resource in _RESOURCES:
        data = _read_resource(resource)
        if data is None:
            continue
        for name, table in data["tables"].items():
            out[name] = (resource, table)
    return out


@functools.cache
def _headers() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for resource in _RESOURCES:
        data = _read_resource(resource)
        if data is not None:
            out[resource] = data["_source"]
    return out


def bundled_table_names() -> list[str]:
    """Names of the shipped tables, e.g. ``['NIST1036:AfAm', ..., 'NIST1036:ALL', ...]``."""
    return list(_catalogue())


def _sources() -> dict[str, str]:
    return {name.split(":", 1)[0].upper(): name.split(":", 1)[0] for name in _catalogue()}


def is_bundled_name(name: str) -> bool:
    """True when ``name`` starts with a shipped source ('NIST1036', 'nist1036:cauc', ...),
    whether or not the population exists (:func:`resolve_bundled_name` decides that)."""
    return name.strip().split(":", 1)[0].strip().upper() in _sources()


def resolve_bundled_name(name: str) -> str:
    """The canonical name of a shipped table: case-insensitive, a source alone meaning its
    default population. Raises :class:`UnknownFrequencyTable` listing the known names."""
    known = bundled_table_names()
    key = name.strip()
    source, sep, population = key.partition(":")
    source = source.strip()
    canonical_source = _sources().get(source.upper())
    if canonical_source is not None and not sep:
        default = _DEFAULT_POPULATION.get(canonical_source)
        if default is not None:
            return f"{canonical_source}:{default}"
    wanted = f"{source}:{population.strip()}".casefold()
    for candidate in known:
        if candidate.casefold() == wanted:
            return candidate
    raise UnknownFrequencyTable(name, known=known)


@functools.cache
def _load(canonical: str) -> FrequencyTable:
    _, table = _catalogue()[canonical]
    return FrequencyTable.from_dict(table)


def get_bundled_table(name: str = DEFAULT_TABLE) -> FrequencyTable:
    """A shipped table by name (``'NIST1036:Cauc'``, ``'nist1036:cauc'``, ``'NIST1036'``).

    Tables are read once and cached. Raises :class:`UnknownFrequencyTable` listing the known
    names for any other name.
    """
    return _load(resolve_bundled_name(name))


def bundled_source(name: str) -> dict[str, Any]:
    """The ``_source`` header (citation, input file and SHA-256, derive script) of the bundle
    that holds table ``name``."""
    resource, _ = _catalogue()[resolve_bundled_name(name)]
    return dict(_headers()[resource])


def dump_bundle(tables: Sequence[FrequencyTable], *, header: Mapping[str, Any]) -> str:
    """The JSON text of a bundle of ``tables`` (what the derive scripts write).

    Deterministic: the header first (with each table's name and SHA-256 added), then the tables
    in the order given, each as :meth:`FrequencyTable.to_dict` (loci in display order, alleles in
    allele order), one value per line, UTF-8, a final newline.
    """
    names = [t.name for t in tables]
    if len(set(names)) != len(names):
        raise StatisticsError(f"duplicate table names in a bundle: {names}")
    source = dict(header)
    source["tables"] = [{"name": t.name, "population": t.population,
                         "n_individuals": t.n_individuals, "sha256": t.sha256} for t in tables]
    bundle = {"_source": source, "format": BUNDLE_FORMAT,
              "tables": {t.name: t.to_dict() for t in tables}}
    return json.dumps(bundle, indent=1, ensure_ascii=False) + "\n"
