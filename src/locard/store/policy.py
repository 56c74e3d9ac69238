"""The database policy: acceptance rules per index, legal bases, retention, the search matrix.

The default ships as ``locard/data/policy.toml``; a lab passes its own with ``--policy FILE``
or ``LOCARD_POLICY``. :func:`load_policy` validates the file and refuses one that crosses the
lines no policy may cross:

- relatives' references are compared only by kinship, and only with missing persons and
  unidentified remains (never in a direct search, never with offenders or casework);
- relatives, elimination volunteers and staff are stored only with a consent record.

Every acceptance rule has a name, and a refused profile gets the failing rule in words
("offender index requires all 20 CODIS core loci; missing D2S441, SE33").
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from locard.errors import InputError, PolicyViolation, StoreError
from locard.genetics.loci import LOCI, LOCUS_SETS, LocusKind, canonical_locus
from locard.genetics.profiles import Profile
from locard.store.categories import Index, canonical_category, index_for_category, parse_index
from locard.store.mixture_policy import MixtureSearchPolicy

if TYPE_CHECKING:
    from locard.store.policy_file import IndexSection

__all__ = [
    "LEGAL_BASES",
    "Acceptance",
    "IndexPolicy",
    "Policy",
    "Rule",
    "RuleFailure",
    "check_search_allowed",
    "default_policy",
    "load_policy",
]

LEGAL_BASES = ("conviction", "arrest", "court-order", "casework", "consent")
SEARCH_MODES = ("direct", "kinship")
#: search modes governed by another mode's matrix: a mixture trace ranked by LR
#: (``locard mixture rank``) may be compared with what a direct search may
MATRIX_OF_MODE = {"mixture-lr": "direct"}
RULE_KINDS = ("required_loci", "single_source", "max_contributors", "match_rarity")
#: what an allele outside the kit's ladder range does to a record (``outside_ladder``)
OUTSIDE_LADDER = ("reject", "flag")

#: indices that may never be stored without a consent record
CONSENT_INDICES = frozenset({Index.RELATIVE, Index.ELIMINATION, Index.STAFF})
#: the only indices a relative's reference may ever be compared with (kinship only)
RELATIVE_TARGETS = frozenset({Index.MISSING_PERSON, Index.UNIDENTIFIED})


@dataclass(frozen=True, slots=True)
class RuleFailure:
    """Why a profile failed one rule: the rule's name and the reason in words."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.message} [rule {self.rule}]"


@dataclass(frozen=True, slots=True)
class Acceptance:
    """The outcome of the acceptance rules for one profile in one index."""

    index: Index
    failures: tuple[RuleFailure, ...]
    local_only: bool
    notes: tuple[str, ...] = ()
    #: the profile's RMP (CPI for a mixture), when a ``match_rarity`` rule computed it
    rmp: float | None = None

    @property
    def accepted(self) -> bool:
        """Whether the profile passed every rule (no failures)."""
        return not self.failures


def _locus_set(spec: Any, where: str) -> tuple[str, tuple[str, ...]]:
    """(label, loci) for a locus-set name or an explicit list."""
    if isinstance(spec, str):
        key = re.sub(r"[^A-Z0-9]", "", spec.upper()).replace("CORE", "")
        for name, loci in LOCUS_SETS.items():
            if re.sub(r"[^A-Z0-9]", "", name.upper()) == key:
                return name, tuple(loci)
        raise InputError(f"{where}: unknown locus set {spec!r}",
                         remedy="known sets: " + ", ".join(LOCUS_SETS))
    if isinstance(spec, list) and all(isinstance(x, str) for x in spec):
        return "listed", tuple(canonical_locus(x) for x in spec)
    raise InputError(f"{where}: 'loci' must be a set name or a list of loci")


_SET_WORDS = {"CODIS20": "CODIS core loci", "CODIS13": "original CODIS core loci",
              "ESS12": "European Standard Set loci"}


@dataclass(frozen=True, slots=True)
class Rule:
    """One named acceptance rule of an index (see the kinds in ``policy.toml``)."""

    name: str
    kind: str
    index: Index
    params: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """The rule in words, as reports and ``locard policy`` show it."""
        idx = self.index.label
        p = self.params
        if self.kind == "required_loci":
            label, loci = _locus_set(p["loci"], self.name)
            words = _SET_WORDS.get(label.upper(), "loci")
            if "min_count" in p:
                return f"{idx} index requires at least {p['min_count']} of the {len(loci)} {words}"
            return f"{idx} index requires all {len(loci)} {words}"
        if self.kind == "single_source":
            tri = int(p.get("tri_allelic_loci", 0))
            return f"{idx} index requires a single-source profile" + (
                f" (a tri-allelic pattern at up to {tri} loci accepted)" if tri else "")
        if self.kind == "max_contributors":
            what = "kept local" if p.get("action", "local") == "local" else "refused"
            return f"{idx} index: mixtures of more than {p['max']} contributors are {what}"
        if self.kind == "match_rarity":
            return f"{idx} index requires match rarity of at least 1 in {p['one_in']:,.0f}"
        return self.name  # pragma: no cover - kinds are validated on load


@dataclass(frozen=True, slots=True)
class IndexPolicy:
    """One index's policy: legal bases, consent, local-only, retention, acceptance rules and
    off-ladder handling.
    """
    index: Index
    legal_bases: tuple[str, ...]
    consent_required: bool
    local_only: bool
    retention_years: int
    default_legal_basis: str | None
    rules: tuple[Rule, ...]
    #: what an allele outside its kit's ladder range does to a record: ``reject`` (the record
    #: is refused unless the import allows off-ladder alleles) or ``flag`` (stored, and listed
    #: in the import report)
    outside_ladder: str = "reject"


@dataclass(frozen=True, slots=True)
class Policy:
    """An effective policy. Build it with :func:`load_policy`."""

    name: str
    source: str
    sha256: str
    indices: Mapping[Index, IndexPolicy]
    direct: Mapping[Index, frozenset[Index]]
    kinship: Mapping[Index, frozenset[Index]]
    rarity_tables: tuple[str, ...]
    theta: float
    legal_basis_words: Mapping[str, str]
    #: the file as read (shown by ``locard policy show``; code reads the typed fields)
    raw: Mapping[str, Any] = field(repr=False, default_factory=dict)
    #: canonical specimen category -> its default legal basis, where it differs from its
    #: index's ``default_legal_basis`` (``[category_legal_basis]``)
    category_legal_basis: Mapping[str, str] = field(default_factory=dict)
    #: sample-name patterns of controls and ladders (``[controls] patterns``): such records
    #: are never stored; an import reports them as skipped controls
    control_patterns: tuple[re.Pattern[str], ...] = ()
    #: ``[mixture_search]``: scoring new references against stored mixtures on entry
    mixture_search: MixtureSearchPolicy = field(default_factory=MixtureSearchPolicy)
    #: search new profiles on import (search on entry): the top-level ``search_on_entry``, else
    #: ``[search] on_entry``, else True
    search_on_entry: bool = True

    def is_control(self, sample_name: str) -> bool:
        """True when ``sample_name`` matches one of the ``[controls]`` patterns (searched,
        case-insensitive): a positive or negative control, a blank or an allelic ladder."""
        return any(p.search(sample_name) for p in self.control_patterns)

    # --- search --------------------------------------------------------------------------

    def check_search_allowed(self, query_index: Index | str, target_index: Index | str,
                             mode: str = "direct") -> None:
        """Raise :class:`PolicyViolation` unless the matrix allows this comparison."""
        q, t = parse_index(query_index), parse_index(target_index)
        matrix = MATRIX_OF_MODE.get(mode, mode)
        if matrix not in SEARCH_MODES:
            raise PolicyViolation(f"unknown search mode {mode!r}",
                                  remedy="use 'direct' or 'kinship'")
        table = self.direct if matrix == "direct" else self.kinship
        allowed = table.get(q, frozenset())
        if t not in allowed:
            others = ", ".join(sorted(i.value for i in allowed)) or "nothing"
            raise PolicyViolation(
                f"policy forbids a {mode} search of the {q.label} index against the {t.label} "
                f"index", remedy=f"in {mode} mode the {q.value} index may be compared with: "
                                 f"{others}")

    def check_self_check_allowed(self, index: Index | str) -> None:
        """The self-check (duplicates and near matches within one index, ``locard db check``)
        is quality control, not a casework search, so the search matrix does not govern it:
        every index may be checked, except the relatives' references, which are compared only
        by kinship with missing persons and unidentified remains (a line no policy crosses).
        Raise :class:`PolicyViolation` for that one."""
        idx = parse_index(index)
        if idx is Index.RELATIVE:
            others = ", ".join(i.value for i in self.self_check_indices())
            raise PolicyViolation(
                "the self-check never compares relatives' references with each other "
                "(relatives are compared only by kinship with missing persons and "
                "unidentified remains)", remedy=f"check another index (--index): {others}")

    def self_check_indices(self) -> list[Index]:
        """The indices a self-check may cover: all but the relatives' references."""
        return [i for i in Index if i is not Index.RELATIVE]

    def allowed_targets(self, query_index: Index | str, mode: str = "direct") -> list[Index]:
        """The indices a query of ``query_index`` may be compared with under the policy matrix
        of ``mode`` (direct or kinship), in index order."""
        q = parse_index(query_index)
        table = self.direct if MATRIX_OF_MODE.get(mode, mode) == "direct" else self.kinship
        return sorted(table.get(q, frozenset()), key=lambda i: list(Index).index(i))

    # --- legal basis -----------------------------------------------------------------------

    def default_legal_basis(self, category: str) -> str | None:
        """The legal basis a record of specimen ``category`` gets when the import states
        none: the category's (``[category_legal_basis]``), else its index's
        ``default_legal_basis``, else None (the import must state one)."""
        found = self.category_legal_basis.get(canonical_category(category))
        if found is not None:
            return found
        return self.indices[index_for_category(category)].default_legal_basis

    def check_legal_basis(self, index: Index, legal_basis: str | None,
                          consent: str | None, *, category: str | None = None) -> str:
        """The legal basis to record (when none is given, the default of ``category``, else
        of the index); raise :class:`PolicyViolation` naming the rule when it is missing or
        not allowed."""
        ip = self.indices[index]
        default = (self.default_legal_basis(category) if category is not None
                   else ip.default_legal_basis)
        basis = legal_basis or default
        if basis is None:
            raise PolicyViolation(
                f"{index.label} index requires a stated legal basis",
                remedy="allowed: " + ", ".join(ip.legal_bases) + " (--legal-basis)")
        if basis not in ip.legal_bases:
            raise PolicyViolation(
                f"legal basis {basis!r} is not allowed for the {index.label} index",
                remedy="allowed: " + ", ".join(ip.legal_bases)
                + ("; without --legal-basis each record gets its category's default"
                   + (f" ({default})" if default else "") if legal_basis else ""))
        if (ip.consent_required or basis == "consent") and not consent:
            raise PolicyViolation(
                f"{index.label} index requires a consent record (legal basis {basis!r})",
                remedy="give the consent reference: --consent ID (every record), a "
                       "'consent' column in a CSV file, or --consent-file FILE (specimen ID, "
                       "consent reference)")
        return basis

    # --- acceptance --------------------------------------------------------------------------

    def evaluate(self, profile: Profile, index: Index) -> Acceptance:
        """Apply every acceptance rule of ``index`` to ``profile``."""
        ip = self.indices[index]
        failures: list[RuleFailure] = []
        notes: list[str] = []
        local_only = ip.local_only
        rmp: float | None = None
        for rule in ip.rules:
            p = rule.params
            if rule.kind == "required_loci":
                loci = _rule_loci(rule)
                calls = profile.loci
                missing = [x for x in loci
                           if x not in calls or calls[x].inconclusive or not calls[x].alleles]
                typed = len(loci) - len(missing)
                need = int(p.get("min_count", len(loci)))
                if typed < need:
                    failures.append(RuleFailure(
                        rule.name, f"{rule.describe()}; "
                        + (f"{typed} typed, " if "min_count" in p else "")
                        + "missing " + ", ".join(missing)))
            elif rule.kind == "single_source":
                mixed = [k for k, c in profile.loci.items()
                         if len(c.alleles) > 2 and LOCI[k].kind is LocusKind.AUTOSOMAL_STR]
                tri = [k for k in mixed if len(profile.loci[k].alleles) == 3]
                if mixed and len(tri) == len(mixed) <= int(p.get("tri_allelic_loci", 0)):
                    notes.append(f"tri-allelic pattern at {', '.join(tri)} (accepted by rule "
                                 f"{rule.name}: a multi-allelic reference)")
                    mixed = []
                if mixed:
                    first = mixed[0]
                    failures.append(RuleFailure(
                        rule.name, f"{rule.describe()}; {first} has "
                        f"{len(profile.loci[first].alleles)} alleles"
                        + (f" (and {len(mixed) - 1} more loci)" if len(mixed) > 1 else "")))
            elif rule.kind == "max_contributors":
                n = profile.min_contributors
                if n > int(p["max"]):
                    msg = (f"{rule.describe()}; this profile has at least {n} contributors")
                    if p.get("action", "local") == "local":
                        local_only = True
                        notes.append(msg)
                    else:
                        failures.append(RuleFailure(rule.name, msg))
            elif rule.kind == "match_rarity":
                from locard.store.statistics import one_in, profile_rmp

                found = profile_rmp(self, profile)
                rmp = found.rmp if found is not None else 1.0
                have = one_in(rmp)
                assert have is not None
                if have < float(p["one_in"]):
                    failures.append(RuleFailure(
                        rule.name, f"{rule.describe()}; this profile's is 1 in {have:.3g} "
                        f"(most conservative of {', '.join(self.rarity_tables)}, "
                        f"theta {self.theta})"))
        return Acceptance(index, tuple(failures), local_only, tuple(notes), rmp)

    # --- display ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form (what ``locard policy show --json`` prints), with the file's
        SHA-256."""
        return {
            "name": self.name,
            "source": self.source,
            "sha256": self.sha256,
            "rarity": {"tables": list(self.rarity_tables), "theta": self.theta},
            "legal_bases": dict(self.legal_basis_words),
            "indices": {
                i.value: {
                    "label": i.label,
                    "legal_bases": list(ip.legal_bases),
                    "default_legal_basis": ip.default_legal_basis,
                    "category_legal_basis": {
                        c: b for c, b in self.category_legal_basis.items()
                        if index_for_category(c) is i},
                    "consent_required": ip.consent_required,
                    "local_only": ip.local_only,
                    "retention_years": ip.retention_years,
                    "outside_ladder": ip.outside_ladder,
                    "rules": [{"name": r.name, "kind": r.kind, "rule": r.describe(),
                               **dict(r.params)} for r in ip.rules],
                } for i, ip in self.indices.items()
            },
            "search": {
                "direct": {q.value: [t.value for t in self.allowed_targets(q, "direct")]
                           for q in self.direct},
                "kinship": {q.value: [t.value for t in self.allowed_targets(q, "kinship")]
                            for q in self.kinship},
            },
            "controls": {"patterns": [p.pattern for p in self.control_patterns]},
            "mixture_search": self.mixture_search.to_dict(),
        }


_RULE_LOCI: dict[tuple[str, str], tuple[str, ...]] = {}


def _rule_loci(rule: Rule) -> tuple[str, ...]:
    key = (rule.name, repr(rule.params["loci"]))
    found = _RULE_LOCI.get(key)
    if found is None:
        found = _RULE_LOCI[key] = _locus_set(rule.params["loci"], rule.name)[1]
    return found


@lru_cache(maxsize=8)
def load_rarity_tables(names: tuple[str, ...]) -> tuple[Any, ...]:
    """The bundled frequency tables the match-rarity rule names (cached)."""
    try:
        from locard.reference import get_bundled_table
    except ImportError as exc:  # pragma: no cover - bundled tables are part of Locard
        raise StoreError("the match-rarity rule needs Locard's bundled frequency tables",
                         remedy=str(exc)) from exc
    return tuple(get_bundled_table(n) for n in names)


def _fail(source: str, message: str) -> InputError:
    from locard.store.policy_file import policy_key_error

    return policy_key_error(source, message)


def _rules(spec: IndexSection, index: Index, source: str) -> tuple[Rule, ...]:
    rules = []
    for n, rule in enumerate(spec.rules, start=1):
        params = rule.model_dump(exclude_unset=True, exclude={"name", "kind"})
        if rule.kind == "required_loci":
            where = f"[[index.{index.value}.rules]] #{n} {rule.name!r} loci"
            try:
                _locus_set(params["loci"], where)
            except InputError as exc:
                said = exc.message if exc.message.startswith(where) else f"{where}: {exc.message}"
                raise _fail(source, said + (f" ({exc.remedy})" if exc.remedy else "")) from None
        rules.append(Rule(rule.name, rule.kind, index, params))
    return tuple(rules)


def _index_name(name: str, where: str, source: str) -> Index:
    try:
        return parse_index(name)
    except InputError:
        raise _fail(source, f"{where} {name!r}: unknown index (known: "
                            + ", ".join(i.value for i in Index) + ")") from None


def _matrix(table: Mapping[str, list[str]], mode: str,
            source: str) -> dict[Index, frozenset[Index]]:
    out: dict[Index, frozenset[Index]] = {}
    for q, targets in table.items():
        query = _index_name(q, f"[search.{mode}]", source)
        out[query] = frozenset(_index_name(t, f"[search.{mode}] {q} =", source)
                               for t in targets)
    return out


def _category_bases(table: Mapping[str, str], indices: Mapping[Index, IndexPolicy],
                    source: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for category, basis in table.items():
        try:
            idx = index_for_category(category)
            name = canonical_category(category)
        except InputError as exc:
            raise _fail(source, f"[category_legal_basis] {category!r}: {exc}") from None
        ip = indices[idx]
        if basis not in ip.legal_bases:
            raise _fail(source, f"[category_legal_basis] {category!r} = {basis!r}: legal basis "
                                f"{basis!r} is not among the {idx.value} index's legal bases "
                                f"({', '.join(ip.legal_bases)})")
        out[name] = str(basis)
    return out


def _controls(patterns: list[str], source: str) -> tuple[re.Pattern[str], ...]:
    out = []
    for n, pattern in enumerate(patterns):
        try:
            out.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise _fail(source, f"[controls] patterns[{n}] = {pattern!r}: not a regular "
                                f"expression: {exc}") from None
    return tuple(out)


def _check_lines(policy: Policy) -> None:
    """The lines no policy file may cross."""
    src = policy.source
    for q, targets in policy.direct.items():
        if q is Index.RELATIVE or Index.RELATIVE in targets:
            raise _fail(src, "relatives' references may never be searched directly "
                             "(kinship against missing persons and unidentified remains only)")
    for q, targets in policy.kinship.items():
        if q is Index.RELATIVE and not targets <= RELATIVE_TARGETS:
            raise _fail(src, "relatives' references may be compared only with missing "
                             "persons and unidentified remains")
        if Index.RELATIVE in targets and q not in RELATIVE_TARGETS:
            raise _fail(src, f"the {q.value} index may not be compared with relatives' "
                             "references")
    for idx in CONSENT_INDICES:
        ip = policy.indices[idx]
        if not ip.consent_required:
            raise _fail(src, f"the {idx.value} index must set consent_required = true")


def _parse_policy(data: Mapping[str, Any], source: str, digest: str) -> Policy:
    """The effective policy from the TOML ``data``: its shape validated by the pydantic
    models (:mod:`locard.store.policy_file`), then its meaning checked here."""
    from locard.store.mixture_policy import mixture_search_policy
    from locard.store.policy_file import validate_policy_file

    spec = validate_policy_file(data, source)
    indices: dict[Index, IndexPolicy] = {}
    for idx in Index:
        section: IndexSection = getattr(spec.index, idx.value)
        bases = tuple(section.legal_bases)
        default = section.default_legal_basis
        if default is not None and default not in bases:
            raise _fail(source, f"[index.{idx.value}] default_legal_basis = {default!r}: "
                                f"default legal basis {default!r} is not among its legal "
                                f"bases ({', '.join(bases)})")
        indices[idx] = IndexPolicy(
            idx, bases, section.consent_required, section.local_only,
            section.retention_years, default, _rules(section, idx, source),
            section.outside_ladder)
    on_entry = spec.search_on_entry
    if on_entry is None:
        on_entry = True if spec.search.on_entry is None else spec.search.on_entry
    policy = Policy(
        name=spec.policy.name if spec.policy.name is not None else source,
        source=source,
        sha256=digest,
        indices=indices,
        direct=_matrix(spec.search.direct, "direct", source),
        kinship=_matrix(spec.search.kinship, "kinship", source),
        rarity_tables=tuple(spec.rarity.tables),
        theta=float(spec.rarity.theta),
        legal_basis_words=spec.legal_bases.model_dump(by_alias=True, exclude_none=True),
        raw=dict(data),
        category_legal_basis=_category_bases(spec.category_legal_basis, indices, source),
        control_patterns=_controls(spec.controls.patterns, source),
        mixture_search=mixture_search_policy(spec.mixture_search),
        search_on_entry=on_entry,
    )
    _check_lines(policy)
    return policy


def policy_from_text(text: str, *, source: str = "<text>") -> Policy:
    """The policy in TOML text ``text``; ``source`` names it in errors.

    Raises InputError for invalid TOML or an invalid policy.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(source, f"not valid TOML: {exc}") from None
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return _parse_policy(data, source, digest)


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    """The policy shipped with Locard (``locard/data/policy.toml``)."""
    text = resources.files("locard.data").joinpath("policy.toml").read_text(encoding="utf-8")
    return policy_from_text(text, source="locard/data/policy.toml (default)")


def load_policy(path: str | os.PathLike[str] | None = None) -> Policy:
    """The policy from ``path``, else ``$LOCARD_POLICY``, else the shipped default."""
    chosen = path if path is not None else os.environ.get("LOCARD_POLICY") or None
    if chosen is None:
        return default_policy()
    p = Path(chosen)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read policy file {p}: {exc.strerror}") from None
    return policy_from_text(text, source=str(p))


def check_search_allowed(query_index: Index | str, target_index: Index | str,
                         mode: str = "direct", *, policy: Policy | None = None) -> None:
    """Raise :class:`PolicyViolation` unless the policy's search matrix allows a ``mode``
    ('direct' or 'kinship') comparison of ``query_index`` against ``target_index``.
    The caller audits the refusal (``Store.authorize_search`` does)."""
    (policy or load_policy()).check_search_allowed(query_index, target_index, mode)

