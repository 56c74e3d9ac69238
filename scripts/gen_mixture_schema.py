"""Generate docs/mixture-case.schema.json, the JSON schema of the mixture case file, from the
pydantic model (locard.stats.mixture.casefile.CaseFile).

    python scripts/gen_mixture_schema.py          # rewrite docs/mixture-case.schema.json
    python scripts/gen_mixture_schema.py --check  # exit 1 if it is out of date

tests/stats/mixture/test_casefile.py runs the check.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "mixture-case.schema.json"


def render() -> str:
    from locard.stats.mixture.casefile import case_json_schema

    return json.dumps(case_json_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the schema is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is out of date: run python scripts/gen_mixture_schema.py",
                  file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
