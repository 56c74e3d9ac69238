"""The one JSON-safe encoder: what the CLI's ``--json`` prints and what the service sends.

Strict JSON has no infinity and no NaN, but a statistic can be infinite: an excluded candidate
has LR 0, so ``log10_lr = -inf``. The convention, the same for every output:

- ``+inf`` -> ``"Infinity"``, ``-inf`` -> ``"-Infinity"`` (the sign is kept; the strings are
  what JavaScript's ``Number()`` and Python's ``float()`` read back);
- ``nan`` -> ``null`` (no value);
- mappings -> objects with string keys; lists, tuples and sets -> arrays.

This module sits at the bottom of the package (like :mod:`locard.errors`) and imports nothing of
Locard, so any layer may use it.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Mapping
from typing import Any

__all__ = ["dumps", "json_safe"]


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float replaced as the module docstring says, walked
    through mappings, lists, tuples and sets; anything else is returned unchanged."""
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        if math.isnan(value):
            return None
        return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, Mapping):
        return {k if isinstance(k, str) else str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    return value


def _default(value: Any) -> Any:
    """Values json cannot write: NumPy-style numbers as numbers, anything else (paths) as text."""
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return json_safe(float(value))
    return str(value)


def dumps(value: Any, *, indent: int | None = None) -> str:
    """Strict JSON text of ``value`` (:func:`json_safe` first; never a bare ``Infinity``)."""
    return json.dumps(json_safe(value), default=_default, indent=indent, allow_nan=False)
