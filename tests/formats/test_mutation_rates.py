from __future__ import annotations

import csv
import hashlib
import importlib.util
from dataclasses import asdict
from pathlib import Path
from types import ModuleType

import pytest

from locard.errors import FileFormatError
from locard.formats.mutation_rates import (
    BUNDLED_MUTATION_RATES,
    bundled_mutation_rates,
    read_mutation_rates,
)
from locard.stats.kinship import (
    MutationModel,
    mutation_provenance,
    per_locus_models,
    rates_from_rows,
)


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


# --- the bundled published rates (issue 16, item 1) ------------------------------------------

REPO = Path(__file__).resolve().parents[2]
COUNTS = REPO.parent / "shared" / "data" / "mutation_rates" / "str_mutation_counts.csv"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("derive_mutation_rates",
                                                  REPO / "scripts" / "derive_mutation_rates.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _counts() -> Path:
    if not COUNTS.exists():
        pytest.skip(f"reference data not found at {COUNTS} (../shared/data is not checked out)")
    return COUNTS


def test_derive_script_reproduces_the_bundled_rates_byte_for_byte(tmp_path: Path) -> None:
    module = _script()
    out = tmp_path / "rates.csv"
    assert module.main(["--input", str(_counts()), "--output", str(out)]) == 0
    bundled = (REPO / "src" / "locard" / "data" / BUNDLED_MUTATION_RATES).read_bytes()
    assert out.read_bytes() == bundled
    assert module.main(["--input", str(_counts()), "--check"]) == 0


def test_derive_refuses_a_corrupted_count(tmp_path: Path) -> None:
    bad = tmp_path / "str_mutation_counts.csv"
    bad.write_text(_counts().read_text().replace(",1487,947425,", ",1488,947425,"))
    (tmp_path / "codis_published_rates_annotated.tab").write_bytes(
        (COUNTS.parent / "codis_published_rates_annotated.tab").read_bytes())
    assert _script().main(["--input", str(bad), "--output", str(tmp_path / "o.csv")]) == 1


def test_bundled_rates_are_the_published_counts() -> None:
    """Rate = mutations / meioses for both sexes; the default is the pooled rate; the file
    cites its source and the SHA-256 of its input."""
    table = bundled_mutation_rates()
    assert len(table.rates) == 18
    counts: dict[str, tuple[int, int]] = {}
    with open(_counts(), encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            counts[row["locus"]] = (int(row["unknown_mutations"]), int(row["unknown_meioses"]))
    for locus, (mutations, meioses) in counts.items():
        rates = table.rates[locus]
        assert rates.female_rate == rates.male_rate == mutations / meioses
    pooled = sum(m for m, _ in counts.values()) / sum(n for _, n in counts.values())
    assert table.default_rate == pooled
    assert table.rates["CSF1PO"].male_rate == pytest.approx(0.001569517, abs=5e-10)
    for absent in ("D1S1656", "D2S441", "D10S1248", "D12S391", "D22S1045", "D6S1043"):
        assert absent not in table.rates
    assert "STRBase" in (table.note("source") or "")
    assert table.note("input_sha256") == hashlib.sha256(_counts().read_bytes()).hexdigest()
    assert table.note("derived_by") == "scripts/derive_mutation_rates.py"
    assert table.name == BUNDLED_MUTATION_RATES and len(table.sha256) == 64


def test_rates_from_the_bundle_flag_every_locus() -> None:
    table = bundled_mutation_rates()
    assert table.default_rate is not None
    spec = rates_from_rows("equal", {k: asdict(v) for k, v in table.rates.items()},
                           default_rate=table.default_rate,
                           table={"name": table.name, "sha256": table.sha256})
    assert spec["vWA"].rate_source == table.name and spec["vWA"].model == "equal"
    assert spec["D10S1248"].rate_source == "pooled default"
    assert spec["D10S1248"].male_rate == table.default_rate
    prov = mutation_provenance(spec, ["vWA", "D10S1248"])
    assert prov["mutation_rates"] == [{"name": table.name, "sha256": table.sha256}]
    assert prov["mutation"]["D10S1248"]["rate_source"] == "pooled default"
    assert mutation_provenance(None, ["vWA"]) == {"mutation": {"vWA": None},
                                                  "mutation_rates": None}


def test_default_rate_comment(tmp_path: Path) -> None:
    table = read_mutation_rates(write(tmp_path, "# default_rate: 0.0015\n"
                                                "locus,female_rate,male_rate\nvWA,0.001,0.002\n"))
    assert table.default_rate == 0.0015
    with pytest.raises(FileFormatError, match="default_rate 'x'"):
        read_mutation_rates(write(tmp_path, "# default_rate: x\n"
                                            "locus,female_rate,male_rate\nvWA,0.001,0.002\n"))
