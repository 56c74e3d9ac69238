"""How informative is a family? The web page's computation (issue 16, item 7): the numbers of
``locard kinship power --json`` for a pasted pedigree with its relatives' profiles inline, on
the same defaults (the default frequency table, stepwise mutation with the bundled published
per-locus rates, theta 0), with a plot of the simulated log10 LR distributions.

Nothing here reads or writes the store: a pasted pedigree is not stored, so the page needs the
role to search (as identify does) but writes no audit entry.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from locard.errors import InputError, InvalidParameter

__all__ = ["WEB_MAX_CANDIDATES", "WEB_MAX_SIMULATIONS", "family_power", "parse_power_pedigree"]

#: the page's bounds (the CLI allows more; a page must answer while the user waits)
WEB_MAX_SIMULATIONS = 2000
WEB_MAX_CANDIDATES = 5


def parse_power_pedigree(text: str, *, missing: str) -> dict[str, Any]:
    """The pedigree JSON of the form, with ``missing`` (the form's field) in place of the
    file's ``"missing"`` when given."""
    if not text.strip():
        raise InputError("give the pedigree (JSON text or a file)",
                         remedy="paste the pedigree into the Pedigree field or choose it as "
                                "the Pedigree file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"the pedigree is not valid JSON: {exc.msg} (line {exc.lineno})",
                         remedy="check the pedigree (an object with 'individuals' and "
                                "'missing')") from None
    if not isinstance(data, dict):
        raise InputError("the pedigree must be a JSON object",
                         remedy="give {\"individuals\": [...], \"missing\": ID}")
    if missing.strip():
        data = {**data, "missing": missing.strip()}
    return data


def family_power(data: dict[str, Any], *, candidates: Sequence[str] = (),
                 simulations: int = 1000, seed: int = 1) -> dict[str, Any]:
    """``locard kinship power PEDIGREE --missing ID --candidates ... --simulations N --seed S
    --json`` for a pedigree dict: ``{"mutation_model", "mutation_rates", **PowerResult.to_dict(),
    "candidates": [...] (most informative first), "plot": SVG data URI}``. ``simulations`` is
    bounded by :data:`WEB_MAX_SIMULATIONS`, the candidates by :data:`WEB_MAX_CANDIDATES`."""
    from locard.plots import power_plot
    from locard.reference import (
        DEFAULT_TABLE,
        bundled_mutation_rates,
        default_mutation_rates,
        get_bundled_table,
    )
    from locard.stats.kinship import Pedigree
    from locard.stats.kinship.power import candidate_power, lr_power

    if (isinstance(simulations, bool) or not isinstance(simulations, int)
            or not 1 <= simulations <= WEB_MAX_SIMULATIONS):
        raise InvalidParameter("simulations", simulations,
                               expected=f"a whole number in 1..{WEB_MAX_SIMULATIONS} on the "
                                        "web page (more with locard kinship power "
                                        "--simulations)")
    names = list(dict.fromkeys(c.strip() for c in candidates if c.strip()))
    if len(names) > WEB_MAX_CANDIDATES:
        raise InvalidParameter("candidates", ", ".join(names),
                               expected=f"at most {WEB_MAX_CANDIDATES} relatives on the web "
                                        "page (more with locard kinship power --candidates)")
    pedigree = Pedigree.from_dict(data)
    table = get_bundled_table(DEFAULT_TABLE)
    mutation = default_mutation_rates("stepwise")
    result = lr_power(pedigree, table, mutation=mutation, simulations=simulations, seed=seed)
    compared = [candidate_power(pedigree, c, table, mutation=mutation, loci=result.per_locus,
                                simulations=simulations, seed=seed) for c in names]
    compared.sort(key=lambda c: -c.expected_log10_lr_h1)
    bundled = bundled_mutation_rates()
    rates = {"file": bundled.name, "sha256": bundled.sha256, "loci": sorted(bundled.rates),
             "default_rate": bundled.default_rate, "notes": list(bundled.notes)}
    svg = power_plot(result, format="svg")
    return {"mutation_model": "stepwise", "mutation_rates": rates, **result.to_dict(),
            "candidates": [c.to_dict() for c in compared], "table": table.name,
            "plot": "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")}
