"""The dashboard's aggregates: counts per index, growth, locus completeness. Aggregates only:
no specimen is named, so they are unaudited (as :meth:`Store.counts`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from locard.store import schema as S
from locard.store.kernel import Kernel

__all__ = ["Dashboard"]


class Dashboard(Kernel):
    """The aggregates of a :class:`~locard.store.Store` that the web dashboard and the API's
    statistics show."""

    def counts(self) -> dict[str, int]:
        """Specimens per index (no identities; unaudited)."""
        with self.db.read() as conn:
            rows = conn.execute(sa.select(S.specimens.c.idx, sa.func.count())
                                .group_by(S.specimens.c.idx)).all()
        return {str(r[0]): int(r[1]) for r in rows}

    def index_statistics(self) -> dict[str, Any]:
        """Counts per index (``counts``, ``total``), stored mixtures (``mixtures``), growth
        per day and index (``growth``: index -> ``[(day, running total)]``, days as the UTC
        date of storing) and locus completeness (``loci_typed``: ``[(typed loci, profiles)]``,
        the distribution of typed loci per profile)."""
        counts = self.counts()
        day = sa.func.substr(S.specimens.c.created_at, 1, 10)
        with self.db.read() as conn:
            rows = conn.execute(sa.select(day, S.specimens.c.idx, sa.func.count())
                                .group_by(day, S.specimens.c.idx).order_by(day)).all()
            loci_rows = conn.execute(sa.select(S.genotypes.c.n_loci, sa.func.count())
                                     .group_by(S.genotypes.c.n_loci)
                                     .order_by(S.genotypes.c.n_loci)).all()
            mixtures = conn.execute(sa.select(sa.func.count()).select_from(S.genotypes)
                                    .where(S.genotypes.c.is_mixture.is_(True))).scalar_one()
        growth: dict[str, list[tuple[str, int]]] = {}
        running: dict[str, int] = {}
        for d, idx, n in rows:
            running[idx] = running.get(idx, 0) + int(n)
            growth.setdefault(str(idx), []).append((str(d), running[idx]))
        completeness = [(int(k), int(n)) for k, n in loci_rows]
        return {"counts": counts, "total": sum(counts.values()), "mixtures": int(mixtures),
                "growth": growth, "loci_typed": completeness}
