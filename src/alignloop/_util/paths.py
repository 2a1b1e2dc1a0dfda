"""Where alignloop keeps its cache and data (overridable with ALIGNLOOP_HOME)."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """Root of alignloop's per-user state: ``$ALIGNLOOP_HOME`` or the platform data dir."""
    env = os.environ.get("ALIGNLOOP_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("alignloop", appauthor=False))


def cache_dir() -> Path:
    """Cache for derived artifacts (dequantized models, guard artifacts, ONNX exports)."""
    env = os.environ.get("ALIGNLOOP_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    if os.environ.get("ALIGNLOOP_HOME"):
        return home() / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir("alignloop", appauthor=False))
