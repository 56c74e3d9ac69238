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
# (``tables``: the frequency-table type, readers and shipped tables, above stats and formats;
# ``reference``: reference data by name, above tables and ce, below search and store)
FORBIDDEN = {
    "genetics": {"stats", "search", "store", "formats", "service", "cli", "tables", "reference"},
    "stats": {"search", "store", "formats", "service", "cli", "tables", "reference"},
    "search": {"store", "formats", "service", "cli", "tables", "reference"},
    "formats": {"stats", "search", "store", "service", "cli", "tables", "reference"},
    "tables": {"search", "store", "service", "cli", "ce", "reference", "demo"},
    "reference": {"search", "store", "service", "cli", "demo"},
    "store": {"service", "cli", "demo"},
    "ce": {"search", "store", "formats", "service", "cli", "tables", "reference"},
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
    files = sorted((SRC / package).rglob("*.py")) or [p for p in [SRC / f"{package}.py"]
                                                       if p.is_file()]
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


# --- package-wide rules (issue 12, item 1): no SQL outside store/, no private member of one
# module used from another, no import cycle between locard modules ---------------------------

# Attribute names with a leading underscore that are documented public API of a library (the
# underscore only avoids clashes with field names): namedtuple's methods, CPython's
# ``sys._getframe``, and SQLAlchemy's ``Row._mapping``/``Row._tuple``/``Row._t``.
_STDLIB_UNDERSCORE_API = frozenset({"_replace", "_asdict", "_fields", "_make",
                                    "_field_defaults", "_getframe", "_mapping", "_tuple", "_t"})


def _modules() -> dict[str, tuple[Path, ast.Module]]:
    """Every module of the package: dotted name -> (path, syntax tree)."""
    out: dict[str, tuple[Path, ast.Module]] = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(["locard", *parts])] = (path, ast.parse(path.read_text(encoding="utf-8"),
                                                            filename=str(path)))
    return out


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _private_module_owner(module: str) -> str | None:
    """``locard.formats._io`` -> ``locard.formats``: the package a private module belongs to."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _defined_privates(tree: ast.Module) -> set[str]:
    """Private names a module defines itself: functions, classes, assignments (module and class
    level), instance attributes (``self._x = ...``), ``__slots__`` entries and parameters."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            if not isinstance(node, ast.ClassDef):
                names.update(a.arg for a in [*node.args.args, *node.args.kwonlyargs,
                                             *node.args.posonlyargs])
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)  # __slots__, getattr(obj, "_x"), dataclass field names
    return {n for n in names if _is_private(n)}


def test_no_sql_outside_the_store() -> None:
    """SQLAlchemy is imported, and ``.execute(...)``/``sa.`` used, only in ``locard.store``:
    the store is the one door to the database."""
    violations: list[str] = []
    for module, (path, tree) in _modules().items():
        if module == "locard.store" or module.startswith("locard.store."):
            continue
        where = str(path.relative_to(SRC))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                violations += [f"{where}:{node.lineno} imports {a.name}" for a in node.names
                               if a.name.split(".")[0] == "sqlalchemy"]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.split(".")[0] == "sqlalchemy":
                    violations.append(f"{where}:{node.lineno} imports from {node.module}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "execute":
                violations.append(f"{where}:{node.lineno} calls .execute()")
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id == "sa":
                violations.append(f"{where}:{node.lineno} uses sa.{node.attr}")
    assert sorted(set(violations)) == []


def test_no_private_member_is_used_from_another_module() -> None:
    """No ``from locard.x import _name`` outside ``locard.x``; no ``obj._name`` where ``obj``
    is not ``self``/``cls`` and the module does not define ``_name`` itself; a private module
    (``formats/_io.py``) is imported only within its own package."""
    modules = _modules()
    violations = [v for module, (path, tree) in modules.items()
                  for v in _private_uses(module, path, tree, modules)]
    assert sorted(set(violations)) == []


def test_private_use_finder_flags_a_hand_made_module() -> None:
    """The finder itself: each kind of violation in a made-up module, and what is allowed."""
    code = (
        "from locard.search.index import _single\n"   # a private name of another module
        "from locard.formats._io import read_text\n"  # a private module outside its package
        "import locard.formats._io\n"
        "def f(index, row):\n"
        "    index._mixed(1)\n"                        # another module's private member
        "    row._mapping\n"                           # documented library API: allowed
        "    return self_made._own\n"                  # defined below: allowed
        "class C:\n"
        "    def __init__(self):\n"
        "        self._own = 1\n"
    )
    modules = _modules()
    found = _private_uses("locard.store.example", SRC / "store" / "example.py", ast.parse(code),
                          modules)
    assert sorted(v.split(" ", 1)[1] for v in found) == [
        "imports locard.search.index._single",
        "imports private module locard.formats._io",
        "imports private module locard.formats._io",
        "uses index._mixed",
    ]
    inside = _private_uses("locard.formats.cmf", SRC / "formats" / "cmf.py",
                           ast.parse("from locard.formats._io import read_text\n"), modules)
    assert inside == []


def _private_uses(module: str, path: Path, tree: ast.Module,
                  modules: dict[str, tuple[Path, ast.Module]]) -> list[str]:
    """Where ``tree`` (module ``module`` at ``path``) uses another module's private member."""
    violations: list[str] = []
    where = str(path.relative_to(SRC))
    package = _package_of(module, path)
    own = _defined_privates(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.startswith("locard"):
            targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names
                                      if f"{node.module}.{a.name}" in modules)]
            for target in targets:
                owner = _private_module_owner(target)
                if owner is not None and not (package + ".").startswith(owner + "."):
                    violations.append(f"{where}:{node.lineno} imports private module "
                                      f"{target}")
            violations += [f"{where}:{node.lineno} imports {node.module}.{a.name}"
                           for a in node.names
                           if _is_private(a.name) and f"{node.module}.{a.name}" not in modules
                           and node.module != module]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                owner = _private_module_owner(alias.name)
                if alias.name.startswith("locard") and owner is not None \
                        and not (package + ".").startswith(owner + "."):
                    violations.append(f"{where}:{node.lineno} imports private module "
                                      f"{alias.name}")
        elif isinstance(node, ast.Attribute) and _is_private(node.attr) \
                and node.attr not in own and node.attr not in _STDLIB_UNDERSCORE_API:
            base = node.value
            if isinstance(base, ast.Name) and base.id in {"self", "cls"}:
                continue
            violations.append(f"{where}:{node.lineno} uses {ast.unparse(node)}")
    return violations


def _module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported: the module body and its plain ``if``/
    ``try`` blocks, not function bodies and not ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If):
            if "TYPE_CHECKING" not in ast.unparse(node.test):
                stack += [*node.body, *node.orelse]
            else:
                stack += node.orelse
        elif isinstance(node, ast.Try):
            stack += [*node.body, *node.orelse, *node.finalbody,
                      *(s for h in node.handlers for s in h.body)]
    return found


def _import_graph() -> dict[str, set[str]]:
    modules = _modules()
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for module, (_path, tree) in modules.items():
        for node in _module_level_imports(tree):
            if isinstance(node, ast.ImportFrom):
                if not node.module or node.level != 0:
                    continue
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    edges[module].add(sub if sub in modules else node.module)
            else:
                edges[module].update(a.name for a in node.names)
        edges[module] = {t for t in edges[module] if t in modules and t != module}
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop(0)
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(edges[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def test_cycle_finder_finds_a_hand_made_cycle() -> None:
    """The cycle finder itself: a -> b -> c -> a is one component, d -> a is not in it."""
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(edges) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_locard_modules() -> None:
    """Module-level imports (what runs at import time; ``TYPE_CHECKING`` blocks and imports
    inside functions excluded) form no cycle anywhere in the package."""
    assert _cycles(_import_graph()) == []


def test_every_public_method_of_a_public_class_has_a_docstring() -> None:
    """Methods and properties of the classes in ``locard.__all__`` (dunders and private
    members aside) say what they return; inherited ones are checked where they are defined."""
    import inspect

    missing: list[str] = []
    for name in locard.__all__:
        value = getattr(locard, name)
        if not inspect.isclass(value):
            continue
        for klass in value.__mro__:
            if not klass.__module__.startswith("locard"):
                continue
            for attr, member in vars(klass).items():
                if attr.startswith("_"):
                    continue
                func = member.fget if isinstance(member, property) \
                    else getattr(member, "__func__", member)
                if (inspect.isfunction(func) or isinstance(member, property)) \
                        and not func.__doc__:
                    missing.append(f"{klass.__module__}.{klass.__qualname__}.{attr}")
    assert sorted(set(missing)) == []


# --- docstrings on the whole public surface (issue 12, item 6) ---------------------------------

def _decorator_names(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> set[str]:
    """``@x.setter`` -> ``setter``, ``@typing.overload`` -> ``overload``, ``@app.command()`` ->
    ``command``: the last name of each decorator."""
    names: set[str] = set()
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(target, ast.Attribute):
            names.add(target.attr)
        elif isinstance(target, ast.Name):
            names.add(target.id)
    return names


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements run at definition time: the body and its ``if``/``try`` blocks."""
    out: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.If):
            out += _top_level([*node.body, *node.orelse])
        elif isinstance(node, ast.Try):
            out += _top_level([*node.body, *node.orelse, *node.finalbody,
                               *(s for h in node.handlers for s in h.body)])
        else:
            out.append(node)
    return out


def _missing_docstrings(modules: dict[str, tuple[Path, ast.Module]]) -> list[str]:
    """``path:line name`` for each public module-level function or class, and each public
    method of a public class, without a docstring. Exempt: dunders, property setters and
    deleters, ``@overload`` stubs, ``@override`` methods, and methods whose name a documented
    method of a base class defined in the package (matched by class name) already carries."""
    classes: dict[str, list[ast.ClassDef]] = {}
    for _path, tree in modules.values():
        for node in _top_level(tree.body):
            if isinstance(node, ast.ClassDef):
                classes.setdefault(node.name, []).append(node)

    def documented_in_base(klass: ast.ClassDef, method: str, seen: set[str]) -> bool:
        for base in klass.bases:
            name = base.attr if isinstance(base, ast.Attribute) else \
                base.id if isinstance(base, ast.Name) else None
            if name is None or name in seen:
                continue
            seen.add(name)
            for parent in classes.get(name, []):
                for item in parent.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) \
                            and item.name == method and ast.get_docstring(item):
                        return True
                if documented_in_base(parent, method, seen):
                    return True
        return False

    missing: list[str] = []
    for _module, (path, tree) in modules.items():
        where = str(path.relative_to(SRC))
        for node in _top_level(tree.body):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) \
                    or node.name.startswith("_") or "overload" in _decorator_names(node):
                continue
            if not ast.get_docstring(node):
                missing.append(f"{where}:{node.lineno} {node.name}")
            if not isinstance(node, ast.ClassDef):
                continue
            for item in _top_level(node.body):
                if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) \
                        or item.name.startswith("_") or ast.get_docstring(item):
                    continue
                decorators = _decorator_names(item)
                if decorators & {"setter", "deleter", "overload", "override"} \
                        or documented_in_base(node, item.name, {node.name}):
                    continue
                missing.append(f"{where}:{item.lineno} {node.name}.{item.name}")
    return sorted(missing)


def test_missing_docstring_finder_flags_a_hand_made_module() -> None:
    """The finder itself: what it flags in a made-up module, and each exemption."""
    code = (
        "from typing import overload\n"
        "def bare(x): return x\n"                                       # flagged
        "def _private(x): return x\n"
        "@overload\n"
        "def over(x: int) -> int: ...\n"
        "class Base:\n"
        "    '''A base.'''\n"
        "    def run(self):\n"
        "        '''Run it.'''\n"
        "class Child(Base):\n"                                          # flagged
        "    def run(self): return 1\n"                                 # documented in Base
        "    def __len__(self): return 0\n"
        "    @property\n"
        "    def size(self): return 1\n"                                # flagged
        "    @size.setter\n"
        "    def size(self, v): pass\n"
        "    @override\n"
        "    def close(self): pass\n"
        "class _Hidden:\n"
        "    def public(self): pass\n"
        "if True:\n"
        "    async def route(): pass\n"                                 # flagged
    )
    found = _missing_docstrings({"locard.example": (SRC / "example.py", ast.parse(code))})
    assert [f.split(" ", 1)[1] for f in found] == ["Child", "Child.size", "bare", "route"]


def test_every_public_definition_in_the_package_has_a_docstring() -> None:
    """Every public module-level function and class, and every public method of a public
    class, in every module of the package (Typer commands and routes included) has a
    docstring; the exemptions are those of ``_missing_docstrings``."""
    missing = _missing_docstrings(_modules())
    assert missing == [], f"{len(missing)} without a docstring:\n" + "\n".join(missing)
