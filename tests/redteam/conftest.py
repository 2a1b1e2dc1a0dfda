"""Fixtures for red-team tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def lc() -> Any:
    from alignloop.constitution import load_constitution

    return load_constitution(None)
