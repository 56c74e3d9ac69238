"""Generate docs/policy.schema.json, the JSON schema of the policy file, from its pydantic models
(locard.store.policy_file.PolicyFile), and the reference part of docs/policy.md from that schema
(between the two markers; the rest of the page is written by hand).

    python scripts/gen_policy_schema.py          # rewrite both
    python scripts/gen_policy_schema.py --check  # exit 1 if either is out of date

tests/test_docs.py runs the check.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "docs" / "policy.schema.json"
PAGE = ROOT / "docs" / "policy.md"
BEGIN = ("<!-- BEGIN GENERATED REFERENCE: python scripts/gen_policy_schema.py writes this part "
         "from docs/policy.schema.json; do not edit it by hand -->")
END = "<!-- END GENERATED REFERENCE -->"


def schema() -> dict[str, Any]:
    from locard.store.policy_file import policy_json_schema

    return policy_json_schema()


def render_schema() -> str:
    return json.dumps(schema(), indent=2, sort_keys=True) + "\n"


def _def(ref: str, defs: dict[str, Any]) -> dict[str, Any]:
    return dict(defs[ref.rsplit("/", 1)[-1]])


def _toml(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, float) or value != int(value) \
        else (f"{value:g}" if abs(value) >= 1e4 else str(value))


def _limits(prop: dict[str, Any]) -> list[str]:
    out = []
    for key, word in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="),
                      ("exclusiveMaximum", "<")):
        if key in prop:
            out.append(f"{word} {_toml(prop[key])}")
    if prop.get("minItems"):
        out.append(f"at least {prop['minItems']}")
    return out


def _type(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    """A property's type in words (TOML terms)."""
    if "$ref" in prop:
        return "table"
    if "const" in prop:
        return f"`{prop['const']}`"
    if "enum" in prop:
        return " or ".join(f"`{v}`" for v in prop["enum"])
    if "anyOf" in prop or "oneOf" in prop:
        members = [m for m in prop.get("anyOf", prop.get("oneOf", []))
                   if m.get("type") != "null"]
        text = " or ".join(_type(m, defs) for m in members)
        limits = _limits(prop)
        return text + (f" ({', '.join(limits)})" if limits else "")
    kind = prop.get("type")
    words = {"string": "string", "integer": "integer", "number": "number",
             "boolean": "boolean"}
    if kind == "array":
        text = f"list of {_type(prop.get('items', {}), defs)}"
    elif kind == "object":
        text = f"table of {_type(prop.get('additionalProperties', {}), defs)}"
    else:
        text = words.get(str(kind), "value")
    limits = _limits(prop)
    return text + (f" ({', '.join(limits)})" if limits else "")


def _default(prop: dict[str, Any], required: bool) -> str:
    if required:
        return "required"
    if "default" not in prop or prop["default"] is None:
        return "none"
    value = prop["default"]
    if isinstance(value, dict):
        return "`{}`" if not value else "see below"
    return f"`{_toml(value)}`"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _table(model: dict[str, Any], defs: dict[str, Any], *, skip: tuple[str, ...] = ()) -> list[str]:
    required = set(model.get("required", []))
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for key, prop in model.get("properties", {}).items():
        if key in skip:
            continue
        lines.append(f"| `{key}` | {_cell(_type(prop, defs))} | "
                     f"{_default(prop, key in required)} | "
                     f"{_cell(prop.get('description', ''))} |")
    return lines


def _section(title: str, description: str, rows: list[str]) -> list[str]:
    return [f"### {title}", "", _cell(description), "", *rows, ""]


def render_reference(spec: dict[str, Any] | None = None) -> str:
    """The reference part of docs/policy.md, from the JSON schema."""
    spec = spec or schema()
    defs = spec["$defs"]
    props = spec["properties"]
    out = ["## Reference", "",
           "Generated from the published JSON schema, `docs/policy.schema.json`. Every key is "
           "checked on load: a value of the wrong type, out of range, or a key that is not "
           "listed here refuses the file, naming the file, the key and the value.", ""]
    top = {k: p for k, p in props.items() if "$ref" not in p}
    out += _section("Top level", spec.get("description", ""),
                    _table({"properties": top, "required": spec.get("required", [])}, defs))
    for key, prop in props.items():
        if "$ref" not in prop:
            continue
        model = _def(prop["$ref"], defs)
        if key == "index":
            out += _section("`[index]`", model.get("description", ""), [
                "| index | holds |", "|---|---|",
                *(f"| `{name}` | {_cell(p.get('description', ''))} |"
                  for name, p in model["properties"].items())])
            section = _def(next(iter(model["properties"].values()))["$ref"], defs)
            out += _section("`[index.NAME]`", section.get("description", ""),
                            _table(section, defs, skip=("rules",)))
            rules = section["properties"]["rules"]
            out += ["### `[[index.NAME.rules]]`", "", _cell(rules.get("description", "")), "",
                    "Every rule has a `name` (given with every refusal) and a `kind`:", ""]
            for ref in rules["items"]["oneOf"]:
                kind_model = _def(ref["$ref"], defs)
                kind = kind_model["properties"]["kind"]["const"]
                out += [f"#### kind `{kind}`", "", _cell(kind_model.get("description", "")),
                        "", *_table(kind_model, defs, skip=("name", "kind")), ""]
            continue
        if key == "search":
            out += _section("`[search]`", model.get("description", ""), [
                "| table or key | type | default | meaning |", "|---|---|---|---|",
                *(f"| `{'[search.' + k + ']' if '$ref' in p or p.get('type') == 'object' else k}`"
                  f" | {_cell(_type(p, defs))} | {_default(p, False)} | "
                  f"{_cell(p.get('description', ''))} |"
                  for k, p in model["properties"].items())])
            continue
        out += _section(f"`[{key}]`", prop.get("description") or model.get("description", ""),
                        _table(model, defs))
    return "\n".join(out).rstrip() + "\n"


def render_page(current: str) -> str:
    """docs/policy.md with its generated part replaced."""
    if BEGIN not in current or END not in current:
        raise SystemExit(f"{PAGE} lacks the markers of the generated part")
    head, rest = current.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n\n{render_reference()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if either is stale")
    args = parser.parse_args(argv)
    text = render_schema()
    page = render_page(PAGE.read_text(encoding="utf-8"))
    if args.check:
        stale = [p for p, want in ((SCHEMA, text), (PAGE, page))
                 if not p.exists() or p.read_text(encoding="utf-8") != want]
        for p in stale:
            print(f"{p} is out of date: run python scripts/gen_policy_schema.py",
                  file=sys.stderr)
        return 1 if stale else 0
    SCHEMA.write_text(text, encoding="utf-8")
    PAGE.write_text(page, encoding="utf-8")
    print(f"wrote {SCHEMA} and the reference in {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
