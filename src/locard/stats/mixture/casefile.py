"""The mixture case file: one JSON document that states a semi-continuous LR computation.

```json
{"model": "semi-continuous",
 "frequencies": {"table": "NIST1036:Cauc", "min_frequency": 0},
 "profiles": {"POI": {"D3S1358": ["15", "16"]}, "K1": {"D3S1358": ["17", "17"]}},
 "poi": "POI",
 "evidence": {"rep1": {"D3S1358": {"alleles": ["15", "16", "17"], "heights": [900, 850, 120]}}},
 "hypotheses": {"hp": {"contributors": ["K1", "POI"], "unknowns": 1},
                "hd": {"contributors": ["K1"], "unknowns": 2}},
 "dropout": {"K1": 0.05, "POI": 0.1, "unknowns_hp": [0.2], "unknowns_hd": [0.2, 0.2]},
 "dropin": {"probability": 0.05},
 "theta": 0.01}
```

The pydantic model :class:`CaseFile` is the definition; its JSON schema is published as
``docs/mixture-case.schema.json`` (``scripts/gen_mixture_schema.py``). This module validates and
builds the model's inputs; resolving ``frequencies.table`` to a table is the caller's (the CLI's
``locard.tables.load_frequency_table``), so that ``stats`` reads no files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from locard.errors import InputError
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture.semicontinuous import (
    DEFAULT_MAX_COMBINATIONS,
    Evidence,
    Hypothesis,
    MixtureLR,
    semicontinuous_lr,
)

__all__ = ["CaseFile", "MixtureCase", "case_json_schema", "parse_case", "run_case"]

SCHEMA_ID = "https://locard.invalid/schemas/mixture-case.schema.json"
DOCS_REMEDY = "see docs/mixture.md (the case file) and docs/mixture-case.schema.json"

Probability = Annotated[float, Field(ge=0.0, lt=1.0)]
AlleleValue = str | int | float


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FrequenciesSpec(_Strict):
    """The allele frequency table and the floor for observed alleles absent from it."""

    table: str = Field(description="A bundled table (NIST1036:Cauc) or FILE[:POPULATION].")
    min_frequency: Probability = Field(
        0.0, description="Frequency of an observed allele absent from the table; 0: the table "
                         "exactly as given (no floor, no renormalisation; such an allele is "
                         "refused).")


class EvidenceLocus(_Strict):
    """The alleles observed at one locus of one replicate (peak heights are kept but not used
    by the semi-continuous model)."""

    alleles: list[AlleleValue]
    heights: list[float | None] | None = None


class HypothesisSpec(_Strict):
    """Typed contributors (names of profiles) and the number of unknown contributors."""

    contributors: list[str] = Field(default_factory=list)
    unknowns: int = Field(0, ge=0)


class Hypotheses(_Strict):
    hp: HypothesisSpec
    hd: HypothesisSpec


class DropinSpec(_Strict):
    probability: Probability = Field(description="Drop-in probability pC per replicate.")


class CaseFile(_Strict):
    """A semi-continuous mixture case: profiles, evidence replicates, the two hypotheses, and
    the drop-out, drop-in and theta parameters."""

    model_config = ConfigDict(extra="forbid", title="Locard mixture case file",
                              json_schema_extra={"$id": SCHEMA_ID})

    model: Literal["semi-continuous"] = "semi-continuous"
    frequencies: FrequenciesSpec
    profiles: dict[str, dict[str, list[AlleleValue]]] = Field(
        description="Typed people: {name: {locus: [allele, allele]}}.")
    poi: str | None = Field(None, description="The person of interest (a name in profiles).")
    evidence: dict[str, dict[str, EvidenceLocus | list[AlleleValue]]] = Field(
        description="{replicate: {locus: {alleles, heights} or [allele, ...]}}; a locus listed "
                    "with no alleles showed nothing (everything dropped out), a locus not "
                    "listed was not typed in that replicate.")
    hypotheses: Hypotheses
    dropout: dict[str, Probability | list[Probability]] = Field(
        description="Drop-out per typed contributor ({name: d}), and per unknown: "
                    "unknowns_hp and unknowns_hd, a list (one per unknown) or one number for "
                    "all.")
    dropin: DropinSpec
    theta: Probability = Field(0.0, description="Balding-Nichols coancestry coefficient.")


def case_json_schema() -> dict[str, Any]:
    """The JSON schema of the case file, as published in docs/mixture-case.schema.json."""
    schema = CaseFile.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


@dataclass(frozen=True, slots=True)
class MixtureCase:
    """A validated case file, ready for :func:`semicontinuous_lr` once its table is resolved."""

    spec: CaseFile
    evidence: Evidence
    profiles: Mapping[str, Profile]
    hp: Hypothesis
    hd: Hypothesis
    dropout: Mapping[str, float]

    @property
    def table_spec(self) -> str:
        return self.spec.frequencies.table


_UNION_TAGS = {"float", "int", "str", "EvidenceLocus"}
_TYPE_ERRORS = {"float_type", "float_parsing", "int_type", "int_parsing", "string_type",
                "list_type", "model_type", "model_attributes_type", "dict_type"}


def _field(loc: tuple[int | str, ...]) -> str:
    """'dropout.POI' from pydantic's location, without the union members' tags."""
    return ".".join(str(p) for p in loc
                    if not (isinstance(p, str) and (p in _UNION_TAGS or "constrained" in p
                                                    or p.startswith("list["))))


def _validation_error(exc: ValidationError, source: str) -> InputError:
    """One readable error: per field, the most specific complaint (a value out of range rather
    than "not a list" from the other member of a union)."""
    errors = [(_field(e["loc"]) or "(top level)", e) for e in exc.errors()]
    kept = [(f, e) for f, e in errors
            if e["type"] not in _TYPE_ERRORS
            or not any((g != f and g.startswith(f + ".")) or (g == f and o["type"] not in
                                                             _TYPE_ERRORS)
                       for g, o in errors)]
    lines = []
    ranges = False
    for f, e in kept[:10]:
        value = f" (got {e['input']!r})" if e["type"] != "missing" else ""
        lines.append(f"{f}: {e['msg']}{value}")
        ranges = ranges or e["type"] in ("less_than", "greater_than_equal")
    remedy = ("probabilities (drop-out, drop-in, theta, min_frequency) lie in [0, 1); "
              + DOCS_REMEDY) if ranges else DOCS_REMEDY
    return InputError(f"{source}: " + "; ".join(lines), remedy=remedy)


def parse_case(data: Mapping[str, Any] | str | bytes, *, source: str = "case file") -> MixtureCase:
    """Validate a case file (a mapping or JSON text) and build the model's inputs.

    Every error is an :class:`InputError` (or a subclass) naming the field and the remedy."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}: not JSON: {exc}", remedy=DOCS_REMEDY) from None
    try:
        spec = CaseFile.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc, source) from None
    names = set(spec.profiles)
    for hname, h in (("hp", spec.hypotheses.hp), ("hd", spec.hypotheses.hd)):
        for c in h.contributors:
            if c not in names:
                raise InputError(
                    f"{source}: hypotheses.{hname}.contributors: {c!r} is in no profile",
                    remedy="add it under profiles, or remove it from the hypothesis; profiles: "
                           + (", ".join(sorted(names)) or "none"))
        if len(set(h.contributors)) != len(h.contributors):
            raise InputError(f"{source}: hypotheses.{hname}.contributors names someone twice",
                             remedy="list each contributor once")
    if spec.poi is not None and spec.poi not in names:
        raise InputError(f"{source}: poi: {spec.poi!r} is in no profile",
                         remedy="add it under profiles; profiles: "
                                + (", ".join(sorted(names)) or "none"))
    profiles: dict[str, Profile] = {}
    for name, loci in spec.profiles.items():
        try:
            profiles[name] = Profile.from_mapping(loci, specimen_id=name)
        except InputError as exc:
            raise type(exc)(f"{source}: profiles.{name}: {exc.message}",
                            remedy=exc.remedy) from exc
    evidence = Evidence.from_mapping({
        rep: {locus: (v.alleles if isinstance(v, EvidenceLocus) else v)
              for locus, v in loci.items()}
        for rep, loci in spec.evidence.items()})
    dropout: dict[str, float] = {}
    for name, value in spec.dropout.items():
        if name in ("unknowns_hp", "unknowns_hd"):
            continue
        if isinstance(value, list):
            raise InputError(f"{source}: dropout.{name}: a list for a typed person",
                             remedy=f"give one number for {name}")
        if name not in names:
            raise InputError(f"{source}: dropout.{name}: {name!r} is in no profile",
                             remedy="name a profile, or unknowns_hp / unknowns_hd")
        dropout[name] = value
    hyps: dict[str, Hypothesis] = {}
    for hname, h in (("hp", spec.hypotheses.hp), ("hd", spec.hypotheses.hd)):
        for c in h.contributors:
            if c not in dropout:
                raise InputError(f"{source}: dropout: no drop-out probability for {c!r}, a "
                                 f"contributor under {hname}", remedy=f"add dropout.{c}")
        key = f"unknowns_{hname}"
        given = spec.dropout.get(key)
        if h.unknowns and given is None:
            raise InputError(f"{source}: dropout.{key} is missing for "
                             f"{h.unknowns} unknown(s) under {hname}",
                             remedy=f"add dropout.{key}: a list of {h.unknowns} numbers")
        per = ([float(given)] * h.unknowns if isinstance(given, float | int)
               else list(given or []))
        if len(per) != h.unknowns:
            raise InputError(f"{source}: dropout.{key} has {len(per)} value(s) for "
                             f"hypotheses.{hname}.unknowns = {h.unknowns}",
                             remedy=f"give {h.unknowns} value(s), one per unknown")
        hyps[hname] = Hypothesis(tuple(h.contributors), tuple(per))
    return MixtureCase(spec=spec, evidence=evidence, profiles=profiles, hp=hyps["hp"],
                       hd=hyps["hd"], dropout=dropout)


def run_case(case: MixtureCase, table: FrequencyTable, *,
             max_combinations: int = DEFAULT_MAX_COMBINATIONS) -> MixtureLR:
    """The semi-continuous LR the case file states, on the resolved ``table``."""
    spec = case.spec
    return semicontinuous_lr(
        case.evidence, case.profiles, case.hp, case.hd, table, poi=spec.poi,
        dropout=case.dropout, dropin=spec.dropin.probability, theta=spec.theta,
        min_frequency=spec.frequencies.min_frequency, max_combinations=max_combinations)
