"""Kits: the packaged table against the OSIRIS kit definitions, kit facts, aliases, validation."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import pytest

from locard.errors import LocardError, UnknownKit, UnknownLocus
from locard.genetics.alleles import Allele, AlleleKind, parse_allele
from locard.genetics.kits import Kit, KitLocus, get_kit, list_kits
from locard.genetics.loci import CODIS_CORE_13, CODIS_CORE_20, ESS_12, canonical_locus
from locard.genetics.profiles import Profile

REPO = Path(__file__).resolve().parents[2]
KITS_DIR = REPO / ".." / "shared" / "data" / "kits"
requires_shared = pytest.mark.skipif(
    not KITS_DIR.is_dir(),
    reason=f"reference data {KITS_DIR} is absent (the OSIRIS kit definitions live outside the "
           "repository, in ../shared/data/kits)",
)

PP21_STRS = (
    "D3S1358", "D1S1656", "D6S1043", "D13S317", "Penta E", "D16S539", "D18S51", "D2S1338",
    "CSF1PO", "Penta D", "TH01", "vWA", "D21S11", "D7S820", "D5S818", "TPOX", "D8S1179",
    "D12S391", "D19S433", "FGA",
)

EXPECTED_KITS = {
    "PowerPlex 21", "PowerPlex 16", "PowerPlex 18D", "PowerPlex Fusion", "PowerPlex Fusion 6C",
    "GlobalFiler", "Identifiler Plus", "Identifiler", "NGM SElect", "NGM", "PowerPlex ESX 17",
    "PowerPlex ESI 17", "PowerPlex ESX 16", "PowerPlex ESI 16", "SGM Plus", "Profiler Plus",
    "COfiler", "MiniFiler", "Investigator 24plex",
}


def _kits_json_text() -> str:
    return resources.files("locard.data").joinpath("kits.json").read_text(encoding="utf-8")


# --- the packaged table ------------------------------------------------------------------------


def test_every_expected_kit_is_there_once() -> None:
    names = [k.name for k in list_kits()]
    assert len(names) == len(set(names)) == 19
    assert set(names) == EXPECTED_KITS
    assert names == sorted(names, key=str.lower)


def test_kits_json_starts_with_its_source() -> None:
    text = _kits_json_text()
    assert text.startswith('{\n "_source": ')
    data = json.loads(text)
    assert list(data)[:2] == ["_source", "_generated_by"]
    source = data["_source"]
    blob = json.dumps(source)
    for needle in ("OSIRIS", "NCBI", "public domain", "scripts/derive_kits.py",
                   "kits/PowerPlex21_LadderInfo.xml", "PUBLIC_DOMAIN_NOTICE.txt"):
        assert needle in blob
    assert all(len(f["sha256"]) == 64 for f in source["files"])
    assert "scripts/derive_kits.py" in data["_generated_by"]


def _xml_sets() -> dict[str, tuple[str, ET.Element]]:
    sets: dict[str, tuple[str, ET.Element]] = {}
    for path in sorted(KITS_DIR.glob("*_LadderInfo.xml")):
        for kit_set in ET.parse(path).getroot().iter("Set"):
            sets[kit_set.findtext("Name", "").strip()] = (path.name, kit_set)
    return sets


@requires_shared
def test_every_xml_set_is_a_kit() -> None:
    assert set(_xml_sets()) == {k.osiris_name for k in list_kits()}


@requires_shared
@pytest.mark.parametrize("kit", list_kits(), ids=lambda k: k.name)
def test_kit_agrees_with_osiris_xml(kit: Kit) -> None:
    """Read the XML here, independently of scripts/derive_kits.py, and compare field by field."""
    filename, kit_set = _xml_sets()[kit.osiris_name]
    channels = {
        int(ch.findtext("KitChannelNumber", "")): ch
        for ch in kit_set.iter("Channel") if ch.find("KitChannelNumber") is not None
    }
    xml_loci = kit_set.findall("Locus")
    assert kit.locus_names == tuple(canonical_locus(x.findtext("Name", "")) for x in xml_loci)
    for locus, xml in zip(kit.loci, xml_loci, strict=True):
        channel = int(xml.findtext("Channel", ""))
        assert locus.channel == channel
        assert locus.fsa_channel == int(channels[channel].findtext("fsaChannelNumber", ""))
        assert locus.dye == channels[channel].findtext("DyeName", "").strip()
        assert locus.colour == channels[channel].findtext("Color", "").strip().lower()
        assert locus.min_bp == float(xml.findtext("MinBP", ""))
        assert locus.max_bp == float(xml.findtext("MaxBP", ""))
        names = [a.findtext("Name", "") for a in xml.iter("Allele")]
        assert len(locus.ladder) == len(names)
        assert set(locus.ladder) == {parse_allele(n, locus=locus.name) for n in names}
        assert list(locus.ladder) == sorted(locus.ladder)
    assert filename in _kits_json_text()


# --- kit facts from the manufacturers' literature ------------------------------------------------


def test_powerplex21_is_its_20_strs_and_amelogenin() -> None:
    kit = get_kit("PowerPlex 21")
    assert kit.locus_names == ("AMEL", *PP21_STRS)
    assert kit.str_loci == PP21_STRS
    assert len(kit.loci) == 21


def test_powerplex21_dyes() -> None:
    kit = get_kit("PP21")
    assert {n for n in kit.locus_names if kit.locus(n).dye == "FL"} == {
        "AMEL", "D3S1358", "D1S1656", "D6S1043", "D13S317", "Penta E"}
    assert kit.locus("FGA").colour == "red"
    assert kit.locus("FGA").dye == "CXR-ET"
    assert kit.locus("TH01").ladder[-1] > parse_allele("9.3")
    assert parse_allele("9.3") in kit.locus("TH01").ladder


def test_globalfiler_is_codis20_se33_dys391_yindel_amel() -> None:
    kit = get_kit("GlobalFiler")
    assert set(kit.str_loci) == {*CODIS_CORE_20, "SE33"}
    assert len(kit.str_loci) == 21
    assert set(kit.locus_names) - set(kit.str_loci) == {"AMEL", "DYS391", "Yindel"}
    assert len(kit.loci) == 24
    # the sixth dye: SID is kit channel 5 but raw-file channel 6 (LIZ, the size standard, is 5)
    assert (kit.locus("D2S1338").dye, kit.locus("D2S1338").colour) == ("SID", "purple")
    assert (kit.locus("D2S1338").channel, kit.locus("D2S1338").fsa_channel) == (5, 6)
    assert kit.locus("Yindel").ladder == (parse_allele("1"), parse_allele("2"))


@pytest.mark.parametrize(("name", "strs", "others"), [
    ("PowerPlex 16", {*CODIS_CORE_13, "Penta D", "Penta E"}, {"AMEL"}),
    ("PowerPlex 18D", {*CODIS_CORE_13, "Penta D", "Penta E", "D2S1338", "D19S433"}, {"AMEL"}),
    ("PowerPlex Fusion", {*CODIS_CORE_20, "Penta D", "Penta E"}, {"AMEL", "DYS391"}),
    ("PowerPlex Fusion 6C", {*CODIS_CORE_20, "Penta D", "Penta E", "SE33"},
     {"AMEL", "DYS391", "DYS570", "DYS576"}),
    ("Identifiler", {*CODIS_CORE_13, "D2S1338", "D19S433"}, {"AMEL"}),
    ("Identifiler Plus", {*CODIS_CORE_13, "D2S1338", "D19S433"}, {"AMEL"}),
    ("NGM", {*ESS_12, "D16S539", "D2S1338", "D19S433"}, {"AMEL"}),
    ("NGM SElect", {*ESS_12, "D16S539", "D2S1338", "D19S433", "SE33"}, {"AMEL"}),
    ("PowerPlex ESX 16", {*ESS_12, "D16S539", "D2S1338", "D19S433"}, {"AMEL"}),
    ("PowerPlex ESI 16", {*ESS_12, "D16S539", "D2S1338", "D19S433"}, {"AMEL"}),
    ("PowerPlex ESX 17", {*ESS_12, "D16S539", "D2S1338", "D19S433", "SE33"}, {"AMEL"}),
    ("PowerPlex ESI 17", {*ESS_12, "D16S539", "D2S1338", "D19S433", "SE33"}, {"AMEL"}),
    ("SGM Plus", {"D3S1358", "vWA", "D16S539", "D2S1338", "D8S1179", "D21S11", "D18S51",
                  "D19S433", "TH01", "FGA"}, {"AMEL"}),
    ("Profiler Plus", {"D3S1358", "vWA", "FGA", "D8S1179", "D21S11", "D18S51", "D5S818",
                       "D13S317", "D7S820"}, {"AMEL"}),
    ("COfiler", {"D3S1358", "D16S539", "TH01", "TPOX", "CSF1PO", "D7S820"}, {"AMEL"}),
    ("MiniFiler", {"D13S317", "D7S820", "D2S1338", "D21S11", "D16S539", "D18S51", "CSF1PO",
                   "FGA"}, {"AMEL"}),
    ("Investigator 24plex", {*CODIS_CORE_20, "SE33"}, {"AMEL", "DYS391", "QS1", "QS2"}),
])
def test_kit_composition(name: str, strs: set[str], others: set[str]) -> None:
    kit = get_kit(name)
    assert set(kit.str_loci) == strs
    assert len(kit.str_loci) == len(strs)
    assert set(kit.locus_names) - set(kit.str_loci) == others


def test_every_kit_has_amelogenin_x_y_and_sane_sizes() -> None:
    x, y = parse_allele("X"), parse_allele("Y")
    for kit in list_kits():
        assert kit.locus("AMEL").ladder == (x, y), kit.name
        for locus in kit.loci:
            assert 0 < locus.min_bp < locus.max_bp < 600, (kit.name, locus.name)
            assert locus.ladder, (kit.name, locus.name)
            assert locus.dye and locus.colour, (kit.name, locus.name)


def test_dataclasses_are_frozen() -> None:
    kit = get_kit("GF")
    with pytest.raises(dataclasses.FrozenInstanceError):
        kit.name = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        kit.loci[0].dye = "x"  # type: ignore[misc]
    assert isinstance(kit.loci[0], KitLocus)
    assert all(isinstance(a, Allele) for a in kit.loci[0].ladder)


def test_locus_lookup_is_alias_tolerant() -> None:
    kit = get_kit("PowerPlex 21")
    assert kit.locus("VWA").name == "vWA"
    assert kit.locus("PENTA_E").name == "Penta E"
    assert "Amelogenin" in kit
    assert "SE33" not in kit
    assert "nonsense" not in kit
    with pytest.raises(UnknownLocus, match="SE33"):
        kit.locus("SE33")


# --- get_kit ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("alias", "name"), [
    ("PowerPlex 21", "PowerPlex 21"),
    ("PP21", "PowerPlex 21"),
    ("pp21", "PowerPlex 21"),
    ("PowerPlex21", "PowerPlex 21"),
    ("powerplex_21", "PowerPlex 21"),
    (" PowerPlex-21 ", "PowerPlex 21"),
    ("Promega PowerPlex 21 System", "PowerPlex 21"),
    ("GF", "GlobalFiler"),
    ("globalfiler", "GlobalFiler"),
    ("GlobalFiler Express", "GlobalFiler"),
    ("Fusion 6C", "PowerPlex Fusion 6C"),
    ("PPFusion6C", "PowerPlex Fusion 6C"),
    ("Fusion", "PowerPlex Fusion"),
    ("PowerPlex Fusion", "PowerPlex Fusion"),
    ("ESX17", "PowerPlex ESX 17"),
    ("PowerPlex ESX17", "PowerPlex ESX 17"),
    ("ESI 16", "PowerPlex ESI 16"),
    ("SGM+", "SGM Plus"),
    ("SGMPlus", "SGM Plus"),
    ("AmpFLSTR Identifiler Plus", "Identifiler Plus"),
    ("IdentifilerPlus", "Identifiler Plus"),
    ("Identifiler", "Identifiler"),
    ("NGM Select", "NGM SElect"),
    ("NGMSElect", "NGM SElect"),
    ("Cofiler", "COfiler"),
    ("Minifiler", "MiniFiler"),
    ("QiagenInvestigator24plex", "Investigator 24plex"),
    ("Investigator 24plex QS", "Investigator 24plex"),
    ("PP16", "PowerPlex 16"),
    ("PowerPlex 18D", "PowerPlex 18D"),
])
def test_get_kit_aliases(alias: str, name: str) -> None:
    assert get_kit(alias).name == name


def test_every_alias_resolves_to_its_own_kit() -> None:
    for kit in list_kits():
        for alias in (kit.name, kit.osiris_name, *kit.aliases):
            assert get_kit(alias) is kit, alias


@pytest.mark.parametrize("bad", ["PowerPlex 99", "Fusion 7C", "ID"])
def test_unknown_kit_names_the_value(bad: str) -> None:
    with pytest.raises(UnknownKit) as info:
        get_kit(bad)
    assert info.value.name == bad
    assert repr(bad) in str(info.value)
    assert "locard kits" in str(info.value)
    assert isinstance(info.value, LocardError)


@pytest.mark.parametrize("bad", ["", "   "])
def test_unknown_kit_blank(bad: str) -> None:
    with pytest.raises(UnknownKit, match="unknown kit"):
        get_kit(bad)


# --- validate_profile ---------------------------------------------------------------------------


def _pp21_profile(**extra: list[str]) -> Profile:
    loci: dict[str, list[str]] = {"D3S1358": ["15", "16"], "TH01": ["6", "9.3"], "AMEL": ["X", "Y"],
                                  "D21S11": ["29", "30"]}
    loci.update(extra)
    return Profile.from_mapping(loci)


def test_validate_profile_clean() -> None:
    assert get_kit("PowerPlex 21").validate_profile(_pp21_profile()) == []


def test_validate_profile_flags_off_ladder_allele() -> None:
    kit = get_kit("PowerPlex 21")
    profile = _pp21_profile(D21S11=["29", "30.5"])
    assert kit.validate_profile(profile) == [
        "D21S11: allele '30.5' is not on the PowerPlex 21 ladder (use --allow-off-ladder)"]
    assert kit.validate_profile(profile, allow_off_ladder=True) == []


def test_validate_profile_ol_and_bins_need_allow_off_ladder() -> None:
    kit = get_kit("PowerPlex 21")
    profile = _pp21_profile(FGA=["22", "OL"], TPOX=["<5", "8"], D18S51=[">27", "12"])
    problems = kit.validate_profile(profile)
    assert "FGA: allele 'OL' is an off-ladder call (use --allow-off-ladder)" in problems
    assert ("TPOX: allele '<5' is a bin outside the PowerPlex 21 ladder "
            "(use --allow-off-ladder)") in problems
    assert any(p.startswith("D18S51: allele '>27'") for p in problems)
    assert len(problems) == 3
    assert kit.validate_profile(profile, allow_off_ladder=True) == []


def test_validate_profile_flags_loci_not_in_kit_even_when_off_ladder_allowed() -> None:
    kit = get_kit("GlobalFiler")
    profile = Profile.from_mapping({"Penta E": ["7", "14"], "TH01": ["6", "9.3"],
                                    "D6S1043": ["12", "99"]})
    expected = ["Penta E: not a locus of the GlobalFiler kit",
                "D6S1043: not a locus of the GlobalFiler kit"]
    assert sorted(kit.validate_profile(profile)) == sorted(expected)
    assert sorted(kit.validate_profile(profile, allow_off_ladder=True)) == sorted(expected)


def test_validate_profile_skips_inconclusive_and_missing_loci() -> None:
    kit = get_kit("PowerPlex 21")
    profile = Profile.from_mapping({"TH01": ["6", "9.3"], "FGA": ["99"]}, inconclusive=["FGA"])
    assert kit.validate_profile(profile) == []


def test_validate_profile_one_message_per_problem() -> None:
    kit = get_kit("Identifiler")
    profile = Profile.from_mapping({"FGA": ["22.2", "50"], "Penta D": ["9"], "AMEL": ["X"]})
    problems = kit.validate_profile(profile)
    assert len(problems) == 3
    assert all(p.split(":")[0] in {"FGA", "Penta D"} for p in problems)
    assert sum("FGA" in p for p in problems) == 2
    assert Allele(AlleleKind.X) in kit.locus("AMEL").ladder


# --- the derive script ---------------------------------------------------------------------------


@requires_shared
def test_derive_script_reproduces_committed_json(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "derive_kits.py"),
         "--data-dir", str(KITS_DIR), "--out-dir", str(tmp_path)],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    data_dir = resources.files("locard.data")
    for name in ("kits.json", "positive_controls.json"):
        committed = data_dir.joinpath(name).read_bytes()
        assert (tmp_path / name).read_bytes() == committed, f"{name} is stale: re-run the script"


@requires_shared
def test_derive_script_check_mode(tmp_path: Path) -> None:
    (tmp_path / "kits.json").write_text("{}\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "derive_kits.py"),
         "--data-dir", str(KITS_DIR), "--out-dir", str(tmp_path), "--check"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 1
    assert "stale" in result.stderr
    assert (tmp_path / "kits.json").read_text(encoding="utf-8") == "{}\n"
