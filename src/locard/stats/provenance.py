"""Provenance records: what a number was computed from, so that it can be reproduced.

Every statistic Locard reports carries one: the Locard version, the parameters, the frequency
table's name, population and SHA-256, and the time (UTC). After tskit's provenance records.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from locard._version import __version__
from locard.stats.frequencies import FrequencyTable

__all__ = ["make_provenance"]


def make_provenance(
    computation: str,
    *,
    parameters: Mapping[str, Any],
    tables: FrequencyTable | list[FrequencyTable] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A JSON-ready provenance record for one computation."""
    record: dict[str, Any] = {
        "software": "locard",
        "locard_version": __version__,
        "computation": computation,
        "parameters": dict(parameters),
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if isinstance(tables, FrequencyTable):
        record["frequency_table"] = tables.describe()
    elif tables:
        record["frequency_tables"] = [t.describe() for t in tables]
    record.update(extra)
    return record
