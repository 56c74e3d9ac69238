"""DVI, step 2: exclusions, undisputed identifications, the joint search over assignments of
victims to missing persons, posteriors and generalised LRs (see :mod:`locard.stats.kinship.dvi`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from locard.errors import CombinatorialLimit, InvalidParameter, StatisticsError
from locard.stats.kinship.dvi_matrix import DVIMatrix, conditional_column, family_joint_lr
from locard.stats.provenance import make_provenance

__all__ = [
    "DEFAULT_DOMINANCE",
    "DEFAULT_EXCLUSION_THRESHOLD",
    "DEFAULT_MAX_ASSIGNMENTS",
    "DEFAULT_UNDISPUTED_THRESHOLD",
    "NOT_IDENTIFIED",
    "DVIAssignment",
    "DVIResult",
    "Identification",
    "dvi_identify",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

DEFAULT_EXCLUSION_THRESHOLD = 1e-3
DEFAULT_UNDISPUTED_THRESHOLD = 1e4
DEFAULT_DOMINANCE = 1e4
DEFAULT_MAX_ASSIGNMENTS = 1_000_000
NOT_IDENTIFIED = "not identified"


@dataclass(frozen=True, slots=True)
class Identification:
    """An undisputed identification: victim = missing person ``missing`` of ``family``
    (``label``: the matrix column), with its pairwise LR (given the earlier identifications in
    the same family) and the round of :func:`dvi_identify` that found it."""

    victim: str
    family: str
    missing: str
    lr: float
    label: str = ""
    step: int = 1

    def to_dict(self) -> dict[str, Any]:
        """The identification as a JSON-ready dict, with log10 of its LR."""
        return {"victim": self.victim, "family": self.family, "missing": self.missing,
                "column": self.label or self.family, "lr": self.lr, "log10_lr": _log10(self.lr),
                "step": self.step}


@dataclass(frozen=True, slots=True)
class DVIAssignment:
    """One joint assignment of the disputed victims: ``pairs`` (victim, column label); ``lr``
    its joint LR against nobody identified (within each family the joint likelihood of the
    victims placed there); ``posterior`` its probability within its component."""

    component: int
    pairs: tuple[tuple[str, str], ...]
    lr: float
    posterior: float

    def to_dict(self) -> dict[str, Any]:
        """The assignment as a JSON-ready dict, with log10 of its LR."""
        return {"component": self.component,
                "pairs": [{"victim": v, "family": f} for v, f in self.pairs],
                "lr": self.lr, "log10_lr": _log10(self.lr), "posterior": self.posterior}


def _log10(x: float) -> float:
    return -math.inf if x <= 0 else math.log10(x)


@dataclass(frozen=True, slots=True, eq=False)
class DVIResult:
    """Joint identification of a :class:`DVIMatrix`.

    ``posteriors[victim]`` maps each column label (and ``'not identified'``) with a non-zero
    probability to it, summing to 1; an undisputed victim has probability 1 for its missing
    person. ``glr[victim][label]``: the generalised LR of that identification (dvir's
    ``dviGLR``: the best joint LR with the pair over the best without it, over the admissible
    assignments of its component). ``excluded`` lists the inadmissible pairs (with the reason
    in ``exclusion_reasons``); ``assignments`` the most probable joint assignments of each
    component.
    """

    matrix: DVIMatrix
    excluded: tuple[tuple[str, str], ...]
    undisputed: tuple[Identification, ...]
    posteriors: dict[str, dict[str, float]]
    assignments: tuple[DVIAssignment, ...]
    components: tuple[dict[str, Any], ...]
    parameters: dict[str, Any]
    provenance: dict[str, Any] = field(repr=False)
    glr: dict[str, dict[str, float]] = field(default_factory=dict)
    exclusion_reasons: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)

    def best(self, victim: str) -> tuple[str, float]:
        """The most probable outcome for a victim: (column label or 'not identified',
        posterior)."""
        post = self.posteriors[victim]
        key = max(post, key=lambda k: post[k])
        return key, post[key]

    def __repr__(self) -> str:
        return (f"DVIResult(victims={len(self.matrix.victims)}, "
                f"families={len(set(self.matrix.families))}, "
                f"undisputed={len(self.undisputed)}, components={len(self.components)})")

    def to_dict(self, *, per_locus: bool = True) -> dict[str, Any]:
        """The JSON-ready form: LR matrix, exclusions with reasons, undisputed and joint
        identifications (``per_locus``: with per-locus LRs)."""
        return {
            "matrix": self.matrix.to_dict(per_locus=per_locus),
            "excluded": [{"victim": v, "family": f} for v, f in self.excluded],
            "exclusion_reasons": [{"victim": v, "family": f, "reason": why}
                                  for (v, f), why in self.exclusion_reasons.items()],
            "undisputed": [u.to_dict() for u in self.undisputed],
            "posteriors": self.posteriors,
            "glr": self.glr,
            "assignments": [a.to_dict() for a in self.assignments],
            "components": list(self.components),
            "parameters": self.parameters,
            "provenance": self.provenance,
        }


def _check_positive(name: str, value: float, *, allow_zero: bool = False) -> None:
    bad = (not isinstance(value, (int, float)) or math.isnan(value)
           or value < 0 or (value == 0 and not allow_zero))
    if bad:
        raise InvalidParameter(name, value, expected="a positive number"
                               + (" or 0" if allow_zero else ""))


def _undisputed_entries(masked: FloatArray, *, threshold: float, dominance: float,
                        strict: bool) -> list[tuple[int, int]]:
    """dvir's ``undisputedEntries``: ``LR >= threshold`` and every other LR in its row and
    column at most ``LR / dominance`` (strict: at most 1). Inadmissible pairs are 0 here."""
    found: list[tuple[int, int]] = []
    for v, c in zip(*np.nonzero(masked >= threshold), strict=True):
        x = float(masked[v, c])
        rival = max(float(np.delete(masked[v], c).max(initial=0.0)),
                    float(np.delete(masked[:, c], v).max(initial=0.0)))
        if (rival <= 1.0) if strict else (rival * dominance <= x):
            found.append((int(v), int(c)))
    return found


class _Problem:
    """The mutable state of one :func:`dvi_identify` run: the current LR matrix (columns of a
    family with identified members recomputed given them), the admissible pairs, and the
    victims fixed in each family."""

    def __init__(self, matrix: DVIMatrix, admissible: BoolArray, threshold: float) -> None:
        self.m = matrix
        self.threshold = threshold
        self.lr = np.array(matrix.lr, dtype=np.float64)
        self.admissible = admissible
        self.fixed: dict[str, dict[str, int]] = {}  # family -> missing -> victim index
        self.joint_cache: dict[tuple[str, frozenset[tuple[str, int]]], float] = {}
        self.matrices: dict[tuple[Any, ...], Any] = {}
        self.size = {f: matrix.families.count(f) for f in matrix.families}

    def fix(self, v: int, c: int) -> None:
        fam, mid = self.m.families[c], self.m.missing[c]
        self.fixed.setdefault(fam, {})[mid] = v
        self.admissible[v, :] = False
        self.admissible[:, c] = False
        rest = [k for k, f in enumerate(self.m.families)
                if f == fam and self.admissible[:, k].any()]
        if rest:
            src = self._source()
            for k in rest:
                self.lr[:, k] = conditional_column(src, fam, self.fixed[fam], self.m.missing[k])
                self.admissible[:, k] &= ((self.lr[:, k] > 0)
                                          & (self.lr[:, k] >= self.threshold))

    def _source(self) -> Any:
        if self.m.source is None:
            raise StatisticsError("this DVI matrix has a family with several missing persons but "
                                  "no data to compute their joint likelihoods",
                                  remedy="build the matrix with dvi_lr_matrix")
        return self.m.source

    def joint(self, family: str, placed: frozenset[tuple[str, int]]) -> float:
        """LR of victims placed in one family given its fixed members (1: nobody placed)."""
        key = (family, placed)
        found = self.joint_cache.get(key)
        if found is not None:
            return found
        fixed = self.fixed.get(family, {})
        if len(placed) == 1:
            ((mid, v),) = tuple(placed)
            c = next(k for k, (f, m) in enumerate(zip(self.m.families, self.m.missing,
                                                      strict=True)) if f == family and m == mid)
            value = float(self.lr[v, c])
        else:
            src = self._source()
            victims = src.victims
            args = {"mutation": src.mutation, "loci": src.loci,
                    "min_frequency": src.min_frequency, "theta": src.theta,
                    "cache": self.matrices}
            fam = src.families[family]
            both = {**{m: victims[v] for m, v in fixed.items()},
                    **{m: victims[v] for m, v in placed}}
            value = family_joint_lr(fam, both, src.table, **args)
            if fixed:
                base_key = (family, frozenset(("\x00fixed " + m, v) for m, v in fixed.items()))
                base = self.joint_cache.get(base_key)
                if base is None:
                    base = self.joint_cache[base_key] = family_joint_lr(
                        fam, {m: victims[v] for m, v in fixed.items()}, src.table, **args)
                value = value / base if base > 0 else 0.0
        self.joint_cache[key] = value
        return value


def _components(admissible: BoolArray, families: tuple[str, ...]
                ) -> list[tuple[list[int], list[int]]]:
    """Connected components (victims, columns) of the admissible pairs, the columns of one
    family always together; only components with at least one pair."""
    n_v, n_c = admissible.shape
    parent = list(range(n_v + n_c))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb

    for v, c in zip(*np.nonzero(admissible), strict=True):
        union(int(v), n_v + int(c))
    first: dict[str, int] = {}
    for c, fam in enumerate(families):
        if fam in first:
            union(n_v + first[fam], n_v + c)
        else:
            first[fam] = c
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for v in range(n_v):
        if admissible[v].any():
            groups.setdefault(find(v), ([], []))[0].append(v)
    for c in range(n_c):
        root = find(n_v + c)
        if root in groups and admissible[:, c].any():
            groups[root][1].append(c)
    return sorted(groups.values(), key=lambda g: g[0][0])


def _count(options: list[list[int]], limit: int) -> int:
    """Number of joint assignments (each victim: nothing or one of its options, columns used
    once), counting stops past ``limit``."""
    used: set[int] = set()
    count = 0

    def walk(i: int) -> bool:  # False: past the limit
        nonlocal count
        if i == len(options):
            count += 1
            return count <= limit
        if not walk(i + 1):
            return False
        for f in options[i]:
            if f not in used:
                used.add(f)
                ok = walk(i + 1)
                used.discard(f)
                if not ok:
                    return False
        return True

    walk(0)
    return count


def _enumerate(options: list[list[int]], n: int) -> npt.NDArray[np.int32]:
    """All joint assignments: the column per victim (-1: none)."""
    rows = np.empty((n, len(options)), dtype=np.int32)
    current = [-1] * len(options)
    used: set[int] = set()
    k = 0

    def walk(i: int) -> None:
        nonlocal k
        if i == len(options):
            rows[k] = current
            k += 1
            return
        current[i] = -1
        walk(i + 1)
        for f in options[i]:
            if f not in used:
                used.add(f)
                current[i] = f
                walk(i + 1)
                used.discard(f)
        current[i] = -1

    walk(0)
    return rows[:k]


def _row_log10(problem: _Problem, vs: list[int], row: npt.NDArray[np.int32]) -> float:
    """log10 joint LR of one assignment: per family, the pairwise LR for a single victim in a
    family with one missing person, else the family's joint LR."""
    m = problem.m
    by_family: dict[str, set[tuple[str, int]]] = {}
    for i, c in enumerate(row.tolist()):
        if c >= 0:
            by_family.setdefault(m.families[c], set()).add((m.missing[c], vs[i]))
    total = 0.0
    for fam, placed in by_family.items():
        x = problem.joint(fam, frozenset(placed))
        if x <= 0:
            return -math.inf
        total += math.log10(x)
    return total


def _prior_matrix(pair_prior: Any, shape: tuple[int, int]) -> FloatArray | None:
    if pair_prior is None:
        return None
    arr = np.asarray(pair_prior, dtype=np.float64)
    if arr.shape != shape or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InvalidParameter("pair_prior", f"array of shape {arr.shape}",
                               expected=f"non-negative finite weights of shape {shape} "
                                        "(victims x missing persons)")
    return arr


def dvi_identify(
    matrix: DVIMatrix,
    *,
    exclusion_threshold: float = DEFAULT_EXCLUSION_THRESHOLD,
    undisputed_threshold: float = DEFAULT_UNDISPUTED_THRESHOLD,
    dominance: float | None = None,
    strict: bool = False,
    pair_prior: Any = None,
    max_assignments: int = DEFAULT_MAX_ASSIGNMENTS,
    top: int = 10,
) -> DVIResult:
    """Exclusions, undisputed identifications and the joint search with pairing posteriors
    and GLRs (module :mod:`.dvi`, step 2).

    ``exclusion_threshold`` (default 1e-3; 0 keeps every pair with LR > 0): pairs below it, and
    pairs of incompatible sex, are not admissible. ``undisputed_threshold`` (default 10,000):
    an undisputed pair's LR reaches it and every other admissible LR in its row and column is at
    most ``LR / dominance`` (``dominance`` defaults to the threshold, as dvir's
    ``findUndisputed``); ``strict``: at most 1 instead. ``pair_prior``: weights ``[V, C]``
    (victims x missing persons); an assignment's prior is the product of its pairs' weights
    (default flat). ``max_assignments`` caps the joint assignments of one component
    (:class:`CombinatorialLimit` above it); ``top``: how many of each component's most probable
    assignments to report.
    """
    dominance = undisputed_threshold if dominance is None else dominance
    _check_positive("exclusion_threshold", exclusion_threshold, allow_zero=True)
    _check_positive("undisputed_threshold", undisputed_threshold)
    _check_positive("dominance", dominance)
    if max_assignments < 1:
        raise InvalidParameter("max_assignments", max_assignments, expected="at least 1")
    victims, labels = matrix.victims, matrix.labels
    prior = _prior_matrix(pair_prior, matrix.shape)
    lr = matrix.lr
    sex_ok = matrix.sex_compatible
    admissible = (lr > 0) & (lr >= exclusion_threshold) & sex_ok
    if prior is not None:
        admissible &= prior > 0
    reasons: dict[tuple[str, str], str] = {}
    for v, c in zip(*np.nonzero(~admissible), strict=True):
        key = (victims[v], labels[c])
        reasons[key] = ("sex" if not sex_ok[v, c] else "prior 0" if prior is not None
                        and prior[v, c] == 0 else f"LR {lr[v, c]:.3g} < {exclusion_threshold:g}")
    excluded = tuple(reasons)
    problem = _Problem(matrix, admissible.copy(), exclusion_threshold)
    undisputed: list[Identification] = []
    step = 0
    while True:  # dvir's findUndisputed: fix, move into the family, recompute, again
        step += 1
        masked = np.where(problem.admissible, problem.lr, 0.0)
        found = _undisputed_entries(masked, threshold=undisputed_threshold,
                                    dominance=dominance, strict=strict)
        if not found:
            break
        for v, c in found:
            undisputed.append(Identification(victims[v], matrix.families[c], matrix.missing[c],
                                             float(masked[v, c]), labels[c], step))
        for v, c in found:
            problem.fix(v, c)
    posteriors: dict[str, dict[str, float]] = {v: {NOT_IDENTIFIED: 1.0} for v in victims}
    for u in undisputed:
        posteriors[u.victim] = {u.label: 1.0}
    glr: dict[str, dict[str, float]] = {}
    assignments: list[DVIAssignment] = []
    summaries: list[dict[str, Any]] = []
    rest = problem.admissible
    comps = _components(rest, matrix.families)
    counted: list[tuple[list[list[int]], int]] = []
    for c, (vs, cs) in enumerate(comps):  # count everything before enumerating anything
        options = [[int(k) for k in np.nonzero(rest[v])[0]] for v in vs]
        n = _count(options, max_assignments)
        if n > max_assignments:
            raise CombinatorialLimit(
                f"DVI component {c + 1} ({len(vs)} victims, {len(cs)} missing persons, "
                f"{int(rest[np.ix_(vs, cs)].sum())} admissible pairs) has more than "
                f"{max_assignments:,} joint assignments",
                remedy=f"raise the exclusion threshold (now {exclusion_threshold:g}, "
                       f"--exclusion-threshold), declare the victims' sex (--victim-sex), split "
                       f"the problem (e.g. by incident), or raise max_assignments "
                       f"(--max-assignments)")
        counted.append((options, n))
    for c, ((vs, cs), (options, n)) in enumerate(zip(comps, counted, strict=True)):
        rows = _enumerate(options, n)
        loglr = np.array([_row_log10(problem, vs, r) for r in rows], dtype=np.float64)
        logpost = loglr.copy()
        if prior is not None:
            with np.errstate(divide="ignore"):
                logp = np.log10(prior)
            for i, v in enumerate(vs):
                hit = rows[:, i] >= 0
                logpost[hit] += logp[v, rows[hit, i]]
        w = np.power(10.0, logpost - logpost.max())
        prob = w / w.sum()
        for i, v in enumerate(vs):
            mass = np.bincount(rows[:, i] + 1, weights=prob, minlength=len(labels) + 1)
            post = {NOT_IDENTIFIED: float(mass[0])}
            for k in np.nonzero(mass[1:])[0].tolist():
                post[labels[k]] = float(mass[k + 1])
            posteriors[victims[v]] = post
            gv: dict[str, float] = {}
            for k in options[i]:
                with_pair = rows[:, i] == k
                best_with = loglr[with_pair].max(initial=-math.inf)
                best_without = loglr[~with_pair].max(initial=-math.inf)
                gv[labels[k]] = (math.inf if best_without == -math.inf
                                 else float(10.0 ** (best_with - best_without)))
            glr[victims[v]] = gv
        for k in np.argsort(-prob, kind="stable")[:top]:
            pairs = tuple((victims[vs[i]], labels[int(f)])
                          for i, f in enumerate(rows[k]) if f >= 0)
            assignments.append(DVIAssignment(c + 1, pairs, float(10.0 ** loglr[k]),
                                             float(prob[k])))
        summaries.append({"component": c + 1, "victims": [victims[v] for v in vs],
                          "missing": [labels[k] for k in cs], "families": sorted(
                              {matrix.families[k] for k in cs}), "assignments": int(n)})
    parameters = {"exclusion_threshold": exclusion_threshold,
                  "undisputed_threshold": undisputed_threshold, "dominance": dominance,
                  "strict": strict, "max_assignments": max_assignments,
                  "prior": ("flat over admissible joint assignments" if prior is None
                            else "product of per-pair weights (pair_prior)")}
    provenance = make_provenance("dvi_identify", parameters=parameters,
                                 matrix=matrix.provenance)
    return DVIResult(matrix, excluded, tuple(undisputed), posteriors, tuple(assignments),
                     tuple(summaries), parameters, provenance, glr, reasons)


def pair_prior_from(matrix: DVIMatrix, weights: Mapping[tuple[str, str], float],
                    *, default: float = 1.0) -> FloatArray:
    """A ``pair_prior`` array from ``{(victim, column label): weight}`` (others ``default``)."""
    out = np.full(matrix.shape, float(default))
    for (v, label), x in weights.items():
        out[matrix.victims.index(v), matrix.column(label)] = float(x)
    return out
