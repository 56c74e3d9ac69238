"""The ``locard`` command line: a thin layer over the Python API.

``main(argv)`` is a function (tests call it in-process); every error funnels to
``locard: error: ...`` on stderr and a non-zero exit, ``--debug`` shows the traceback.
``app`` (the full Typer app) is built on first access: running a command imports only the
module that defines it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from locard.cli.app import main, run

if TYPE_CHECKING:
    from locard.cli.app import app
else:
    # the import above bound the submodule `locard.cli.app` here; `locard.cli.app` (the
    # attribute) is the Typer app, as it always was, and `sys.modules` keeps the module
    globals().pop("app", None)

__all__ = ["app", "main", "run"]


def __getattr__(name: str) -> Any:
    """PEP 562: ``app`` is :data:`locard.cli.app.app`, built on first access."""
    if name == "app":
        value = importlib.import_module("locard.cli.app").__getattr__("app")
        globals()["app"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
