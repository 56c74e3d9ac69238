"""Every remedy names an option that exists.

The rule (see :mod:`locard.errors`): an ``--option`` named anywhere in Locard's messages, help
texts and remedies is an option of some ``locard`` command; a remedy that names a Python
keyword argument (``format=``) names the command's option beside it (``--format (format= in
Python)``) or marks the keyword as Python's or the HTTP API's (``from Python, format=``), since
a person at the command line cannot pass a keyword.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from locard.cli.app import app

SRC = Path(__file__).resolve().parents[2] / "src" / "locard"
OPTION = re.compile(r"(?<![\w(-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
KEYWORD = re.compile(r"(?<![\w.-])[a-z_]{3,}=(?!=)")


def cli_options() -> set[str]:
    """Every option name (``--x`` and its ``--no-x`` form) of every ``locard`` command."""
    names: set[str] = set()

    def walk(cmd: Any) -> None:  # typer's own click: duck-typed
        for param in cmd.params:
            if getattr(param, "param_type_name", None) == "option":
                names.update(o for o in (*param.opts, *param.secondary_opts)
                             if o.startswith("--"))
        for child in getattr(cmd, "commands", {}).values():
            walk(child)

    walk(typer.main.get_command(app))
    return names | {"--help"}


def _strings(node: ast.AST) -> Iterator[str]:
    """The literal text of a string expression (f-string parts joined, implicit
    concatenation already joined by the parser)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        yield "".join(v.value for v in node.values
                      if isinstance(v, ast.Constant) and isinstance(v.value, str))
    elif isinstance(node, ast.BinOp):
        yield from _strings(node.left)
        yield from _strings(node.right)


def source_texts() -> Iterator[tuple[str, int, str, bool]]:
    """(file, line, text, is_remedy) for every string literal in src/locard."""
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        remedies: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "remedy":
                        remedies.update(id(n) for n in ast.walk(kw.value))
        # an f-string's literal parts are read once, joined, from the f-string itself
        parts = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr)
                 for v in n.values}
        rel = str(path.relative_to(SRC.parent))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Constant, ast.JoinedStr)) and id(node) not in parts:
                for text in _strings(node):
                    yield rel, getattr(node, "lineno", 0), text, id(node) in remedies


def test_the_collector_sees_the_cli_and_the_messages() -> None:
    """The test below can fail: it finds options and remedies where they are."""
    options = cli_options()
    assert {"--format", "--min-frequency", "--skip-invalid", "--db", "--json"} <= options
    assert "--search-on-entry" in options and "--no-search-on-entry" in options
    remedies = [t for _, _, t, is_remedy in source_texts() if is_remedy]
    assert any("locard init" in t for t in remedies)
    assert OPTION.findall("use --min-frequency F, not var(--ink) or a-- b") == ["--min-frequency"]


def test_every_option_named_in_a_message_exists() -> None:
    options = cli_options()
    missing = sorted({f"{file}:{line}: {token}"
                      for file, line, text, _ in source_texts()
                      for token in OPTION.findall(text) if token not in options})
    assert not missing, "options named in messages that no command has:\n" + "\n".join(missing)


def test_a_remedy_naming_a_python_keyword_also_names_the_option_or_says_python() -> None:
    bad = sorted(f"{file}:{line}: {text!r}" for file, line, text, is_remedy in source_texts()
                 if is_remedy and KEYWORD.search(text)
                 and not OPTION.search(text) and "Python" not in text and "API" not in text)
    assert not bad, "remedies that only a Python caller can follow:\n" + "\n".join(bad)


def test_an_unknown_frequency_layout_says_what_a_person_can_do(tmp_path: Path) -> None:
    """It said "name the format", which no command lets a person do."""
    import pytest

    from locard.errors import FileFormatError
    from locard.tables.files import FORMATS, detect_frequency_format

    f = tmp_path / "odd.csv"
    f.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(FileFormatError) as e:
        detect_frequency_format(f)
    remedy = e.value.remedy or ""
    assert "name the format" not in remedy
    assert all(name in remedy for name in FORMATS) and "from Python" in remedy
