"""The kinship modules share their pieces by public, documented names: no module imports a
private member (a name starting with '_') of another module (STYLE.md section 12)."""

from __future__ import annotations

import ast
from pathlib import Path

import locard.stats.kinship as kinship
from locard.stats.kinship import dvi_matrix, pedigree

KINSHIP = Path(kinship.__file__).parent


def private_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("locard"):
            found += [f"{path.name}: {node.module}.{a.name}" for a in node.names
                      if a.name.startswith("_") and not a.name.startswith("__")]
    return found


def test_no_kinship_module_imports_a_private_member() -> None:
    files = sorted(KINSHIP.glob("*.py"))
    assert any(f.name == "dvi_matrix.py" for f in files)
    assert [hit for f in files for hit in private_imports(f)] == []


def test_the_shared_pieces_are_public_and_documented() -> None:
    for name in ("LocusModel", "locus_model", "genotype_indices", "transition_matrices"):
        assert name in pedigree.__all__
        assert getattr(pedigree, name).__doc__
    # DVI uses the same object, not a copy of it
    assert vars(dvi_matrix)["LocusModel"] is pedigree.LocusModel
    assert vars(dvi_matrix)["locus_model"] is pedigree.locus_model
