"""Reference data by name: the one door the CLI, the service, the store and the demo use.

Locard ships its reference data as package resources under ``locard/data/`` (each file cites its
source and the script that derived it). Every lookup by name goes through this module:

- kits: :func:`get_kit`, :func:`list_kits` (:mod:`locard.genetics.kits`);
- positive controls: :func:`positive_control`, :func:`list_positive_controls`
  (:mod:`locard.genetics.kits`);
- frequency tables: :func:`load_frequency_table` (a shipped name or a file),
  :func:`get_bundled_table`, :data:`DEFAULT_TABLE`, :func:`list_frequency_tables`
  (:mod:`locard.tables`);
- mutation rates: :func:`load_mutation_rates` (the shipped table or a file),
  :func:`default_mutation_rates` (:mod:`locard.formats.mutation_rates`);
- lane standards: :func:`get_lane_standard`, :func:`list_lane_standards`,
  :func:`lane_standards_for_kit` (:mod:`locard.ce.sizing`).

The functions are the defining modules' own (the same objects, under the same names), so a
lookup behaves identically wherever it is made; the lower layers (``genetics``, ``stats``,
``search``, ``ce``) call their own module directly, as the dependency rule requires. The
policy file is the store's (:func:`locard.store.default_policy`): the store sits above this
module.

This module sits above :mod:`locard.stats`, :mod:`locard.formats`, :mod:`locard.ce` and
:mod:`locard.tables`, and below :mod:`locard.search`, :mod:`locard.store`, the service and the
CLI. Heavy parts (the kinship models, the CE sizing code) load on first use.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from locard.genetics.kits import (
    get_kit,
    list_kits,
    list_positive_controls,
    positive_control,
)

if TYPE_CHECKING:
    from locard.ce.sizing import KitLaneStandards, LaneStandard
    from locard.formats.mutation_rates import (
        BUNDLED_MUTATION_RATES,
        MutationRateTable,
        bundled_mutation_rates,
        read_mutation_rates,
    )
    from locard.stats.kinship.mutation import MutationRates
    from locard.tables import (
        DEFAULT_TABLE,
        bundled_table_names,
        get_bundled_table,
        list_frequency_tables,
        load_frequency_table,
        read_frequency_tables,
    )
    from locard.tables.bundled import is_bundled_name

#: re-exported names -> their defining module, imported on first use (PEP 562) so that a
#: command that needs only the kits (``locard kits``) does not load the file readers
_LAZY = {
    "BUNDLED_MUTATION_RATES": "locard.formats.mutation_rates",
    "bundled_mutation_rates": "locard.formats.mutation_rates",
    "read_mutation_rates": "locard.formats.mutation_rates",
    "DEFAULT_TABLE": "locard.tables",
    "bundled_table_names": "locard.tables",
    "get_bundled_table": "locard.tables",
    "list_frequency_tables": "locard.tables",
    "load_frequency_table": "locard.tables",
    "read_frequency_tables": "locard.tables",
    "is_bundled_name": "locard.tables.bundled",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'locard.reference' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "BUNDLED_MUTATION_RATES",
    "DEFAULT_TABLE",
    "bundled_mutation_rates",
    "bundled_table_names",
    "default_mutation_rates",
    "get_bundled_table",
    "get_kit",
    "get_lane_standard",
    "is_bundled_name",
    "lane_standards_for_kit",
    "list_frequency_tables",
    "list_kits",
    "list_lane_standards",
    "list_positive_controls",
    "load_frequency_table",
    "load_mutation_rates",
    "positive_control",
    "read_frequency_tables",
    "read_mutation_rates",
]

def load_mutation_rates(name_or_path: str | Path | None = None) -> MutationRateTable:
    """A per-locus mutation rate table: the shipped one (``None``, ``'bundled'``, ``'default'``
    or its file name ``mutation_rates_strbase.csv``) or a lab's rate CSV at ``name_or_path``
    (:func:`~locard.formats.mutation_rates.read_mutation_rates`)."""
    from locard.formats.mutation_rates import (
        BUNDLED_MUTATION_RATES,
        bundled_mutation_rates,
        read_mutation_rates,
    )

    shipped = {"bundled", "default", BUNDLED_MUTATION_RATES.casefold(),
               Path(BUNDLED_MUTATION_RATES).stem.casefold()}
    if name_or_path is None or (isinstance(name_or_path, str) and not Path(name_or_path).is_file()
                                and name_or_path.strip().casefold() in shipped):
        return bundled_mutation_rates()
    return read_mutation_rates(name_or_path)


def default_mutation_rates(model: str = "stepwise") -> MutationRates:
    """The default mutation specification of every kinship command, identify and DVI (CLI,
    service and demo alike): ``model`` with the per-locus rates of the bundled published
    table (:func:`locard.formats.mutation_rates.bundled_mutation_rates`, one rate for both
    sexes), and the table's pooled rate for the loci it lacks, each locus labelled with its
    ``rate_source``."""
    from dataclasses import asdict

    from locard.errors import InputError
    from locard.formats.mutation_rates import bundled_mutation_rates
    from locard.stats.kinship.mutation import MutationModel, rates_from_rows

    base = MutationModel(model)
    bundled = bundled_mutation_rates()
    if bundled.default_rate is None:  # pragma: no cover - the derive script writes it
        raise InputError(f"{bundled.name}: no default_rate")
    table = {"name": bundled.name, "sha256": bundled.sha256,
             "citation": bundled.note("source") or "; ".join(bundled.notes)}
    return rates_from_rows(base.model, {k: asdict(v) for k, v in bundled.rates.items()},
                           default_rate=bundled.default_rate, table=table,
                           rate2=base.rate2, range=base.range)


def list_lane_standards() -> list[LaneStandard]:
    """Every lane standard Locard knows (:func:`locard.ce.sizing.list_lane_standards`)."""
    from locard.ce.sizing import list_lane_standards as listed

    return listed()


def get_lane_standard(name: str) -> LaneStandard:
    """The lane standard called ``name`` (:func:`locard.ce.sizing.get_lane_standard`)."""
    from locard.ce.sizing import get_lane_standard as get

    return get(name)


def lane_standards_for_kit(kit: str) -> KitLaneStandards:
    """The ILS dye and the lane standards ``kit`` accepts
    (:func:`locard.ce.sizing.lane_standards_for_kit`)."""
    from locard.ce.sizing import lane_standards_for_kit as for_kit

    return for_kit(kit)
