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
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from locard.errors import InputError
from locard.genetics.alleles import Allele, parse_allele
from locard.genetics.kits import get_kit
from locard.genetics.loci import canonical_locus
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable

if TYPE_CHECKING:
    from locard.stats.mixture.continuous import ContinuousOptions, HeightEvidence
    from locard.stats.mixture.continuous_fit import ContinuousLR, HypothesisFit
from locard.stats.mixture.semicontinuous import (
    DEFAULT_MAX_COMBINATIONS,
    Evidence,
    Hypothesis,
    MixtureLR,
    semicontinuous_lr,
)

__all__ = ["CaseFile", "MixtureCase", "case_json_schema", "continuous_options",
           "fit_continuous_case", "parse_case", "run_case", "run_continuous_case"]

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
    """The prosecution (``hp``) and defence (``hd``) hypotheses."""
    hp: HypothesisSpec
    hd: HypothesisSpec


class DropinSpec(_Strict):
    """Drop-in: its probability per replicate and, for the continuous model, the height rate."""
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    probability: Probability = Field(description="Drop-in probability pC per replicate.")
    lambda_: float | None = Field(
        None, alias="lambda", gt=0,
        description="Continuous model: rate of the exponential drop-in peak height above the "
                    "analytical threshold (default 0.01).")


class StutterSpec(_Strict):
    """Continuous model: which stutters are modelled."""

    backward: bool = True
    forward: bool = False


class CaseFile(_Strict):
    """A semi-continuous mixture case: profiles, evidence replicates, the two hypotheses, and
    the drop-out, drop-in and theta parameters."""

    model_config = ConfigDict(extra="forbid", title="Locard mixture case file",
                              json_schema_extra={"$id": SCHEMA_ID})

    model: Literal["semi-continuous", "continuous"] = "semi-continuous"
    frequencies: FrequenciesSpec
    profiles: dict[str, dict[str, list[AlleleValue]]] = Field(
        description="Typed people: {name: {locus: [allele, allele]}}.")
    poi: str | None = Field(None, description="The person of interest (a name in profiles).")
    evidence: dict[str, dict[str, EvidenceLocus | list[AlleleValue]]] = Field(
        description="{replicate: {locus: {alleles, heights} or [allele, ...]}}; a locus listed "
                    "with no alleles showed nothing (everything dropped out), a locus not "
                    "listed was not typed in that replicate.")
    hypotheses: Hypotheses
    dropout: dict[str, Probability | list[Probability]] | None = Field(
        None,
        description="Semi-continuous model (required there): drop-out per typed contributor "
                    "({name: d}), and per unknown: unknowns_hp and unknowns_hd, a list (one "
                    "per unknown) or one number for all.")
    dropin: DropinSpec
    theta: Probability = Field(0.0, description="Balding-Nichols coancestry coefficient.")
    analytical_threshold: float | dict[str, float] | None = Field(
        None, description="Continuous model (required there): the analytical threshold in RFU, "
                          "one number or {locus or dye: RFU} (\"default\" for the rest); "
                          "lower peaks count as absent.")
    degradation: bool = Field(True, description="Continuous model: model degradation.")
    stutter: StutterSpec | None = Field(
        None, description="Continuous model: {backward, forward} stutter (default backward "
                          "only).")
    kit: str | None = Field(None, description="Continuous model: the kit whose fragment "
                                              "lengths the degradation uses.")
    fragment_lengths: dict[str, dict[str, float]] | None = Field(
        None, description="Continuous model: {locus: {allele: bp, \"Q\": bp}} overriding the "
                          "kit (Q: by default the kit's longest fragment at the locus).")
    seed: int = Field(1, ge=0, description="Continuous model: seed of the optimiser's random "
                                           "starts.")


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
    heights: HeightEvidence | None = None

    @property
    def table_spec(self) -> str:
        """The frequency table the case file names (a bundled name or a file)."""
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
    if spec.model == "continuous":
        return _continuous_case(spec, evidence, profiles, source)
    if spec.dropout is None:
        raise InputError(f"{source}: dropout is missing (the semi-continuous model needs it)",
                         remedy="add dropout, or set model to \"continuous\"")
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


def _continuous_case(spec: CaseFile, evidence: Evidence, profiles: Mapping[str, Profile],
                     source: str) -> MixtureCase:
    """The continuous model's inputs: heights per allele, the threshold; no drop-out."""
    if spec.analytical_threshold is None:
        raise InputError(f"{source}: analytical_threshold is missing (the continuous model "
                         "needs it)", remedy="add analytical_threshold, e.g. 50")
    if spec.dropout is not None:
        raise InputError(f"{source}: dropout is not a parameter of the continuous model",
                         remedy="remove dropout, or set model to \"semi-continuous\"")
    heights: dict[str, dict[str, dict[Allele, float]]] = {}
    for rep, loci in spec.evidence.items():
        for raw, v in loci.items():
            alleles = v.alleles if isinstance(v, EvidenceLocus) else v
            given = v.heights if isinstance(v, EvidenceLocus) else None
            if alleles and (given is None or len(given) != len(alleles)
                            or any(h is None for h in given)):
                raise InputError(f"{source}: evidence.{rep}.{raw}: the continuous model needs "
                                 "one height per allele",
                                 remedy=f"give evidence.{rep}.{raw}.heights, one number per "
                                        "allele")
        heights[str(rep)] = {}
    for rep in evidence.replicates:
        raw_loci = spec.evidence[rep]
        for raw, v in raw_loci.items():
            alleles = v.alleles if isinstance(v, EvidenceLocus) else v
            given = (v.heights if isinstance(v, EvidenceLocus) else None) or []
            locus = canonical_locus(raw)
            heights[rep][locus] = {parse_allele(a, locus=locus): float(h or 0.0)
                                   for a, h in zip(alleles, given, strict=True)}
    for hname, h in (("hp", spec.hypotheses.hp), ("hd", spec.hypotheses.hd)):
        if not 1 <= len(h.contributors) + h.unknowns <= 4:
            raise InputError(f"{source}: hypotheses.{hname}: "
                             f"{len(h.contributors) + h.unknowns} contributors",
                             remedy=f"the continuous model takes 1 to 4 contributors; change "
                                    f"hypotheses.{hname}.unknowns")
    hp = Hypothesis(tuple(spec.hypotheses.hp.contributors), (0.0,) * spec.hypotheses.hp.unknowns)
    hd = Hypothesis(tuple(spec.hypotheses.hd.contributors), (0.0,) * spec.hypotheses.hd.unknowns)
    return MixtureCase(spec=spec, evidence=evidence, profiles=profiles, hp=hp, hd=hd,
                       dropout={}, heights=_height_evidence(heights))


def _height_evidence(heights: Any) -> HeightEvidence:
    from locard.stats.mixture.continuous import HeightEvidence

    return HeightEvidence(heights)


def run_continuous_case(case: MixtureCase, table: FrequencyTable, *,
                        max_combinations: int | None = None) -> ContinuousLR:
    """The continuous-model LR the case file states (``"model": "continuous"``), on the
    resolved ``table``; the unknowns' drop-out in ``case.hp``/``case.hd`` is unused."""
    # the continuous model compiles Numba kernels: loaded when a continuous case runs, so
    # that reading a case file (and the CLI's start-up) stays light
    from locard.stats.mixture.continuous import DEFAULT_MAX_COMBINATIONS as CONTINUOUS_MAX
    from locard.stats.mixture.continuous_fit import ContinuousHypothesis, continuous_lr

    spec = case.spec
    options = _continuous_options(case, "run_continuous_case")
    assert case.heights is not None and spec.analytical_threshold is not None
    return continuous_lr(
        case.heights, case.profiles,
        ContinuousHypothesis(case.hp.contributors, case.hp.unknowns),
        ContinuousHypothesis(case.hd.contributors, case.hd.unknowns), table, poi=spec.poi,
        threshold=spec.analytical_threshold, options=options,
        kit=get_kit(spec.kit) if spec.kit else None, fragment_lengths=spec.fragment_lengths,
        min_frequency=spec.frequencies.min_frequency, seed=spec.seed,
        max_combinations=max_combinations or CONTINUOUS_MAX)


def _continuous_options(case: MixtureCase, caller: str) -> ContinuousOptions:
    """The continuous model's options as the case file states them."""
    from locard.stats.mixture.continuous import ContinuousOptions

    spec = case.spec
    if spec.model != "continuous" or case.heights is None or spec.analytical_threshold is None:
        raise InputError(f"{caller}: not a continuous case file",
                         remedy="set model to \"continuous\", or use run_case")
    stutter = spec.stutter or StutterSpec()
    lam = spec.dropin.lambda_
    return ContinuousOptions(
        dropin=spec.dropin.probability, dropin_lambda=0.01 if lam is None else lam,
        degradation=spec.degradation, backward_stutter=stutter.backward,
        forward_stutter=stutter.forward, theta=spec.theta)


def continuous_options(case: MixtureCase) -> ContinuousOptions:
    """The continuous model's options (drop-in, degradation, stutter, theta) as the case file
    states them, exactly as :func:`run_continuous_case` uses them."""
    return _continuous_options(case, "continuous_options")


def fit_continuous_case(case: MixtureCase, table: FrequencyTable, *, which: str = "hd",
                        max_combinations: int | None = None) -> HypothesisFit:
    """The maximum-likelihood fit of the case file's Hd (``which="hd"``) or Hp alone, for
    deconvolution (:mod:`.deconvolution`) and model validation (:mod:`.continuous_validation`);
    loaded lazily like :func:`run_continuous_case`."""
    from locard.stats.mixture.continuous import DEFAULT_MAX_COMBINATIONS as CONTINUOUS_MAX
    from locard.stats.mixture.continuous_fit import ContinuousHypothesis, fit_case_hypothesis

    spec = case.spec
    options = _continuous_options(case, "fit_continuous_case")
    assert case.heights is not None and spec.analytical_threshold is not None
    return fit_case_hypothesis(
        case.heights, case.profiles,
        ContinuousHypothesis(case.hp.contributors, case.hp.unknowns),
        ContinuousHypothesis(case.hd.contributors, case.hd.unknowns), table, which=which,
        poi=spec.poi, threshold=spec.analytical_threshold, options=options,
        kit=get_kit(spec.kit) if spec.kit else None, fragment_lengths=spec.fragment_lengths,
        min_frequency=spec.frequencies.min_frequency, seed=spec.seed,
        max_combinations=max_combinations or CONTINUOUS_MAX)
