"""What the frequency-table derivation scripts share: their error and their command line.

    python scripts/derive_X.py [--input RAW] [--output JSON] [--check]

``--check`` writes nothing and exits 1 when the committed JSON differs from what the script
would write (tests run it, so a bundled table cannot drift from its source).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


class DeriveError(Exception):
    """The raw file fails a check of the derivation (named in the message)."""


def run(name: str, derive: Callable[[Path], str], *, default_input: Path,
        default_output: Path, description: str | None,
        argv: list[str] | None = None) -> int:
    """Parse the command line, derive, then write the JSON or (``--check``) compare it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--input", type=Path, default=default_input)
    parser.add_argument("--output", type=Path, default=default_output)
    parser.add_argument("--check", action="store_true",
                        help="verify that --output is what the script would write; write nothing")
    args = parser.parse_args(argv)
    if not args.input.is_file():
        print(f"{name}: input not found: {args.input}", file=sys.stderr)
        return 2
    try:
        text = derive(args.input)
    except DeriveError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 1
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else None
        if current != text:
            print(f"{name}: {args.output} is out of date", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8", newline="\n")
    return 0
