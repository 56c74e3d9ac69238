"""Root of the ``locard`` command: global options, the error funnel, sub-command registration.

Each command module owns its Typer apps and imports nothing from here; this module adds them,
explicitly and in the order ``locard --help`` lists them: the top-level commands first, then
the groups (:data:`COMMANDS`).

Start-up loads only what the command needs: :func:`main` imports the one command module (two
for ``db`` and ``mixture``, whose commands come from two modules) that the first command word
names, so ``locard search --help`` never imports the mixture or CE code, and ``locard --help``
lists the commands from :data:`COMMANDS` without importing any (tests check that the listing
is the one the full app prints). :data:`app`, the full Typer app with every command (for the
CLI reference and the tests), is built on first access.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import typer

if TYPE_CHECKING:
    app: typer.Typer

__all__ = ["COMMANDS", "CommandEntry", "app", "build_app", "listing_app", "main", "run"]


class CommandEntry(NamedTuple):
    """One word of ``locard --help``: the module that defines it, the Typer attribute that
    holds it (``commands``: a module's top-level commands; otherwise the group's app) and the
    one-sentence summary ``locard --help`` shows (the first sentence of the command's help)."""

    module: str
    attribute: str
    summary: str


def _top(module: str, summary: str) -> CommandEntry:
    return CommandEntry(module, "commands", summary)


#: Every command word in ``locard --help`` order: name -> where it lives and its summary.
COMMANDS: dict[str, CommandEntry] = {
    "kits": _top("genetics_commands",
                 "List the STR kits Locard knows (derived from the OSIRIS kit definitions)."),
    "loci": _top("genetics_commands",
                 "List the loci Locard knows, their aliases and the named locus sets."),
    "rmp": _top("stats_commands", "Random match probability of a single-source profile, with "
                                  "per-locus values."),
    "demo": _top("demo", "Run Locard's main job on its embedded default (SQLite) and show the "
                         "results."),
    "init": _top("store_commands", "Create a Locard database (or bring an old one up to date) "
                                   "and its first administrator in its lab (the lab code every "
                                   "import, search and export acts for)."),
    "import": _top("store_commands", "Import a profile file, all or nothing unless "
                                     "--skip-invalid."),
    "export": _top("store_commands", "Export the user's lab's specimens."),
    "expunge": _top("store_commands", "Expunge a specimen for real: genotype deleted, only a "
                                      "tombstone remains."),
    "synth": _top("search_commands", "Synthetic profiles drawn from a frequency table (for "
                                     "tests, demos and benchmarks)."),
    "search": _top("search_commands", "Search the store for a specimen or a profile (or every "
                                      "profile of a file, --file), at a CODIS stringency."),
    "dvi": _top("kinship_commands", "Disaster victim identification: every victim against "
                                    "every missing person, then joint identification "
                                    "(exclusions by LR and sex, undisputed IDs, joint "
                                    "likelihoods for families with several missing persons, "
                                    "posterior pairing probabilities, GLRs)."),
    "identify": _top("identify_commands", "Rank missing persons and unidentified remains by "
                                          "the pedigree's missing-person LR."),
    "serve": _top("service_commands", "Serve the JSON API (/api/v1, OpenAPI at /openapi.json) "
                                      "and the web pages."),
    "frequencies": CommandEntry("stats_commands", "frequencies_app",
                                "Allele frequency tables (for match statistics only)."),
    "specimen": CommandEntry("store_commands", "specimen_app", "Specimens in the database."),
    "consent": CommandEntry("store_commands", "consent_app", "Consent records."),
    "retention": CommandEntry("store_commands", "retention_app", "Retention periods."),
    "audit": CommandEntry("store_commands", "audit_app", "The tamper-evident audit log."),
    "policy": CommandEntry("store_commands", "policy_app", "The database policy."),
    "user": CommandEntry("store_commands", "user_app", "Users, roles and API tokens."),
    "db": CommandEntry("store_commands", "db_app", "Database maintenance."),
    "specimens": CommandEntry("specimen_commands", "specimens_app",
                              "List and count your lab's specimens."),
    "matches": CommandEntry("match_commands", "matches_app",
                            "Candidate matches: list, review, decide, report."),
    "kinship": CommandEntry("kinship_commands", "kinship_app", "Kinship statistics: "
                            "relationship LRs and missing-person LRs on a pedigree."),
    "case": CommandEntry("case_commands", "case_app", "Missing-person cases: a reference "
                         "pedigree typed from the relatives index."),
    "mixture": CommandEntry("mixture_commands", "mixture_app", "Mixed and low-template traces: "
                            "semi-continuous (LRmix) likelihood ratios."),
    "ce": CommandEntry("ce_commands", "ce_app", "Capillary electrophoresis: analyse raw "
                                                ".fsa/.hid runs, draw them."),
}

# Groups whose commands come from a second module: group -> (module, Typer attribute).
_EXTRA: dict[str, tuple[str, str]] = {
    "db": ("search_commands", "db_commands"),
    "mixture": ("mixture_analysis_commands", "commands"),
}
_extended: set[str] = set()

_state = {"debug": False}


def _version_callback(value: bool) -> None:
    if value:
        from locard._version import __version__

        typer.echo(f"locard {__version__}")
        raise typer.Exit()


def _root_callback(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of errors."),
) -> None:
    """Locard: forensic DNA identification from STR profiles."""
    _state["debug"] = debug


def _new_root() -> typer.Typer:
    root = typer.Typer(
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
    root.callback()(_root_callback)
    return root


def _typer_of(name: str) -> typer.Typer:
    """The Typer app that holds command word ``name``, with a second module's commands added
    to it (once) where the group has them."""
    entry = COMMANDS[name]
    found: typer.Typer = getattr(importlib.import_module(f"locard.cli.{entry.module}"),
                                 entry.attribute)
    extra = _EXTRA.get(name)
    if extra is not None and name not in _extended:
        module, attribute = extra
        found.add_typer(getattr(importlib.import_module(f"locard.cli.{module}"), attribute))
        _extended.add(name)
    return found


def _add(root: typer.Typer, names: Sequence[str]) -> None:
    added: set[int] = set()
    for name in names:
        entry = COMMANDS[name]
        sub = _typer_of(name)
        if entry.attribute == "commands":
            if id(sub) not in added:  # a Typer without a name contributes its commands
                root.add_typer(sub)
                added.add(id(sub))
        else:
            root.add_typer(sub, name=name)


def build_app() -> typer.Typer:
    """The full ``locard`` Typer app: every command module imported and added, in
    :data:`COMMANDS` order."""
    root = _new_root()
    _add(root, list(COMMANDS))
    return root


def listing_app() -> typer.Typer:
    """The root with a stand-in per command word (its summary as help): enough for
    ``locard --help`` and for usage errors, without importing a command module."""
    root = _new_root()

    def stand_in() -> None:  # pragma: no cover - main() never dispatches to a stand-in
        raise typer.Exit(2)

    for name, entry in COMMANDS.items():
        root.command(name, help=entry.summary)(stand_in)
    return root


def _command_word(args: Sequence[str]) -> str | None:
    """The first word that is not a root option (the root takes flags only)."""
    return next((a for a in args if not a.startswith("-")), None)


def _app_for(args: Sequence[str]) -> typer.Typer:
    word = _command_word(args)
    if word in COMMANDS:
        root = _new_root()
        _add(root, [word])
        return root
    return listing_app()


_app: typer.Typer | None = None


def __getattr__(name: str) -> Any:
    """PEP 562: :data:`app` (the full Typer app) is built on first access."""
    global _app
    if name == "app":
        if _app is None:
            _app = build_app()
        return _app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _print_json(value: Any) -> None:
    from locard.cli.common import print_json

    print_json(value)


def _error_json(exc: BaseException) -> Any:
    from locard.cli.common import error_json

    return error_json(exc)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 on success)."""
    from locard.errors import LocardError

    args = list(sys.argv[1:] if argv is None else argv)
    _state["debug"] = "--debug" in args
    # under --json an error is one JSON document on stdout, {"error", "remedy", "type"}, where
    # the command's result would have been (the exit status says which it is)
    as_json = "--json" in args
    run_app: Callable[..., Any] = _app_for(args)
    try:
        result = run_app(args=args, standalone_mode=False, prog_name="locard")
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        if as_json:
            _print_json({"error": "aborted", "remedy": None, "type": "Abort"})
        print("locard: aborted", file=sys.stderr)
        return 130
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        if as_json:
            _print_json({"error": exc.format_message(),
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
            _print_json(_error_json(exc))
        else:
            print(f"locard: error: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        if _state["debug"]:
            raise
        if as_json:
            _print_json(_error_json(exc))
        else:
            print(f"locard: error: {exc}", file=sys.stderr)
        return 1
    return int(result) if isinstance(result, int) else 0


def run() -> None:  # pragma: no cover - console-script entry
    """The console-script entry point: :func:`main` on ``sys.argv``, its status the exit
    status."""
    sys.exit(main())
