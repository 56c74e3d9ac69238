"""One genotype digest: the store's ``genotypes.digest`` is :meth:`Profile.genotype_digest`,
which excludes the kit and the specimen ID."""

from __future__ import annotations

import sqlalchemy as sa
from tests.store.conftest import full_profile

from locard.genetics import Profile
from locard.store import Store
from locard.store import schema as S
from locard.store.imports import genotype_json


def _digests(store: Store) -> dict[str, str]:
    with store.db.read() as conn:
        rows = conn.execute(sa.select(S.specimens.c.specimen_id, S.genotypes.c.digest)
                            .join(S.genotypes, S.genotypes.c.specimen_pk == S.specimens.c.id))
        return {sid: digest for sid, digest in rows}


def test_same_genotype_under_two_kits_has_one_digest(store: Store) -> None:
    # a genotype on both kits' ladders (an import checks every allele against the kit's ladder)
    from tests.fixtures import random_profiles

    genotype = Profile.from_mapping(next(random_profiles(1, seed=3))[1])
    for sid, kit in (("CO-KIT-A", "GlobalFiler"), ("CO-KIT-B", "PowerPlex Fusion")):
        typed = Profile.from_mapping({k: [str(a) for a in c.alleles]
                                      for k, c in genotype.loci.items()}, kit=kit)
        store.add_profile(typed, category="Convicted Offender", specimen_id=sid,
                          legal_basis="conviction", actor="admin")
    store.add_profile(full_profile(4), category="Convicted Offender", specimen_id="CO-OTHER",
                      legal_basis="conviction", actor="admin")
    digests = _digests(store)
    assert digests["CO-KIT-A"] == digests["CO-KIT-B"] == genotype.genotype_digest()
    assert digests["CO-OTHER"] == full_profile(4).genotype_digest() != digests["CO-KIT-A"]
    stored = store.get_specimen("CO-KIT-B", actor="admin", purpose="test")
    assert stored.kit == "PowerPlex Fusion" and stored.profile is not None
    assert stored.profile.genotype_digest() == digests["CO-KIT-B"]


def test_the_store_writes_the_profiles_genotype_json() -> None:
    """The store's fast, cached text is the profile's canonical genotype JSON, byte for byte."""
    p = Profile.from_mapping({"TH01": ["6", "9.3"], "vWA": ["16"], "D8S1179": ["12", "13"]},
                             heights={"TH01": [812, 640]}, inconclusive=["FGA"],
                             specimen_id="S1", kit="GlobalFiler")
    cache: dict[int, tuple[object, str]] = {}
    assert genotype_json(p, cache) == genotype_json(p, cache) == p.genotype_json()
