"""One place and one name per concept: reference data by name, one number formatter (the
CLI, the web page and the PDF), one OS-user fallback, one CMF writer, one specimen-category
list (issue 12, item 4)."""

from __future__ import annotations

import ast
import importlib.util
import math
from pathlib import Path

import pytest

import locard
from locard import reference
from locard.display import format_number, format_probability
from locard.os_user import FALLBACK_USER, os_user

SRC = Path(locard.__file__).resolve().parent


# --- reference data by name -------------------------------------------------------------------


def test_reference_hands_out_the_defining_modules_functions() -> None:
    import locard.ce.sizing as sizing
    import locard.genetics.kits as kits
    import locard.tables as tables
    import locard.tables.bundled as bundled

    assert reference.get_kit is kits.get_kit
    assert reference.positive_control is kits.positive_control
    assert reference.load_frequency_table is tables.load_frequency_table
    assert locard.load_frequency_table is tables.load_frequency_table
    assert reference.get_bundled_table is bundled.get_bundled_table
    assert reference.DEFAULT_TABLE == bundled.DEFAULT_TABLE == "NIST1036:ALL"
    name = sizing.list_lane_standards()[0].name
    assert reference.get_lane_standard(name) is sizing.get_lane_standard(name)
    assert [s.name for s in reference.list_lane_standards()] == [
        s.name for s in sizing.list_lane_standards()]


def test_load_mutation_rates_by_name_or_path(tmp_path: Path) -> None:
    shipped = reference.bundled_mutation_rates()
    for name in (None, "bundled", "default", "mutation_rates_strbase.csv",
                 "mutation_rates_strbase"):
        assert reference.load_mutation_rates(name).sha256 == shipped.sha256
    # a file of that name beside the caller is read as a file, not taken for the shipped table
    lab = tmp_path / "lab_rates.csv"
    lab.write_text("locus,male_rate,female_rate\nFGA,0.004,0.001\n", encoding="utf-8")
    table = reference.load_mutation_rates(lab)
    assert table.rates["FGA"].male_rate == 0.004
    assert table.sha256 != shipped.sha256


def test_old_module_names_are_gone() -> None:
    """The frequency-table readers and shipped tables live under locard.tables only, and the
    test fixtures are no longer shipped in the package."""
    for gone in ("locard.stats.bundled", "locard.formats.frequency_files",
                 "locard.store.demo_data"):
        assert importlib.util.find_spec(gone) is None, gone


def _defined_functions(name: str) -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [str(path.relative_to(SRC)) for node in ast.walk(tree)
                  if isinstance(node, ast.FunctionDef) and node.name == name]
    return found


@pytest.mark.parametrize(("name", "home"), [
    ("write_cmf", ["formats/cmf.py"]),
    ("json_safe", ["jsonsafe.py"]),
    ("format_probability", ["display.py"]),
    ("format_number", ["display.py"]),
    # the web page's and the PDF's own formatters are now aliases of format_number
    ("_one_in", []),
    ("_sci", []),
    ("os_user", ["os_user.py"]),
    ("load_frequency_table", ["tables/__init__.py"]),
    ("default_mutation_rates", ["reference.py"]),
])
def test_one_definition(name: str, home: list[str]) -> None:
    assert _defined_functions(name) == home


# --- one number formatter ---------------------------------------------------------------------


@pytest.mark.parametrize(("value", "text"), [
    (None, "-"), (0.5, "0.5"), (1.0, "1"), (1.23456e-25, "1.23e-25"), (8.1234e24, "8.12e+24"),
    (0.0, "0"), (math.inf, "infinite"), (-math.inf, "infinite"), (12345.0, "1.23e+04"),
])
def test_format_number_by_hand(value: float | None, text: str) -> None:
    assert format_number(value) == text


def test_format_probability_by_hand() -> None:
    assert format_probability(0.0) == "0"
    assert format_probability(-1.0) == "0"
    assert format_probability(0.25) == "0.25 (1 in 4)"
    assert format_probability(1e-20) == "1e-20 (1 in 1e+20)"
    # the reciprocal is formatted by the same function: 1 / 3e-7 = 3333333.33...
    assert format_probability(3e-7) == "3e-07 (1 in 3.33e+06)"


# --- one OS-user fallback ---------------------------------------------------------------------


def test_os_user_prefers_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from locard.cli.context import resolve_user
    from locard.store import kernel

    monkeypatch.setenv("LOCARD_USER", "alice")
    assert os_user() == resolve_user(None) == kernel.os_user() == "alice"
    assert resolve_user("bob") == "bob"
    monkeypatch.setenv("LOCARD_USER", "")
    assert os_user() == resolve_user(None) == kernel.os_user() != ""


def test_os_user_without_a_passwd_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    def no_entry() -> str:
        raise KeyError("getpwuid(): uid not found: 12345")

    monkeypatch.delenv("LOCARD_USER", raising=False)
    monkeypatch.setattr(getpass, "getuser", no_entry)
    assert os_user() == FALLBACK_USER == "locard"


# --- one specimen-category list ---------------------------------------------------------------


def test_store_categories_cover_exactly_the_cmf_list() -> None:
    """The store's category -> index mapping and its refusals name exactly the CODIS
    categories of formats/cmf.py (plus one older CODIS spelling the store also accepts)."""
    from locard.formats.cmf import CMF_SPECIMEN_CATEGORIES
    from locard.store.categories import CATEGORY_INDEX, REFUSED_CATEGORIES

    assert set(CATEGORY_INDEX).isdisjoint(REFUSED_CATEGORIES)
    assert set(CATEGORY_INDEX) | set(REFUSED_CATEGORIES) == (
        set(CMF_SPECIMEN_CATEGORIES) | {"Unidentified Human (Remains)"})
