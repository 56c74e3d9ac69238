"""One JSON-safe encoder for the CLI's ``--json`` and the service: -inf keeps its sign."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from locard.jsonsafe import dumps, json_safe


def test_non_finite_floats_keep_their_sign() -> None:
    assert json_safe(-math.inf) == "-Infinity"
    assert json_safe(math.inf) == "Infinity"
    assert json_safe(math.nan) is None
    assert json_safe(-1.5) == -1.5 and json_safe(0.0) == 0.0 and json_safe(3) == 3


def test_nested_containers_are_walked() -> None:
    data = {"log10_lr": -math.inf, "per_locus": (0.5, -math.inf), "hits": [{"lr": math.inf}],
            "set": frozenset({math.nan}), 7: "seven"}
    assert json_safe(data) == {"log10_lr": "-Infinity", "per_locus": [0.5, "-Infinity"],
                               "hits": [{"lr": "Infinity"}], "set": [None], "7": "seven"}


def test_dumps_is_strict_json() -> None:
    text = dumps({"a": (-math.inf, math.nan), "path": Path("/x/y"), "b": [math.inf]}, indent=2)
    assert "-Infinity\"" in text and "NaN" not in text
    # strict: Python's parser would accept bare Infinity/NaN, so refuse them explicitly
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
    assert data == {"a": ["-Infinity", None], "path": "/x/y", "b": ["Infinity"]}


def test_cli_and_service_write_the_same(capsys: pytest.CaptureFixture[str]) -> None:
    from locard.cli.common import print_json
    from locard.service.api import _json

    data = {"log10_lr": -math.inf, "lr": 0.0, "per_locus": (math.inf, math.nan, 0.25)}
    print_json(data)
    cli = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(c))
    body = _json(data).body
    service = json.loads(bytes(body), parse_constant=lambda c: pytest.fail(c))
    assert cli == service == json_safe(data)
    assert cli["log10_lr"] == "-Infinity" and cli["per_locus"] == ["Infinity", None, 0.25]
