"""The public API and the one-way dependency rule: genetics <- stats <- search <- store <-
service/cli; formats depend on genetics only; ce (capillary electrophoresis) on genetics and
stats only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import locard

SRC = Path(locard.__file__).resolve().parent

# package -> locard packages it must never import
FORBIDDEN = {
    "genetics": {"stats", "search", "store", "formats", "service", "cli", "tables"},
    "stats": {"search", "store", "formats", "service", "cli", "tables"},
    "search": {"store", "formats", "service", "cli", "tables"},
    "formats": {"stats", "search", "store", "service", "cli", "tables"},
    "store": {"service", "cli"},
    "ce": {"search", "store", "formats", "service", "cli", "tables"},
}


def _locard_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "locard" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_point_one_way(package: str) -> None:
    files = sorted((SRC / package).rglob("*.py"))
    assert files, f"no modules found in locard.{package}"
    violations = {
        str(f.relative_to(SRC)): sorted(_locard_imports(f) & FORBIDDEN[package]) for f in files
    }
    assert {k: v for k, v in violations.items() if v} == {}


def test_public_api_resolves_and_is_typed() -> None:
    for name in locard.__all__:
        assert getattr(locard, name) is not None, name
    assert (SRC / "py.typed").exists()


def test_every_public_callable_has_a_docstring() -> None:
    missing = [name for name in locard.__all__
               if callable(getattr(locard, name)) and not getattr(locard, name).__doc__]
    assert missing == []
