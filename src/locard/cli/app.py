"""Root of the ``locard`` command: global options, the error funnel, sub-command registration."""

# ruff: noqa: I001  (sub-command modules are imported after `app` exists, in a chosen order)

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from locard._version import __version__
from locard.cli.common import error_json, print_json
from locard.errors import LocardError

app = typer.Typer(
    name="locard",
    help="Locard: forensic DNA identification from STR profiles.",
    epilog="Errors: 'locard: error: MESSAGE (REMEDY)' on stderr, exit status non-zero; under "
           "--json one JSON document on stdout instead: {\"error\": MESSAGE, \"remedy\": "
           "REMEDY or null, \"type\": ERROR CLASS}, with \"problems\" for a failed import.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_state = {"debug": False}


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"locard {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of errors."),
) -> None:
    """Locard: forensic DNA identification from STR profiles."""
    _state["debug"] = debug


# Sub-commands register themselves on import (one module per area).
from locard.cli import genetics_commands as _genetics  # noqa: E402,F401
from locard.cli import stats_commands as _stats  # noqa: E402,F401
from locard.cli import demo as _demo  # noqa: E402,F401
from locard.cli import store_commands as _store  # noqa: E402,F401
from locard.cli import specimen_commands as _specimens  # noqa: E402,F401
from locard.cli import search_commands as _search  # noqa: E402,F401
from locard.cli import match_commands as _matches  # noqa: E402,F401
from locard.cli import identify_commands as _identify  # noqa: E402,F401
from locard.cli import case_commands as _case  # noqa: E402,F401
from locard.cli import kinship_commands as _kinship  # noqa: E402,F401
from locard.cli import service_commands as _service  # noqa: E402,F401
from locard.cli import mixture_commands as _mixture  # noqa: E402,F401
from locard.cli import mixture_analysis_commands as _mixture_analysis  # noqa: E402,F401


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 on success)."""
    args = list(sys.argv[1:] if argv is None else argv)
    _state["debug"] = "--debug" in args
    # under --json an error is one JSON document on stdout, {"error", "remedy", "type"}, where
    # the command's result would have been (the exit status says which it is)
    as_json = "--json" in args
    try:
        result = app(args=args, standalone_mode=False, prog_name="locard")
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        if as_json:
            print_json({"error": "aborted", "remedy": None, "type": "Abort"})
        print("locard: aborted", file=sys.stderr)
        return 130
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        if as_json:
            print_json({"error": exc.format_message(),
                        "remedy": "see `locard COMMAND --help` for the options",
                        "type": "UsageError"})
            return int(getattr(exc, "exit_code", 2) or 2)
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            print(f"locard: error: {exc.format_message()}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 2) or 2)
    except LocardError as exc:
        if _state["debug"]:
            raise
        if as_json:
            print_json(error_json(exc))
        else:
            print(f"locard: error: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        if _state["debug"]:
            raise
        if as_json:
            print_json(error_json(exc))
        else:
            print(f"locard: error: {exc}", file=sys.stderr)
        return 1
    return int(result) if isinstance(result, int) else 0


def run() -> None:  # pragma: no cover - console-script entry
    sys.exit(main())
