"""The CLI's structure: no import circle, no private helpers shared between command modules,
and the shared options declared once (issue 12, item 3)."""

from __future__ import annotations

import ast
from pathlib import Path

import locard.cli

CLI = Path(locard.cli.__file__).parent
SHARED_FLAGS = {
    "--db": "DB_HELP",
    "--user": "USER_HELP",
    "--purpose": "PURPOSE_HELP",
    "--policy": "POLICY_HELP",
    "--json": "JSON_HELP",
}


def _modules() -> dict[str, ast.Module]:
    return {f"locard.cli.{p.stem}" if p.stem != "__init__" else "locard.cli":
            ast.parse(p.read_text(encoding="utf-8"), filename=str(p))
            for p in sorted(CLI.glob("*.py"))}


def _imports(tree: ast.Module) -> list[tuple[str, list[str]]]:
    """(module, imported names) for every import in ``tree``, at any depth (a lazy import
    inside a function counts: it closes a circle just the same when it runs)."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((a.name, []) for a in node.names)
    return found


def _cli_edges(modules: dict[str, ast.Module]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, tree in modules.items():
        for target, names in _imports(tree):
            submodules = {f"{target}.{n}" for n in names} & modules.keys()
            if submodules:  # `from locard.cli import store_commands`: that module, not the package
                edges[name] |= submodules
            elif target in modules:
                edges[name].add(target)
    return edges


def test_only_the_entry_point_imports_the_root_app() -> None:
    """Command modules own their Typer apps; `cli/app.py` adds them, never the reverse."""
    importers = sorted(name for name, targets in _cli_edges(_modules()).items()
                       if "locard.cli.app" in targets)
    assert importers == ["locard.cli"]


def test_the_cli_package_has_no_import_cycle() -> None:
    edges = _cli_edges(_modules())
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(edges[node]):
            if nxt in path:
                cycles.append([*path[path.index(nxt):], nxt])
            elif len(path) < len(edges):
                visit(nxt, [*path, nxt])

    for start in sorted(edges):
        visit(start, [start])
    assert cycles == []


def test_no_private_name_is_imported_from_another_cli_module() -> None:
    modules = _modules()
    private = sorted(f"{name} imports {target}.{imported}"
                     for name, tree in modules.items()
                     for target, names in _imports(tree) if target.startswith("locard.cli")
                     for imported in names
                     if imported.startswith("_") and not imported.startswith("__"))
    assert private == []


def _option_calls(tree: ast.Module) -> list[ast.Call]:
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "Option" and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "typer"]


def test_shared_options_are_declared_once() -> None:
    """`--db`, `--user`, `--purpose`, `--policy` and `--json` with their shared meaning are
    declared in `cli/options.py` only; elsewhere a flag of that name is declared only where it
    means something else (its own help text) or is required (default `...`, which an
    `Annotated` alias cannot give a parameter that follows defaulted ones)."""
    from locard.cli import options

    repeated: list[str] = []
    for name, tree in _modules().items():
        if name == "locard.cli.options":
            continue
        for call in _option_calls(tree):
            flags = [a.value for a in call.args
                     if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if call.args and isinstance(call.args[0], ast.Constant) and call.args[0].value is ...:
                continue
            helps = [k.value for k in call.keywords if k.arg == "help"]
            for flag in set(flags) & set(SHARED_FLAGS):
                shared = getattr(options, SHARED_FLAGS[flag])
                own = (ast.literal_eval(helps[0]) if helps and isinstance(helps[0], ast.Constant)
                       else None)
                if own is None or own == shared:
                    repeated.append(f"{name}:{call.lineno} {flag}")
    assert repeated == []
