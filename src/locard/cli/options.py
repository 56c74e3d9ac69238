"""The options many commands share, declared once as ``Annotated`` aliases.

A command writes ``db: DbOption = None`` instead of repeating ``typer.Option("--db", ...)``,
so that ``--db``, ``--user``, ``--purpose``, ``--policy`` and ``--json`` mean the same thing,
with the same help, everywhere. A command whose option means something else (``locard demo
--db`` has its own default, ``locard synth --json`` prints a summary) declares its own.
"""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = [
    "DB_HELP",
    "JSON_HELP",
    "POLICY_HELP",
    "PURPOSE_HELP",
    "USER_HELP",
    "DbOption",
    "JsonOption",
    "PolicyOption",
    "PurposeOption",
    "StatedPurposeOption",
    "UserOption",
]

DB_HELP = "Database: a file path or postgresql://... URL (default $LOCARD_DB or ./locard.db)."
USER_HELP = "Act as this Locard user (default $LOCARD_USER or the OS user)."
PURPOSE_HELP = "Stated purpose: a case number (written to the audit log)."
POLICY_HELP = "Policy file (default $LOCARD_POLICY or the shipped default)."
JSON_HELP = "One JSON object on stdout."

#: ``--db PATH|URL``: the database (default None: $LOCARD_DB or ./locard.db)
DbOption = Annotated[str | None, typer.Option("--db", help=DB_HELP)]
#: ``--user NAME``: the Locard user the command acts as (default None: $LOCARD_USER or the OS user)
UserOption = Annotated[str | None, typer.Option("--user", help=USER_HELP)]
#: ``--purpose CASE``, optional: the stated purpose written to the audit log
PurposeOption = Annotated[str | None, typer.Option("--purpose", help=PURPOSE_HELP)]
#: ``--purpose CASE`` as a ``str``, with the command's own default (a command that requires a
#: purpose declares ``typer.Option(..., "--purpose", help=PURPOSE_HELP)``: an alias cannot make
#: a parameter that follows defaulted ones required)
StatedPurposeOption = Annotated[str, typer.Option("--purpose", help=PURPOSE_HELP)]
#: ``--policy FILE`` (default None: $LOCARD_POLICY or the shipped default)
PolicyOption = Annotated[str | None, typer.Option("--policy", help=POLICY_HELP)]
#: ``--json``: one JSON document on stdout instead of tables (default False)
JsonOption = Annotated[bool, typer.Option("--json", help=JSON_HELP)]
