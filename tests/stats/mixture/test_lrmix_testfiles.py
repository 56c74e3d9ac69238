"""The LRmix Studio reference cases (``mixtures/lrmix_testfiles``), end to end through the
readers of :mod:`locard.formats.lrmix` and the case file.

- The four LRDyNAmix log files (``case1.1.txt``, ``case1.3.txt``, ``case 3.1.txt``,
  ``case 3.5.txt``) print each per-locus LR to 4 significant figures: each must agree within
  half a unit of the last printed digit (plus 1e-12 relative), that is the printed rounding.
  Their parameters (drop-out per person, drop-in, theta, unknowns, loci, replicates) are read
  from the log itself; frequencies: ``frequencies_NFI.csv`` with the floor 1/4170 (as the LRmix
  validation set). One known difference: these logs come from LRDyNAmix, LRmix Studio's R
  predecessor, which squares the term of an observed homozygote's allele (``case1.3.txt``:
  vWA 16,16 and D1S1656 print Pr(E|Hp) = 0.9311 = (1 - d^2)^2 (1 - pC) for d = 0.1,
  pC = 0.05); LRmix Studio and Locard give (1 - d^2)(1 - pC) = 0.9405 (drop-out of both copies
  is d^2, once). At those loci the test checks Locard's value against the formula instead.
- ``Example-p15-single-locus-single-donor``: scenarios A, B and C of ``Expected result for
  P15.txt`` (a hand calculation whose intermediate L(Hd) is printed to 8 significant figures):
  1e-8 relative. Scenario C is left out: its hand calculation uses (1 - d^2)^2 for an observed
  homozygote in one replicate (the LRDyNAmix form above), which neither LRmix Studio nor the
  model of the issue does; D-H condition on relatedness, which the case file does not express.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import shared_data_path

from locard.formats.lrmix import case_from_profiles, read_mixture_profiles
from locard.genetics.alleles import parse_allele
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture.casefile import parse_case, run_case
from locard.tables import load_frequency_table

LRMIX_FLOOR = 1 / 4170
LOGS = {
    "case1.1.txt": ("case-01.1", "sampleDNA007.csv", "suspectDNA007.csv"),
    "case1.3.txt": ("case-01.3", "sampleDNAXY5.csv", "suspectDNAXY5.csv"),
    "case 3.1.txt": ("case-03.1", "D1Sample8.txt", "D1Donor1.txt"),
    "case 3.5.txt": ("case-03.5", "D2Sample3.txt", "D2Donor1.txt"),
}


def _folder() -> Path:
    return shared_data_path("mixtures", "lrmix_testfiles")


def _parse_log(text: str) -> dict[str, Any]:
    def block(title: str) -> list[str]:
        m = re.search(re.escape(title) + r"\s*\n(.*?)(?:\n\s*\n|\n=)", text, re.S)
        return m.group(1).split() if m else []

    hp = re.search(r"Drop-out value under Hp:\n(.*?)=====", text, re.S)
    hd = re.search(r"Drop-out value under Hd:\n(.*?)=====", text, re.S)
    assert hp and hd

    def dropouts(body: str) -> dict[str, float]:
        return {k.strip(): float(v) for k, v in re.findall(r"^(.*?): ([\d.]+)\s*$", body, re.M)}

    rows = re.search(r"Locus Pr\(E\|Hp\) Pr\(E\|Hd\) LR log\(LR\)\n(.*)", text, re.S)
    assert rows
    expected = {}
    for line in rows.group(1).strip().splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[0] != "product":
            expected[parts[0]] = parts[3]
    return {
        "loci": block("SELECTED LOCI:"), "replicates": block("SELECTED REPLICATES:"),
        "hp": dropouts(hp.group(1)), "hd": dropouts(hd.group(1)),
        "dropin": float(re.search(r"Drop-in value: ([\d.]+)", text).group(1)),  # type: ignore[union-attr]
        "theta": float(re.search(r"Theta value: ([\d.]+)", text).group(1)),  # type: ignore[union-attr]
        "unknowns_hp": int(re.search(r"Unknowns under Hp: (\d+)", text).group(1)),  # type: ignore[union-attr]
        "unknowns_hd": int(re.search(r"Unknowns under Hd: (\d+)", text).group(1)),  # type: ignore[union-attr]
        "expected": expected,
    }


def _half_ulp(printed: str) -> float:
    """Half a unit of the last significant digit of a number printed like 9.769e+20 or 0.7809."""
    mantissa, _, exp = printed.lower().partition("e")
    digits = mantissa.split(".")[1] if "." in mantissa else ""
    return 0.5 * 10.0 ** (-len(digits)) * 10.0 ** (int(exp) if exp else 0)


@pytest.mark.parametrize("log", sorted(LOGS))
def test_lrdynamix_log_cases_end_to_end(log: str) -> None:
    folder = _folder()
    sub, sample, suspect = LOGS[log]
    params = _parse_log((folder / log).read_text(encoding="latin-1"))
    evidence = read_mixture_profiles(folder / sub / sample)
    refs = read_mixture_profiles(folder / sub / suspect)
    (poi,) = list(refs)
    unknown_d = {v for k, v in {**params["hp"], **params["hd"]}.items() if k.startswith("Unknown")}
    assert len(unknown_d) == 1  # these logs give every unknown the same drop-out
    case = case_from_profiles(
        evidence, refs, frequencies=str(folder / "frequencies_NFI.csv"), poi=poi,
        unknowns_hp=params["unknowns_hp"], unknowns_hd=params["unknowns_hd"],
        dropout={poi: params["hp"][poi]}, dropout_unknowns=unknown_d.pop(),
        dropin=params["dropin"], theta=params["theta"], min_frequency=LRMIX_FLOOR,
        replicates=params["replicates"], loci=params["loci"])
    parsed = parse_case(case)
    result = run_case(parsed, load_frequency_table(parsed.table_spec))
    assert len(params["expected"]) == len(params["loci"]) == len(result.per_locus)
    spec = parsed.spec
    by_formula: list[str] = []
    for locus, printed in params["expected"].items():
        lp = result.per_locus[canonical(locus)]
        got = lp.lr
        typed = refs[poi].alleles(canonical(locus))
        evid = {a for rep in params["replicates"] for a in evidence[rep].alleles(canonical(locus))}
        if len(set(typed)) == 1 and spec.hypotheses.hp.unknowns == 0 and len(evid) == 1 \
                and len(params["replicates"]) == 1:
            d = params["hp"][poi]
            assert math.isclose(lp.likelihood_hp, (1 - d * d) * (1 - params["dropin"]),
                                rel_tol=1e-12)
            by_formula.append(locus)
            continue
        tol = _half_ulp(printed) + 1e-12 * abs(got)
        assert abs(got - float(printed)) <= tol, (log, locus, got, printed)
    assert by_formula == (["vWA", "D1S1656"] if log == "case1.3.txt" else [])


def canonical(name: str) -> str:
    from locard.genetics.loci import canonical_locus

    return canonical_locus(name)


@pytest.mark.parametrize(("theta", "replicates", "expected"), [
    (0.0, ["R1", "R2"], 21.0846551198),   # scenario A
    (0.1, ["R1", "R2"], 11.1052899934),   # scenario B
])
def test_example_p15_hand_calculation(theta: float, replicates: list[str],
                                      expected: float) -> None:
    folder = _folder() / "Example-p15-single-locus-single-donor"
    evidence = read_mixture_profiles(folder / "sample-example-p15.csv")
    refs = read_mixture_profiles(folder / "suspect-example-p15.csv")
    case = case_from_profiles(
        evidence, refs, frequencies=str(folder / "allele-frequencies-example-p15.csv"),
        poi="suspect", unknowns_hp=0, unknowns_hd=1, dropout={"suspect": 0.1},
        dropout_unknowns=0.1, dropin=0.05, theta=theta, replicates=replicates)
    parsed = parse_case(case)
    # the example's table lists three alleles of 0.15 (sum 0.45), which the frequency-file
    # reader refuses as a layout error; the hand calculation uses exactly these values
    # (every other allele has frequency 0), so the table is built directly
    table = FrequencyTable(
        name="example-p15", population="example",
        frequencies={"vWA": {parse_allele(a, locus="vWA"): 0.15 for a in ("12", "13", "14")}},
        sample_alleles={"vWA": None})
    result = run_case(parsed, table)
    # the hand calculation prints its intermediate L(Hd) to 8 significant figures
    assert math.isclose(result.lr, expected, rel_tol=1e-8)
