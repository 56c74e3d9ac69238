from __future__ import annotations

from pathlib import Path

import pytest

from locard.errors import FileFormatError
from locard.formats.mutation_rates import read_mutation_rates
from locard.stats.kinship import MutationModel, per_locus_models


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rates.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_rates_with_citation_and_aliases(tmp_path: Path) -> None:
    table = read_mutation_rates(write(
        tmp_path, "# Source: lab validation 2026\nMarker,Female,Male,model,range\n"
                  "vWA,0.0003,0.0029,,\nPenta_E,0.0004,0.0016,extended-stepwise,0.2\n"))
    assert set(table.rates) == {"vWA", "Penta E"}
    assert table.rates["vWA"].male_rate == 0.0029 and table.rates["vWA"].model is None
    assert table.rates["Penta E"].model == "extended-stepwise"
    assert table.rates["Penta E"].range == 0.2
    assert table.notes == ("Source: lab validation 2026",)
    assert len(table.sha256) == 64


@pytest.mark.parametrize(("text", "message"), [
    ("locus,female_rate\nvWA,0.001\n", r"missing column\(s\) male_rate"),
    ("locus,female_rate,male_rate\nvWX,0.001,0.002\n", r"line 2.*unknown locus 'vWX'"),
    ("locus,female_rate,male_rate\nvWA,0.001,abc\n", r"line 2.*vWA: male_rate 'abc' is not"),
    ("locus,female_rate,male_rate\nvWA,0.001,0.9\n", r"vWA: male_rate '0.9' is outside"),
    ("locus,female_rate,male_rate\nvWA,0.001,0.002\nVWA,0.001,0.002\n", r"line 3.*twice"),
    ("# only a comment\n", "no header line"),
])
def test_bad_files_name_file_line_locus_and_value(tmp_path: Path, text: str,
                                                  message: str) -> None:
    with pytest.raises(FileFormatError, match=message) as info:
        read_mutation_rates(write(tmp_path, text))
    assert "rates.csv" in str(info.value)


def test_per_locus_models_cover_every_autosomal_str() -> None:
    base = MutationModel()
    models = per_locus_models(base, {"FGA": {"female_rate": 0.001, "male_rate": 0.01,
                                             "model": None}})
    assert models["FGA"].male_rate == 0.01 and models["FGA"].model == base.model
    assert models["TH01"] is base and models["Penta D"] is base
    assert "AMEL" not in models
