"""Mutation models for parent-to-child transmission, after Familias and pedmut.

A model gives, for one locus and an ordered allele set, the transition matrix
``M[a, b] = P(the child receives b | the parent transmits from a)``; every row sums to 1.
Fathers and mothers have separate rates (mutations of paternal origin are several times more
frequent than maternal ones). The models:

- ``equal`` (Familias, pedmut): ``M[a, b] = rate / (n - 1)`` for b != a, ``M[a, a] = 1 - rate``.
- ``proportional`` (Familias, pedmut): ``M[a, b] = alpha p_b`` for b != a,
  ``M[a, a] = 1 - alpha (1 - p_a)``, with ``alpha = rate / sum_c p_c (1 - p_c)`` so that the
  expected mutation rate is ``rate``.
- ``stepwise`` (Familias' "stepwise (unstationary)", pedmut's ``stepwise``): alleles whose
  difference is a whole number of repeats (same microvariant suffix: 9 and 12, or 9.3 and 10.3)
  are reached with total probability ``rate``, split in proportion to ``range ** |steps|`` (so one
  step is 1/range times as likely as two); alleles at a non-integer distance (9 -> 9.3) share
  ``rate2`` equally. ``M[a, a] = 1 - rate - rate2`` (less only the terms that have targets).
- ``extended-stepwise``: as ``stepwise`` for whole-repeat steps, but the microvariant share
  ``rate2`` decays with distance too: a target at distance d repeat units (d not whole; 9.3 -> 10
  is 0.25 units at a 4-base locus) gets weight ``range ** (ceil(d) - 1)``, so 9.3 most often
  becomes 9 or 10. This is Locard's reading of the "extended stepwise" model of Familias 3
  (Kling, Tillmar & Egeland 2014, FSI:Genetics 13:121); it has not been checked against
  Familias' own matrices.

In the stepwise models an allele without a repeat number (off-ladder 'OL', ladder bins '<n'/'>n',
and the catch-all 'unseen' allele of the search tables) neither mutates nor is reached by
mutation (its row and column are those of the identity); ``equal`` and ``proportional`` treat
every allele alike.

Defaults of :class:`MutationModel`: male rate 0.002 and female rate 0.0005 per meiosis, rate2 =
1e-6 and range = 0.1. These are round figures, not per-locus estimates: the rates of the core
STR loci in paternity data are about 1-5 per 1000 meioses (AABB Parentage Testing Standards
Program annual reports, compiled in Butler 2005, Forensic DNA Typing, 2nd ed., ch. 6), with
paternal mutations 3-6 times as frequent as maternal (Brinkmann et al. 1998, Am J Hum Genet
62:1408); range 0.1 and rate2 1e-6 are the values of Familias' examples.

The commands use per-locus rates instead (:class:`MutationRates`): the bundled published table
(``locard/data/mutation_rates_strbase.csv``, derived by ``scripts/derive_mutation_rates.py``;
see ``docs/kinship.md``) or a laboratory's own file. Every model says where its rates come from
(``rate_source``), and :func:`mutation_provenance` puts the models and the rate tables' names
and SHA-256 into each result's provenance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from locard.errors import InvalidParameter
from locard.genetics.alleles import Allele, AlleleKind
from locard.genetics.loci import LOCI, LocusKind, canonical_locus

__all__ = [
    "DEFAULT_FEMALE_RATE",
    "DEFAULT_MALE_RATE",
    "DEFAULT_RANGE",
    "DEFAULT_RATE2",
    "MUTATION_MODELS",
    "MutationModel",
    "MutationRates",
    "mutation_matrix",
    "mutation_provenance",
    "per_locus_models",
    "rates_from_rows",
]

DEFAULT_MALE_RATE = 0.002
DEFAULT_FEMALE_RATE = 0.0005
DEFAULT_RATE2 = 1e-6
DEFAULT_RANGE = 0.1

MUTATION_MODELS = ("equal", "proportional", "stepwise", "extended-stepwise")

FloatArray = npt.NDArray[np.float64]


def _check_rate(name: str, value: float) -> None:
    if not isinstance(value, (int, float)) or math.isnan(value) or not 0.0 <= value <= 1.0:
        raise InvalidParameter(name, value, expected="a probability in [0, 1] per meiosis")


def _check_model(model: str) -> str:
    if model not in MUTATION_MODELS:
        raise InvalidParameter("mutation model", model,
                               expected="one of " + ", ".join(MUTATION_MODELS))
    return model


def _numeric(allele: Allele | None) -> bool:
    return allele is not None and allele.kind is AlleleKind.REPEAT


def mutation_matrix(
    model: str,
    alleles: Sequence[Allele | None],
    frequencies: Sequence[float] | FloatArray,
    *,
    rate: float,
    rate2: float = 0.0,
    range: float = DEFAULT_RANGE,  # Familias' and pedmut's name; shadows the builtin here
    repeat_length: int | None = None,
) -> FloatArray:
    """Transition matrix of one parent sex: ``M[a, b]`` = P(child gets ``alleles[b]`` | the
    parent transmits ``alleles[a]``), rows summing to 1. See the module docstring for the models.

    ``alleles`` may hold None for a catch-all allele without a designation; ``frequencies`` (same
    order) is used by ``proportional`` only; ``repeat_length`` (bases) turns microvariant
    distances into repeat units for ``extended-stepwise`` (default 4).
    """
    _check_model(model)
    _check_rate("rate", rate)
    _check_rate("rate2", rate2)
    decay = range
    if not isinstance(decay, (int, float)) or math.isnan(decay) or decay <= 0:
        raise InvalidParameter("range", decay, expected="a positive number (typically 0.1)")
    if model in ("stepwise", "extended-stepwise") and rate + rate2 > 1:
        raise InvalidParameter("rate + rate2", rate + rate2, expected="a total rate in [0, 1]")
    n = len(alleles)
    p = np.asarray(frequencies, dtype=np.float64)
    if p.shape != (n,):
        raise InvalidParameter("frequencies", f"{p.shape[0] if p.ndim else 0} values",
                               expected=f"one frequency per allele ({n})")
    if n <= 1 or (rate == 0 and rate2 == 0):
        return np.eye(n)
    if model == "equal":
        m = np.full((n, n), rate / (n - 1))
        np.fill_diagonal(m, 1.0 - rate)
        return m
    if model == "proportional":
        spread = float(np.sum(p * (1.0 - p)))
        if spread <= 0:
            return np.eye(n)
        alpha = rate / spread
        m = (1.0 - alpha) * np.eye(n) + alpha * np.broadcast_to(p, (n, n))
        if np.any(m > 1.0) or np.any(m < 0.0):
            raise InvalidParameter("rate", rate,
                                   expected="a rate small enough for a proportional model here")
        return m
    return _stepwise(alleles, rate=rate, rate2=rate2, decay=decay,
                     extended=model == "extended-stepwise", repeat_length=repeat_length or 4)


def _stepwise(alleles: Sequence[Allele | None], *, rate: float, rate2: float, decay: float,
              extended: bool, repeat_length: int) -> FloatArray:
    n = len(alleles)
    numeric = np.array([a is not None and _numeric(a) for a in alleles], dtype=bool)
    reps = np.array([a.repeats if a is not None and ok else 0
                     for a, ok in zip(alleles, numeric, strict=True)], dtype=np.float64)
    var = np.array([a.variant if a is not None and ok else 0
                    for a, ok in zip(alleles, numeric, strict=True)], dtype=np.float64)
    both = numeric[:, None] & numeric[None, :] & ~np.eye(n, dtype=bool)
    same_variant = var[:, None] == var[None, :]
    same = both & same_variant  # whole-repeat steps
    other = both & ~same_variant  # steps that change the microvariant part
    w_same = np.where(same, decay ** np.abs(reps[:, None] - reps[None, :]), 0.0)
    if extended:
        pos = reps + var / repeat_length
        dist = np.abs(pos[:, None] - pos[None, :])
        steps = np.maximum(1.0, np.ceil(dist - 1e-9))
        w_other = np.where(other, decay ** (steps - 1.0), 0.0)
    else:
        w_other = other.astype(np.float64)
    m = np.zeros((n, n))
    stay = np.ones(n)
    for w, r in ((w_same, rate), (w_other, rate2)):
        total = w.sum(axis=1)
        has = total > 0
        m[has] += r * w[has] / total[has, None]
        stay -= np.where(has, r, 0.0)
    m[np.arange(n), np.arange(n)] = stay
    return m


@dataclass(frozen=True, slots=True)
class MutationModel:
    """A mutation model with separate female and male rates (validated on construction).

    ``model`` is one of :data:`MUTATION_MODELS`; ``rate2`` and ``range`` are used by the stepwise
    models (see the module docstring for every formula and the source of the defaults).
    """

    model: str = "stepwise"
    female_rate: float = DEFAULT_FEMALE_RATE
    male_rate: float = DEFAULT_MALE_RATE
    rate2: float = DEFAULT_RATE2
    range: float = DEFAULT_RANGE
    rate_source: str | None = None
    """Where the rates come from (a rate table's name, or 'pooled default'); None: the
    package's round defaults above."""

    def __post_init__(self) -> None:
        _check_model(self.model)
        _check_rate("female_rate", self.female_rate)
        _check_rate("male_rate", self.male_rate)
        _check_rate("rate2", self.rate2)
        if not isinstance(self.range, (int, float)) or math.isnan(self.range) or self.range <= 0:
            raise InvalidParameter("range", self.range,
                                   expected="a positive number (typically 0.1)")
        if self.model in ("stepwise", "extended-stepwise"):
            for name, r in (("female_rate", self.female_rate), ("male_rate", self.male_rate)):
                if r + self.rate2 > 1:
                    raise InvalidParameter(f"{name} + rate2", r + self.rate2,
                                           expected="a total rate in [0, 1]")

    def rate_for(self, sex: str) -> float:
        """The rate of a father ('male') or a mother ('female')."""
        if sex == "male":
            return self.male_rate
        if sex == "female":
            return self.female_rate
        raise InvalidParameter("sex", sex, expected="'male' or 'female'")

    def matrix(self, alleles: Sequence[Allele | None], frequencies: Sequence[float] | FloatArray,
               *, sex: str, repeat_length: int | None = None) -> FloatArray:
        """The transition matrix of a father (``sex='male'``) or a mother (``'female'``)."""
        return mutation_matrix(self.model, alleles, frequencies, rate=self.rate_for(sex),
                               rate2=self.rate2, range=self.range, repeat_length=repeat_length)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form: model, female and male rates, second parameter, range, rate
        source."""
        return {"model": self.model, "female_rate": self.female_rate,
                "male_rate": self.male_rate, "rate2": self.rate2, "range": self.range,
                "rate_source": self.rate_source}


def per_locus_models(base: MutationModel, overrides: Mapping[str, Mapping[str, Any]], *,
                     rate_source: str | None = None) -> dict[str, MutationModel]:
    """One model per autosomal STR locus: ``base`` everywhere, except where ``overrides`` gives
    a locus its own ``female_rate`` and ``male_rate`` (and optionally ``model``, ``range``,
    ``rate2``; missing or None values are taken from ``base``). This is how a lab's table of
    published per-locus rates becomes a mutation specification that names every locus.
    ``rate_source`` labels the overridden loci's models (the others keep ``base``'s)."""
    models = {name: base for name, info in LOCI.items()
              if info.kind is LocusKind.AUTOSOMAL_STR}
    for raw, values in overrides.items():
        locus = canonical_locus(raw)

        def pick(key: str, default: Any, values: Mapping[str, Any] = values) -> Any:
            value = values.get(key)
            return default if value is None else value

        models[locus] = MutationModel(
            model=str(pick("model", base.model)),
            female_rate=float(pick("female_rate", base.female_rate)),
            male_rate=float(pick("male_rate", base.male_rate)),
            rate2=float(pick("rate2", base.rate2)),
            range=float(pick("range", base.range)),
            rate_source=rate_source if rate_source is not None else base.rate_source)
    return models


POOLED_DEFAULT = "pooled default"


@dataclass(frozen=True, slots=True, eq=False)
class MutationRates(Mapping[str, MutationModel]):
    """A mutation specification with its sources: one :class:`MutationModel` per autosomal STR
    locus (each with its ``rate_source``) and ``tables``, the identity of every rate table used
    (``{"name", "sha256", "citation"}``), which :func:`mutation_provenance` records."""

    models: Mapping[str, MutationModel]
    tables: tuple[Mapping[str, Any], ...] = field(default=())

    def __getitem__(self, locus: str) -> MutationModel:
        return self.models[locus]

    def __iter__(self) -> Iterator[str]:
        return iter(self.models)

    def __len__(self) -> int:
        return len(self.models)

    def override(self, rows: Mapping[str, Mapping[str, Any]], *,
                 table: Mapping[str, Any]) -> MutationRates:
        """These rates with the loci of ``rows`` (a lab's file) replaced, labelled with
        ``table['name']``; the table joins :attr:`tables`."""
        some = next(iter(self.models.values()))
        base = MutationModel(some.model, rate2=some.rate2, range=some.range)
        changed = per_locus_models(base, rows, rate_source=str(table["name"]))
        models = dict(self.models)
        models.update({k: changed[k] for k in (canonical_locus(x) for x in rows)})
        return MutationRates(models, (*self.tables, dict(table)))

    def describe(self) -> dict[str, Any]:
        """The rate tables and, per source, the loci whose rates it gave."""
        by_source: dict[str, list[str]] = {}
        for locus, model in self.models.items():
            by_source.setdefault(model.rate_source or "package default", []).append(locus)
        return {"tables": [dict(t) for t in self.tables], "loci_by_source": by_source}


def rates_from_rows(model: str, rows: Mapping[str, Mapping[str, Any]], *,
                    default_rate: float, table: Mapping[str, Any],
                    rate2: float = DEFAULT_RATE2, range: float = DEFAULT_RANGE,
                    ) -> MutationRates:
    """:class:`MutationRates` for every autosomal STR locus from a published table: the loci
    of ``rows`` (``female_rate``, ``male_rate``, optionally ``model``/``range``/``rate2``)
    labelled ``table['name']``, every other locus ``default_rate`` for both sexes labelled
    :data:`POOLED_DEFAULT`."""
    _check_rate("default_rate", default_rate)
    base = MutationModel(model, female_rate=default_rate, male_rate=default_rate, rate2=rate2,
                         range=range, rate_source=POOLED_DEFAULT)
    return MutationRates(per_locus_models(base, rows, rate_source=str(table["name"])),
                         (dict(table),))


def mutation_provenance(mutation: MutationModel | Mapping[str, MutationModel | None] | None,
                        loci: Iterable[str]) -> dict[str, Any]:
    """What a result records of its mutation specification: ``mutation``, the model of each
    locus in ``loci`` with its ``rate_source`` (None where no mutation), and ``mutation_rates``,
    the rate tables' names and SHA-256 (None when no table was used)."""
    found: dict[str, MutationModel | None] = {}
    if isinstance(mutation, Mapping):
        found = {canonical_locus(k): v for k, v in mutation.items()}
    models: dict[str, Any] = {}
    for locus in loci:
        m = (mutation if mutation is None or isinstance(mutation, MutationModel)
             else found.get(canonical_locus(locus)))
        models[locus] = m.to_dict() if m is not None else None
    tables = ([dict(t) for t in mutation.tables] if isinstance(mutation, MutationRates)
              else None)
    return {"mutation": models, "mutation_rates": tables}
