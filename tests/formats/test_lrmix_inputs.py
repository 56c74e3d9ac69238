"""Mixture inputs: SmartRank search criteria (XML and JSON) and LRmix Studio / GeneMapper files
become case files that the case-file validator accepts; the CLI builds them end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import shared_data_path

from locard.cli import main
from locard.errors import InputError
from locard.formats.lrmix import CANDIDATE, read_mixture_profiles, read_smartrank_criteria
from locard.stats.mixture.casefile import parse_case


def _criteria(kind: str, ext: str) -> Path:
    return shared_data_path("mixtures", "smartrank_searchcriteria", kind,
                            f"SmartRankImportFile-sample-statistics.{ext}")


def test_smartrank_xml_and_json_give_the_same_case() -> None:
    xml_case, xml_notes = read_smartrank_criteria(_criteria("locim", "xml"),
                                                  frequencies="NIST1036:Cauc")
    json_case, _ = read_smartrank_criteria(_criteria("json", "json"),
                                           frequencies="NIST1036:Cauc")
    assert xml_case == json_case
    assert xml_case["hypotheses"]["hp"] == {"contributors": ["CEDU0059FR#07", CANDIDATE],
                                            "unknowns": 1}
    assert xml_case["hypotheses"]["hd"] == {"contributors": ["CEDU0059FR#07"], "unknowns": 2}
    assert xml_case["dropout"] == {"CEDU0059FR#07": 0.11, "unknowns_hp": [0.12],
                                   CANDIDATE: 0.10, "unknowns_hd": [0.14, 0.14]}
    assert xml_case["frequencies"]["min_frequency"] == pytest.approx(0.000239808153477218)
    assert xml_case["dropin"] == {"probability": 0.05} and xml_case["theta"] == 0.03
    assert list(xml_case["evidence"]) == ["CEDU0059FR#07-KOEL0126LU#21"]
    assert any("0.11 under Hp and 0.13 under Hd" in n for n in xml_notes)
    parse_case(xml_case)


def test_smartrank_validation_criteria_read() -> None:
    path = shared_data_path("mixtures", "smartrank_validation", "SMARTRANK-42-SearchCriteria.xml")
    case, _ = read_smartrank_criteria(path, frequencies="NIST1036:Cauc")
    assert case["hypotheses"]["hd"]["unknowns"] == 2
    assert "D18S51" in next(iter(case["evidence"].values()))
    parse_case(case)


def test_smartrank_needs_frequencies() -> None:
    with pytest.raises(InputError, match="--frequencies"):
        read_smartrank_criteria(_criteria("json", "json"))


def test_lrmix_sample_file_with_empty_lines_reads_like_the_clean_one() -> None:
    folder = shared_data_path("mixtures", "lrmix_io")
    assert read_mixture_profiles(folder / "sampleProfile_emptyLines.csv") == \
        read_mixture_profiles(folder / "sampleProfile.csv")


def test_cli_case_then_lr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shared_data_path("mixtures", "lrmix_testfiles", "case-03.1")
    out = tmp_path / "case.json"
    rc = main(["mixture", "case", "--evidence", str(folder / "D1Sample8.txt"),
               "--reference", str(folder / "D1Donor1.txt"), "--poi", "D1Donor1",
               "--unknowns-hp", "2", "--unknowns-hd", "3", "--dropout-unknowns", "0.1",
               "--frequencies", str(folder.parent / "frequencies_NFI.csv"),
               "--min-frequency", str(1 / 4170), "--out", str(out)])
    assert rc in (0, None)
    capsys.readouterr()
    main(["mixture", "lr", str(out), "--json"])
    data = json.loads(capsys.readouterr().out)
    # case 3.1.txt prints log10 LR 7.014 over its 15 loci (the sample has the same 15 + AMEL)
    assert data["log10_lr"] == pytest.approx(7.014, abs=5e-4)  # printed to 3 decimals


def test_cli_dropout_sensitivity_tippet(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    folder = shared_data_path("mixtures", "lrmix_testfiles", "case-01.3")
    case = tmp_path / "case.json"
    main(["mixture", "case", "--evidence", str(folder / "sampleDNAXY5.csv"),
          "--reference", str(folder / "suspectDNAXY5.csv"), "--poi", "DNAXY5",
          "--dropout-unknowns", "0.1", "--dropin", "0.05", "--locus", "D3S1358",
          "--locus", "TH01", "--frequencies", str(folder.parent / "frequencies_NFI.csv"),
          "--min-frequency", str(1 / 4170), "--out", str(case)])
    capsys.readouterr()
    assert main(["mixture", "dropout", str(case), "--simulations", "200", "--seed", "1",
                 "--json"]) == 0
    est = json.loads(capsys.readouterr().out)
    assert est["low"] <= est["high"] and est["conservative"] in (est["low"], est["high"])
    png = tmp_path / "sens.png"
    assert main(["mixture", "sensitivity", str(case), "--plot", str(png), "--json"]) == 0
    sens = json.loads(capsys.readouterr().out)
    assert len(sens["points"]) == 99 and png.read_bytes()[:4] == b"\x89PNG"
    svg = tmp_path / "tippet.svg"
    assert main(["mixture", "tippet", str(case), "--simulations", "100", "--seed", "2",
                 "--calibration", "10", "--plot", str(svg), "--json"]) == 0
    tip = json.loads(capsys.readouterr().out)
    assert tip["simulations"] == 100 and "<svg" in svg.read_text()
    assert tip["calibration"]["cllr"] >= 0
    assert main(["mixture", "dropout", str(case), "--simulations", "0"]) != 0


def test_genemapper_wide_and_long_exports_read_as_mixtures() -> None:
    folder = shared_data_path("mixtures", "lrmix_io")
    wide = read_mixture_profiles(folder / "genemapperSample.txt")
    long = read_mixture_profiles(folder / "5716083_RAAK1234NL.txt")
    (trace,) = wide.values()
    assert [str(a) for a in trace.alleles("D10S1248")] == ["12", "13", "14", "15", "16"]
    (rep,) = long.values()
    assert [str(a) for a in rep.alleles("D10S1248")] == ["13", "17", "18"]


def _cmf_locus(name: str, alleles: list[str]) -> str:
    return (f"<LOCUS><LOCUSNAME>{name}</LOCUSNAME>"
            + "".join(f"<ALLELE><ALLELEVALUE>{a}</ALLELEVALUE></ALLELE>" for a in alleles)
            + "</LOCUS>")


def test_cmf_mixture_is_evidence_for_mixture_case(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A CODIS CMF file (a forensic mixture: more than two alleles at a locus) is evidence for
    ``read_mixture_profiles`` and ``locard mixture case``: every specimen a replicate, all its
    alleles kept; references may be CMF too."""
    mix = {"D3S1358": ["14", "15", "16", "17"], "vWA": ["16", "18", "19"], "TH01": ["6", "9.3"]}
    poi = {"D3S1358": ["15", "17"], "vWA": ["16", "19"], "TH01": ["6", "9.3"]}

    def cmf(specimens: dict[str, dict[str, list[str]]], category: str) -> str:
        body = "".join(
            f"<SPECIMEN><SPECIMENID>{sid}</SPECIMENID><SPECIMENCATEGORY>{category}"
            "</SPECIMENCATEGORY>" + "".join(_cmf_locus(k, v) for k, v in loci.items())
            + "</SPECIMEN>" for sid, loci in specimens.items())
        return ('<?xml version="1.0" encoding="utf-8"?><CODISImportFile '
                'xmlns="urn:CODISImportFile-schema"><HEADERVERSION>3.2</HEADERVERSION>'
                "<MESSAGETYPE>Import</MESSAGETYPE><SOURCELAB>LAB</SOURCELAB>" + body
                + "</CODISImportFile>")

    ev = tmp_path / "trace.xml"
    ev.write_text(cmf({"TR-1": mix, "TR-2": mix}, "Forensic Mixture"), encoding="utf-8")
    ref = tmp_path / "refs.xml"
    ref.write_text(cmf({"POI": poi}, "Convicted Offender"), encoding="utf-8")
    read = read_mixture_profiles(ev)
    assert sorted(read) == ["TR-1", "TR-2"]
    assert [str(a) for a in read["TR-1"].alleles("D3S1358")] == mix["D3S1358"]
    out = tmp_path / "case.json"
    capsys.readouterr()
    assert main(["mixture", "case", "--evidence", str(ev), "--reference", str(ref),
                 "--frequencies", "NIST1036:Cauc", "--poi", "POI", "--unknowns-hp", "1",
                 "--unknowns-hd", "2", "--dropout-unknowns", "0.1", "--dropin", "0.05",
                 "-o", str(out)]) == 0
    case = json.loads(out.read_text())
    assert set(case["evidence"]) == {"TR-1", "TR-2"}
    assert case["evidence"]["TR-1"]["vWA"] == mix["vWA"]
    assert case["profiles"]["POI"]["D3S1358"] == poi["D3S1358"]
    assert main(["mixture", "lr", str(out), "--json"]) == 0
