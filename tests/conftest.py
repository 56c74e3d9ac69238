"""Shared fixtures: the reference data folder beside the checkout, and small hand-made tables."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def shared_data_path(*parts: str) -> Path:
    """Path into ../shared/data; skips the calling test with a reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data not found at {path} (needs ../shared/data beside the repo)")
    return path


@pytest.fixture
def shared_data() -> Path:
    return shared_data_path()
