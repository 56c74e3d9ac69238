"""``locard mixture rank``: a database ranked by a mixed trace's LR, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.store.conftest import full_profile

from locard.cli import main
from locard.genetics import CODIS_CORE_20, Profile
from locard.store import Store


def _case(tmp_path: Path, trace: dict[str, list[str]], hp: list[str]) -> str:
    path = tmp_path / "case.json"
    path.write_text(json.dumps({
        "frequencies": {"table": "NIST1036:ALL", "min_frequency": 0.001},
        "profiles": {"CANDIDATE": {}}, "poi": "CANDIDATE", "evidence": {"r1": trace},
        "hypotheses": {"hp": {"contributors": hp, "unknowns": 1},
                       "hd": {"contributors": [], "unknowns": 2}},
        "dropout": {"CANDIDATE": 0.05, "unknowns_hp": [0.05], "unknowns_hd": [0.05, 0.05]},
        "dropin": {"probability": 0.05}, "theta": 0.01}))
    return str(path)


@pytest.fixture
def trace(db: str) -> dict[str, list[str]]:
    donor, other = full_profile(7), full_profile(8)
    store = Store.open(db)
    try:
        for seed in (1, 2, 3, 7):
            store.add_profile(full_profile(seed), specimen_id=f"CO-{seed}",
                              category="Convicted Offender", legal_basis="conviction",
                              actor="chief")
        mix = {k: sorted({str(x) for x in (*donor.alleles(k), *other.alleles(k))})
               for k in CODIS_CORE_20}
        store.add_profile(Profile.from_mapping(mix), specimen_id="F-MIX",
                          category="Forensic, Unknown", actor="chief")
    finally:
        store.close()
    return mix


def test_rank_json(db: str, trace: dict[str, list[str]], tmp_path: Path,
                   capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["mixture", "rank", _case(tmp_path, trace, ["CANDIDATE"]), "--db", db,
                 "--index", "offender", "--top", "2", "--threshold", "1000",
                 "--purpose", "CASE-9", "--trace", "F-MIX", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    first = out["candidates"][0]
    assert first["specimen_id"] == "CO-7" and first["lr"] >= 1000
    assert set(first["per_locus"]["D3S1358"]) == {"lr", "log10_lr"}
    assert first["log10_lr"] == pytest.approx(sum(v["log10_lr"]
                                                  for v in first["per_locus"].values()))
    assert first["match_id"] is not None
    assert out["expected_adventitious_hits"] is not None
    assert out["suggested_threshold"] >= 1.0
    assert out["targets"] == ["offender"]


def test_rank_text_and_bad_case(db: str, trace: dict[str, list[str]], tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["mixture", "rank", _case(tmp_path, trace, ["CANDIDATE"]), "--db", db,
                 "--purpose", "CASE-9"]) == 0
    text = capsys.readouterr().out
    assert "CO-7" in text and "Suggested threshold" in text
    assert main(["mixture", "rank", _case(tmp_path, trace, []), "--db", db,
                 "--purpose", "CASE-9"]) == 1
    assert "hypotheses.hp.contributors" in capsys.readouterr().err


def test_rank_with_smartrank_q_shutdown(db: str, trace: dict[str, list[str]], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """``--q-shutdown-hp`` (SmartRank's convention: Hp's unknowns carry evidence alleles only)
    is recorded and lowers Pr(E | Hp), so the LR, against the LRmix default."""
    case = _case(tmp_path, trace, ["CANDIDATE"])
    lrs = {}
    for flags in ([], ["--q-shutdown-hp"]):
        capsys.readouterr()
        assert main(["mixture", "rank", case, "--db", db, "--index", "offender", "--top", "1",
                     "--purpose", "CASE-9", "--json", *flags]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["provenance"]["parameters"]["q_shutdown_hp"] is bool(flags)
        lrs[bool(flags)] = out["candidates"][0]["lr"]
    assert lrs[True] < lrs[False]


def _continuous_case(tmp_path: Path, **extra: object) -> str:
    """The trace's donors (full_profile 7 major, 8 minor) as peak heights at five loci."""
    from locard.stats.mixture.continuous_simulate import simulate_heights
    from locard.tables.bundled import get_bundled_table

    loci = ("D3S1358", "vWA", "TH01", "D8S1179", "D18S51")
    people = [{loc: list(full_profile(s).alleles(loc)) for loc in loci} for s in (7, 8)]
    ev = simulate_heights(people, get_bundled_table("NIST1036:ALL"), mx=[0.7, 0.3], mu=1500.0,
                          sigma=0.12, seed=3)
    path = tmp_path / "continuous.json"
    path.write_text(json.dumps({
        "model": "continuous",
        "frequencies": {"table": "NIST1036:ALL", "min_frequency": 0.001},
        "profiles": {"CANDIDATE": {}}, "poi": "CANDIDATE",
        "evidence": {"r1": {loc: {"alleles": [str(a) for a in v], "heights": list(v.values())}
                            for loc, v in ev.replicates["r1"].items()}},
        "hypotheses": {"hp": {"contributors": ["CANDIDATE"], "unknowns": 1},
                       "hd": {"contributors": [], "unknowns": 2}},
        "dropin": {"probability": 0.05, "lambda": 0.01}, "analytical_threshold": 50,
        "degradation": False, **extra}))
    return str(path)


def test_rank_continuous_json_and_table(db: str, trace: dict[str, list[str]], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """``"model": "continuous"``: Hd fitted once, fixed-parameter LRs, the top --refit refitted
    (the refitted candidates first, by refitted LR), the donor a candidate match."""
    case = _continuous_case(tmp_path)
    capsys.readouterr()
    assert main(["mixture", "rank", case, "--db", db, "--index", "offender", "--top", "3",
                 "--refit", "1", "--purpose", "CASE-C9", "--trace", "F-MIX", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["model"] == "continuous" and out["refit"] == 1
    assert set(out["hd_parameters"]) >= {"mx", "mu", "sigma", "beta", "xi_b"}
    first = out["candidates"][0]
    assert first["specimen_id"] == "CO-7" and first["refitted"]
    assert first["lr"] > 1 and first["lr_fixed"] > 1
    assert first["log10_lr_fixed"] == pytest.approx(
        sum(v["log10_lr"] for v in first["per_locus_fixed"].values()))
    assert first["log10_lr"] == pytest.approx(sum(v["log10_lr"]
                                                  for v in first["per_locus"].values()))
    assert first["match_id"] is not None
    assert [c["refitted"] for c in out["candidates"]] == [True] + [False] * (
        len(out["candidates"]) - 1)
    assert all(c["lr"] is None for c in out["candidates"][1:])
    assert main(["mixture", "rank", case, "--db", db, "--index", "offender", "--top", "2",
                 "--refit", "1", "--purpose", "CASE-C9"]) == 0
    text = capsys.readouterr().out
    assert "CO-7" in text and "refit" in text and "Hd fit" in text


def test_rank_continuous_refuses_semicontinuous_options(
        db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mixture", "rank", _continuous_case(tmp_path), "--db", db, "--hd-once",
                 "--purpose", "CASE-C9"]) == 1
    err = capsys.readouterr().err
    assert "--hd-once" in err and "semi-continuous" in err
