"""Helpers for eval tests: the default constitution and scripted targets."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def lc() -> Any:
    from alignloop.constitution import load_constitution

    return load_constitution(None)
