"""Exact sum-product by variable elimination over discrete factors (numpy).

A factor is a tuple of variable ids and an array with one axis per variable. :func:`eliminate`
multiplies all factors and sums out every variable not kept, choosing at each step the variable
whose elimination creates the smallest table (the greedy min-size order of Kjaerulff 1990 and
Koller & Friedman 2009, ch. 9). For the allele-level pedigree network this is peeling
(Elston & Stewart 1971; Cannings, Thompson & Skolnick 1978) on any pedigree, loops included; the
cost grows with the width of the pedigree, and a table above ``max_entries`` is refused with
:class:`CombinatorialLimit`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from locard.errors import CombinatorialLimit

FloatArray = npt.NDArray[np.float64]
Factor = tuple[tuple[int, ...], FloatArray]

DEFAULT_MAX_ENTRIES = 20_000_000


def _product(factors: Sequence[Factor], out: Sequence[int]) -> FloatArray:
    """Multiply ``factors`` and sum out every variable not in ``out`` (einsum)."""
    labels: dict[int, int] = {}
    for vars_, _ in factors:
        for v in vars_:
            labels.setdefault(v, len(labels))
    for v in out:
        labels.setdefault(v, len(labels))
    operands: list[object] = []
    for vars_, table in factors:
        operands.append(table)
        operands.append([labels[v] for v in vars_])
    operands.append([labels[v] for v in out])
    result: FloatArray = np.asarray(np.einsum(*operands), dtype=np.float64)  # type: ignore[call-overload]
    return result


def eliminate(factors: Sequence[Factor], dims: dict[int, int], keep: Sequence[int] = (), *,
              max_entries: int = DEFAULT_MAX_ENTRIES) -> FloatArray:
    """Sum of the product of ``factors`` over every variable not in ``keep``; an array with the
    axes of ``keep`` in that order (a 0-d array when nothing is kept)."""
    pool: list[Factor] = list(factors)
    kept = set(keep)
    remaining = {v for vars_, _ in pool for v in vars_} - kept
    while remaining:
        best: tuple[int, int] | None = None
        for v in sorted(remaining):
            scope: set[int] = set()
            for vars_, _ in pool:
                if v in vars_:
                    scope.update(vars_)
            size = math.prod(dims[u] for u in scope)
            if best is None or size < best[0]:
                best = (size, v)
        assert best is not None
        size, var = best
        if size > max_entries:
            raise CombinatorialLimit(
                f"exact pedigree likelihood needs a table of {size:,} entries "
                f"(limit {max_entries:,})",
                remedy="simplify the pedigree (drop untyped branches) or reduce the allele set")
        involved = [f for f in pool if var in f[0]]
        pool = [f for f in pool if var not in f[0]]
        scope_vars = sorted({u for vars_, _ in involved for u in vars_} - {var})
        pool.append((tuple(scope_vars), _product(involved, scope_vars)))
        remaining.discard(var)
    return _product(pool, list(keep)) if pool else np.ones(tuple(dims[v] for v in keep))
