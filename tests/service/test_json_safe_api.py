"""The service's JSON keeps the sign of an infinite value (``log10_lr = -inf`` of an excluded
candidate is ``"-Infinity"``, never ``"Infinity"``), through the real HTTP route."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from tests.service.conftest import Service

from locard.service.gateway import SearchGateway


def test_identify_minus_infinity_keeps_its_sign(service: Service,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # an excluded candidate has LR 0: log10 LR = -inf (the stepwise default never gives 0, so
    # the engine's answer is stood in for; the route and its encoder are the real ones)
    def excluded(self: SearchGateway, pedigree: Any, **kw: Any) -> dict[str, Any]:
        return {"candidates": [{"lr": 0.0, "log10_lr": -math.inf,
                                "per_locus": (0.0, 1.5)}], "big": math.inf, "nan": math.nan}

    monkeypatch.setattr(SearchGateway, "identify", excluded)
    r = service.client.post("/api/v1/identify", headers=service.h("ana"),
                            json={"pedigree": {"missing": "X", "individuals": []},
                                  "purpose": "MP-CASE-1"})
    assert r.status_code == 200, r.text
    body = json.loads(r.text, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
    assert body["candidates"][0]["log10_lr"] == "-Infinity"
    assert body["candidates"][0]["per_locus"] == [0.0, 1.5]
    assert body["big"] == "Infinity" and body["nan"] is None
