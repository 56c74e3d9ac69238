from __future__ import annotations

import pytest

from locard.errors import InputError, InvalidParameter
from locard.stats.frequencies import FrequencyTable


def make(**kw: object) -> FrequencyTable:
    return FrequencyTable.from_mapping(
        {"FGA": {"20": 0.5, "21": 0.3, ">27": 0.002, "22": 0.198}, "TH 01": {"6": 1.0}},
        name="T", population="P", sample_alleles={"FGA": 500, "TH01": 400}, **kw)  # type: ignore[arg-type]


def test_minimum_frequency_is_five_over_two_n() -> None:
    t = make()
    assert t.minimum_frequency("FGA") == pytest.approx(5 / 500)
    assert t.n_individuals == 250
    f = t.frequency("FGA", "19")
    assert (f.value, f.source, f.observed) == (pytest.approx(0.01), "minimum", None)
    # a rare observed allele is raised to the minimum as well (NRC II)
    assert t.frequency("FGA", ">27").value == pytest.approx(0.01)
    assert t.frequency("FGA", ">27").source == "minimum"


def test_bin_covers_larger_alleles_and_configured_floor() -> None:
    t = make(min_frequency=0.001)
    f = t.frequency("FGA", "30")
    assert (f.value, f.source) == (pytest.approx(0.002), "bin")
    assert t.frequency("FGA", "19").value == pytest.approx(0.001)
    assert t.frequency("FGA", "OL").value == pytest.approx(0.001)


def test_sha256_is_stable_and_sensitive() -> None:
    a, b = make(), make()
    assert a.sha256 == b.sha256 and len(a.sha256) == 64
    changed = FrequencyTable.from_mapping(
        {"FGA": {"20": 0.5, "21": 0.3, ">27": 0.002, "22": 0.198}, "TH01": {"6": 1.0}},
        name="T", population="P", sample_alleles={"FGA": 502, "TH01": 400})
    assert changed.sha256 != a.sha256
    assert FrequencyTable.from_dict(a.to_dict()).sha256 == a.sha256
    assert a.with_min_frequency(0.01).sha256 != a.sha256


def test_bad_tables() -> None:
    with pytest.raises(InputError, match=r"T: FGA: allele '20' has frequency 1.5"):
        FrequencyTable.from_mapping({"FGA": {"20": 1.5}}, name="T")
    with pytest.raises(InputError, match=r"FGA: frequencies sum to 2\.0000"):
        FrequencyTable.from_mapping({"FGA": {"20": 1.0, "21": 1.0}}, name="T")
    with pytest.raises(InvalidParameter, match="min_frequency"):
        make(min_frequency=2.0)
    no_n = FrequencyTable.from_mapping({"FGA": {"20": 1.0}}, name="NoN")
    with pytest.raises(InputError, match=r"no sample size at FGA.*--min-frequency"):
        no_n.frequency("FGA", "20")
