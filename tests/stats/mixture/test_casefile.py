"""The mixture case file: the issue's example shape parses, the published JSON schema is current
and accepts it, and bad case files fail naming the field and the remedy."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from locard.errors import CombinatorialLimit, InputError, UnknownLocus
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture.casefile import case_json_schema, parse_case, run_case

ROOT = Path(__file__).resolve().parents[3]

CASE: dict[str, Any] = {
    "model": "semi-continuous",
    "frequencies": {"table": "hand", "min_frequency": 0},
    "profiles": {"POI": {"D3S1358": ["15", "16"]}, "K1": {"D3S1358": ["17", "17"]}},
    "poi": "POI",
    "evidence": {"rep1": {"D3S1358": {"alleles": ["15", "16", "17"],
                                      "heights": [900, 850, 120]}},
                 "rep2": {"D3S1358": ["15", "17"]}},
    "hypotheses": {"hp": {"contributors": ["K1", "POI"], "unknowns": 1},
                   "hd": {"contributors": ["K1"], "unknowns": 2}},
    "dropout": {"K1": 0.05, "POI": 0.1, "unknowns_hp": [0.2], "unknowns_hd": [0.2, 0.2]},
    "dropin": {"probability": 0.05},
    "theta": 0.01,
}
TABLE = FrequencyTable.from_mapping(
    {"D3S1358": {"14": 0.1, "15": 0.25, "16": 0.25, "17": 0.2, "18": 0.2}}, name="hand")


def _script(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _with(path: str, value: Any) -> dict[str, Any]:
    case = copy.deepcopy(CASE)
    *parents, last = path.split(".")
    node = case
    for p in parents:
        node = node[p]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return case


_DELETE = object()


def test_the_issue_example_parses_and_runs() -> None:
    case = parse_case(json.dumps(CASE))
    assert case.hp.contributors == ("K1", "POI")
    assert case.hd.unknown_dropout == (0.2, 0.2)
    assert case.table_spec == "hand"
    result = run_case(case, TABLE)
    assert result.per_locus["D3S1358"].lr == pytest.approx(result.lr, rel=1e-12)
    assert result.provenance["parameters"]["dropin"] == 0.05


def test_one_number_for_all_unknowns_equals_the_list() -> None:
    a = run_case(parse_case(CASE), TABLE).lr
    b = run_case(parse_case(_with("dropout.unknowns_hd", 0.2)), TABLE).lr
    assert a == b


def test_published_schema_is_current_and_accepts_the_example() -> None:
    assert _script("gen_mixture_schema").main(["--check"]) == 0, \
        "run: python scripts/gen_mixture_schema.py"
    published = json.loads((ROOT / "docs" / "mixture-case.schema.json").read_text())
    assert published == case_json_schema()
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    validator = jsonschema_rs.validator_for(published)
    assert validator.is_valid(CASE)
    assert not validator.is_valid(_with("theta", 1.5))
    assert not validator.is_valid(_with("dropout.POI", 1.0))


@pytest.mark.parametrize(("path", "value", "error", "pattern"), [
    ("hypotheses.hp.contributors", ["K1", "POI", "K2"], InputError,
     r"hypotheses\.hp\.contributors: 'K2' is in no profile.*add it under profiles"),
    ("poi", "Q9", InputError, r"poi: 'Q9' is in no profile"),
    ("dropout.POI", 1.0, InputError, r"dropout\.POI: Input should be less than 1.*\[0, 1\)"),
    ("dropout.unknowns_hd", [0.2, -0.1], InputError, r"dropout\.unknowns_hd\.1: .*0"),
    ("dropout.unknowns_hd", [0.2], InputError,
     r"dropout\.unknowns_hd has 1 value\(s\) for hypotheses\.hd\.unknowns = 2"),
    ("dropout.K1", _DELETE, InputError, r"no drop-out probability for 'K1'.*dropout\.K1"),
    ("theta", 1.0, InputError, r"theta: Input should be less than 1"),
    ("model", "fully-bayesian", InputError, r"model: "),
    ("evidence.rep1.D99S99", ["10"], UnknownLocus, r"D99S99.*evidence\.rep1"),
    ("frequencies", _DELETE, InputError, r"frequencies: Field required"),
])
def test_bad_case_files_name_the_field_and_the_remedy(path: str, value: Any,
                                                      error: type[Exception],
                                                      pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        run_case(parse_case(_with(path, value)), TABLE)


def test_too_many_unknowns_is_refused_with_an_estimate() -> None:
    case = _with("hypotheses.hd.unknowns", 5)
    case["dropout"]["unknowns_hd"] = 0.2
    with pytest.raises(CombinatorialLimit,
                       match=r"hypotheses\.hd\.unknowns = 5: at most 4 .*combinations, about"):
        run_case(parse_case(case), TABLE)
