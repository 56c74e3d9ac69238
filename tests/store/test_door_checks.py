"""Data quality at the door (issue 11, item 7): controls are recognised by name and never
stored, the kit is recorded, alleles outside the kit's ladder range are flagged (and refused
for database indices unless allowed), several OL peaks stay several, tri-allelic references
are accepted where the policy allows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import shared_data_path
from tests.fixtures import random_profiles

from locard.errors import ImportFailed, NotFound, UnknownKit
from locard.store import Store

CO = "Convicted Offender"


def _offender(i: int, **changes: list[str]) -> dict[str, list[str]]:
    _, loci = list(random_profiles(i + 1, seed=7, prefix="CO"))[i]
    return {**loci, **changes}


def _json(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def test_genemapper_controls_and_ladders_are_skipped_not_stored(store: Store,
                                                                 tmp_path: Path) -> None:
    # a real GeneMapper ID-X export: positive controls '01-Pos.ktr.__' (twice) and
    # '33-Pos.ktr.__', the negative control '02-Neg.ktr.__' and three ladders among samples
    path = shared_data_path("genemapper", "set3.txt")
    rep = store.import_file(path, category="Forensic, Unknown", skip_invalid=True,
                            allow_off_ladder=True, actor="admin", purpose="intake")
    assert {"01-Pos.ktr.__", "33-Pos.ktr.__", "02-Neg.ktr.__", "16-Ladder__", "32-Ladder__",
            "48-Ladder__"} <= set(rep.controls)
    assert not [p for p in rep.problems if "Pos" in str(p) or "Neg" in str(p)
                or "Ladder" in str(p)]
    with pytest.raises(NotFound):
        store.get_specimen("01-Pos.ktr.__", actor="admin")
    assert "01-Pos.ktr.__" not in rep.specimens and rep.to_dict()["controls"] == rep.controls


def test_a_hand_named_positive_control_is_not_imported(store: Store, tmp_path: Path) -> None:
    f = _json(tmp_path / "run.json", [
        {"specimen_id": "PC_2800M", "specimen_category": CO, "loci": _offender(0)},
        {"specimen_id": "CO-1", "specimen_category": CO, "loci": _offender(1)}])
    rep = store.import_file(f, actor="admin", purpose="intake")
    assert rep.controls == ["PC_2800M"] and rep.specimens == ["CO-1"] and rep.imported == 1


def test_an_allele_outside_the_kits_ladder_refuses_an_offender(store: Store,
                                                               tmp_path: Path) -> None:
    f = _json(tmp_path / "off.json", [{"specimen_id": "CO-1", "specimen_category": CO,
                                       "kit": "GlobalFiler",
                                       "loci": _offender(0, D10S1248=["13", "39.3"])}])
    with pytest.raises(ImportFailed) as exc:
        store.import_file(f, actor="admin", purpose="intake")
    text = "\n".join(exc.value.problems)
    assert ("D10S1248: value '39.3': allele '39.3' is outside the GlobalFiler ladder (8-19)"
            in text)
    assert "--allow-off-ladder" in text and "[rule ladder-range]" in text
    rep = store.import_file(f, allow_off_ladder=True, actor="admin", purpose="intake")
    assert rep.imported == 1
    assert [(x.locus, x.value) for x in rep.flagged] == [("D10S1248", "39.3")]
    assert store.get_specimen("CO-1", actor="admin").kit == "GlobalFiler"


def test_the_kit_option_is_recorded_and_checked(store: Store, tmp_path: Path) -> None:
    # D22S1045 20 is above GlobalFiler's ladder (8-19); --kit names the kit the file does not
    f = _json(tmp_path / "off.json", [{"specimen_id": "CO-2", "specimen_category": CO,
                                       "loci": _offender(1, D22S1045=["14", "20"])}])
    with pytest.raises(ImportFailed, match=r"allele '20' is outside the GlobalFiler ladder"):
        store.import_file(f, kit="GF", actor="admin", purpose="intake")
    with pytest.raises(UnknownKit, match="'NoSuchPlex'"):
        store.import_file(f, kit="NoSuchPlex", actor="admin", purpose="intake")
    ok = _json(tmp_path / "ok.json", [{"specimen_id": "CO-3", "specimen_category": CO,
                                       "loci": _offender(2)}])
    store.import_file(ok, kit="GlobalFiler", actor="admin", purpose="intake")
    assert store.get_specimen("CO-3", actor="admin").kit == "GlobalFiler"


def test_without_a_kit_an_allele_outside_every_ladder_is_flagged(store: Store,
                                                                 tmp_path: Path) -> None:
    f = _json(tmp_path / "off.json", [{"specimen_id": "CO-4", "specimen_category": CO,
                                       "loci": _offender(3, D10S1248=["13", "39.3"])}])
    rep = store.import_file(f, actor="admin", purpose="intake")
    assert rep.imported == 1
    (flag,) = rep.flagged
    assert str(flag).endswith("off.json: record 1: specimen 'CO-4': D10S1248: value '39.3': "
                              "allele '39.3' is outside the ladder of every kit Locard knows "
                              "(8-19) [rule ladder-range]")


def test_ol_peaks_are_stored_distinct(store: Store, tmp_path: Path) -> None:
    f = _json(tmp_path / "trace.json", [{"specimen_id": "FU-1",
                                         "specimen_category": "Forensic, Unknown",
                                         "loci": _offender(4, vWA=["OL", "16", "OL"])}])
    store.import_file(f, actor="admin", purpose="case 1")
    view = store.get_specimen("FU-1", actor="admin")
    assert view.profile is not None and view.profile["vWA"].off_ladder == 2


def test_tri_allelic_offender_is_accepted_where_the_policy_allows(store: Store,
                                                                  tmp_path: Path) -> None:
    one = _json(tmp_path / "tri.json", [{"specimen_id": "CO-5", "specimen_category":
                                         "Multi-allelic Offender",
                                         "loci": _offender(5, TPOX=["8", "10", "11"])}])
    rep = store.import_file(one, actor="admin", purpose="intake")
    assert rep.imported == 1
    two = _json(tmp_path / "tri2.json", [{"specimen_id": "CO-6", "specimen_category": CO,
                                          "loci": _offender(6, TPOX=["8", "10", "11"],
                                                            TH01=["6", "7", "9"])}])
    with pytest.raises(ImportFailed, match="single-source"):
        store.import_file(two, actor="admin", purpose="intake")
    # the arrestee index's policy does not allow a tri-allelic pattern
    arrestee = _json(tmp_path / "ar.json", [{"specimen_id": "AR-1", "specimen_category":
                                             "Arrestee",
                                             "loci": _offender(7, TPOX=["8", "10", "11"])}])
    with pytest.raises(ImportFailed, match="TPOX has 3 alleles"):
        store.import_file(arrestee, actor="admin", purpose="intake")
