"""Root of the ``locard`` command: global options, the error funnel, sub-command registration.

Each command module owns its Typer apps and imports nothing from here; this module adds them,
explicitly and in the order ``locard --help`` lists them: the top-level commands first, then
the groups.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from locard._version import __version__
from locard.cli import (
    case_commands,
    ce_commands,
    demo,
    genetics_commands,
    identify_commands,
    kinship_commands,
    match_commands,
    mixture_analysis_commands,
    mixture_commands,
    search_commands,
    service_commands,
    specimen_commands,
    stats_commands,
    store_commands,
)
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


# Top-level commands (a Typer added without a name contributes its commands).
for _module in (genetics_commands, stats_commands, demo, store_commands, search_commands,
                kinship_commands, identify_commands, service_commands):
    app.add_typer(_module.commands)

# Groups, each owned by one module; `db` and `mixture` take commands from a second module.
store_commands.db_app.add_typer(search_commands.db_commands)
mixture_commands.mixture_app.add_typer(mixture_analysis_commands.commands)
app.add_typer(stats_commands.frequencies_app, name="frequencies")
app.add_typer(store_commands.specimen_app, name="specimen")
app.add_typer(store_commands.consent_app, name="consent")
app.add_typer(store_commands.retention_app, name="retention")
app.add_typer(store_commands.audit_app, name="audit")
app.add_typer(store_commands.policy_app, name="policy")
app.add_typer(store_commands.user_app, name="user")
app.add_typer(store_commands.db_app, name="db")
app.add_typer(specimen_commands.specimens_app, name="specimens")
app.add_typer(match_commands.matches_app, name="matches")
app.add_typer(kinship_commands.kinship_app, name="kinship")
app.add_typer(case_commands.case_app, name="case")
app.add_typer(mixture_commands.mixture_app, name="mixture")
app.add_typer(ce_commands.ce_app, name="ce")


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
