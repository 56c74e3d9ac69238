"""The policy file's shape, as pydantic models: what :func:`locard.store.policy.load_policy`
validates a TOML policy against before it checks the meaning (legal bases per index, the lines
no policy may cross). Strict: a value of the wrong type or an unknown key is refused, naming
the file, the key path and the value. The published JSON schema, ``docs/policy.schema.json``,
and the reference part of ``docs/policy.md`` are generated from these models
(``scripts/gen_policy_schema.py``; ``tests/test_docs.py`` checks they are current).

Imported when a policy file is read (not at start-up): :mod:`locard.store.policy` builds the
effective :class:`~locard.store.policy.Policy` from a validated :class:`PolicyFile`.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from locard.errors import InputError
from locard.store.categories import Index
from locard.store.mixture_policy import MAX_ENTRY_CONTRIBUTORS

__all__ = [
    "DOCS_REMEDY",
    "IndexSection",
    "Indices",
    "MixtureSearchSection",
    "PolicyFile",
    "RuleSection",
    "policy_json_schema",
    "policy_key_error",
    "validate_mixture_search",
    "validate_policy_file",
]

#: where every policy error points: the option that names the file, and the reference
DOCS_REMEDY = ("fix it in the policy file (--policy FILE or LOCARD_POLICY); every key, its "
               "type and default: docs/policy.md, schema docs/policy.schema.json")

LegalBasis = Literal["conviction", "arrest", "court-order", "casework", "consent"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PolicyMeta(_Section):
    """How the policy is named."""

    name: str | None = Field(default=None, description="How the policy is named in `locard policy "
                                               "show` and the audit log (default: the file).")
    version: int | str | None = Field(default=None, description="The lab's version of its policy "
                                                        "(shown, not interpreted).")


class Rarity(_Section):
    """How the `match_rarity` rule computes 1/RMP."""

    tables: list[str] = Field(default=["NIST1036:ALL"], min_length=1, description=(
        "Bundled frequency tables (e.g. `NIST1036:Cauc`): the most conservative of them "
        "gives 1/RMP, NRC II 4.10."))
    theta: float = Field(default=0.01, ge=0, lt=1, description="The FST correction of NRC II 4.10.")


class LegalBaseWords(_Section):
    """The words shown for each legal basis (the set of bases is fixed)."""

    conviction: str | None = Field(default=None, description="Words for `conviction`.")
    arrest: str | None = Field(default=None, description="Words for `arrest`.")
    court_order: str | None = Field(default=None, alias="court-order",
                                    description="Words for `court-order`.")
    casework: str | None = Field(default=None, description="Words for `casework`.")
    consent: str | None = Field(default=None, description="Words for `consent` (needs a consent "
                                                  "record).")


class RequiredLociRule(_Section):
    """Rule kind `required_loci`: the profile types every locus of the set, or at least
    `min_count` of them."""

    name: str = Field(description="The rule's name, given with every refusal.")
    kind: Literal["required_loci"]
    loci: str | list[str] = Field(description=(
        "A locus set (`CODIS_CORE_20`, `CODIS_CORE_13`, `ESS_12`) or a list of loci."))
    min_count: int | None = Field(default=None, ge=0, description="At least this many of the loci "
                                                          "(default: all of them).")


class SingleSourceRule(_Section):
    """Rule kind `single_source`: no autosomal STR locus has more than two alleles, except a
    tri-allelic pattern (exactly three alleles) at up to `tri_allelic_loci` loci (CODIS
    "Multi-allelic Offender")."""

    name: str = Field(description="The rule's name, given with every refusal.")
    kind: Literal["single_source"]
    tri_allelic_loci: int = Field(default=0, ge=0, description="Loci that may show a tri-allelic "
                                                       "pattern.")


class MaxContributorsRule(_Section):
    """Rule kind `max_contributors`: the profile's minimum number of contributors
    (ceil(max alleles / 2)) is at most `max`; otherwise it is kept local-only or refused."""

    name: str = Field(description="The rule's name, given with every refusal.")
    kind: Literal["max_contributors"]
    max: int = Field(ge=1, description="The most contributors accepted.")
    action: Literal["local", "reject"] = Field(default="local", description=(
        "`local`: a profile with more is kept local-only; `reject`: it is refused."))


class MatchRarityRule(_Section):
    """Rule kind `match_rarity`: 1 / RMP (CPI for a mixture) is at least `one_in` in the most
    conservative `[rarity]` table."""

    name: str = Field(description="The rule's name, given with every refusal.")
    kind: Literal["match_rarity"]
    one_in: Annotated[int, Field(gt=0)] | Annotated[float, Field(gt=0)] = Field(
        description="The least match rarity accepted, 1 in `one_in`.")


RuleSection = Annotated[RequiredLociRule | SingleSourceRule | MaxContributorsRule
                        | MatchRarityRule, Field(discriminator="kind")]

#: the rule models by kind, in the order docs/policy.md lists them
RULE_MODELS: dict[str, type[_Section]] = {
    "required_loci": RequiredLociRule, "single_source": SingleSourceRule,
    "max_contributors": MaxContributorsRule, "match_rarity": MatchRarityRule}


class IndexSection(_Section):
    """One section per index, all required."""

    legal_bases: list[LegalBasis] = Field(min_length=1, description=(
        "The legal bases a profile of the index may be stored on."))
    default_legal_basis: LegalBasis | None = Field(default=None, description=(
        "What a record gets when the import states no `--legal-basis` (one of "
        "`legal_bases`); none: the import must state one."))
    consent_required: bool = Field(default=False, description=(
        "Every profile needs a consent record (always true for `relative`, `elimination`, "
        "`staff`)."))
    local_only: bool = Field(default=False, description="Profiles are kept local: never searched "
                                                "nationally.")
    retention_years: int = Field(default=0, ge=0, description=(
        "Years a profile is kept before `locard retention apply` expunges it (0: until "
        "expunged on order)."))
    outside_ladder: Literal["reject", "flag"] = Field(default="reject", description=(
        "What an allele outside its kit's allelic-ladder range does: `reject` refuses the "
        "record (rule `ladder-range`) unless the import gives `--allow-off-ladder`; `flag` "
        "stores it. Either way every stored out-of-range allele is listed in the import "
        "report (`flagged`)."))
    rules: list[RuleSection] = Field(default=[], description=(
        "`[[index.NAME.rules]]`: acceptance rules, evaluated in order; a refused profile "
        "gets every failing rule by name and in words."))


class Indices(_Section):
    """The ten indices, each with its section (all required)."""

    offender: IndexSection = Field(description="Convicted offenders (and legal).")
    arrestee: IndexSection = Field(description="Arrestees.")
    forensic: IndexSection = Field(description="Crime-scene profiles (forensic unknowns, "
                                               "mixtures, partials).")
    missing_person: IndexSection = Field(description="Missing persons' own references.")
    unidentified: IndexSection = Field(description="Unidentified persons and remains.")
    relative: IndexSection = Field(description="Relatives of missing persons (consent).")
    suspect_known: IndexSection = Field(description="Known suspects (casework).")
    victim_known: IndexSection = Field(description="Known victims (casework).")
    elimination: IndexSection = Field(description="Elimination volunteers (consent).")
    staff: IndexSection = Field(description="Staff (consent; contamination checks).")


class Controls(_Section):
    """Controls and ladders, recognised by sample name and never stored."""

    patterns: list[str] = Field(default=[], description=(
        "Regular expressions searched in each record's sample name, ignoring case: a match "
        "is a positive or negative control, a blank or an allelic ladder, listed by the "
        "import under `controls`, never stored."))


class MixtureSearchSection(_Section):
    """Mixture search on entry: each single-source reference entering an index that
    `[search.direct]` lets the `forensic` index be compared with is scored against every
    stored forensic mixture (not local-only) by the semi-continuous LR; a mixture's
    contributors n = ceil(most alleles at a locus / 2), at most `max_contributors`; Hp = the
    reference + (n - 1) unknowns, Hd = n unknowns. A pair with LR >= `lr_threshold` becomes a
    pending candidate match (mode `mixture-lr`)."""

    on_entry: bool = Field(default=True, description="`false` turns mixture search on entry off "
                                             "(the allele-by-allele search stays).")
    dropout: float = Field(default=0.1, ge=0, lt=1, description="Drop-out probability of every "
                                                        "contributor.")
    dropin: float = Field(default=0.05, ge=0, lt=1, description="Drop-in probability.")
    theta: float = Field(default=0.01, ge=0, lt=1, description="FST of the LR.")
    lr_threshold: float = Field(default=1e4, gt=0, allow_inf_nan=False, description=(
        "The least LR that records a candidate match."))
    max_contributors: int = Field(default=3, ge=1, le=MAX_ENTRY_CONTRIBUTORS, description=(
        f"The most contributors a mixture is scored with (at most "
        f"{MAX_ENTRY_CONTRIBUTORS})."))
    table: str | None = Field(default=None, pattern=r"^\s*\S", description=(
        "The bundled frequency table (default: the first `[rarity]` table)."))
    min_frequency: float = Field(default=0.001, gt=0, lt=1, description=(
        "Floor for an observed allele the table does not list."))


class Search(_Section):
    """The search policy matrix (query index -> target indices)."""

    direct: dict[str, list[str]] = Field(default={}, description=(
        "`QUERY_INDEX = [TARGET_INDEX, ...]`: which index may be compared "
        "with which, allele by allele."))
    kinship: dict[str, list[str]] = Field(default={}, description=(
        "`QUERY_INDEX = [TARGET_INDEX, ...]`: which index may be "
        "compared with which by kinship LR."))
    on_entry: bool | None = Field(default=None, description=(
        "Search new profiles on import (default true; the top-level `search_on_entry` "
        "wins)."))


class PolicyFile(_Section):
    """A Locard policy file (TOML): acceptance rules per index, legal bases, consent,
    retention and the search policy matrix."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True,
                              title="Locard policy file")

    search_on_entry: bool | None = Field(default=None, description=(
        "Search new profiles on import (default true)."))
    policy: PolicyMeta = Field(default=PolicyMeta(), description=PolicyMeta.__doc__)
    rarity: Rarity = Field(default=Rarity(), description=Rarity.__doc__)
    legal_bases: LegalBaseWords = Field(default=LegalBaseWords(),
                                        description=LegalBaseWords.__doc__)
    index: Indices = Field(description=Indices.__doc__)
    category_legal_basis: dict[str, LegalBasis] = Field(default={}, description=(
        "`\"SPECIMEN CATEGORY\" = BASIS`: a category's default legal basis where it differs "
        "from its index's `default_legal_basis`; the basis must be one of the index's "
        "`legal_bases`. A basis of `consent` still needs each record's consent reference."))
    controls: Controls = Field(default=Controls(), description=Controls.__doc__)
    mixture_search: MixtureSearchSection = Field(default=MixtureSearchSection(),
                                                 description=MixtureSearchSection.__doc__)
    search: Search = Field(default=Search(), description=Search.__doc__)


def policy_json_schema() -> dict[str, Any]:
    """The JSON schema of the policy file, as published in docs/policy.schema.json."""
    schema = PolicyFile.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


# --- errors that name the key path and the value ----------------------------------------------


def _without_tags(loc: tuple[int | str, ...]) -> list[int | str]:
    """The location without pydantic's union tags (a rule's kind after its list position)."""
    return [p for i, p in enumerate(loc)
            if not (isinstance(p, str) and p in RULE_MODELS and i and isinstance(loc[i - 1], int))]


def key_path(loc: tuple[int | str, ...]) -> str:
    """A TOML key path from pydantic's location: ``[index.offender] retention_years``,
    ``[[index.offender.rules]] #2 max``, ``search_on_entry``."""
    parts = _without_tags(loc)
    if not parts:
        return "(top level)"
    if len(parts) == 1:
        return str(parts[0])
    rule = next((i for i, p in enumerate(parts) if isinstance(p, int)), None)
    if rule is not None and rule < len(parts) - 1:
        table = ".".join(str(p) for p in parts[:rule])
        rest = " ".join(str(p) for p in parts[rule + 1:])
        return f"[[{table}]] #{int(parts[rule]) + 1} {rest}"
    if isinstance(parts[-1], int):
        return f"[{'.'.join(str(p) for p in parts[:-2])}] {parts[-2]}[{parts[-1]}]" \
            if len(parts) > 2 else f"{parts[0]}[{parts[1]}]"
    return f"[{'.'.join(str(p) for p in parts[:-1])}] {parts[-1]}"


def _unwrap(annotation: Any) -> list[Any]:
    """The types an annotation may hold (through Annotated, unions and Optional)."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(annotation) for t in _unwrap(a)]
    return [annotation]


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model of the table at ``loc`` (to list its keys), if it is one."""
    current: list[Any] = [PolicyFile]
    for i, part in enumerate(loc):
        if isinstance(part, str) and part in RULE_MODELS and i and isinstance(loc[i - 1], int):
            current = [RULE_MODELS[part]]  # the union's tag: the rule's model
            continue
        nxt: list[Any] = []
        for t in current:
            if isinstance(t, type) and issubclass(t, BaseModel):
                fields = {f.alias or n: f for n, f in t.model_fields.items()}
                if isinstance(part, str) and part in fields:
                    nxt.extend(_unwrap(fields[part].annotation))
            elif typing.get_origin(t) is list and isinstance(part, int):
                nxt.extend(_unwrap(typing.get_args(t)[0]))
            elif typing.get_origin(t) is dict and isinstance(part, str):
                nxt.extend(_unwrap(typing.get_args(t)[1]))
        current = nxt
    models = [t for t in current if isinstance(t, type) and issubclass(t, BaseModel)]
    return models[0] if len(models) == 1 else None


def _keys(model: type[BaseModel]) -> str:
    return ", ".join(f.alias or n for n, f in model.model_fields.items())


def _describe(error: Mapping[str, Any]) -> str:
    """One pydantic error as ``KEY PATH = VALUE: what is wrong``."""
    loc = tuple(error["loc"])
    kind = error["type"]
    where = key_path(loc)
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        known = f" (known: {_keys(parent)})" if parent is not None else ""
        if loc[:1] == ("index",) and len(loc) == 2:
            known = " (known indices: " + ", ".join(i.value for i in Index) + ")"
            return f"[index.{loc[1]}]: unknown index{known}"
        if isinstance(error["input"], Mapping):
            return f"[{'.'.join(str(p) for p in loc)}]: unknown table{known}"
        return f"{where} = {error['input']!r}: unknown key{known}"
    if kind == "missing":
        model = _model_at(loc)
        if model is not None and model is not PolicyFile:
            table = ".".join(str(p) for p in loc)
            return f"no [{table}] section (every index needs one)" \
                if loc[:1] == ("index",) else f"[{table}] is missing"
        return f"{where}: missing (it has no default)"
    if kind == "union_tag_not_found":
        return f"{key_path((*loc, 'kind'))}: missing (every rule needs a 'name' and a 'kind')"
    if kind == "union_tag_invalid":
        bad = error.get("ctx", {}).get("tag", error["input"])
        return (f"{key_path((*loc, 'kind'))} = {bad!r}: unknown rule kind (known: "
                f"{', '.join(RULE_MODELS)})")
    return f"{where} = {error['input']!r}: {error['msg']}"


def policy_key_error(source: str, message: str) -> InputError:
    """An error in the policy file ``source``: ``message`` names the key path and the value."""
    return InputError(f"policy {source}: {message}", remedy=DOCS_REMEDY)


def _validation_error(exc: ValidationError, source: str) -> InputError:
    lines = [_describe(e) for e in exc.errors()[:10]]
    more = len(exc.errors()) - len(lines)
    return policy_key_error(source, "; ".join(lines) + (f"; and {more} more" if more else ""))


def validate_policy_file(data: Mapping[str, Any], source: str) -> PolicyFile:
    """The policy file's TOML, validated (types, ranges, unknown keys); :class:`InputError`
    naming ``source``, each key path and its value otherwise."""
    try:
        return PolicyFile.model_validate(dict(data))
    except ValidationError as exc:
        raise _validation_error(exc, source) from None


def validate_mixture_search(raw: Any, source: str) -> MixtureSearchSection:
    """The ``[mixture_search]`` table alone, validated as in :func:`validate_policy_file`."""
    if not isinstance(raw, Mapping):
        raise policy_key_error(source, f"mixture_search = {raw!r}: must be a table")
    try:
        return MixtureSearchSection.model_validate(dict(raw))
    except ValidationError as exc:
        raise policy_key_error(source, "; ".join(
            _describe({**e, "loc": ("mixture_search", *e["loc"])}) for e in exc.errors())
        ) from None
