"""Population allele frequency tables, used only for match and kinship statistics.

A :class:`FrequencyTable` holds, per canonical locus, the allele frequencies of one population
sample, the number of alleles sampled at that locus (2N), and, where the source gives them, the
allele counts. Unseen and rare alleles get the NRC II minimum allele frequency 5/2N (NRC II, 1996,
p. 148), or a configured floor. A table is identified by its name and the SHA-256 of its
canonical JSON, which every statistic carries in its provenance.

Population frequencies exist only for match statistics, never to classify a person.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from locard.errors import InputError, InvalidParameter
from locard.genetics.alleles import Allele, AlleleKind, parse_allele
from locard.genetics.loci import canonical_locus, locus_sort_key

__all__ = ["AlleleFrequency", "FrequencyTable"]


@dataclass(frozen=True, slots=True)
class AlleleFrequency:
    """The frequency used for one allele, and why.

    ``source`` is 'observed', 'minimum' (raised to the minimum allele frequency, or unseen),
    or 'bin' (taken from a ladder bin such as '>27' of the table).
    """

    allele: Allele
    value: float
    source: str
    observed: float | None


@dataclass(frozen=True, slots=True)
class FrequencyTable:
    """Allele frequencies of one population sample.

    ``frequencies[locus][allele]`` is the observed relative frequency; ``sample_alleles[locus]`` the
    number of alleles sampled at that locus (2N; None where the source gives no sample size);
    ``min_frequency`` a configured floor that replaces the NRC II 5/2N rule when set.
    """

    name: str
    population: str
    frequencies: Mapping[str, Mapping[Allele, float]]
    sample_alleles: Mapping[str, int | None]
    counts: Mapping[str, Mapping[Allele, int]] | None = None
    source: str = ""
    min_frequency: float | None = None
    _sha256: list[str] = field(default_factory=list, compare=False, repr=False)

    # --- construction ------------------------------------------------------------------------

    @classmethod
    def from_mapping(
        cls,
        frequencies: Mapping[str, Mapping[Any, float]],
        *,
        name: str,
        population: str = "",
        sample_alleles: Mapping[str, int | None] | int | None = None,
        counts: Mapping[str, Mapping[Any, int]] | None = None,
        source: str = "",
        min_frequency: float | None = None,
    ) -> FrequencyTable:
        """Build a table from ``{locus alias: {allele designation: frequency}}``.

        ``sample_alleles`` is 2N per locus, or one number for every locus. Frequencies must lie
        in [0, 1]; a locus whose frequencies sum far from 1 (outside 0.9-1.1) is refused.
        """
        if min_frequency is not None and not 0 < min_frequency < 1:
            raise InvalidParameter("min_frequency", min_frequency, expected="0 < value < 1")
        table: dict[str, dict[Allele, float]] = {}
        for raw_locus, alleles in frequencies.items():
            locus = canonical_locus(raw_locus)
            per: dict[Allele, float] = table.setdefault(locus, {})
            for raw_allele, f in alleles.items():
                allele = parse_allele(raw_allele, locus=locus)
                value = float(f)
                if not (0.0 <= value <= 1.0) or math.isnan(value):
                    raise InputError(f"{name}: {locus}: allele {raw_allele!r} has frequency "
                                     f"{f!r}, outside [0, 1]")
                per[allele] = per.get(allele, 0.0) + value
        for locus, per in table.items():
            total = sum(per.values())
            if per and not 0.9 <= total <= 1.1:
                raise InputError(f"{name}: {locus}: frequencies sum to {total:.4f}, not 1",
                                 remedy="check the file's layout (counts given as frequencies?)")
        if isinstance(sample_alleles, Mapping):
            sizes: dict[str, int | None] = {
                canonical_locus(k): v for k, v in sample_alleles.items()}
        else:
            sizes = dict.fromkeys(table, sample_alleles)
        parsed_counts: dict[str, dict[Allele, int]] | None = None
        if counts is not None:
            parsed_counts = {}
            for raw_locus, per_counts in counts.items():
                locus = canonical_locus(raw_locus)
                parsed_counts[locus] = {parse_allele(a, locus=locus): int(c)
                                        for a, c in per_counts.items()}
        ordered = dict(sorted(table.items(), key=lambda kv: locus_sort_key(kv[0])))
        return cls(
            name=name,
            population=population,
            frequencies={k: dict(sorted(v.items())) for k, v in ordered.items()},
            sample_alleles={k: sizes.get(k) for k in ordered},
            counts=parsed_counts,
            source=source,
            min_frequency=min_frequency,
        )

    def with_min_frequency(self, min_frequency: float | None) -> FrequencyTable:
        """The same table with a configured floor (None: back to NRC II 5/2N)."""
        return FrequencyTable.from_mapping(
            {k: {str(a): f for a, f in v.items()} for k, v in self.frequencies.items()},
            name=self.name, population=self.population, sample_alleles=self.sample_alleles,
            counts=({k: {str(a): c for a, c in v.items()} for k, v in self.counts.items()}
                    if self.counts is not None else None),
            source=self.source, min_frequency=min_frequency)

    # --- queries -----------------------------------------------------------------------------

    @property
    def loci(self) -> tuple[str, ...]:
        """The loci the table has frequencies for, in table order."""
        return tuple(self.frequencies)

    @property
    def n_individuals(self) -> int | None:
        """Largest number of people sampled at any locus (N), or None if unknown."""
        sizes = [n for n in self.sample_alleles.values() if n]
        return max(sizes) // 2 if sizes else None

    def has_locus(self, locus: str) -> bool:
        """True if the table has frequencies for ``locus`` (any spelling of its name)."""
        return canonical_locus(locus) in self.frequencies

    def minimum_frequency(self, locus: str) -> float:
        """Minimum allele frequency at ``locus``: the configured floor, else NRC II 5/2N.

        NRC II (1996) recommends that no allele frequency below 5/2N be used, N being the
        number of people sampled. A table with neither a floor nor a sample size cannot give one.
        """
        if self.min_frequency is not None:
            return self.min_frequency
        two_n = self.sample_alleles.get(canonical_locus(locus))
        if not two_n:
            raise InputError(
                f"{self.name}: no sample size at {locus}, so no 5/2N minimum frequency",
                remedy="give a floor for rare alleles with --min-frequency F (min_frequency= "
                       "in Python), or use a table with sample sizes")
        return 5.0 / two_n

    def frequency(self, locus: str, allele: Allele | str) -> AlleleFrequency:
        """Frequency to use for ``allele`` at ``locus``: max(observed, minimum), a covering ladder
        bin ('>27' for a 28) where the table has one, the minimum for unseen and OL alleles."""
        locus = canonical_locus(locus)
        a = parse_allele(allele, locus=locus)
        per = self.frequencies.get(locus)
        if per is None:
            raise InputError(f"{self.name} has no frequencies for {locus}")
        floor = self.minimum_frequency(locus)
        observed = per.get(a)
        if observed is not None:
            if observed >= floor:
                return AlleleFrequency(a, observed, "observed", observed)
            return AlleleFrequency(a, floor, "minimum", observed)
        if a.kind is AlleleKind.REPEAT:
            for binned, f in per.items():
                if ((binned.kind is AlleleKind.ABOVE and a.repeats > binned.repeats)
                        or (binned.kind is AlleleKind.BELOW and a.repeats < binned.repeats)):
                    return AlleleFrequency(a, max(f, floor), "bin", f)
        return AlleleFrequency(a, floor, "minimum", None)

    # --- identity ----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form (frequencies, counts and sample sizes per locus);
        :meth:`from_dict` reads it back."""
        return {
            "name": self.name,
            "population": self.population,
            "source": self.source,
            "min_frequency": self.min_frequency,
            "loci": {
                locus: {
                    "sample_alleles": self.sample_alleles.get(locus),
                    "frequencies": {str(a): f for a, f in per.items()},
                    **({"counts": {str(a): c for a, c in self.counts[locus].items()}}
                       if self.counts is not None and locus in self.counts else {}),
                }
                for locus, per in self.frequencies.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FrequencyTable:
        """The table :meth:`to_dict` wrote."""
        loci = data["loci"]
        counts = {k: v["counts"] for k, v in loci.items() if "counts" in v}
        return cls.from_mapping(
            {k: v["frequencies"] for k, v in loci.items()},
            name=data["name"], population=data.get("population", ""),
            sample_alleles={k: v.get("sample_alleles") for k, v in loci.items()},
            counts=counts or None, source=data.get("source", ""),
            min_frequency=data.get("min_frequency"))

    def canonical_json(self) -> str:
        """:meth:`to_dict` as compact, key-sorted JSON: the text the table's digest is taken of."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @property
    def sha256(self) -> str:
        """SHA-256 over the table's canonical JSON (sorted keys, canonical names)."""
        if not self._sha256:
            self._sha256.append(hashlib.sha256(self.canonical_json().encode()).hexdigest())
        return self._sha256[0]

    def describe(self) -> dict[str, Any]:
        """Name, population, N and SHA-256: the part of a table that goes into provenance."""
        return {"name": self.name, "population": self.population,
                "n_individuals": self.n_individuals, "min_frequency": self.min_frequency,
                "sha256": self.sha256}
