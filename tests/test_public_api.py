"""The public API (issue 12, item 6): ``locard.__all__`` is what docs/api.md documents, every
operation the command line and the service run is in it, and importing the package or the
command line loads nothing heavy (the names load on first use)."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import locard

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(locard.__file__).resolve().parent
API_DOC = ROOT / "docs" / "api.md"

# Functions the CLI or the service import from the lower packages that are helpers, not
# operations a user scripts (each with why it stays out of ``locard.__all__``).
NOT_OPERATIONS = {
    "bundled_mutation_rates": "the shipped rate file; default_mutation_rates is the operation",
    "ce_verdict": "one analysed sample's intake verdict, a step of import_analyses",
    "compare_loci": "a per-locus table row builder for the match page",
    "continuous_case": "turns CE analyses into a case file dict, a step of `locard ce analyze`",
    "continuous_report": "formats a continuous LR result for people",
    "degrade": "a step of simulate_families/synth (drop-out on a simulated profile)",
    "find_match": "a lookup step of match_detail",
    "fixed_parameter_tippet": "a report helper of the continuous model",
    "index_for_category": "maps a CODIS category to its index (policy detail)",
    "is_bundled_name": "a predicate used while resolving table names",
    "known_categories": "the category list, a policy detail",
    "match_statistics": "a step of match_detail",
    "mixture_profile": "a step of synth (a simulated mixture)",
    "one_in": "number formatting ('1 in N') for pages",
    "parse_case_pedigree": "parses a case file's pedigree, a step of add_case",
    "read_consent_file": "reads a consent CSV, an import option",
    "read_mixture_profiles": "a reader behind case_from_profiles",
    "read_smartrank_criteria": "a reader behind `locard mixture case --smartrank`",
    "resolve_relationship": "maps a relationship name to kappa, a step of kinship_lr",
    "search_on_entry_enabled": "a policy predicate",
    "write_cmf": "a file writer behind write_profiles and `locard ce analyze --cmf`",
    "write_dvi_outputs": "writes dvi()'s result files, a CLI output option",
}
LOWER = {"store", "stats", "search", "ce", "formats", "tables", "reference", "familias"}


def _doc_names() -> list[str]:
    return re.findall(r"^### `([^`]+)`$", API_DOC.read_text(encoding="utf-8"), re.M)


def test_all_and_the_api_reference_name_the_same_set() -> None:
    """httpx's test_exported_members: every public name has a section, and nothing else."""
    documented = _doc_names()
    assert len(documented) == len(set(documented)), "a name is documented twice"
    assert set(documented) == set(locard.__all__)


def test_the_api_reference_is_current() -> None:
    spec = importlib.util.spec_from_file_location("gen_api_reference",
                                                  ROOT / "scripts" / "gen_api_reference.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.main(["--check"]) == 0, "run: python scripts/gen_api_reference.py"


def test_all_is_sorted_unique_and_resolves() -> None:
    assert len(locard.__all__) == len(set(locard.__all__))
    for name in locard.__all__:
        assert hasattr(locard, name), name
    assert set(locard.__all__) <= set(dir(locard))
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        locard.not_a_name  # noqa: B018


def test_lazy_names_are_the_defining_modules_objects() -> None:
    """A lazy name is the very object its module defines (not a copy or a wrapper)."""
    lazy: dict[str, str] = locard._LAZY  # type: ignore[attr-defined]
    assert set(lazy) | {"errors"} == set(locard.__all__)
    for name, module in lazy.items():
        assert getattr(locard, name) is getattr(importlib.import_module(module), name), name
    assert isinstance(locard.errors, ModuleType)


def _operations_used_by(package: str) -> dict[str, set[str]]:
    """Functions ``locard.<package>`` imports from the lower packages: name -> importers."""
    used: dict[str, set[str]] = {}
    for path in sorted((SRC / package).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0):
                continue
            parts = node.module.split(".")
            if parts[0] != "locard" or len(parts) < 2 or parts[1] not in LOWER:
                continue
            module = importlib.import_module(node.module)
            for alias in node.names:
                value = getattr(module, alias.name, None)
                if inspect.isfunction(value):
                    used.setdefault(alias.name, set()).add(f"{package}/{path.name}")
    return used


@pytest.mark.parametrize("package", ["cli", "service"])
def test_every_operation_the_cli_and_service_run_is_public(package: str) -> None:
    used = _operations_used_by(package)
    missing = sorted(f"{name} ({', '.join(sorted(where))})" for name, where in used.items()
                     if name not in locard.__all__ and name not in NOT_OPERATIONS)
    assert missing == [], "add to locard.__all__ (and docs/api.md) or to NOT_OPERATIONS"


def test_not_operations_lists_only_names_still_imported() -> None:
    used = _operations_used_by("cli").keys() | _operations_used_by("service").keys()
    assert sorted(set(NOT_OPERATIONS) - used) == []


def _loaded_after(code: str, candidates: tuple[str, ...]) -> list[str]:
    probe = (f"import sys\n{code}\n"
             f"print(sorted(m for m in {candidates!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()
    return ast.literal_eval(out[-1])  # type: ignore[no-any-return]


HEAVY = ("numpy", "scipy", "numba", "sqlalchemy", "fastapi", "pydantic", "matplotlib",
         "reportlab", "locard.stats", "locard.store", "locard.search", "locard.formats")


def test_import_locard_loads_nothing_heavy() -> None:
    assert _loaded_after("import locard", HEAVY) == []


def test_import_of_the_command_line_loads_nothing_heavy() -> None:
    assert _loaded_after("import locard.cli.app", HEAVY) == []


def test_a_command_loads_only_its_own_module() -> None:
    """`locard search --help` imports the search commands, not the mixture, CE or kinship
    ones, and not NumPy or the database layer; `locard --help` imports no command module."""
    others = ("locard.cli.mixture_commands", "locard.cli.ce_commands",
              "locard.cli.kinship_commands", "locard.cli.store_commands")
    run = ("import contextlib, io\nfrom locard.cli import main\n"
           "with contextlib.redirect_stdout(io.StringIO()):\n    main({args!r})")
    assert _loaded_after(run.format(args=["search", "--help"]),
                         (*others, "numpy", "sqlalchemy", "locard.cli.search_commands")) \
        == ["locard.cli.search_commands"]
    commands = tuple(f"locard.cli.{p.stem}" for p in (SRC / "cli").glob("*_commands.py"))
    assert _loaded_after(run.format(args=["--help"]), (*commands, "numpy")) == []


@pytest.mark.parametrize("width", [80, 200])
def test_the_lazy_listing_is_the_full_apps(width: int) -> None:
    """`locard --help` lists the commands from the static table in cli/app.py: the same text
    the full app (every module imported) prints, at a narrow and a wide terminal."""
    from typer.testing import CliRunner

    from locard.cli import app as cli_app

    module = sys.modules["locard.cli.app"]
    runner = CliRunner()
    lazy = runner.invoke(module.listing_app(), ["--help"], prog_name="locard",
                         terminal_width=width)
    full = runner.invoke(cli_app, ["--help"], prog_name="locard", terminal_width=width)
    assert lazy.exit_code == full.exit_code == 0
    assert lazy.output == full.output
