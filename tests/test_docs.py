"""Docs that cannot drift: the CLI reference is generated from the command itself, and every
policy rule kind and index is documented (after Datasette's test_docs.py)."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_current(monkeypatch: pytest.MonkeyPatch) -> None:
    gen = _script("gen_cli_reference")
    monkeypatch.setenv("COLUMNS", "100")
    assert gen.main(["--check"]) == 0, "run: python scripts/gen_cli_reference.py"  # type: ignore[attr-defined]


def test_every_command_is_in_the_reference() -> None:
    gen = _script("gen_cli_reference")
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for path in gen.command_paths():  # type: ignore[attr-defined]
        assert f"## locard {' '.join(path)}\n" in text


def test_policy_rule_kinds_and_indices_are_documented() -> None:
    from locard.store.categories import Index
    from locard.store.policy import RULE_KINDS

    docs = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    shipped = (ROOT / "src" / "locard" / "data" / "policy.toml").read_text(encoding="utf-8")
    for kind in RULE_KINDS:
        assert kind in docs, f"rule kind {kind} is not described in docs/policy.md"
        assert kind in shipped, f"rule kind {kind} is not described in the default policy"
    indices = tomllib.loads(shipped)["index"]
    for index in Index:
        assert index.value in indices, f"the default policy has no [index.{index.value}]"
        assert f"`{index.value}`" in docs, f"index {index.value} is not listed in docs/policy.md"


def test_every_policy_section_is_documented() -> None:
    """Every top-level section of the shipped policy (e.g. `[category_legal_basis]`) has a
    row in docs/policy.md."""
    docs = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    shipped = tomllib.loads(
        (ROOT / "src" / "locard" / "data" / "policy.toml").read_text(encoding="utf-8"))
    for section, value in shipped.items():
        if isinstance(value, dict) and section not in ("index", "search"):
            assert f"`[{section}]`" in docs, f"[{section}] is not described in docs/policy.md"


def test_index_keys_and_rule_parameters_are_documented() -> None:
    """The acceptance settings beside the rules (`outside_ladder`) and the rule parameters
    (`tri_allelic_loci`) are described in docs/policy.md and used in the shipped policy."""
    from locard.store.policy import OUTSIDE_LADDER

    docs = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    shipped = (ROOT / "src" / "locard" / "data" / "policy.toml").read_text(encoding="utf-8")
    for key in ("outside_ladder", "tri_allelic_loci", "[controls]"):
        assert f"`{key}`" in docs, f"{key} is not described in docs/policy.md"
        assert key in shipped, f"{key} is not in the default policy"
    for value in OUTSIDE_LADDER:
        assert f"`{value}`" in docs


def test_policy_schema_and_reference_are_current() -> None:
    """docs/policy.schema.json and the reference part of docs/policy.md are generated from the
    policy file's pydantic models: the checked-in files equal what the generator writes."""
    gen = _script("gen_policy_schema")
    assert gen.main(["--check"]) == 0, "run: python scripts/gen_policy_schema.py"  # type: ignore[attr-defined]
